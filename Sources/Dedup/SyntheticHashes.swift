import Foundation

/// Reproducible synthetic hashes for tests and benchmarks: clusters of near-duplicates, the way real
/// catalogs hold them, rather than uniform noise.
public enum SyntheticHashes {
  /// A SplitMix64 generator: the same seed gives the same sequence on every platform.
  public struct Generator: RandomNumberGenerator, Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
  }

  /// `count` hashes: uniform random centres, each followed by 1...`maxMembers` members up to
  /// `maxFlips` flipped bits away from it (so members of a cluster are within 2 × `maxFlips` bits).
  public static func clustered(count: Int, seed: UInt64, maxMembers: Int = 20, maxFlips: Int = 6) -> [UInt64] {
    var random = Generator(seed: seed)
    var hashes: [UInt64] = []
    hashes.reserveCapacity(count)
    while hashes.count < count {
      let centre = random.next()
      for _ in 0..<Int.random(in: 1...maxMembers, using: &random) where hashes.count < count {
        var member = centre
        for _ in 0..<Int.random(in: 0...maxFlips, using: &random) {
          member ^= 1 << UInt64.random(in: 0..<64, using: &random)
        }
        hashes.append(member)
      }
    }
    return hashes
  }
}
