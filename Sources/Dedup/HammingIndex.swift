import Foundation
import Parallel

/// A pair of entries of a `HammingIndex` within the search radius (`first < second`).
public struct HashPair: Sendable, Hashable {
  public var first: UInt32
  public var second: UInt32
  public var distance: UInt8

  public init(first: UInt32, second: UInt32, distance: UInt8) {
    self.first = first
    self.second = second
    self.distance = distance
  }
}

/// Exact Hamming-radius search over 64-bit hashes by multi-index hashing (Norouzi et al.).
///
/// The 64 bits are split into four 16-bit chunks, and the entries are bucketed by each chunk's value
/// (four counting-sorted tables). Two hashes within distance r differ in at most ⌊r/4⌋ bits in at least
/// one chunk (pigeonhole), so probing, in every table, the buckets within ⌊r/4⌋ bits of a hash's chunk
/// finds every neighbour: the search is exact, never approximate. A pair is reported only from the
/// first chunk where it qualifies, so each is found exactly once without a set of seen pairs.
/// The distance itself is one XOR and one `popcnt` (Swift's `nonzeroBitCount`).
public struct HammingIndex: Sendable {
  static let chunkCount = 4
  static let chunkBits = 16
  static let bucketCount = 1 << 16

  /// The hashes, in the order given.
  public let hashes: [UInt64]
  /// Per chunk: where each bucket starts in `entries` (bucketCount + 1 offsets).
  let offsets: [[UInt32]]
  /// Per chunk: entry numbers sorted by that chunk's value.
  let entries: [[UInt32]]
  /// Per chunk: the hashes in `entries` order, for cache-friendly scans.
  let sorted: [[UInt64]]

  public var count: Int { hashes.count }

  public init(_ hashes: [UInt64]) {
    precondition(hashes.count < Int(UInt32.max), "at most 2^32 - 1 hashes")
    self.hashes = hashes
    var offsets: [[UInt32]] = []
    var entries: [[UInt32]] = []
    var sorted: [[UInt64]] = []
    for chunk in 0..<Self.chunkCount {
      let shift = UInt64(chunk * Self.chunkBits)
      var start = [UInt32](repeating: 0, count: Self.bucketCount + 1)
      for hash in hashes { start[Int((hash >> shift) & 0xFFFF) + 1] += 1 }
      for bucket in 0..<Self.bucketCount { start[bucket + 1] += start[bucket] }
      var next = start
      var order = [UInt32](repeating: 0, count: hashes.count)
      var values = [UInt64](repeating: 0, count: hashes.count)
      for (index, hash) in hashes.enumerated() {
        let bucket = Int((hash >> shift) & 0xFFFF)
        let slot = Int(next[bucket])
        next[bucket] += 1
        order[slot] = UInt32(index)
        values[slot] = hash
      }
      offsets.append(start)
      entries.append(order)
      sorted.append(values)
    }
    self.offsets = offsets
    self.entries = entries
    self.sorted = sorted
  }

  /// 16-bit masks with at most `bits` bits set (0 first).
  static func masks(upTo bits: Int) -> [UInt16] {
    if bits < precomputedMasks.count { return precomputedMasks[bits] }
    return makeMasks(upTo: bits)
  }

  /// Masks for chunk radii 0...4 (radius up to 19), made once rather than per query.
  static let precomputedMasks: [[UInt16]] = (0...4).map { makeMasks(upTo: $0) }

  static func makeMasks(upTo bits: Int) -> [UInt16] {
    (0..<bucketCount).filter { $0.nonzeroBitCount <= bits }.sorted {
      ($0.nonzeroBitCount, $0) < ($1.nonzeroBitCount, $1)
    }.map { UInt16($0) }
  }

  /// The per-chunk distance that pigeonhole guarantees for some chunk of a pair within `radius`.
  static func chunkRadius(_ radius: Int) -> Int { radius / chunkCount }

  /// True when some chunk before `chunk` already holds the pair within `chunkRadius` (so that chunk
  /// reports it).
  @inline(__always)
  static func earlierChunkQualifies(_ difference: UInt64, chunk: Int, chunkRadius: Int) -> Bool {
    var c = 0
    while c < chunk {
      if ((difference >> UInt64(c * chunkBits)) & 0xFFFF).nonzeroBitCount <= chunkRadius { return true }
      c += 1
    }
    return false
  }

  /// Every entry within `radius` of `hash`, with its distance, in entry order.
  public func query(_ hash: UInt64, radius: Int) -> [(index: Int, distance: Int)] {
    guard radius >= 0, !hashes.isEmpty else { return [] }
    let chunkRadius = Self.chunkRadius(radius)
    let masks = Self.masks(upTo: min(chunkRadius, Self.chunkBits))
    var found: [(index: Int, distance: Int)] = []
    for chunk in 0..<Self.chunkCount {
      let key = UInt16(truncatingIfNeeded: hash >> UInt64(chunk * Self.chunkBits))
      offsets[chunk].withUnsafeBufferPointer { start in
        sorted[chunk].withUnsafeBufferPointer { values in
          entries[chunk].withUnsafeBufferPointer { order in
            for mask in masks {
              let bucket = Int(key ^ mask)
              for slot in Int(start[bucket])..<Int(start[bucket + 1]) {
                let difference = hash ^ values[slot]
                let distance = difference.nonzeroBitCount
                if distance <= radius
                  && !Self.earlierChunkQualifies(difference, chunk: chunk, chunkRadius: chunkRadius)
                {
                  found.append((Int(order[slot]), distance))
                }
              }
            }
          }
        }
      }
    }
    return found.sorted { $0.index < $1.index }
  }

  /// Every pair of entries within `radius` of each other, each once, found on all cores.
  /// Identical hashes are pairs at distance 0.
  public func allPairs(radius: Int) -> [HashPair] {
    guard radius >= 0, hashes.count > 1 else { return [] }
    let chunkRadius = Self.chunkRadius(radius)
    let masks = Array(Self.masks(upTo: min(chunkRadius, Self.chunkBits)).dropFirst())
    let blockCount = 512
    let blockSize = Self.bucketCount / blockCount
    let results = concurrentMap(Array(0..<(Self.chunkCount * blockCount))) { job -> [HashPair] in
      let chunk = job / blockCount
      let block = job % blockCount
      var pairs: [HashPair] = []
      offsets[chunk].withUnsafeBufferPointer { start in
        sorted[chunk].withUnsafeBufferPointer { values in
          entries[chunk].withUnsafeBufferPointer { order in
            @inline(__always) func consider(_ a: Int, _ b: Int) {
              let difference = values[a] ^ values[b]
              let distance = difference.nonzeroBitCount
              guard distance <= radius,
                !Self.earlierChunkQualifies(difference, chunk: chunk, chunkRadius: chunkRadius)
              else { return }
              let x = order[a]
              let y = order[b]
              pairs.append(HashPair(first: min(x, y), second: max(x, y), distance: UInt8(distance)))
            }
            for bucket in (block * blockSize)..<((block + 1) * blockSize) {
              let lower = Int(start[bucket])
              let upper = Int(start[bucket + 1])
              guard lower < upper else { continue }
              for a in lower..<upper {
                for b in (a + 1)..<upper { consider(a, b) }
              }
              for mask in masks {
                let other = bucket ^ Int(mask)
                guard other > bucket else { continue }
                let otherLower = Int(start[other])
                let otherUpper = Int(start[other + 1])
                guard otherLower < otherUpper else { continue }
                for a in lower..<upper {
                  for b in otherLower..<otherUpper { consider(a, b) }
                }
              }
            }
          }
        }
      }
      return pairs
    }
    var all: [HashPair] = []
    all.reserveCapacity(results.reduce(0) { $0 + $1.count })
    for pairs in results { all.append(contentsOf: pairs) }
    return all
  }
}
