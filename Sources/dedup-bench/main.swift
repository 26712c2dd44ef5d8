// dedup-bench: the figures bench/dedup prints. Not a test; never run by `make test`.
//
//   dedup-bench search --count N --radius R [--queries Q] [--seed S]
//       all pairs within R over N synthetic hashes drawn in clusters, and Q single queries
//   dedup-bench hash --from DIR [--algorithms phash,...] [--decode-only]
//       hash throughput over the images in DIR (files, in name order), on all cores
import Dedup
import Foundation
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
default:
  fail("unknown mode \(mode)")
}
