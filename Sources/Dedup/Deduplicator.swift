import Catalog
import Foundation

/// Which member of a cluster stays `active`; the others are marked `duplicate`.
public enum KeepPolicy: String, Sendable, CaseIterable, Codable {
  /// Most pixels, then most bytes, then the earliest imported.
  case largest
  /// The earliest imported (lowest image id).
  case first
  /// The member with an origin in the source listed earliest in `DedupOptions.sourcePriority`
  /// (sources not listed come after, in import order), then `largest`.
  case sourcePriority = "source-priority"
}

public struct DedupOptions: Sendable {
  public var method: DedupMethod = .phashCentre
  public var radius = 8
  public var keep: KeepPolicy = .largest
  /// Source names, most trusted first (for `source-priority`).
  public var sourcePriority: [String] = []
  /// Compute and report, change nothing (hashes are not stored either).
  public var dryRun = false

  public init() {}
}

/// One image in a cluster.
public struct ClusterMember: Sendable, Codable, Hashable {
  public var imageID: Int64
  public var sha256: String
  public var width: Int
  public var height: Int
  public var bytes: Int
  /// Status after the run (or what it would be, in a dry run).
  public var status: String
  public var kept: Bool
  /// Distance to the kept member under the method (0 for the kept member).
  public var distanceToKept: Int
  /// "source/relative path" of every origin.
  public var origins: [String]
  /// True when it was in this cluster before the run.
  public var wasClustered: Bool
}

/// A duplicate cluster: images joined by pairs within the radius (transitively).
public struct DuplicateCluster: Sendable, Codable, Hashable {
  public var id: Int64
  public var keptImageID: Int64
  /// The kept member first, then by distance to it.
  public var members: [ClusterMember]
  /// New in this run, or grown (`extended`), or as before (`unchanged`).
  public var change: String
  /// Members carry different labels (a masked and an unmasked copy of one face, say): the best member
  /// of each label stays active, so no class loses its image; the cluster still keeps them in one
  /// split subset.
  public var conflictingLabels: Bool = false
}

/// Near-duplicate pairs between (or within) two sources.
public struct SourcePairCount: Sendable, Codable, Hashable {
  public var sourceA: String
  public var sourceB: String
  public var pairs: Int
}

/// What a dedup run found and did.
public struct DedupResult: Sendable, Codable {
  public var method: String
  public var radius: Int
  public var keep: String
  public var dryRun: Bool
  public var hashing: HashingReport
  /// Images compared (active or duplicate, with hashes).
  public var imagesSearched: Int
  public var pairs: Int
  /// Largest first.
  public var clusters: [DuplicateCluster]
  public var imagesInClusters: Int
  /// Images whose status changes (changed) to `duplicate` in this run.
  public var markedDuplicate: Int
  /// Images whose status changes (changed) back to `active` (kept after clusters merged).
  public var markedActive: Int
  public var sourceMatrix: [SourcePairCount]
}

/// Union-find over 0..<count with path halving and union by size.
struct UnionFind {
  var parent: [Int]
  var size: [Int]

  init(count: Int) {
    parent = Array(0..<count)
    size = Array(repeating: 1, count: count)
  }

  mutating func find(_ x: Int) -> Int {
    var x = x
    while parent[x] != x {
      parent[x] = parent[parent[x]]
      x = parent[x]
    }
    return x
  }

  mutating func union(_ a: Int, _ b: Int) {
    var ra = find(a)
    var rb = find(b)
    guard ra != rb else { return }
    if size[ra] < size[rb] { swap(&ra, &rb) }
    parent[rb] = ra
    size[ra] += size[rb]
  }
}

extension Catalog {
  /// Finds near-duplicate clusters and marks all but one member of each `duplicate` (nothing is
  /// deleted): hashes what lacks a hash, finds every pair within the radius exactly, joins pairs into
  /// clusters (union-find), and stores them in `dup_clusters` with method and radius. Clusters stored
  /// by an earlier run with the same method and radius keep their ids and their kept member; new images
  /// only extend them (two clusters joined by a new image keep the smaller id).
  public func deduplicate(
    _ options: DedupOptions, progress: (HashingProgress) -> Void = { _ in }
  ) throws -> DedupResult {
    guard (0...32).contains(options.radius) else { throw DedupError.badRadius(options.radius) }
    let sources = try database.rows("SELECT id, name FROM sources ORDER BY id") { ($0.int64(0), $0.text(1) ?? "") }
    for name in options.sourcePriority
    where !sources.contains(where: { $0.1.precomposedStringWithCanonicalMapping == name.precomposedStringWithCanonicalMapping }) {
      throw DedupError.unknownSource(name, known: sources.map(\.1))
    }
    var hashingOptions = HashingOptions(algorithms: options.method.algorithms)
    hashingOptions.store = !options.dryRun
    let (hashing, computed) = try computeHashes(hashingOptions, progress: progress)
    var hashes = try storedHashes(options.method.algorithms)
    for (id, values) in computed { hashes[id, default: [:]].merge(values) { $1 } }

    let search = NearDuplicateSearch(method: options.method, hashes: hashes)
    let pairs = search.allPairs(radius: options.radius)
    let method = options.method.rawValue

    // Earlier clusters of this method and radius (members since rejected or quarantined are left out:
    // they are neither kept nor a reason to mark others).
    var previousCluster: [Int64: Int64] = [:]
    var previouslyKept: Set<Int64> = []
    for row in try database.rows(
      """
      SELECT d.image_id, d.cluster_id, d.kept FROM dup_clusters d JOIN images i ON i.id = d.image_id
      WHERE d.method = ? AND d.radius = ? AND i.status IN ('active', 'duplicate')
      """,
      [.text(method), .int(Int64(options.radius))], { ($0.int64(0), $0.int64(1), $0.int(2) != 0) })
    {
      previousCluster[row.0] = row.1
      if row.2 { previouslyKept.insert(row.0) }
    }

    // Union-find over every image in a pair or an earlier cluster.
    var number: [Int64: Int] = [:]
    var ids: [Int64] = []
    func node(_ id: Int64) -> Int {
      if let n = number[id] { return n }
      number[id] = ids.count
      ids.append(id)
      return ids.count - 1
    }
    var links = pairs.map { (node($0.first), node($0.second)) }
    var firstOfCluster: [Int64: Int] = [:]
    for (id, cluster) in previousCluster.sorted(by: { $0.key < $1.key }) {
      let n = node(id)
      if let other = firstOfCluster[cluster] { links.append((other, n)) } else { firstOfCluster[cluster] = n }
    }
    var sets = UnionFind(count: ids.count)
    for (a, b) in links { sets.union(a, b) }
    var components: [Int: [Int64]] = [:]
    for (n, id) in ids.enumerated() { components[sets.find(n), default: []].append(id) }

    // Facts used by the keep policy and the report.
    let facts = try imageFacts(Set(ids))
    let originsByImage = try origins(Set(ids))
    // Each image's labels as found (view ''), joined: the keep policy keeps one image per label set.
    var labelsByImage: [Int64: String] = [:]
    for (id, names) in try database.rows(
      """
      SELECT l.image_id, GROUP_CONCAT(DISTINCT c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
      WHERE l.view = '' GROUP BY l.image_id
      """, [], { ($0.int64(0), $0.text(1) ?? "") })
    {
      labelsByImage[id] = names.split(separator: ",").sorted().joined(separator: ",")
    }
    // Names may repeat (two sources named after their folder `images`; a name listed twice): the
    // first position counts.
    let rank = Dictionary(
      options.sourcePriority.enumerated().map { ($0.element.precomposedStringWithCanonicalMapping, $0.offset) },
      uniquingKeysWith: { first, _ in first })
    let sourceOrder = Dictionary(
      sources.enumerated().map { ($0.element.1.precomposedStringWithCanonicalMapping, $0.offset) },
      uniquingKeysWith: { first, _ in first })
    func priority(_ id: Int64) -> Int {
      (originsByImage[id] ?? []).map {
        let name = $0.source.precomposedStringWithCanonicalMapping
        return rank[name] ?? (options.sourcePriority.count + (sourceOrder[name] ?? 0))
      }
        .min() ?? Int.max
    }
    func better(_ a: Int64, _ b: Int64) -> Bool {
      let fa = facts[a]
      let fb = facts[b]
      let largest = { () -> Bool in
        let pa = (fa?.width ?? 0) * (fa?.height ?? 0)
        let pb = (fb?.width ?? 0) * (fb?.height ?? 0)
        if pa != pb { return pa > pb }
        if fa?.bytes != fb?.bytes { return (fa?.bytes ?? 0) > (fb?.bytes ?? 0) }
        return a < b
      }
      switch options.keep {
      case .first: return a < b
      case .largest: return largest()
      case .sourcePriority:
        let ra = priority(a)
        let rb = priority(b)
        return ra != rb ? ra < rb : largest()
      }
    }

    var nextClusterID = (try database.scalarInt("SELECT MAX(cluster_id) FROM dup_clusters") ?? 0) + 1
    var clusters: [DuplicateCluster] = []
    var statusChanges: [(Int64, String, String?)] = []
    var rows: [(Int64, Int64, Bool)] = []
    // Deterministic ids: components in the order of their earliest image.
    let ordered = components.values.map { $0.sorted() }.sorted { ($0.first ?? 0) < ($1.first ?? 0) }
    for members in ordered where members.count > 1 {
      let earlierIDs = Set(members.compactMap { previousCluster[$0] })
      let clusterID: Int64
      if let smallest = earlierIDs.min() {
        clusterID = smallest
      } else {
        clusterID = nextClusterID
        nextClusterID += 1
      }
      let candidates = members.filter { previouslyKept.contains($0) }
      let pool = candidates.isEmpty ? members : candidates
      guard let kept = pool.min(by: better) else { continue }
      // One kept member per label set: a near-duplicate with another label is not redundant.
      var keptOfLabels: [String: Int64] = [:]
      for id in members.sorted(by: { a, b in (a == kept) != (b == kept) ? a == kept : better(a, b) }) {
        let labels = labelsByImage[id] ?? ""
        if keptOfLabels[labels] == nil { keptOfLabels[labels] = id }
      }
      let keptSet = Set(keptOfLabels.values)
      let keptHashes = hashes[kept] ?? [:]
      var reportMembers: [ClusterMember] = []
      for id in members {
        let fact = facts[id]
        let distance =
          id == kept ? 0 : (NearDuplicateSearch.distance(hashes[id] ?? [:], keptHashes, method: options.method) ?? -1)
        var status = fact?.status ?? "active"
        if keptSet.contains(id) && status == "duplicate" {
          statusChanges.append((id, "active", nil))
          status = "active"
        } else if !keptSet.contains(id) && status == "active" {
          let reason = "near-duplicate of image \(kept) (\(method) distance \(distance), cluster \(clusterID))"
          statusChanges.append((id, "duplicate", reason))
          status = "duplicate"
        }
        rows.append((id, clusterID, keptSet.contains(id)))
        reportMembers.append(
          ClusterMember(
            imageID: id, sha256: fact?.sha256 ?? "", width: fact?.width ?? 0, height: fact?.height ?? 0,
            bytes: fact?.bytes ?? 0, status: status, kept: keptSet.contains(id), distanceToKept: distance,
            origins: (originsByImage[id] ?? []).map { "\($0.source)/\($0.path)" },
            wasClustered: previousCluster[id] == clusterID))
      }
      reportMembers.sort { ($0.kept ? 0 : 1, $0.distanceToKept, $0.imageID) < ($1.kept ? 0 : 1, $1.distanceToKept, $1.imageID) }
      let change =
        earlierIDs.isEmpty ? "new" : (reportMembers.allSatisfy(\.wasClustered) ? "unchanged" : "extended")
      clusters.append(
        DuplicateCluster(
          id: clusterID, keptImageID: kept, members: reportMembers, change: change,
          conflictingLabels: keptOfLabels.count > 1))
    }
    clusters.sort { ($0.members.count, -$0.id) > ($1.members.count, -$1.id) }

    if !options.dryRun {
      try database.writeTransaction {
        for (id, cluster, kept) in rows {
          try database.run(
            "INSERT OR REPLACE INTO dup_clusters (image_id, cluster_id, method, radius, kept) VALUES (?, ?, ?, ?, ?)",
            [.int(id), .int(cluster), .text(method), .int(Int64(options.radius)), .int(kept ? 1 : 0)])
        }
        for (id, status, reason) in statusChanges {
          try database.run(
            "UPDATE images SET status = ?, status_reason = ? WHERE id = ? AND status IN ('active', 'duplicate')",
            [.text(status), .optional(reason), .int(id)])
        }
      }
    }

    // Source × source: near-duplicate pairs by the sources of their two images.
    var matrix: [String: Int] = [:]
    for pair in pairs {
      let a = Set((originsByImage[pair.first] ?? []).map(\.source))
      let b = Set((originsByImage[pair.second] ?? []).map(\.source))
      var seen: Set<String> = []
      for x in a {
        for y in b {
          let key = x <= y ? "\(x)\u{0}\(y)" : "\(y)\u{0}\(x)"
          if seen.insert(key).inserted { matrix[key, default: 0] += 1 }
        }
      }
    }
    let sourceMatrix = matrix.map { key, count in
      let parts = key.split(separator: "\u{0}", omittingEmptySubsequences: false).map(String.init)
      return SourcePairCount(sourceA: parts[0], sourceB: parts.count > 1 ? parts[1] : parts[0], pairs: count)
    }.sorted { ($0.sourceA, $0.sourceB) < ($1.sourceA, $1.sourceB) }

    return DedupResult(
      method: method, radius: options.radius, keep: options.keep.rawValue, dryRun: options.dryRun,
      hashing: hashing, imagesSearched: search.imageIDs.count, pairs: pairs.count, clusters: clusters,
      imagesInClusters: clusters.reduce(0) { $0 + $1.members.count },
      markedDuplicate: statusChanges.filter { $0.1 == "duplicate" }.count,
      markedActive: statusChanges.filter { $0.1 == "active" }.count, sourceMatrix: sourceMatrix)
  }

  struct StoredImage {
    var sha256: String
    var width: Int
    var height: Int
    var bytes: Int
    var status: String
  }

  func imageFacts(_ ids: Set<Int64>) throws -> [Int64: StoredImage] {
    var facts: [Int64: StoredImage] = [:]
    for id in ids {
      let row = try database.rows(
        "SELECT sha256, width, height, size, status FROM images WHERE id = ?", [.int(id)]
      ) { StoredImage(sha256: $0.text(0) ?? "", width: $0.int(1), height: $0.int(2), bytes: $0.int(3), status: $0.text(4) ?? "") }
      facts[id] = row.first
    }
    return facts
  }

  func origins(_ ids: Set<Int64>) throws -> [Int64: [(source: String, path: String)]] {
    var result: [Int64: [(source: String, path: String)]] = [:]
    for id in ids {
      result[id] = try database.rows(
        """
        SELECT s.name, o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
        WHERE o.image_id = ? ORDER BY o.id
        """, [.int(id)]
      ) { (source: $0.text(0) ?? "", path: $0.text(1) ?? "") }
    }
    return result
  }
}
