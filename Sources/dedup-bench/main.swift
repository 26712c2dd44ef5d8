// dedup-bench: the figures bench/dedup prints. Not a test; never run by `make test`.
//
//   dedup-bench search --count N --radius R [--queries Q] [--seed S]
//       all pairs within R over N synthetic hashes drawn in clusters, and Q single queries
//   dedup-bench hash --from DIR [--algorithms phash,...] [--decode-only]
//       hash throughput over the images in DIR (files, in name order), on all cores
//   dedup-bench truth --photos DIR --voc DIR --out DIR [--names a.jpg,b.png,...]
//       a labelled set for the relations: 96×96 face crops cut with the boxes of a VOC folder (images/ +
//       annotations/) and quadrant tiles of the photos, each with copies that are duplicates (resized 50 %, JPEG
//       q40, brightened 10 %, cropped 3 %) and related (mirrored; painted mask on faces), and truth.tsv
//       (file, group, edit)
//   dedup-bench relations --from DIR --pairs FILE [--radius R]
//       hashing + candidate search + fingerprint confirmation over the files in DIR, on all cores, as `dedup`
//       does it; the confirmed pairs to FILE (a, b, relation, evidence, distance)
import Catalog
import Dedup
import Foundation
import Imaging
import Parallel

#if canImport(Glibc)
  import Glibc
#endif

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("dedup-bench: \(message)\n".utf8))
  exit(64)
}

func peakRSSMegabytes() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return Double(usage.ru_maxrss) / 1024
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first else { fail("usage: dedup-bench search|hash ...") }
arguments.removeFirst()
var options: [String: String] = [:]
var flags: Set<String> = []
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  if flag == "--decode-only" {
    flags.insert(flag)
    continue
  }
  guard !arguments.isEmpty else { fail("\(flag) needs a value") }
  options[flag] = arguments.removeFirst()
}

/// User + system CPU seconds of the process so far (all threads).
func cpuSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  func value(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
  return value(usage.ru_utime) + value(usage.ru_stime)
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
  let start = DispatchTime.now().uptimeNanoseconds
  try body()
  return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

switch mode {
case "search":
  let count = Int(options["--count"] ?? "1000000") ?? 1_000_000
  let radii = (options["--radius"] ?? "8").split(separator: ",").compactMap { Int($0) }
  let queries = Int(options["--queries"] ?? "1000") ?? 1000
  let hashes = SyntheticHashes.clustered(count: count, seed: UInt64(options["--seed"] ?? "1") ?? 1)
  var random = SyntheticHashes.Generator(seed: 77)
  var index: HammingIndex?
  let build = seconds { index = HammingIndex(hashes) }
  guard let index else { fail("no index") }
  print(String(format: "index build: %d hashes in %.2f s", count, build))
  for radius in radii {
    var pairs: [HashPair] = []
    let time = seconds { pairs = index.allPairs(radius: radius) }
    print(String(format: "all pairs r=%d: %d pairs in %.2f s", radius, pairs.count, time))
    // Exactness, checked by brute force for a sample of entries: their neighbours among all N.
    let sample = Set((0..<200).map { _ in Int.random(in: 0..<count, using: &random) })
    var found: Set<[Int]> = []
    for pair in pairs where sample.contains(Int(pair.first)) || sample.contains(Int(pair.second)) {
      if sample.contains(Int(pair.first)) { found.insert([Int(pair.first), Int(pair.second)]) }
      if sample.contains(Int(pair.second)) { found.insert([Int(pair.second), Int(pair.first)]) }
    }
    var expected: Set<[Int]> = []
    for i in sample {
      for j in 0..<count where j != i && (hashes[i] ^ hashes[j]).nonzeroBitCount <= radius { expected.insert([i, j]) }
    }
    print(
      "  exactness: \(sample.count) sampled hashes, \(expected.count) neighbours by brute force over all \(count): "
        + (found == expected ? "all found, none extra" : "MISMATCH (\(found.count) found)"))
  }
  for radius in radii {
    var times: [Double] = []
    var found = 0
    for _ in 0..<queries {
      var probe = hashes[Int.random(in: 0..<hashes.count, using: &random)]
      probe ^= 1 << UInt64.random(in: 0..<64, using: &random)
      times.append(seconds { found += index.query(probe, radius: radius).count })
    }
    times.sort()
    print(
      String(
        format: "single query r=%d: median %.3f ms, p99 %.3f ms, max %.3f ms (%d queries, %.1f hits each)", radius,
        times[times.count / 2] * 1000, times[times.count * 99 / 100] * 1000, times[times.count - 1] * 1000, queries,
        Double(found) / Double(queries)))
  }
  print(String(format: "peak RSS: %.0f MB", peakRSSMegabytes()))
case "hash":
  guard let folder = options["--from"] else { fail("--from DIR is required") }
  let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
  let files = names.map { folder + "/" + $0 }
  let algorithms = Set(
    (options["--algorithms"] ?? "phash").split(separator: ",").compactMap { HashAlgorithm(rawValue: String($0)) })
  let decodeOnly = flags.contains("--decode-only")
  var failures = 0
  let time = seconds {
    failures =
      concurrentMap(files) { file -> Bool in
        guard let data = FileManager.default.contents(atPath: file) else { return false }
        do {
          if decodeOnly {
            try PerceptualHash.decodeOnly(Array(data))
          } else {
            _ = try PerceptualHash.hashes(of: Array(data), algorithms: algorithms)
          }
          return true
        } catch {
          return false
        }
      }.filter { !$0 }.count
  }
  let what = decodeOnly ? "opencv decode only" : algorithms.map(\.rawValue).sorted().joined(separator: "+")
  print(
    String(
      format: "%@: %d images in %.2f s = %.0f images/s (%d failed), peak RSS %.0f MB", what, files.count, time,
      Double(files.count) / time, failures, peakRSSMegabytes()))
case "truth":
  guard let photos = options["--photos"], let voc = options["--voc"], let out = options["--out"] else {
    fail("--photos DIR, --voc DIR and --out DIR are required")
  }
  try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
  var originals: [(name: String, image: DecodedImage, face: Bool)] = []
  func files(_ folder: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().filter {
      [".jpg", ".jpeg", ".png"].contains(where: $0.lowercased().hasSuffix)
    }
  }
  for name in files(voc + "/images") {
    let stem = (name as NSString).deletingPathExtension
    guard let data = FileManager.default.contents(atPath: voc + "/images/" + name),
      let xml = try? String(contentsOfFile: voc + "/annotations/" + stem + ".xml", encoding: .utf8),
      let photo = try? DecodedImage(bytes: Array(data))
    else { continue }
    func values(_ tag: String) -> [Int] {
      xml.components(separatedBy: "<\(tag)>").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
    }
    let (x0, y0, x1, y1) = (values("xmin"), values("ymin"), values("xmax"), values("ymax"))
    for n in 0..<min(x0.count, y0.count, x1.count, y1.count) where min(x1[n] - x0[n], y1[n] - y0[n]) >= 16 {
      let side = Int(Double(max(x1[n] - x0[n], y1[n] - y0[n])) * 1.3)
      guard side <= min(photo.width, photo.height) else { continue }
      let x = max(0, min(photo.width - side, (x0[n] + x1[n]) / 2 - side / 2))
      let y = max(0, min(photo.height - side, (y0[n] + y1[n]) / 2 - side / 2))
      if let crop = try? photo.cropped(to: Box(x: x, y: y, width: side, height: side), width: 96, height: 96) {
        originals.append(("\(stem)-\(n)", crop, true))
      }
    }
  }
  let chosen = options["--names"].map { Set($0.split(separator: ",").map(String.init)) }
  for name in files(photos) where chosen?.contains(name) ?? true {
    guard let data = FileManager.default.contents(atPath: photos + "/" + name),
      let photo = try? DecodedImage(bytes: Array(data))
    else { continue }
    let (w, h) = (photo.width / 2, photo.height / 2)
    guard min(w, h) >= 120 else { continue }
    for (i, (x, y)) in [(0, 0), (w, 0), (0, h), (w, h)].enumerated() {
      if let tile = try? photo.cropped(to: Box(x: x, y: y, width: w, height: h), width: w, height: h) {
        originals.append(("\((name as NSString).deletingPathExtension)-\(i)", tile, false))
      }
    }
  }
  var truth = "file\tgroup\tedit\n"
  for (group, original) in originals.enumerated() {
    let image = original.image
    let (w, h) = (image.width, image.height)
    let (dx, dy) = (Int((Double(w) * 0.03).rounded()), Int((Double(h) * 0.03).rounded()))
    var copies: [(String, () throws -> [UInt8])] = [
      ("original", { try image.encoded(.jpeg(quality: 90)) }),
      (
        "resize50",
        {
          try image.cropped(to: Box(x: 0, y: 0, width: w, height: h), width: w / 2, height: h / 2).encoded(
            .jpeg(quality: 90))
        }
      ),
      ("jpeg40", { try image.encoded(.jpeg(quality: 40)) }),
      ("brighten10", { try image.adjusted(contrast: 1.1).encoded(.jpeg(quality: 90)) }),
      (
        "crop3",
        {
          try image.cropped(
            to: Box(x: dx, y: dy, width: w - 2 * dx, height: h - 2 * dy), width: w - 2 * dx, height: h - 2 * dy
          ).encoded(.jpeg(quality: 90))
        }
      ),
      ("mirror", { try image.adjusted(mirrored: true).encoded(.jpeg(quality: 90)) }),
    ]
    if original.face {
      copies.append(
        (
          "painted",
          {
            // As `sample-images faces` paints it: an ellipse over nose, mouth and chin.
            let faceSide = Double(w) / 1.3
            let canvas = try ImageCanvas(copying: image)
            try canvas.fillEllipse(
              centerX: w / 2, centerY: Int(Double(h) / 2 + faceSide * 0.28), radiusX: Int(faceSide * 0.42),
              radiusY: Int(faceSide * 0.26), blue: 230, green: 200, red: 150)
            return try canvas.finished().encoded(.jpeg(quality: 90))
          }
        ))
    }
    for (edit, make) in copies {
      let file = "\(original.name)-\(edit).jpg"
      guard let bytes = try? make(),
        FileManager.default.createFile(atPath: out + "/" + file, contents: Data(bytes))
      else { fail("cannot write \(out)/\(file)") }
      truth += "\(file)\t\(group)\t\(edit)\n"
    }
  }
  guard FileManager.default.createFile(atPath: out + ".tsv", contents: Data(truth.utf8)) else {
    fail("cannot write \(out).tsv")
  }
  print(
    "wrote \(originals.count) originals (\(originals.filter(\.face).count) faces) and their copies to \(out), truth in \(out).tsv"
  )
case "relations":
  guard let folder = options["--from"], let pairsFile = options["--pairs"] else {
    fail("--from DIR and --pairs FILE are required")
  }
  let radius = Int(options["--radius"] ?? "8") ?? 8
  let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
  let files = names.map { folder + "/" + $0 }
  let method = DedupMethod.phashCentre
  let algorithms = method.algorithms.union(relationAlgorithms)
  var relations: [ImagePairRelation] = []
  var candidateCount = 0
  var hashTime = 0.0
  var searchTime = 0.0
  var confirmTime = 0.0
  var hashes: ImageHashes = [:]
  var views: [Int64: FingerprintViews] = [:]
  let cpuStart = cpuSeconds()
  // As `dedup` does it: the images hashed now keep their fingerprint views from the same decode.
  setOpenCVThreads(0)
  hashTime = seconds {
    let values = concurrentMap(files) { file -> ([HashAlgorithm: UInt64], FingerprintViews?)? in
      guard let data = FileManager.default.contents(atPath: file) else { return nil }
      return try? Data(data).withUnsafeBytes {
        let all = try PerceptualHash.hashesWarningsAndViews(of: $0, algorithms: algorithms, views: true)
        return (all.hashes, all.views)
      }
    }
    for (index, value) in values.enumerated() {
      if let value {
        hashes[Int64(index)] = value.0
        views[Int64(index)] = value.1
      }
    }
  }
  var candidates: RelationCandidates?
  searchTime = seconds {
    candidates = RelationCandidates(method: method, hashes: hashes, relatedRadius: RelationThresholds().relatedRadius)
  }
  guard let candidates else { fail("no candidates") }
  confirmTime = seconds {
    let keys = candidates.all
    candidateCount = keys.count
    let involved = Array(Set(keys.flatMap { [$0.first, $0.second] })).sorted()
    let fingerprints = ImageFingerprint.fingerprints(views: views, of: involved)
    relations = candidates.confirmed(fingerprints: fingerprints, radius: radius)
  }
  let cpu = cpuSeconds() - cpuStart
  var text = ""
  for r in relations {
    text +=
      "\(names[Int(r.first)])\t\(names[Int(r.second)])\t\(r.relation.rawValue)\t\(r.evidence.rawValue)\t\(r.distance)\n"
  }
  guard FileManager.default.createFile(atPath: pairsFile, contents: Data(text.utf8)) else {
    fail("cannot write \(pairsFile)")
  }
  let total = hashTime + searchTime + confirmTime
  print(
    String(
      format:
        "datasetkit relations (%d workers): %d images in %.2f s = %.0f images/s (hash %.2f s, search %.2f s, confirm %d candidates %.2f s): %d duplicate, %d related pairs; cpu %.2f s",
      defaultWorkerCount, files.count, total, Double(files.count) / total, hashTime, searchTime, candidateCount,
      confirmTime, relations.filter { $0.relation == .duplicate }.count,
      relations.filter { $0.relation == .related }.count, cpu))
default:
  fail("unknown mode \(mode)")
}
