import Foundation

/// One image as the splitter sees it (a convenience form of `SplitInput`).
public struct SplitItem: Sendable, Hashable {
  public var imageID: Int64
  /// Images with the same group key always land in the same subset.
  public var groupKey: String
  /// The stratum (e.g. "with_mask" or "with_mask|kaggle-a").
  public var stratum: String
  /// The subset this image already has in this split version, if any.
  public var assigned: String?

  public init(imageID: Int64, groupKey: String, stratum: String, assigned: String? = nil) {
    self.imageID = imageID
    self.groupKey = groupKey
    self.stratum = stratum
    self.assigned = assigned
  }
}

/// Group keys as one flat UTF-8 buffer: a million SHA-256 keys cost one allocation, not a million `String`s.
/// Keys compare by their bytes (the same order as `String` for the ASCII hex keys of the catalog).
public struct KeyTable: Sendable {
  var bytes: [UInt8] = []
  /// End offset in `bytes` of each key.
  var ends: [Int] = []

  public init() {}

  public var count: Int { ends.count }

  public mutating func reserveCapacity(keys: Int, bytesPerKey: Int) {
    ends.reserveCapacity(keys)
    bytes.reserveCapacity(keys * bytesPerKey)
  }

  public mutating func append(_ key: UnsafeBufferPointer<UInt8>) {
    bytes.append(contentsOf: key)
    ends.append(bytes.count)
  }

  public mutating func append(_ key: String) {
    var key = key
    key.withUTF8 { append($0) }
  }

  public subscript(index: Int) -> String { withKey(index) { String(decoding: $0, as: UTF8.self) } }

  /// The bytes of key `index`, valid only inside `body`.
  public func withKey<R>(_ index: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    let start = index == 0 ? 0 : ends[index - 1]
    return try bytes.withUnsafeBufferPointer { all in
      try body(UnsafeBufferPointer(rebasing: all[start..<ends[index]]))
    }
  }

  /// Whether key `a` sorts before key `b` (bytewise, a shorter prefix first).
  public func less(_ a: Int, _ b: Int) -> Bool {
    withKey(a) { x in
      withKey(b) { y in
        guard let left = x.baseAddress, let right = y.baseAddress else { return x.count < y.count }
        let order = memcmp(left, right, min(x.count, y.count))
        return order < 0 || (order == 0 && x.count < y.count)
      }
    }
  }
}

/// The splitter's input in dense arrays (one entry per image), so a million images cost arrays, not
/// dictionaries.
public struct SplitInput: Sendable {
  public var imageIDs: [Int64] = []
  /// Dense group index of each image.
  public var group: [Int32] = []
  /// Each group's key, as an index into `keys` (the key orders unassigned groups and is stored with
  /// grouped assignments).
  public var groupKey: [Int32] = []
  public var keys = KeyTable()
  /// Dense stratum index of each image, and the strata's names.
  public var stratum: [Int32] = []
  public var strata: [String] = []
  /// Index into the plan's subsets of each image's current subset, or -1.
  public var assigned: [Int8] = []

  public init() {}

  /// Builds the arrays from items (subset names resolved against `subsets`).
  public init(_ items: [SplitItem], subsets: [String]) {
    var groupIndex: [String: Int32] = [:]
    var stratumIndex: [String: Int32] = [:]
    for item in items {
      imageIDs.append(item.imageID)
      if let g = groupIndex[item.groupKey] {
        group.append(g)
      } else {
        groupIndex[item.groupKey] = Int32(groupKey.count)
        group.append(Int32(groupKey.count))
        groupKey.append(Int32(keys.count))
        keys.append(item.groupKey)
      }
      if let s = stratumIndex[item.stratum] {
        stratum.append(s)
      } else {
        stratumIndex[item.stratum] = Int32(strata.count)
        stratum.append(Int32(strata.count))
        strata.append(item.stratum)
      }
      assigned.append(item.assigned.flatMap { subsets.firstIndex(of: $0) }.map(Int8.init) ?? -1)
    }
  }

  public var count: Int { imageIDs.count }
  public var groupCount: Int { groupKey.count }

  /// The key of group `group`.
  public func key(ofGroup group: Int) -> String { keys[Int(groupKey[group])] }
}

/// What the assigner decided.
public struct SplitOutcome: Sendable {
  /// Index into the plan's subsets for every image of the input, in input order.
  public var subsetIndex: [Int8]
  /// Images that had no subset before.
  public var newlyAssigned: Int
  /// Images whose subset changed (only with rebalance).
  public var moved: Int
}

/// Stratified, grouped, stable assignment.
///
/// Within each stratum, groups are taken in the order of a keyed hash of (seed, group key) — a random
/// permutation that depends on nothing else, so insertion order never matters — and each group goes to
/// the subset furthest below its target, where targets are the stratum's size split by the weights with
/// largest-remainder rounding. Singleton groups therefore hit every target exactly (within one image);
/// larger groups land whole and the remaining deviation is reported. Images that already have a subset
/// keep it (unless `rebalance`), and a group with an assigned member pulls its new members along.
///
/// Why not a pure per-image hash (which would make each image's subset independent even of the set of
/// other images): it misses the ratios by about √n per stratum, far outside "within one image". Ranking
/// by hash within the stratum keeps order-independence, and stored assignments keep stability.
public enum SplitAssigner {
  public static func assign(_ items: [SplitItem], plan: SplitPlan, rebalance: Bool = false) -> (
    subsets: [Int64: String], outcome: SplitOutcome
  ) {
    let names = plan.subsets.map(\.name)
    let input = SplitInput(items, subsets: names)
    let outcome = assign(input, plan: plan, rebalance: rebalance)
    var subsets: [Int64: String] = [:]
    for (index, id) in input.imageIDs.enumerated() where outcome.subsetIndex[index] >= 0 {
      subsets[id] = names[Int(outcome.subsetIndex[index])]
    }
    return (subsets, outcome)
  }

  public static func assign(_ input: SplitInput, plan: SplitPlan, rebalance: Bool = false) -> SplitOutcome {
    let subsetCount = plan.subsets.count
    let groupCount = input.groupCount
    // Per group: size, existing subset, and its stratum (the most common among its members).
    var size = [Int32](repeating: 0, count: groupCount)
    var existing = [Int8](repeating: -1, count: groupCount)
    var groupStratum = [Int32](repeating: -1, count: groupCount)
    var mixed: [Int32: [Int32: Int]] = [:]
    for image in 0..<input.count {
      let g = Int(input.group[image])
      size[g] += 1
      if !rebalance, existing[g] < 0, input.assigned[image] >= 0, Int(input.assigned[image]) < subsetCount {
        existing[g] = input.assigned[image]
      }
      let s = input.stratum[image]
      if groupStratum[g] < 0 {
        groupStratum[g] = s
      } else if groupStratum[g] != s || mixed[Int32(g)] != nil {
        var counts = mixed[Int32(g)] ?? [groupStratum[g]: Int(size[g]) - 1]
        counts[s, default: 0] += 1
        mixed[Int32(g)] = counts
      }
    }
    for (g, counts) in mixed {
      let best = counts.max { a, b in
        a.value < b.value || (a.value == b.value && input.strata[Int(a.key)] > input.strata[Int(b.key)])
      }
      if let best { groupStratum[Int(g)] = best.key }
    }
    // Groups bucketed by stratum.
    var groupsOfStratum = [[Int32]](repeating: [], count: input.strata.count)
    for g in 0..<groupCount { groupsOfStratum[Int(groupStratum[g])].append(Int32(g)) }

    var groupSubset = existing
    let weights = plan.subsets.map(\.weight)
    for stratumGroups in groupsOfStratum {
      let total = stratumGroups.reduce(0) { $0 + Int(size[Int($1)]) }
      let targets = largestRemainder(total: total, weights: weights)
      var counts = [Int](repeating: 0, count: subsetCount)
      var pending: [(key: UInt64, group: Int32)] = []
      pending.reserveCapacity(stratumGroups.count)
      for g in stratumGroups {
        if existing[Int(g)] >= 0 {
          counts[Int(existing[Int(g)])] += Int(size[Int(g)])
        } else {
          let key = input.keys.withKey(Int(input.groupKey[Int(g)])) { orderKey(seed: plan.seed, utf8: $0) }
          pending.append((key, g))
        }
      }
      pending.sort {
        $0.key != $1.key
          ? $0.key < $1.key : input.keys.less(Int(input.groupKey[Int($0.group)]), Int(input.groupKey[Int($1.group)]))
      }
      for (_, g) in pending {
        let index = mostNeeding(counts: counts, targets: targets, adding: Int(size[Int(g)]))
        counts[index] += Int(size[Int(g)])
        groupSubset[Int(g)] = Int8(index)
      }
    }
    var result = [Int8](repeating: -1, count: input.count)
    var newlyAssigned = 0
    var moved = 0
    for image in 0..<input.count {
      let subset = groupSubset[Int(input.group[image])]
      result[image] = subset
      if input.assigned[image] < 0 {
        newlyAssigned += 1
      } else if input.assigned[image] != subset {
        moved += 1
      }
    }
    return SplitOutcome(subsetIndex: result, newlyAssigned: newlyAssigned, moved: moved)
  }

  /// `total` split by `weights`, each rounded down, the leftover units going to the largest remainders
  /// (ties to the earlier subset).
  public static func largestRemainder(total: Int, weights: [Double]) -> [Int] {
    let sum = weights.reduce(0, +)
    guard sum > 0 else { return weights.map { _ in 0 } }
    let exact = weights.map { Double(total) * $0 / sum }
    var counts = exact.map { Int($0.rounded(.down)) }
    var left = total - counts.reduce(0, +)
    let order = exact.indices.sorted {
      let a = exact[$0] - exact[$0].rounded(.down)
      let b = exact[$1] - exact[$1].rounded(.down)
      return a > b || (a == b && $0 < $1)
    }
    for index in order where left > 0 {
      counts[index] += 1
      left -= 1
    }
    return counts
  }

  /// The subset to give a group of `adding` images: among those that can take it whole, the one
  /// furthest below target relative to its size; otherwise the one it overshoots least.
  static func mostNeeding(counts: [Int], targets: [Int], adding: Int) -> Int {
    var best = -1
    var bestScore = -Double.infinity
    for index in counts.indices {
      let deficit = Double(targets[index] - counts[index])
      if targets[index] == 0 && deficit <= 0 { continue }
      let score =
        deficit >= Double(adding) ? deficit / Double(max(1, targets[index])) + 1 : deficit - Double(adding)
      if score > bestScore {
        bestScore = score
        best = index
      }
    }
    if best < 0 {
      // Every target is zero: the subset with the largest weight's target, i.e. the first.
      best = targets.indices.max { targets[$0] < targets[$1] } ?? 0
    }
    return best
  }

  /// A stable 64-bit key for (seed, group key): FNV-1a then the SplitMix64 finaliser. Not Swift's
  /// `Hasher`, which is seeded per process.
  public static func orderKey(seed: UInt64, key: String) -> UInt64 {
    var key = key
    return key.withUTF8 { orderKey(seed: seed, utf8: $0) }
  }

  /// `orderKey(seed:key:)` of a key given as its UTF-8 bytes.
  public static func orderKey(seed: UInt64, utf8 bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
    for byte in bytes {
      hash ^= UInt64(byte)
      hash = hash &* 0x0000_0100_0000_01B3
    }
    hash ^= hash >> 30
    hash = hash &* 0xBF58_476D_1CE4_E5B9
    hash ^= hash >> 27
    hash = hash &* 0x94D0_49BB_1331_11EB
    return hash ^ (hash >> 31)
  }
}
