import Foundation
import Testing

@testable import Dedup

@Suite struct GroundTruthTests {
  @Test(.enabled(if: TestPaths.hasPhotos, "needs opencv-doc (scripts/bootstrap installs it)"))
  func explore() throws {
    let items = try GroundTruth.items()
    let algos: [HashAlgorithm] = [.phash, .phashCentre, .dhash, .ahash]
    let hashes = try items.map { try PerceptualHash.hashes(of: $0.bytes, algorithms: Set(algos)) }
    print("EXPLORE items \(items.count)")
    // distance from original to each transform
    for t in GroundTruth.Transform.allCases where t != .original {
      var dp: [Int] = [], dx: [Int] = [], dd: [Int] = []
      for (i, item) in items.enumerated() where item.transform == t {
        let o = items.firstIndex { $0.group == item.group && $0.transform == .original }!
        let a = hashes[o], b = hashes[i]
        dp.append(PerceptualHash.distance(a[.phash]!, b[.phash]!))
        dx.append(min(PerceptualHash.distance(a[.phash]!, b[.phash]!), PerceptualHash.distance(a[.phashCentre]!, b[.phash]!), PerceptualHash.distance(a[.phash]!, b[.phashCentre]!)))
        dd.append(PerceptualHash.distance(a[.dhash]!, b[.dhash]!))
      }
      func hist(_ v: [Int]) -> String { (0...16).map { d in "\(v.filter { $0 <= d }.count)" }.joined(separator: " ") }
      print("EXPLORE \(t.rawValue) n=\(dp.count)\n  phash cum \(hist(dp))\n  cross cum \(hist(dx))\n  dhash cum \(hist(dd))")
    }
    // unrelated: min distances among originals of different groups
    var up: [Int] = [], ux: [Int] = [], ud: [Int] = []
    let all = Array(items.indices)
    for i in all { for j in all where j > i && items[i].group != items[j].group {
      let a = hashes[i], b = hashes[j]
      up.append(PerceptualHash.distance(a[.phash]!, b[.phash]!))
      ux.append(min(PerceptualHash.distance(a[.phash]!, b[.phash]!), PerceptualHash.distance(a[.phashCentre]!, b[.phash]!), PerceptualHash.distance(a[.phash]!, b[.phashCentre]!)))
      ud.append(PerceptualHash.distance(a[.dhash]!, b[.dhash]!))
    } }
    func hist(_ v: [Int]) -> String { (0...16).map { d in "\(v.filter { $0 <= d }.count)" }.joined(separator: " ") }
    print("EXPLORE unrelated pairs n=\(up.count)\n  phash cum \(hist(up))\n  cross cum \(hist(ux))\n  dhash cum \(hist(ud))")
  }
}
