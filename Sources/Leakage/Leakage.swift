import Annotations
import Catalog
import Dedup
import Foundation
import Splitter

/// Two images in different subsets that are duplicates or related (dedup's two relations), or a derived image
/// and its parent, or two files whose names share a group key.
public struct LeakedPair: Sendable, Codable, Equatable {
  public var first: Int64
  public var second: Int64
  public var firstSubset: String
  public var secondSubset: String
  /// Hamming distance of the hashes that found the pair, or nil when the evidence is not a distance.
  public var distance: Int?
  /// Comma-separated: "duplicate:same" (the same picture, confirmed beyond the hash), "related:mirror",
  /// "related:painted", "related:edited" (a mirrored, painted or edited copy), "group:<method>" (one group of
  /// `dedup`), "lineage" (a crop and its parent), "lineage+group" (linked through lineage and groups, possibly
  /// via images outside the split) or "name:<key>" (a shared --group-by key).
  public var evidence: String
  /// "duplicate" or "related" when the pixels tie the two (dedup's relations), else nil.
  public var relation: String?
  /// The first origin ("source/relative path") of each image.
  public var firstPath: String = ""
  public var secondPath: String = ""

  public init(
    first: Int64, second: Int64, firstSubset: String, secondSubset: String, distance: Int?, evidence: String,
    relation: String? = nil, firstPath: String = "", secondPath: String = ""
  ) {
    self.first = first
    self.second = second
    self.firstSubset = firstSubset
    self.secondSubset = secondSubset
    self.distance = distance
    self.evidence = evidence
    self.relation = relation
    self.firstPath = firstPath
    self.secondPath = secondPath
  }
}

public struct LeakageReport: Sendable, Codable {
  public var split: String
  public var radius: Int
  /// The dedup method whose hashes were compared.
  public var hashAlgorithm: String?
  public var imagesChecked: Int
  /// Images hashed by this check (they had no hash yet).
  public var hashedNow: Int = 0
  /// Images of the split that could not be hashed ("origin: reason"): not compared by hash.
  public var unhashable: [String] = []
  /// Derived-image links (crop → parent) between two images of the split that were checked.
  public var lineageLinks: Int = 0
  /// The --group-by pattern checked (the split's own, or the one given), if any.
  public var groupBy: String?
  public var pairs: [LeakedPair]
}

/// `datasetkit check leakage`: everything that ties two images of different subsets together.
public enum LeakageCheck {
  /// What `run` does about images without a hash.
  public enum MissingHashes: Sendable {
    /// Hash them first (stored, as `dedup` would).
    case hash
    /// Refuse with `SplitterError.unhashedImages`.
    case refuse
    /// Compare the hashes already stored and write nothing (a read-only look, e.g. the dataset card).
    case storedOnly
  }

  /// Pairs in different subsets that are: within `radius` bits under `method` (default phash+centre;
  /// images lacking a hash are hashed first, or refused); in one near-duplicate group of `dedup`; a
  /// derived image and its parent (also through images outside the split, e.g. two crops of one photo);
  /// or files whose names share a key of `groupBy` (default: the split's own pattern).
  ///
  /// The hash candidates are confirmed (decoded) only when they cross subsets: a pair inside one subset is never
  /// reported, and it can change the report only by joining images into a chain that crosses subsets with no
  /// reported pair (the "lineage+group" pairs). So a first pass confirms the crossing candidates alone, and only
  /// when that pass finds such a chain is the check run again with every candidate; the report is the same.
  public static func run(
    catalog: Catalog, split: String, radius: Int = 8, method: DedupMethod? = nil, missing: MissingHashes = .hash,
    groupBy: GroupKeyPattern? = nil
  ) throws -> LeakageReport {
    let first = try search(
      catalog: catalog, split: split, radius: radius, method: method, missing: missing, groupBy: groupBy,
      crossingCandidatesOnly: true)
    guard first.chained else { return first.report }
    // Hashes missing at the first pass were hashed (or refused) by it; the second compares what is stored now.
    var report = try search(
      catalog: catalog, split: split, radius: radius, method: method, missing: missing == .hash ? .storedOnly : missing,
      groupBy: groupBy, crossingCandidatesOnly: false
    ).report
    report.hashedNow = first.report.hashedNow
    report.unhashable = first.report.unhashable
    report.hashAlgorithm = first.report.hashAlgorithm
    return report
  }

  /// One pass of `run`; `chained`: images of different subsets are linked only through others (no pair of
  /// them reported directly), which pairs inside one subset may change; `candidates`: the hash candidate pairs
  /// confirmed.
  static func search(
    catalog: Catalog, split: String, radius: Int, method: DedupMethod?, missing: MissingHashes,
    groupBy: GroupKeyPattern?, crossingCandidatesOnly: Bool
  ) throws -> (report: LeakageReport, chained: Bool, candidates: Int) {
    let subsets = try SplitCatalog.assignments(catalog: catalog, name: split)
    var pairs: [LeakedPair] = []
    var indexOfPair: [[Int64]: Int] = [:]
    /// Records a crossing pair; a pair seen before gains the new evidence ("hash:phash+centre, name:142").
    func add(_ a: Int64, _ b: Int64, distance: Int?, evidence: String, relation: ImageRelation? = nil) {
      let key = [min(a, b), max(a, b)]
      guard let sa = subsets[key[0]], let sb = subsets[key[1]], sa != sb else { return }
      if let index = indexOfPair[key] {
        if distance != nil { pairs[index].distance = distance }
        if let relation, pairs[index].relation != ImageRelation.duplicate.rawValue {
          pairs[index].relation = relation.rawValue
        }
        if !pairs[index].evidence.split(separator: ",").contains(where: {
          $0.trimmingCharacters(in: .whitespaces) == evidence
        }) {
          pairs[index].evidence += ", " + evidence
        }
        return
      }
      indexOfPair[key] = pairs.count
      pairs.append(
        LeakedPair(
          first: key[0], second: key[1], firstSubset: sa, secondSubset: sb, distance: distance, evidence: evidence,
          relation: relation?.rawValue))
    }
    // Everything linked, for the transitive check at the end (images outside the split included).
    var parent: [Int64: Int64] = [:]
    func find(_ x: Int64) -> Int64 {
      var root = x
      while let next = parent[root], next != root { root = next }
      var node = x
      while let next = parent[node], next != root {
        parent[node] = root
        node = next
      }
      return root
    }
    func union(_ a: Int64, _ b: Int64) {
      let (ra, rb) = (find(a), find(b))
      if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
    }

    // Near-duplicate groups that straddle subsets.
    var groupMembers: [String: [Int64]] = [:]
    try catalog.forEachDuplicateGroupMember { m in
      groupMembers["\(m.method)|\(m.radius)|\(m.group)", default: []].append(m.imageID)
    }
    for (key, members) in groupMembers.sorted(by: { $0.key < $1.key }) {
      let method = key.split(separator: "|").first.map(String.init) ?? ""
      for i in members.indices {
        if i > 0 { union(members[0], members[i]) }
        for j in members.indices where j > i { add(members[i], members[j], distance: nil, evidence: "group:\(method)") }
      }
    }
    // Lineage: a derived image and its parent.
    var lineageLinks = 0
    try SplitCatalog.forEachLineageLink(catalog: catalog) { child, parentImage in
      if subsets[child] != nil && subsets[parentImage] != nil { lineageLinks += 1 }
      add(child, parentImage, distance: nil, evidence: "lineage")
      union(child, parentImage)
    }
    // Hash distances across subsets; images of the split without a hash are hashed first (or refused).
    let chosen = method ?? .phashCentre
    var hashedNow = 0
    var unhashable: [String] = []
    var comparedByHash = true
    switch missing {
    case .hash:
      let (report, _) = try catalog.computeHashes(
        HashingOptions(algorithms: chosen.algorithms.union(relationAlgorithms)))
      hashedNow = report.hashed
      unhashable = report.skipped.filter { subsets[$0.imageID] != nil }.map { "\($0.origin): \($0.reason)" }
    case .refuse:
      let hashed = try catalog.storedHashes(chosen.algorithms).filter { $0.value.count == chosen.algorithms.count }
      let missingCount = try DedupStore(catalog: catalog).deduplicableImages()
        .filter { subsets[$0.id] != nil && hashed[$0.id] == nil }.count
      if missingCount > 0 {
        throw SplitterError.unhashedImages(split: split, count: missingCount, method: chosen.rawValue)
      }
    case .storedOnly:
      let hashed = try catalog.storedHashes(chosen.algorithms).filter { $0.value.count == chosen.algorithms.count }
      comparedByHash = hashed.keys.contains { subsets[$0] != nil }
    }
    // Dedup's two relations: hash candidates (whole, mirrored and upper-part hashes, related ones beyond the
    // radius too) confirmed by fingerprint. Images without the mirrored and upper-part hashes (`--no-hash`, a
    // read-only look) are compared by the whole-image hashes alone.
    // When the last `dedup` searched exactly the hashes stored now with the same radius and thresholds, its
    // relations between images of the split are what this search would find: they are read, not searched again.
    let allHashes = try catalog.storedHashes(chosen.algorithms.union(relationAlgorithms))
    let labels = try catalog.effectiveLabelKeys()
    let found: RelationSearchResult
    if let stored = try catalog.storedRelations(
      method: chosen, radius: radius, hashes: allHashes, labels: labels,
      keep: { a, b in
        guard let sa = subsets[a], let sb = subsets[b] else { return false }
        return !crossingCandidatesOnly || sa != sb
      })
    {
      found = RelationSearchResult(stored: stored)
    } else {
      found = try catalog.confirmRelations(
        method: chosen, radius: radius, hashes: allHashes.filter { subsets[$0.key] != nil }, labels: labels,
        only: crossingCandidatesOnly ? { subsets[$0.first] != subsets[$0.second] } : nil)
    }
    for pair in found.relations {
      add(
        pair.first, pair.second, distance: pair.distance,
        evidence: "\(pair.relation.rawValue):\(pair.evidence.rawValue)", relation: pair.relation)
      union(pair.first, pair.second)
    }
    // Hash pairs that could not be confirmed (an image unreadable now): reported by their hash, unconfirmed.
    for pair in found.unconfirmed {
      add(pair.first, pair.second, distance: pair.distance, evidence: "hash:\(chosen.rawValue)")
      union(pair.first, pair.second)
    }
    // File names sharing a group key.
    let plan = try SplitCatalog.list(catalog: catalog).first { $0.name == split }?.plan
    let pattern =
      try groupBy
      ?? plan.flatMap { plan in
        // A split made from the original folders has no pattern (its plan carries a marker).
        plan.subsets.allSatisfy({ $0.weight == 0 })
          ? nil : try plan.groupBy.map { try GroupKeyPattern($0, path: plan.groupByPath == true) }
      }
    if let pattern {
      var firstOfKey: [String: Int64] = [:]
      for origin in try catalog.imageOrigins() where subsets[origin.imageID] != nil {
        let image = origin.imageID
        guard let key = pattern.key(pattern.subject(origin.path)).map(String.init) else { continue }
        if let first = firstOfKey[key] {
          add(first, image, distance: nil, evidence: "name:\(key)")
          union(first, image)
        } else {
          firstOfKey[key] = image
        }
      }
    }
    // What the direct links miss: images tied through others (two crops of one photo left out of the split).
    let explained = Set(pairs.map { find($0.first) })
    var chained = false
    var firstInSubset: [Int64: [String: Int64]] = [:]
    for (image, subset) in subsets.sorted(by: { $0.key < $1.key }) where parent[image] != nil {
      let root = find(image)
      if firstInSubset[root]?[subset] == nil { firstInSubset[root, default: [:]][subset] = image }
    }
    for (root, bySubset) in firstInSubset where bySubset.count > 1 && !explained.contains(root) {
      chained = true
      let images = bySubset.values.sorted()
      for other in images.dropFirst() {
        add(images[0], other, distance: nil, evidence: "lineage+group")
      }
    }
    pairs.sort { ($0.first, $0.second) < ($1.first, $1.second) }
    for index in pairs.indices {
      pairs[index].firstPath = try catalog.originName(imageID: pairs[index].first) ?? "image \(pairs[index].first)"
      pairs[index].secondPath = try catalog.originName(imageID: pairs[index].second) ?? "image \(pairs[index].second)"
    }
    let report = LeakageReport(
      split: split, radius: radius, hashAlgorithm: comparedByHash ? chosen.rawValue : nil, imagesChecked: subsets.count,
      hashedNow: hashedNow,
      unhashable: unhashable, lineageLinks: lineageLinks, groupBy: pattern?.text, pairs: pairs)
    return (report, chained, found.candidates)
  }
}
