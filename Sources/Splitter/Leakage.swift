import Catalog
import Dedup
import Foundation

/// Two images in different subsets that are (near-)duplicates.
public struct LeakedPair: Sendable, Codable, Equatable {
  public var first: Int64
  public var second: Int64
  public var firstSubset: String
  public var secondSubset: String
  /// Hamming distance of their hashes, or nil when they share a duplicate cluster.
  public var distance: Int?
  /// "hash:<algorithm>" or "cluster:<method>".
  public var evidence: String
}

public struct LeakageReport: Sendable, Codable {
  public var split: String
  public var radius: Int
  /// The dedup method whose stored hashes were compared, or nil when the catalog has none (then only
  /// clusters count).
  public var hashAlgorithm: String?
  public var imagesChecked: Int
  public var pairs: [LeakedPair]
}

/// `datasetkit check leakage`: near-duplicate pairs that cross subsets of a split.
public enum LeakageCheck {
  /// Pairs in different subsets that share a duplicate cluster, or whose stored hashes are within
  /// `radius` bits under `method` (default: the dedup default, phash+centre; when no image has its
  /// hashes, the first method that has some). The search is the exact multi-index one of `dedup`.
  public static func run(catalog: Catalog, split: String, radius: Int = 8, method: DedupMethod? = nil)
    throws -> LeakageReport
  {
    let subsets = try SplitCatalog.assignments(catalog: catalog, name: split)
    let db = catalog.database
    var pairs: [LeakedPair] = []
    var seen = Set<[Int64]>()
    func add(_ a: Int64, _ b: Int64, distance: Int?, evidence: String) {
      let key = [min(a, b), max(a, b)]
      guard let sa = subsets[key[0]], let sb = subsets[key[1]], sa != sb, seen.insert(key).inserted else { return }
      pairs.append(
        LeakedPair(first: key[0], second: key[1], firstSubset: sa, secondSubset: sb, distance: distance, evidence: evidence))
    }
    // Duplicate clusters that straddle subsets.
    var clusterMembers: [String: [Int64]] = [:]
    for (image, method, radius, cluster) in try db.rows(
      "SELECT image_id, method, radius, cluster_id FROM dup_clusters", [], { ($0.int64(0), $0.text(1) ?? "", $0.int(2), $0.int64(3)) })
    {
      clusterMembers["\(method)|\(radius)|\(cluster)", default: []].append(image)
    }
    for (key, members) in clusterMembers.sorted(by: { $0.key < $1.key }) {
      let method = key.split(separator: "|").first.map(String.init) ?? ""
      for i in members.indices {
        for j in members.indices where j > i { add(members[i], members[j], distance: nil, evidence: "cluster:\(method)") }
      }
    }
    // Hash distances across subsets.
    var chosen: DedupMethod?
    for candidate in method.map({ [$0] }) ?? [.phashCentre] + DedupMethod.allCases.filter({ $0 != .phashCentre }) {
      let search = try catalog.nearDuplicateSearch(method: candidate)
      guard !search.imageIDs.isEmpty else { continue }
      chosen = candidate
      for pair in search.allPairs(radius: radius) {
        add(pair.first, pair.second, distance: pair.distance, evidence: "hash:\(candidate.rawValue)")
      }
      break
    }
    pairs.sort { ($0.first, $0.second) < ($1.first, $1.second) }
    return LeakageReport(
      split: split, radius: radius, hashAlgorithm: chosen?.rawValue, imagesChecked: subsets.count, pairs: pairs)
  }
}
