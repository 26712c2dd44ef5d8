import Annotations
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
  /// Confirm hash candidates with fingerprints before marking, and find related images (mirrors, painted and
  /// edited copies). Off: the hash alone decides, as before (every pair within the radius is a duplicate).
  public var confirm = true
  public var thresholds = RelationThresholds()
  /// A related link never grows a group past this many images (a chain of related pairs stops here).
  public var maxRelatedGroup = 12

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
  public var status: ImageStatus
  public var kept: Bool
  /// Distance to the kept member under the method (0 for the kept member).
  public var distanceToKept: Int
  /// "source/relative path" of every origin.
  public var origins: [String]
  /// True when it was in this cluster before the run.
  public var wasClustered: Bool
  /// Its labels as found, comma-separated ("" for none).
  public var label: String = ""
  /// A person's `dedup keep` or `dedup unmark` on this image, if any.
  public var decision: String?
}

/// A duplicate cluster: a kept image and the images within the radius of it (a star; never a chain).
public struct DuplicateCluster: Sendable, Codable, Hashable {
  public var id: Int64
  public var keptImageID: Int64
  /// The near-duplicate group it belongs to (several clusters when pairs chain beyond the radius).
  public var groupID: Int64 = 0
  /// The kept member first, then by distance to it.
  public var members: [ClusterMember]
  /// New in this run, or grown (`extended`), or as before (`unchanged`).
  public var change: String
  /// Members carry different labels (a masked and an unmasked copy of one face, say): the best member
  /// of each label stays active, so no class loses its image; the cluster still keeps them in one
  /// split subset.
  public var conflictingLabels: Bool = false
}

/// Images joined by near-duplicate pairs transitively that hold more than one cluster: a chain A~B~C
/// where C is beyond the radius of A's kept image. Nothing in it is marked for being in it, but a split
/// keeps it in one subset (a chain still leaks).
public struct NearDuplicateGroup: Sendable, Codable, Hashable {
  public var id: Int64
  public var imageIDs: [Int64]
  public var clusterIDs: [Int64]
}

/// One image of a related group and the link that tied it in.
public struct RelatedMember: Sendable, Codable, Hashable {
  public var imageID: Int64
  public var sha256: String
  public var status: ImageStatus
  public var label: String
  public var origins: [String]
  /// The member it is tied to (nil for the group's first image).
  public var linkedTo: Int64?
  /// `duplicate` or `related`, and what confirmed it (`same`, `mirror`, `painted`, `edited`).
  public var relation: String?
  public var evidence: String?
  /// Hash distance of the link, and the correlation that confirmed it.
  public var distance: Int?
  public var similarity: Double?
}

/// Images tied by at least one related pair (a mirror, a painted or edited copy), with the duplicate clusters
/// they are in: a split keeps them in one subset, nothing in it is marked for being in it. At most
/// `DedupOptions.maxRelatedGroup` images are joined by related links.
public struct RelatedGroup: Sendable, Codable, Hashable {
  public var id: Int64
  public var members: [RelatedMember]
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
  /// Pairs confirmed duplicates (with `confirm` off: every pair within the radius).
  public var pairs: Int
  /// Clusters of two or more images, largest first.
  public var clusters: [DuplicateCluster]
  public var imagesInClusters: Int
  /// Near-duplicate groups (pairs joined transitively), and the images in them.
  public var groups: Int
  public var imagesInGroups: Int
  /// The groups that hold more than one cluster, largest first.
  public var wideGroups: [NearDuplicateGroup]
  /// Images whose status changes (changed) to `duplicate` in this run.
  public var markedDuplicate: Int
  /// Images whose status changes (changed) back to `active` (kept after clusters merged).
  public var markedActive: Int
  public var sourceMatrix: [SourcePairCount]
  /// Hash candidates compared by fingerprint (0 with `confirm` off).
  public var candidates: Int = 0
  /// Candidates that were neither duplicates nor related (different pictures that hash alike).
  public var rejectedCandidates: Int = 0
  /// Pairs confirmed related, and the related links left out because they would have grown a group past
  /// `maxRelatedGroup`.
  public var relatedPairs: Int = 0
  public var relatedLinksOverLimit: Int = 0
  /// Groups holding a related link, largest first.
  public var relatedGroups: [RelatedGroup] = []
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
  /// near-duplicate groups (union-find), and cuts each group into star clusters: the best image kept,
  /// every image within the radius of it marked, images chained farther away in clusters of their own.
  /// Stored in `dup_clusters` with method, radius and group. A kept image of an earlier run with the
  /// same method and radius stays kept, with its cluster id; `dedup_decisions` (`keep`, `unmark`) win.
  public func deduplicate(
    _ options: DedupOptions, progress: (HashingProgress) -> Void = { _ in }
  ) throws -> DedupResult {
    guard (0...32).contains(options.radius) else { throw DedupError.badRadius(options.radius) }
    let dedupStore = DedupStore(catalog: self)
    let sources = try sourceNames()
    for name in options.sourcePriority
    where !sources.contains(where: {
      $0.name.precomposedStringWithCanonicalMapping == name.precomposedStringWithCanonicalMapping
    }) {
      throw DedupError.unknownSource(name, known: sources.map(\.name))
    }
    let algorithms = options.method.algorithms.union(options.confirm ? relationAlgorithms : [])
    var hashingOptions = HashingOptions(algorithms: algorithms)
    hashingOptions.store = !options.dryRun
    // The images hashed now keep their fingerprint views (one decode for both) in a temporary file (2.5 KB an
    // image on disk, not in memory), up to 4,000,000 images (10 GB); beyond that they are decoded again.
    hashingOptions.keepViews = options.confirm ? 4_000_000 : 0
    let (hashing, computed, views) = try computeHashesAndViews(hashingOptions, progress: progress)
    var hashes = try storedHashes(algorithms)
    for (id, values) in computed { hashes[id, default: [:]].merge(values) { $1 } }

    let search = NearDuplicateSearch(method: options.method, hashes: hashes)
    // Duplicate pairs (confirmed beyond the hash, unless `confirm` is off) make clusters; related pairs only
    // join groups.
    let pairs: [NearDuplicateSearch.Pair]
    // Each image's effective label (its labels as found, through the views' class maps): the keep policy
    // keeps one image per label, so `with_mask` and `con_mascarilla` copies of one photo are not both kept.
    let labelsByImage = try effectiveLabelKeys()
    var related: [ImagePairRelation] = []
    var confirmed: [ImagePairRelation] = []
    var candidateCount = 0
    if options.confirm {
      // The same picture under another label (a painted copy that still looks the same at fingerprint size, a
      // relabelled copy) is a real example of its class: related, never marked.
      let found = try confirmRelations(
        method: options.method, radius: options.radius, hashes: hashes, thresholds: options.thresholds,
        labels: labelsByImage, views: views)
      candidateCount = found.candidates
      confirmed = found.relations
      pairs = confirmed.filter { $0.relation == .duplicate }.map {
        NearDuplicateSearch.Pair(first: $0.first, second: $0.second, distance: $0.distance)
      }
      related = confirmed.filter { $0.relation == .related }
    } else {
      pairs = search.allPairs(radius: options.radius)
    }
    let method = options.method.rawValue

    // Earlier clusters of this method and radius (members since rejected or quarantined are left out:
    // they are neither kept nor a reason to mark others).
    var previousCluster: [Int64: Int64] = [:]
    var previouslyKept: Set<Int64> = []
    for row in try dedupStore.clusters(method: method, radius: options.radius) {
      previousCluster[row.image] = row.cluster
      if row.kept { previouslyKept.insert(row.image) }
    }
    let decisions = try dedupDecisions()

    // Near-duplicate groups: pairs joined transitively (union-find). A split keeps a group whole.
    var number: [Int64: Int] = [:]
    var ids: [Int64] = []
    func node(_ id: Int64) -> Int {
      if let n = number[id] { return n }
      number[id] = ids.count
      ids.append(id)
      return ids.count - 1
    }
    var neighbours: [Int: [Int: Int]] = [:]
    for pair in pairs {
      let (a, b) = (node(pair.first), node(pair.second))
      neighbours[a, default: [:]][b] = pair.distance
      neighbours[b, default: [:]][a] = pair.distance
    }
    for pair in related {
      _ = node(pair.first)
      _ = node(pair.second)
    }
    var sets = UnionFind(count: ids.count)
    for pair in pairs { sets.union(number[pair.first] ?? 0, number[pair.second] ?? 0) }
    // Joined by duplicate pairs alone: a group is wide when one of these holds several clusters (a chain).
    var duplicateSets = sets
    // Related links, the surest first, each joining two groups only while the result stays within the limit:
    // a chain of related pairs never grows a group past a dozen images.
    var acceptedLinks: [ImagePairRelation] = []
    var linksOverLimit = 0
    for pair in related.sorted(by: { ($0.similarity, -$0.first, -$0.second) > ($1.similarity, -$1.first, -$1.second) })
    {
      let (a, b) = (sets.find(number[pair.first] ?? 0), sets.find(number[pair.second] ?? 0))
      if a == b {
        acceptedLinks.append(pair)
      } else if sets.size[a] + sets.size[b] <= options.maxRelatedGroup {
        sets.union(a, b)
        acceptedLinks.append(pair)
      } else {
        linksOverLimit += 1
      }
    }
    var components: [Int: [Int64]] = [:]
    for (n, id) in ids.enumerated() { components[sets.find(n), default: []].append(id) }

    // Facts used by the keep policy and the report.
    let facts = try imageFacts(Set(ids))
    let originsByImage = try origins(Set(ids))
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
    /// Who becomes a cluster's kept image first: a person's `keep`, then the kept images of earlier runs
    /// (so a kept image stays kept), then the keep policy.
    func center(_ a: Int64, _ b: Int64) -> Bool {
      let ka = decisions[a] == .keep
      let kb = decisions[b] == .keep
      if ka != kb { return ka }
      let pa = previouslyKept.contains(a)
      let pb = previouslyKept.contains(b)
      if pa != pb { return pa }
      return better(a, b)
    }

    var nextClusterID = try dedupStore.lastClusterID() + 1
    var usedClusterIDs: Set<Int64> = []
    var clusters: [DuplicateCluster] = []
    var wideGroups: [NearDuplicateGroup] = []
    var groupCount = 0
    var statusChanges: [(Int64, ImageStatus, String?)] = []
    var rows: [DedupStore.ClusterRow] = []
    let previousMembers = Dictionary(grouping: previousCluster.keys, by: { previousCluster[$0] ?? 0 })
    // Deterministic ids: groups in the order of their earliest image.
    let ordered = components.values.map { $0.sorted() }.sorted { ($0.first ?? 0) < ($1.first ?? 0) }
    for groupMembers in ordered where groupMembers.count > 1 {
      groupCount += 1
      // Star clusters: the best unassigned image becomes a kept image, and takes every unassigned image
      // within the radius of it; an image chained beyond the radius starts a cluster of its own. A person's
      // `unmark` keeps an image out of every cluster, a person's `keep` never joins another's.
      var assigned: Set<Int64> = []
      var stars: [(kept: Int64, members: [Int64])] = []
      for id in groupMembers.sorted(by: center) where !assigned.contains(id) {
        assigned.insert(id)
        var members = [id]
        if decisions[id] != .unmark, let near = number[id].flatMap({ neighbours[$0] }) {
          for (n, _) in near.sorted(by: { ($0.value, ids[$0.key]) < ($1.value, ids[$1.key]) }) {
            let other = ids[n]
            guard !assigned.contains(other), decisions[other] == nil else { continue }
            assigned.insert(other)
            members.append(other)
          }
        }
        stars.append((id, members))
      }
      var groupClusterIDs: [Int64] = []
      var groupRows: [Int] = []
      for (kept, unsorted) in stars {
        let members = unsorted.sorted()
        let earlierIDs = Set(members.compactMap { previousCluster[$0] })
        let clusterID: Int64
        if let own = previousCluster[kept], !usedClusterIDs.contains(own) {
          clusterID = own
        } else if let smallest = earlierIDs.subtracting(usedClusterIDs).min() {
          clusterID = smallest
        } else {
          clusterID = nextClusterID
          nextClusterID += 1
        }
        usedClusterIDs.insert(clusterID)
        groupClusterIDs.append(clusterID)
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
          var status = fact?.status ?? .active
          if keptSet.contains(id) && status == .duplicate {
            statusChanges.append((id, .active, nil))
            status = .active
          } else if !keptSet.contains(id) && status == .active {
            let reason = "near-duplicate of image \(kept) (\(method) distance \(distance), cluster \(clusterID))"
            statusChanges.append((id, .duplicate, reason))
            status = .duplicate
          }
          groupRows.append(rows.count)
          rows.append(DedupStore.ClusterRow(image: id, cluster: clusterID, kept: keptSet.contains(id), group: 0))
          reportMembers.append(
            ClusterMember(
              imageID: id, sha256: fact?.sha256 ?? "", width: fact?.width ?? 0, height: fact?.height ?? 0,
              bytes: fact?.bytes ?? 0, status: status, kept: keptSet.contains(id), distanceToKept: distance,
              origins: (originsByImage[id] ?? []).map { "\($0.source)/\($0.path)" },
              wasClustered: previousCluster[id] == clusterID, label: labelsByImage[id] ?? "",
              decision: decisions[id]?.rawValue))
        }
        guard members.count > 1 else { continue }
        reportMembers.sort {
          ($0.kept ? 0 : 1, $0.distanceToKept, $0.imageID) < ($1.kept ? 0 : 1, $1.distanceToKept, $1.imageID)
        }
        let unchanged =
          reportMembers.allSatisfy(\.wasClustered) && (previousMembers[clusterID]?.count ?? 0) == members.count
        clusters.append(
          DuplicateCluster(
            id: clusterID, keptImageID: kept, members: reportMembers,
            change: earlierIDs.isEmpty ? "new" : (unchanged ? "unchanged" : "extended"),
            conflictingLabels: keptOfLabels.count > 1))
      }
      let groupID = groupClusterIDs.min() ?? 0
      for index in groupRows { rows[index].group = groupID }
      var starsPerChain: [Int: Int] = [:]
      for star in stars { starsPerChain[duplicateSets.find(number[star.kept] ?? 0), default: 0] += 1 }
      if starsPerChain.values.contains(where: { $0 > 1 }) {
        wideGroups.append(
          NearDuplicateGroup(id: groupID, imageIDs: groupMembers, clusterIDs: groupClusterIDs.sorted()))
      }
    }
    let groupOfCluster = Dictionary(rows.map { ($0.cluster, $0.group) }, uniquingKeysWith: { a, _ in a })
    let relatedGroups = Self.relatedGroups(
      rows: rows, links: acceptedLinks, duplicates: confirmed.filter { $0.relation == .duplicate },
      status: { id in statusChanges.last(where: { $0.0 == id })?.1 ?? facts[id]?.status ?? .active },
      label: { labelsByImage[$0] ?? "" }, sha256: { facts[$0]?.sha256 ?? "" },
      origins: { (originsByImage[$0] ?? []).map { "\($0.source)/\($0.path)" } })
    for index in clusters.indices { clusters[index].groupID = groupOfCluster[clusters[index].id] ?? clusters[index].id }
    clusters.sort { ($0.members.count, -$0.id) > ($1.members.count, -$1.id) }
    wideGroups.sort { ($0.imageIDs.count, -$0.id) > ($1.imageIDs.count, -$1.id) }

    // Images a person unmarked or kept, left `duplicate` by an earlier run, come back now.
    for (id, _) in decisions where !rows.contains(where: { $0.image == id }) {
      if try dedupStore.status(ofImage: id) == ImageStatus.duplicate.rawValue {
        statusChanges.append((id, .active, nil))
      }
    }

    if !options.dryRun {
      // The clusters of this method and radius are rewritten whole: a cluster is a function of the pairs,
      // the earlier kept images and the decisions, all read above.
      // So are its pairs, with what confirmed each (`review suspects` tells a painted copy from the same picture).
      let storedPairs =
        options.confirm
        ? confirmed.map {
          DedupStore.PairRow(
            first: $0.first, second: $0.second, relation: $0.relation.rawValue, evidence: $0.evidence.rawValue,
            distance: $0.distance)
        }
        : pairs.map {
          DedupStore.PairRow(
            first: $0.first, second: $0.second, relation: ImageRelation.duplicate.rawValue, evidence: "hash",
            distance: $0.distance)
        }
      try dedupStore.replaceClusters(
        method: method, radius: options.radius, rows: rows, pairs: storedPairs, statusChanges: statusChanges)
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
      imagesInClusters: clusters.reduce(0) { $0 + $1.members.count }, groups: groupCount,
      imagesInGroups: ordered.filter { $0.count > 1 }.reduce(0) { $0 + $1.count }, wideGroups: wideGroups,
      markedDuplicate: statusChanges.filter { $0.1 == .duplicate }.count,
      markedActive: statusChanges.filter { $0.1 == .active }.count, sourceMatrix: sourceMatrix,
      candidates: candidateCount, rejectedCandidates: max(0, candidateCount - confirmed.count),
      relatedPairs: related.count, relatedLinksOverLimit: linksOverLimit, relatedGroups: relatedGroups)
  }

  /// The groups holding an accepted related link, each member tied in by one link (a spanning tree over the
  /// group's duplicate pairs and related links, from its lowest image id), largest group first.
  static func relatedGroups(
    rows: [DedupStore.ClusterRow], links: [ImagePairRelation], duplicates: [ImagePairRelation],
    status: (Int64) -> ImageStatus, label: (Int64) -> String, sha256: (Int64) -> String,
    origins: (Int64) -> [String]
  ) -> [RelatedGroup] {
    let groupOf = Dictionary(rows.map { ($0.image, $0.group) }, uniquingKeysWith: { a, _ in a })
    let withLinks = Set(links.compactMap { groupOf[$0.first] })
    var members: [Int64: [Int64]] = [:]
    for row in rows where withLinks.contains(row.group) { members[row.group, default: []].append(row.image) }
    var edges: [Int64: [ImagePairRelation]] = [:]
    for edge in links + duplicates where withLinks.contains(groupOf[edge.first] ?? -1) {
      edges[edge.first, default: []].append(edge)
      edges[edge.second, default: []].append(edge)
    }
    var groups: [RelatedGroup] = []
    for (id, images) in members {
      let sorted = Array(Set(images)).sorted()
      guard let root = sorted.first else { continue }
      var link: [Int64: (Int64, ImagePairRelation)] = [:]
      var seen: Set<Int64> = [root]
      var queue = [root]
      while !queue.isEmpty {
        let current = queue.removeFirst()
        for edge in (edges[current] ?? []).sorted(by: { $0.similarity > $1.similarity }) {
          let other = edge.first == current ? edge.second : edge.first
          guard seen.insert(other).inserted else { continue }
          link[other] = (current, edge)
          queue.append(other)
        }
      }
      let ordered = [root] + sorted.dropFirst().sorted { ($0 == root ? 0 : 1, $0) < ($1 == root ? 0 : 1, $1) }
      groups.append(
        RelatedGroup(
          id: id,
          members: ordered.map { image in
            let tie = link[image]
            return RelatedMember(
              imageID: image, sha256: sha256(image), status: status(image), label: label(image),
              origins: origins(image), linkedTo: tie?.0,
              relation: tie?.1.relation.rawValue, evidence: tie?.1.evidence.rawValue, distance: tie?.1.distance,
              similarity: tie?.1.similarity)
          }))
    }
    return groups.sorted { ($0.members.count, -$0.id) > ($1.members.count, -$1.id) }
  }

  struct StoredImage {
    var sha256: String
    var width: Int
    var height: Int
    var bytes: Int
    var status: ImageStatus
  }

  func imageFacts(_ ids: Set<Int64>) throws -> [Int64: StoredImage] {
    var facts: [Int64: StoredImage] = [:]
    for id in ids {
      facts[id] = try imageFacts(id: id).map {
        StoredImage(sha256: $0.sha256, width: $0.width, height: $0.height, bytes: $0.size, status: $0.status)
      }
    }
    return facts
  }

  func origins(_ ids: Set<Int64>) throws -> [Int64: [(source: String, path: String)]] {
    var result: [Int64: [(source: String, path: String)]] = [:]
    for id in ids { result[id] = try origins(ofImage: id) }
    return result
  }
}
