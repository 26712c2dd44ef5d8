import Catalog
import Foundation
import Imaging
import Ingest
import TestSupport
import Testing

@testable import Dedup

/// What the relation search makes of a set of items, without a catalog: hashes, candidates, fingerprints and
/// `confirmRelation`, item index as image id.
struct RelationsRun {
  var items: [RelationsTruth.Item]
  var hashes: ImageHashes = [:]
  var fingerprints: [Int64: ImageFingerprint] = [:]
  var candidates: RelationCandidates
  var relations:
    [RelationCandidates.PairKey: (relation: ImageRelation, evidence: RelationEvidence, similarity: Double)] =
      [:]

  init(_ items: [RelationsTruth.Item], side: Int = ImageFingerprint.side, thresholds: RelationThresholds = .init())
    throws
  {
    self.items = items
    let algorithms = DedupMethod.phashCentre.algorithms.union(relationAlgorithms)
    for (index, item) in items.enumerated() {
      hashes[Int64(index)] = try PerceptualHash.hashes(of: item.bytes, algorithms: algorithms)
      fingerprints[Int64(index)] = try item.bytes.withUnsafeBytes {
        try ImageFingerprint(bytes: $0, side: side, maxPixels: ImageHeader.defaultMaxPixels)
      }
    }
    candidates = RelationCandidates(method: .phashCentre, hashes: hashes, relatedRadius: thresholds.relatedRadius)
    for key in candidates.all {
      guard let a = fingerprints[key.first], let b = fingerprints[key.second] else { continue }
      if let found = confirmRelation(
        a, b, wholeDistance: candidates.whole[key], radius: 8, thresholds: thresholds)
      {
        relations[key] = found
      }
    }
  }

  /// Per edit: how many copies got the expected relation with their original, of how many.
  func recall() -> [(edit: RelationsTruth.Edit, found: Int, total: Int)] {
    var originalOf: [Int: Int64] = [:]
    for (index, item) in items.enumerated() where item.edit == .original { originalOf[item.group] = Int64(index) }
    return RelationsTruth.Edit.allCases.filter { $0 != .original }.compactMap { edit in
      var found = 0
      var total = 0
      for (index, item) in items.enumerated() where item.edit == edit {
        total += 1
        guard let original = originalOf[item.group],
          let relation = relations[RelationCandidates.PairKey(original, Int64(index))]
        else { continue }
        if relation.relation.rawValue == edit.expected { found += 1 }
      }
      return total == 0 ? nil : (edit, found, total)
    }
  }

  /// Confirmed pairs joining two groups (different people or pictures).
  func crossGroupPairs() -> [(String, String, String)] {
    relations.compactMap { key, found in
      let (a, b) = (items[Int(key.first)], items[Int(key.second)])
      return a.group == b.group
        ? nil : (a.name + " " + a.edit.rawValue, b.name + " " + b.edit.rawValue, "\(found.relation) \(found.evidence)")
    }
  }
}

@Suite struct RelationsTests {
  /// Quantiles of a list, for the tuning printout.
  static func summary(_ values: [Double]) -> String {
    let sorted = values.sorted()
    guard !sorted.isEmpty else { return "none" }
    func q(_ p: Double) -> String {
      String(format: "%.3f", sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))])
    }
    return "n=\(sorted.count) min \(q(0)) p5 \(q(0.05)) p50 \(q(0.5)) max \(q(1))"
  }

  /// The tuning printout: for each fingerprint side, the similarities of every edit to its original, and the
  /// highest similarities of candidate pairs of different people or pictures. Run on the tuning half only.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func tuningPrintout() throws {
    let items = try RelationsTruth.items(.tuning)
    for side in [16, 32, 64] {
      let run = try RelationsRun(items, side: side)
      var lines = ["side \(side): \(items.count) images, \(run.candidates.all.count) candidates"]
      var originalOf: [Int: Int64] = [:]
      for (index, item) in items.enumerated() where item.edit == .original { originalOf[item.group] = Int64(index) }
      for edit in RelationsTruth.Edit.allCases where edit != .original {
        var scores: [String: [Double]] = [:]
        var whole: [Double] = []
        for (index, item) in items.enumerated() where item.edit == edit {
          guard let o = originalOf[item.group], let a = run.fingerprints[o], let b = run.fingerprints[Int64(index)],
            let ha = run.hashes[o], let hb = run.hashes[Int64(index)]
          else { continue }
          for (name, similarity) in [
            ("same", a.sameSimilarity(b)), ("mirror", a.mirrorSimilarity(b)), ("upper", a.upperSimilarity(b)),
          ] {
            scores[name + " coarse", default: []].append(similarity.coarse)
            scores[name + " detail", default: []].append(similarity.detail)
          }
          scores["same local", default: []].append(a.sameSimilarity(b).localDifference)
          whole.append(Double(NearDuplicateSearch.distance(ha, hb, method: .phashCentre) ?? 64))
        }
        lines.append("  \(edit.rawValue): hash \(Self.summary(whole))")
        for (name, values) in scores.sorted(by: { $0.key < $1.key }) {
          lines.append("    \(name): \(Self.summary(values))")
        }
      }
      var negatives: [String: [Double]] = [:]
      for key in run.candidates.all {
        let (a, b) = (items[Int(key.first)], items[Int(key.second)])
        guard a.group != b.group, let fa = run.fingerprints[key.first], let fb = run.fingerprints[key.second] else {
          continue
        }
        for (name, similarity) in [
          ("same", fa.sameSimilarity(fb)), ("mirror", fa.mirrorSimilarity(fb)), ("upper", fa.upperSimilarity(fb)),
        ] {
          negatives[name + " coarse", default: []].append(similarity.coarse)
          negatives[name + " detail", default: []].append(similarity.detail)
          negatives[name + " score", default: []].append(similarity.score)
        }
        negatives["same local", default: []].append(fa.sameSimilarity(fb).localDifference)
      }
      lines.append("  different (candidates):")
      for (name, values) in negatives.sorted(by: { $0.key < $1.key }) {
        lines.append("    \(name): \(Self.summary(values))")
      }
      print(lines.joined(separator: "\n"))
      if side == ImageFingerprint.side {
        #expect(run.crossGroupPairs().isEmpty, "\(run.crossGroupPairs())")
      }
    }
  }

  /// The bar, on the measuring half (images the thresholds were not chosen on): every edit ≥ 95 % with the
  /// expected relation, no confirmed pair joins two people or pictures.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func measuringHalfMeetsTheBar() throws {
    let items = try RelationsTruth.items(.measuring)
    let run = try RelationsRun(items)
    var lines: [String] = []
    for (edit, found, total) in run.recall() {
      lines.append("\(edit.rawValue): \(found)/\(total)")
      #expect(Double(found) >= 0.95 * Double(total), "\(edit.rawValue): \(found)/\(total)")
    }
    let cross = run.crossGroupPairs()
    #expect(cross.isEmpty, "\(cross)")
    print(
      "relations, measuring half (\(items.count) images, \(run.candidates.all.count) candidates): "
        + lines.joined(separator: ", ") + "; cross pairs \(cross.count)")
  }
}

/// The relations through the catalog, as `datasetkit dedup` runs them, on the measuring half.
@Suite struct CatalogRelationsTests {
  @Test(
    "dedup on real face crops and photos: no cluster or related group joins two people or pictures; edits are duplicates, mirrors and painted masks related and never marked; groups stay small",
    .requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func dedupTellsPeopleApart() throws {
    let items = try RelationsTruth.items(.measuring)
    let catalog = try CatalogDedupTests.workspace()
    func path(_ item: RelationsTruth.Item) -> String { "\(item.name)/\(item.edit.rawValue).jpg" }
    try CatalogDedupTests.ingest(catalog, items.map { (path($0), $0.bytes) }, source: "truth")
    var itemOf: [Int64: RelationsTruth.Item] = [:]
    var originalOf: [Int: Int64] = [:]
    for item in items {
      let id = try CatalogDedupTests.imageID(catalog, path(item))
      itemOf[id] = item
      if item.edit == .original { originalOf[item.group] = id }
    }
    let result = try catalog.deduplicate(DedupOptions())
    #expect(result.hashing.skipped.isEmpty)

    // No duplicate cluster joins two people or pictures, and no mirror or painted copy is in a cluster with its
    // original.
    var clusterOf: [Int64: Int64] = [:]
    for cluster in result.clusters {
      let groups = Set(cluster.members.compactMap { itemOf[$0.imageID]?.group })
      #expect(groups.count == 1, "cluster \(cluster.id) joins \(cluster.members.flatMap(\.origins))")
      for member in cluster.members { clusterOf[member.imageID] = cluster.id }
    }
    // Groups as stored (what a split keeps together): none joins two people, none past a dozen images.
    var groupOf: [Int64: Int64] = [:]
    var membersOf: [Int64: [Int64]] = [:]
    try catalog.forEachDuplicateGroupMember { member in
      groupOf[member.imageID] = member.group
      membersOf[member.group, default: []].append(member.imageID)
    }
    for (group, members) in membersOf {
      let people = Set(members.compactMap { itemOf[$0]?.group })
      #expect(people.count == 1, "group \(group) joins \(members.compactMap { itemOf[$0]?.name })")
    }
    for group in result.relatedGroups {
      #expect(group.members.count <= 12, "related group \(group.id) has \(group.members.count) images")
    }
    var lines: [String] = []
    for edit in RelationsTruth.Edit.allCases where edit != .original {
      var found = 0
      var total = 0
      for (id, item) in itemOf where item.edit == edit {
        total += 1
        guard let original = originalOf[item.group] else { continue }
        if edit.expected == "duplicate" {
          if let cluster = clusterOf[id], clusterOf[original] == cluster { found += 1 }
        } else {
          // Related: in its original's group, never in its cluster, never marked.
          let together = groupOf[id] != nil && groupOf[id] == groupOf[original]
          let marked = try CatalogDedupTests.status(catalog, id) == "duplicate"
          #expect(!marked, "\(item.name) \(edit.rawValue) was marked duplicate")
          if together && !marked && (clusterOf[id] == nil || clusterOf[id] != clusterOf[original]) { found += 1 }
        }
      }
      lines.append("\(edit.rawValue) \(found)/\(total)")
      #expect(Double(found) >= 0.95 * Double(total), "\(edit.rawValue): \(found)/\(total)")
    }
    print(
      "dedup, measuring half (\(items.count) images): \(result.candidates) candidates, \(result.pairs) duplicate pairs, "
        + "\(result.relatedPairs) related, \(result.rejectedCandidates) rejected, \(result.clusters.count) clusters, "
        + "\(result.relatedGroups.count) related groups: " + lines.joined(separator: ", "))
  }

  @Test(
    "a related chain never grows a group past the limit",
    .requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func relatedChainsAreBounded() throws {
    // One face, four duplicate copies, a mirror and a painted copy (7 images): with a limit of 6 the related links
    // stop at 6 images; with 12, all 7 are one group.
    let items = try RelationsTruth.items(.measuring, photos: false).filter { $0.group == 0 }
    let catalog = try CatalogDedupTests.workspace()
    try CatalogDedupTests.ingest(
      catalog, items.map { ("\($0.name)/\($0.edit.rawValue).jpg", $0.bytes) }, source: "truth")
    var options = DedupOptions()
    options.maxRelatedGroup = 6
    let bounded = try catalog.deduplicate(options)
    #expect(bounded.relatedLinksOverLimit > 0)
    #expect(bounded.relatedGroups.allSatisfy { $0.members.count <= 6 })
    options.maxRelatedGroup = 12
    let whole = try catalog.deduplicate(options)
    #expect(whole.relatedLinksOverLimit == 0)
    #expect(whole.relatedGroups.map(\.members.count) == [items.count])
  }
}

/// Painted masks on loosely framed, off-centre faces (`PaintedPortraits`): related automatically, never a pair of
/// two people.
@Suite struct PaintedPortraitTests {
  /// Each painted copy and its original: tied by any relation (what puts them in one group), and by which evidence.
  static func figures(_ run: RelationsRun) -> (tied: Int, related: Int, total: Int, evidence: [String: Int]) {
    var tied = 0
    var related = 0
    var total = 0
    var evidence: [String: Int] = [:]
    var originalOf: [Int: Int64] = [:]
    for (index, item) in run.items.enumerated() where item.edit == .original { originalOf[item.group] = Int64(index) }
    for (index, item) in run.items.enumerated() where item.edit == .painted {
      total += 1
      guard let original = originalOf[item.group],
        let found = run.relations[RelationCandidates.PairKey(original, Int64(index))]
      else {
        evidence["none", default: 0] += 1
        continue
      }
      tied += 1
      if found.relation == .related { related += 1 }
      evidence["\(found.relation) \(found.evidence)", default: 0] += 1
    }
    return (tied, related, total, evidence)
  }

  @Test func halves() throws {
    for half in [RelationsTruth.Half.tuning, .measuring] {
      let items = try PaintedPortraits.items(half)
      let run = try RelationsRun(items)
      let (tied, related, total, evidence) = Self.figures(run)
      var local: [Double] = []
      var same: [Double] = []
      for (index, item) in items.enumerated() where item.edit == .painted {
        if let a = run.fingerprints[Int64(index - 1)], let b = run.fingerprints[Int64(index)] {
          local.append(a.sameSimilarity(b).localDifference)
          same.append(a.sameSimilarity(b).score)
        }
      }
      print(
        "painted portraits, \(half.rawValue): same score \(RelationsTests.summary(same)); local difference \(RelationsTests.summary(local))"
      )
      let cross = run.crossGroupPairs()
      print(
        "painted portraits, \(half.rawValue) half: \(total) pairs, \(tied) tied (\(related) related), "
          + "\(evidence.sorted { $0.key < $1.key }), \(run.candidates.all.count) candidates, cross pairs \(cross.count)"
      )
      #expect(cross.isEmpty, "\(cross)")
      if half == .measuring {
        #expect(Double(tied) >= 0.75 * Double(total), "\(tied)/\(total) painted portraits tied to their original")
        // Related, not marked: a painted copy is the same picture only outside the paint (18 of 41 before the
        // local check, 30 with it).
        #expect(Double(related) >= 0.7 * Double(total), "\(related)/\(total) painted portraits related")
      }
    }
  }
}

/// The views of a run kept in a temporary file and confirmed a few images at a time (issue #26: dedup's memory
/// no longer grows 20 KB an image) give the same relations as all fingerprints in memory.
@Suite struct FingerprintViewStoreTests {
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func roundsConfirmWhatAllAtOnceConfirms() throws {
    let items = try RelationsTruth.items(.measuring)
    let run = try RelationsRun(items)
    let folder = try TestPaths.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try FingerprintViewStore(folder: folder.path)
    var views: [Int64: FingerprintViews] = [:]
    for (index, item) in items.enumerated() {
      let made = try item.bytes.withUnsafeBytes {
        try FingerprintViews(bytes: $0, maxPixels: ImageHeader.defaultMaxPixels)
      }
      views[Int64(index)] = made
      try store.append(Int64(index), made)
    }
    // Unlinked at once: nothing is left in the folder.
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    #expect(store.count == items.count)
    for (id, kept) in views {
      let back = try #require(store.views(of: id))
      #expect(back.whole == kept.whole && back.centre == kept.centre && back.upper == kept.upper)
    }
    #expect(store.views(of: Int64(items.count)) == nil)
    let all = run.candidates.confirmed(fingerprints: run.fingerprints, radius: 8)
    #expect(all.count > 10)
    for imagesPerRound in [2, 7, 64, 100_000] {
      let rounds = run.candidates.confirmed(views: store, radius: 8, imagesPerRound: imagesPerRound)
      #expect(rounds == all, "\(imagesPerRound) images a round")
    }
  }

  /// Fingerprints made in one round and needed in a later one are kept on disk and read back bit for bit.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func fingerprintsReadBackBitForBit() throws {
    let run = try RelationsRun(try RelationsTruth.items(.measuring))
    let folder = try TestPaths.temporaryFolder()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = try FingerprintStore(folder: folder.path)
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    for (id, fingerprint) in run.fingerprints { try store.append(id, fingerprint) }
    func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
    for (id, made) in run.fingerprints {
      let back = try #require(store.fingerprint(of: id))
      #expect(bits(back.full) == bits(made.full) && bits(back.centre) == bits(made.centre))
      #expect(bits(back.upper) == bits(made.upper) && bits(back.fullDetail) == bits(made.fullDetail))
      #expect(bits(back.centreDetail) == bits(made.centreDetail) && bits(back.upperDetail) == bits(made.upperDetail))
      #expect(back.flat == made.flat && back.mean.bitPattern == made.mean.bitPattern && back.side == made.side)
    }
    #expect(store.fingerprint(of: -1) == nil)
  }
}
