// Developer tool for bench/faces and for tuning the default detector on a VOC-imported truth source.
//   faces-bench eval WORKSPACE SOURCE [TUNING-JSON ...]   recall/precision of the seeds' Haar setting and of
//                                                        the default (or each given tuning), detection in memory
//   faces-bench speed FOLDER [REPEAT] [--detector KIND]   images/s of the seeds' Haar setting (or KIND, e.g.
//                                                        default) on all cores, decode included, and the boxes as
//                                                        "name x,y,w,h[,score] ..." lines on stdout
//   faces-bench score WORKSPACE SOURCE NAME=FILE ...     recall per class and size, precision, of boxes lines
//                                                        (as speed or peer-yunet.py print them) against SOURCE
import AutoFace
import Catalog
import Foundation
import Imaging
import Parallel
import Synchronization

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data((message + "\n").utf8))
  exit(1)
}

let args = CommandLine.arguments
guard args.count >= 3 else {
  fail(
    "usage: faces-bench eval WORKSPACE SOURCE [TUNING-JSON ...] | speed FOLDER [REPEAT] [--detector KIND] | score WORKSPACE SOURCE NAME=FILE ..."
  )
}

func evaluate(_ make: () throws -> any FaceDetector, catalog: Catalog, truth: [Int64: [TruthFace]]) throws {
  let detector = try make()
  var images: [(truth: [TruthFace], detections: [FaceDetection])] = []
  let started = Date()
  for id in truth.keys.sorted() {
    guard let sha = try catalog.imageFacts(id: id)?.sha256 else { continue }
    let image = try DecodedImage(bytes: try catalog.store.read(sha))
    images.append((truth[id] ?? [], try detector.detect(in: image)))
  }
  let seconds = Date().timeIntervalSince(started)
  if ProcessInfo.processInfo.environment["FB_FIT"] != nil {
    var fx: [Double] = []
    var fy: [Double] = []
    var fw: [Double] = []
    var fh: [Double] = []
    for (truth, found) in images {
      for d in found {
        guard let t = truth.max(by: { d.box.iou($0.box) < d.box.iou($1.box) }), d.box.iou(t.box) >= 0.25 else {
          continue
        }
        let (a, b) = (d.box, t.box)
        fx.append((Double(b.x) + Double(b.width) / 2 - Double(a.x) - Double(a.width) / 2) / Double(a.width))
        fy.append((Double(b.y) + Double(b.height) / 2 - Double(a.y) - Double(a.height) / 2) / Double(a.height))
        fw.append(Double(b.width) / Double(a.width))
        fh.append(Double(b.height) / Double(a.height))
      }
    }
    func median(_ v: [Double]) -> Double { v.isEmpty ? 0 : v.sorted()[v.count / 2] }
    print("fit n=\(fx.count) dx \(median(fx)) dy \(median(fy)) w \(median(fw)) h \(median(fh))")
  }
  var rules = FaceEvaluationRules()
  if let v = ProcessInfo.processInfo.environment["FB_IOU"], let iou = Double(v) { rules.iou = iou }
  if let v = ProcessInfo.processInfo.environment["FB_MIN_SIZE"], let size = Int(v) { rules.minSize = size }
  let e = FaceEvaluation.evaluate(identity: detector.identity, images: images, rules: rules)
  let classes = e.classes.map { "\($0.label) \($0.found)/\($0.faces) \(Int(($0.recall * 100).rounded()))%" }
  print(
    "\(e.detector): recall \(e.found)/\(e.faces) = \(Int((e.recall * 100).rounded()))%, precision "
      + "\(e.detections - e.falsePositives)/\(e.detections) = \(Int((e.precision * 100).rounded()))% | "
      + classes.joined(separator: " | ") + String(format: " | %.1fs", seconds))
  if args.contains("--verbose") { print("  \(e.parameters)") }
}

/// YuNet parameters to try from FB_YUNET (keys missing keep the built-in values), e.g. FB_YUNET='{"maxUpscale":1}'.
func yunetTrial() throws -> YuNetParameters? {
  guard let json = ProcessInfo.processInfo.environment["FB_YUNET"] else { return nil }
  var base = try JSONSerialization.jsonObject(with: JSONEncoder().encode(YuNetParameters())) as? [String: Any] ?? [:]
  base.merge(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]) { $1 }
  return try JSONDecoder().decode(YuNetParameters.self, from: JSONSerialization.data(withJSONObject: base))
}

switch args[1] {
case "eval":
  guard args.count >= 4 else { fail("usage: faces-bench eval WORKSPACE SOURCE [TUNING-JSON ...]") }
  do {
    let catalog = try Catalog(workspace: Workspace(root: args[2]))
    let truth = try catalog.truthFaces(source: args[3])
    let tunings = args.dropFirst(4).filter { !$0.hasPrefix("--") }
    if let parameters = try yunetTrial() {
      try evaluate({ try YuNetFaceDetector(parameters: parameters) }, catalog: catalog, truth: truth)
    } else if tunings.isEmpty {
      try evaluate({ try DetectorSpec.seeds.make() }, catalog: catalog, truth: truth)
      try evaluate({ try DetectorSpec(kind: .lbp).make() }, catalog: catalog, truth: truth)
      try evaluate({ try DetectorSpec(kind: .cascades).make() }, catalog: catalog, truth: truth)
      try evaluate({ try DetectorSpec(kind: .default).make() }, catalog: catalog, truth: truth)
    }
    for json in tunings {
      // Keys missing from the JSON keep the built-in values.
      var base =
        try JSONSerialization.jsonObject(with: JSONEncoder().encode(DefaultDetectorTuning())) as? [String: Any] ?? [:]
      let given = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] ?? [:]
      base.merge(given) { $1 }
      let tuning = try JSONDecoder().decode(
        DefaultDetectorTuning.self, from: JSONSerialization.data(withJSONObject: base))
      print(json)
      try evaluate({ try DefaultFaceDetector(tuning: tuning) }, catalog: catalog, truth: truth)
    }
  } catch {
    fail((error as? LocalizedError)?.errorDescription ?? "\(error)")
  }
case "features":
  // One JSON line per candidate of the default detector: its cues, and the truth face it overlaps most.
  guard args.count >= 4 else { fail("usage: faces-bench features WORKSPACE SOURCE") }
  do {
    let catalog = try Catalog(workspace: Workspace(root: args[2]))
    let truth = try catalog.truthFaces(source: args[3])
    let detector = try DefaultFaceDetector(tuning: DefaultDetectorTuning())
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    struct Line: Encodable {
      var image: Int64
      var candidate: DefaultFaceCandidate
      var iou: Double
      var label: String?
      var truthSize: Int?
    }
    for id in truth.keys.sorted() {
      guard let sha = try catalog.imageFacts(id: id)?.sha256 else { continue }
      let image = try DecodedImage(bytes: try catalog.store.read(sha))
      let faces = truth[id] ?? []
      for c in try detector.candidates(in: image) {
        let best = faces.max { c.box.iou($0.box) < c.box.iou($1.box) }
        let line = Line(
          image: id, candidate: c, iou: best.map { c.box.iou($0.box) } ?? 0, label: best?.label, truthSize: best?.size)
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
      }
      print("{\"image\":\(id),\"truth\":\(faces.filter { $0.size >= 30 }.count)}")
    }
  } catch {
    fail((error as? LocalizedError)?.errorDescription ?? "\(error)")
  }
case "speed":
  let folder = args[2]
  let repeatCount = args.count > 3 ? Int(args[3]) ?? 1 : 1
  let withScores = args.contains("--detector")
  let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { name in
    [".jpg", ".jpeg", ".png"].contains { name.lowercased().hasSuffix($0) }
  }.sorted()
  let files = names.map { try? Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)) }
  setOpenCVThreads(0)
  // One detector per worker (cascades are not thread-safe), loaded before the clock starts.
  let workers = ProcessInfo.processInfo.activeProcessorCount
  final class Detectors: @unchecked Sendable { var all: [any FaceDetector] = [] }
  let detectors = Detectors()
  var spec = DetectorSpec.seeds
  if let i = args.firstIndex(of: "--detector"), i + 1 < args.count {
    guard let kind = DetectorKind(rawValue: args[i + 1]) else { fail("unknown detector \(args[i + 1])") }
    spec = DetectorSpec(kind: kind)
    if let trial = try? yunetTrial() { spec.yunet = trial }
  }
  do { detectors.all = try (0..<workers).map { _ in try spec.make() } } catch { fail("\(error)") }
  let started = Date()
  var lines = [String?](repeating: nil, count: files.count)
  for _ in 0..<repeatCount {
    // One worker per detector, each taking the next photo (as `faces detect` does).
    let next = Mutex(0)
    let found = concurrentMap(Array(0..<workers), workers: workers) { worker -> [(Int, String)] in
      let detector = detectors.all[worker]
      var mine: [(Int, String)] = []
      while true {
        let i = next.withLock { value in
          defer { value += 1 }
          return value
        }
        guard i < files.count else { break }
        guard let data = files[i], let photo = try? DetectionImage(bytes: [UInt8](data)),
          let faces = try? photo.original(detector.detect(in: photo.image))
        else { continue }
        let line =
          "\(names[i]) "
          + faces.map {
            "\($0.box.x),\($0.box.y),\($0.box.width),\($0.box.height)"
              + (withScores ? String(format: ",%.3f", $0.score) : "")
          }.joined(separator: " ")
        mine.append((i, line))
      }
      return mine
    }
    for (i, line) in found.joined() { lines[i] = line }
  }
  let seconds = Date().timeIntervalSince(started)
  for line in lines { if let line { print(line) } }
  FileHandle.standardError.write(
    Data(
      String(
        format: "datasetkit-shim: %d images x %d in %.2fs = %.1f images/s\n", files.count, repeatCount, seconds,
        Double(files.count * repeatCount) / seconds
      ).utf8))
case "score":
  // The same table for every boxes file, on the photos of SOURCE named in it (matched by file name).
  guard args.count >= 5 else { fail("usage: faces-bench score WORKSPACE SOURCE NAME=FILE ...") }
  do {
    let catalog = try Catalog(workspace: Workspace(root: args[2]))
    let truth = try catalog.truthFaces(source: args[3])
    var idByName: [String: Int64] = [:]
    for source in try catalog.sourceIDs(named: args[3]) {
      for (path, image) in try catalog.imageIDsByOrigin(sourceID: source) {
        idByName[(path as NSString).lastPathComponent] = image.id
      }
    }
    func pct(_ v: Double) -> String { String(format: "%.1f %%", v * 100) }
    print(
      "detector | images | with_mask | without_mask | mask_weared_incorrect | recall <30 / 30-59 / 60+ px | precision"
        + " (classes and precision: faces >= 30 px, IoU 0.5)")
    for argument in args.dropFirst(4) {
      let parts = argument.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, let text = try? String(contentsOfFile: parts[1], encoding: .utf8) else {
        fail("cannot read \(argument)")
      }
      var images: [(truth: [TruthFace], detections: [FaceDetection])] = []
      for line in text.split(separator: "\n") {
        let fields = line.split(separator: " ")
        guard let name = fields.first, let id = idByName[String(name)], let faces = truth[id] else { continue }
        let detections = fields.dropFirst().compactMap { field -> FaceDetection? in
          let v = field.split(separator: ",").compactMap { Double($0) }
          guard v.count >= 4 else { return nil }
          return FaceDetection(
            box: Box(x: Int(v[0]), y: Int(v[1]), width: Int(v[2]), height: Int(v[3])),
            score: v.count > 4 ? v[4] : 1)
        }
        images.append((faces, detections))
      }
      // Classes and precision as in the README's detector table (faces >= 30 px, IoU 0.5); the size buckets with every face.
      let identity = DetectorIdentity(name: parts[0], version: "", parameters: "")
      let e = FaceEvaluation.evaluate(identity: identity, images: images, rules: FaceEvaluationRules())
      var all = FaceEvaluationRules()
      all.minSize = 0
      let everyFace = FaceEvaluation.evaluate(identity: identity, images: images, rules: all)
      func recall(_ label: String) -> String {
        e.classes.first { $0.label == label }.map { "\(pct($0.recall)) (\($0.found)/\($0.faces))" } ?? "-"
      }
      // Three buckets: <30, 30-59, 60+ (FaceEvaluation's 60-119 and 120+ together).
      let b = everyFace.sizes
      func bucket(_ range: ArraySlice<SizeBucket>) -> String {
        let faces = range.reduce(0) { $0 + $1.faces }
        let found = range.reduce(0) { $0 + $1.found }
        return faces == 0 ? "-" : pct(Double(found) / Double(faces))
      }
      let sizes = b.count >= 4 ? "\(bucket(b[0..<1])) / \(bucket(b[1..<2])) / \(bucket(b[2...]))" : "-"
      print(
        "\(parts[0]) | \(images.count) | \(recall("with_mask")) | \(recall("without_mask")) | "
          + "\(recall("mask_weared_incorrect")) | \(sizes) | \(String(format: "%.3f", e.precision)) "
          + "(\(e.detections - e.falsePositives)/\(e.detections))")
    }
  } catch {
    fail((error as? LocalizedError)?.errorDescription ?? "\(error)")
  }
default:
  fail("unknown mode \(args[1])")
}
