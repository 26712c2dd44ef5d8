import Foundation

/// One image as the splitter sees it.
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

/// What the assigner decided.
public struct SplitOutcome: Sendable {
  /// Subset of every item, by image id.
  public var subsets: [Int64: String]
  /// Items that had no subset before.
  public var newlyAssigned: Int
  /// Items whose subset changed (only with rebalance).
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
public enum SplitAssigner {
  public static func assign(_ items: [SplitItem], plan: SplitPlan, rebalance: Bool = false) -> SplitOutcome {
    let names = plan.subsets.map(\.name)
    var result: [Int64: String] = [:]
    result.reserveCapacity(items.count)
    // Groups: members and an existing subset, if any member has one.
    struct Group {
      var key: String
      var members: [Int64] = []
      var strata: [String: Int] = [:]
      var existing: String?
    }
    var groups: [String: Group] = [:]
    for item in items {
      var group = groups[item.groupKey] ?? Group(key: item.groupKey)
      group.members.append(item.imageID)
      group.strata[item.stratum, default: 0] += 1
      if !rebalance, let assigned = item.assigned, names.contains(assigned), group.existing == nil {
        group.existing = assigned
      }
      groups[item.groupKey] = group
    }
    // A group's stratum is its most common one (ties: smallest name).
    var byStratum: [String: [Group]] = [:]
    for group in groups.values {
      let stratum = group.strata.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? ""
      byStratum[stratum, default: []].append(group)
    }
    var newlyAssigned = 0
    for stratum in byStratum.keys.sorted() {
      let stratumGroups = byStratum[stratum] ?? []
      let total = stratumGroups.reduce(0) { $0 + $1.members.count }
      let targets = largestRemainder(total: total, weights: plan.subsets.map(\.weight))
      var counts = [Int](repeating: 0, count: names.count)
      var pending: [(UInt64, Group)] = []
      for group in stratumGroups {
        if let existing = group.existing, let index = names.firstIndex(of: existing) {
          counts[index] += group.members.count
          for member in group.members { result[member] = existing }
        } else {
          pending.append((orderKey(seed: plan.seed, key: group.key), group))
        }
      }
      pending.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1.key < $1.1.key) }
      for (_, group) in pending {
        let index = mostNeeding(counts: counts, targets: targets, adding: group.members.count)
        counts[index] += group.members.count
        for member in group.members { result[member] = names[index] }
        newlyAssigned += group.members.count
      }
    }
    var moved = 0
    if rebalance {
      for item in items where item.assigned != nil && item.assigned != result[item.imageID] { moved += 1 }
      newlyAssigned = items.filter { $0.assigned == nil }.count
    }
    return SplitOutcome(subsets: result, newlyAssigned: newlyAssigned, moved: moved)
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

  /// The subset whose count after adding `adding` items overshoots its target least — for one item,
  /// the one furthest below target, relative to the target's size.
  static func mostNeeding(counts: [Int], targets: [Int], adding: Int) -> Int {
    var best = 0
    var bestScore = -Double.infinity
    for index in counts.indices {
      let deficit = Double(targets[index] - counts[index])
      if targets[index] == 0 && deficit <= 0 { continue }
      // Fill whole deficits first; among subsets that cannot take the group whole, overshoot least.
      let score = deficit >= Double(adding) ? deficit / Double(max(1, targets[index])) + 1 : deficit - Double(adding)
      if score > bestScore {
        bestScore = score
        best = index
      }
    }
    if bestScore == -Double.infinity {
      // Every target is zero (an empty stratum): the largest weight's subset.
      best = targets.indices.max { targets[$0] < targets[$1] } ?? 0
    }
    return best
  }

  /// A stable 64-bit key for (seed, group key): FNV-1a then the SplitMix64 finaliser. Not Swift's
  /// `Hasher`, which is seeded per process.
  public static func orderKey(seed: UInt64, key: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
    for byte in key.utf8 {
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
