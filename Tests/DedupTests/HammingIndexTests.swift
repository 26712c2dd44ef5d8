import Foundation
import Testing

@testable import Dedup

@Suite struct HammingIndexTests {
  static func clustered(count: Int, seed: UInt64) -> [UInt64] {
    SyntheticHashes.clustered(count: count, seed: seed, maxMembers: 8, maxFlips: 7)
  }

  static func bruteForce(_ hashes: [UInt64], radius: Int) -> Set<HashPair> {
    var pairs: Set<HashPair> = []
    for i in hashes.indices {
      for j in (i + 1)..<hashes.count {
        let d = (hashes[i] ^ hashes[j]).nonzeroBitCount
        if d <= radius { pairs.insert(HashPair(first: UInt32(i), second: UInt32(j), distance: UInt8(d))) }
      }
    }
    return pairs
  }

  @Test(arguments: [0, 3, 4, 8, 10, 13])
  func allPairsIsExact(radius: Int) {
    let hashes = Self.clustered(count: 2500, seed: UInt64(radius) + 11)
    let found = HammingIndex(hashes).allPairs(radius: radius)
    #expect(found.count == Set(found).count, "a pair was reported twice")
    #expect(Set(found) == Self.bruteForce(hashes, radius: radius))
  }

  @Test func queryIsExact() {
    let hashes = Self.clustered(count: 3000, seed: 5)
    let index = HammingIndex(hashes)
    var random = SyntheticHashes.Generator(seed: 99)
    for radius in [0, 2, 8, 10] {
      for _ in 0..<30 {
        var probe = hashes[Int.random(in: 0..<hashes.count, using: &random)]
        probe ^= 1 << UInt64.random(in: 0..<64, using: &random)
        let expected = hashes.indices.compactMap { i -> Int? in
          (hashes[i] ^ probe).nonzeroBitCount <= radius ? i : nil
        }
        let found = index.query(probe, radius: radius)
        #expect(found.map(\.index) == expected)
        #expect(found.allSatisfy { $0.distance == (hashes[$0.index] ^ probe).nonzeroBitCount })
      }
    }
  }

  @Test func emptyAndSingle() {
    #expect(HammingIndex([]).allPairs(radius: 8).isEmpty)
    #expect(HammingIndex([]).query(0, radius: 8).isEmpty)
    #expect(HammingIndex([42]).allPairs(radius: 8).isEmpty)
    #expect(HammingIndex([42, 42]).allPairs(radius: 0) == [HashPair(first: 0, second: 1, distance: 0)])
  }
}
