import Catalog
import Foundation
import Imaging
import Ingest
import TestSupport
import Testing

@testable import Dedup

/// Hashing into the catalog, clusters, keep policies, dry runs and re-runs, on real SQLite files.
@Suite struct CatalogDedupTests {
  static func workspace() throws -> Catalog {
    try Workspace.create(at: try TestPaths.temporaryFolder().path)
  }

  @discardableResult
  static func ingest(_ catalog: Catalog, _ files: [(String, [UInt8])], source: String) throws -> IngestReport {
    let candidates = files.map {
      IngestCandidate(content: .bytes($0.1), origin: OriginFacts(relativePath: Array($0.0.utf8)))
    }
    return try Ingester(catalog: catalog).ingest(
      candidates, source: SourceSpec(kind: "folder", name: source, uri: "/test/\(source)"))
  }

  static func imageID(_ catalog: Catalog, _ path: String) throws -> Int64 {
    try #require(try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = ?", [.text(path)]))
  }

  static func status(_ catalog: Catalog, _ id: Int64) throws -> String {
    try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(id)]) ?? ""
  }

  /// A few tiles with their copies (group = tile).
  static func sample(tiles: Int) throws -> [GroundTruth.Item] {
    try GroundTruth.items(includeVOC: false).filter { $0.group < tiles }
  }

  static func name(_ item: GroundTruth.Item) -> String { "\(item.name)/\(item.transform.rawValue).jpg" }

  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func clustersKeepTheLargestAndMarkTheRest() throws {
    let catalog = try Self.workspace()
    let items = try Self.sample(tiles: 4)
    try Self.ingest(catalog, items.map { (Self.name($0), $0.bytes) }, source: "a")

    // Dry run: reports clusters, changes nothing (not even hashes).
    var options = DedupOptions()
    options.dryRun = true
    let dry = try catalog.deduplicate(options)
    #expect(dry.clusters.count == 4)
    #expect(dry.markedDuplicate == 16)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM hashes") == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM dup_clusters") == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images WHERE status = 'duplicate'") == 0)

    options.dryRun = false
    let result = try catalog.deduplicate(options)
    #expect(result.hashing.hashed == items.count)
    #expect(result.clusters.count == 4)
    #expect(result.clusters.allSatisfy { $0.members.count == 5 && $0.change == "new" })
    #expect(result.markedDuplicate == 16)
    for cluster in result.clusters {
      // largest: most pixels, then the bigger file.
      let kept = try #require(cluster.members.first)
      #expect(kept.kept && kept.imageID == cluster.keptImageID)
      let best = cluster.members.map { ($0.width * $0.height, $0.bytes) }.max { $0 < $1 }
      #expect(best.map { $0 == (kept.width * kept.height, kept.bytes) } == true)
      #expect(cluster.members.dropFirst().allSatisfy { !$0.kept && $0.status == .duplicate })
    }
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images WHERE status = 'duplicate'") == 16)
    #expect(
      try catalog.database.scalarInt("SELECT COUNT(*) FROM dup_clusters WHERE method = 'phash+centre' AND radius = 8")
        == 20)
    #expect(try catalog.integrityCheck() == ["ok"])

    // Incremental: nothing to hash the second time, nothing changes.
    let again = try catalog.deduplicate(DedupOptions())
    #expect(again.hashing.hashed == 0 && again.hashing.upToDate == items.count)
    #expect(again.markedDuplicate == 0)
    #expect(again.clusters.allSatisfy { $0.change == "unchanged" })
    #expect(Set(again.clusters.map(\.id)) == Set(result.clusters.map(\.id)))
  }

  @Test(
    "the same picture under two labels: one cluster per label, the two related (one group), one kept per label",
    .requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func differentLabelsAreNotDuplicates() throws {
    let catalog = try Self.workspace()
    let items = try Self.sample(tiles: 1)
    // The same tile and its copies, half labelled with_mask and half without_mask.
    let candidates = items.enumerated().map { index, item in
      IngestCandidate(
        content: .bytes(item.bytes), origin: OriginFacts(relativePath: Array(Self.name(item).utf8)),
        label: index % 2 == 0 ? "with_mask" : "without_mask", labelHow: "folder")
    }
    _ = try Ingester(catalog: catalog).ingest(candidates, source: SourceSpec(kind: "folder", name: "a", uri: "/a"))
    let result = try catalog.deduplicate(DedupOptions())
    // Duplicates only within a label; across labels the copies are related: never marked, one group.
    #expect(result.clusters.count == 2)
    #expect(result.clusters.allSatisfy { Set($0.members.map(\.label)).count == 1 && !$0.conflictingLabels })
    #expect(result.clusters.allSatisfy { $0.members.filter(\.kept).count == 1 })
    #expect(result.markedDuplicate == items.count - 2)
    #expect(result.relatedGroups.count == 1 && result.relatedGroups.first?.members.count == items.count)
    #expect(result.groups == 1)
    // With the hash alone (as before), one cluster keeps one image per label.
    let hashOnly = try catalog.deduplicate(.hashOnly)
    #expect(hashOnly.clusters.count == 1 && hashOnly.clusters.first?.conflictingLabels == true)
    #expect(hashOnly.clusters.first?.members.filter(\.kept).count == 2)
    let activeLabels = try catalog.database.rows(
      """
      SELECT c.name FROM images i JOIN image_labels l ON l.image_id = i.id JOIN classes c ON c.id = l.class_id
      WHERE i.status = 'active' ORDER BY c.name
      """
    ) { $0.text(0) ?? "" }
    #expect(activeLabels == ["with_mask", "without_mask"])
  }

  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func addingImagesOnlyExtendsClusters() throws {
    let catalog = try Self.workspace()
    let items = try Self.sample(tiles: 3)
    let firstHalf = items.filter { $0.transform == .original || $0.transform == .jpeg40 }
    try Self.ingest(catalog, firstHalf.map { (Self.name($0), $0.bytes) }, source: "first")
    let before = try catalog.deduplicate(DedupOptions())
    #expect(before.clusters.count == 3)
    let keptBefore = Dictionary(uniqueKeysWithValues: before.clusters.map { ($0.id, $0.keptImageID) })

    let rest = items.filter { $0.transform != .original && $0.transform != .jpeg40 }
    try Self.ingest(catalog, rest.map { (Self.name($0), $0.bytes) }, source: "second")
    let after = try catalog.deduplicate(DedupOptions())
    #expect(after.hashing.hashed == rest.count && after.hashing.upToDate == firstHalf.count)
    #expect(after.clusters.count == 3)
    for cluster in after.clusters {
      #expect(cluster.change == "extended")
      #expect(keptBefore[cluster.id] == cluster.keptImageID, "the kept member stays kept")
      #expect(cluster.members.count == 5)
    }
    // The source × source matrix sees pairs across the two imports.
    #expect(after.sourceMatrix.contains { $0.sourceA == "first" && $0.sourceB == "second" && $0.pairs > 0 })
  }

  /// A kept image rejected later (by review) stops being kept: another member is kept and made active.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func rejectedKeptMemberIsReplaced() throws {
    let catalog = try Self.workspace()
    let items = try Self.sample(tiles: 1)
    try Self.ingest(catalog, items.map { (Self.name($0), $0.bytes) }, source: "a")
    let first = try catalog.deduplicate(DedupOptions())
    let cluster = try #require(first.clusters.first)
    try catalog.database.run("UPDATE images SET status = 'rejected' WHERE id = ?", [.int(cluster.keptImageID)])
    let second = try catalog.deduplicate(DedupOptions())
    let now = try #require(second.clusters.first)
    #expect(now.id == cluster.id)
    #expect(now.keptImageID != cluster.keptImageID)
    #expect(now.members.count == items.count - 1)
    #expect(second.markedActive == 1)
    #expect(try Self.status(catalog, now.keptImageID) == "active")
    #expect(try Self.status(catalog, cluster.keptImageID) == "rejected")
  }

  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func keepPolicies() throws {
    let items = try Self.sample(tiles: 1)
    let original = try #require(items.first { $0.transform == .original })
    let small = try #require(items.first { $0.transform == .resize50 })

    // first: the earliest imported wins even though it is smaller.
    let catalog = try Self.workspace()
    try Self.ingest(catalog, [("small.jpg", small.bytes)], source: "web")
    try Self.ingest(catalog, [("original.jpg", original.bytes)], source: "curated")
    var options = DedupOptions()
    options.keep = .first
    options.dryRun = true
    #expect(try catalog.deduplicate(options).clusters.first?.keptImageID == Self.imageID(catalog, "small.jpg"))
    options.keep = .largest
    #expect(try catalog.deduplicate(options).clusters.first?.keptImageID == Self.imageID(catalog, "original.jpg"))
    options.keep = .sourcePriority
    options.sourcePriority = ["web"]
    #expect(try catalog.deduplicate(options).clusters.first?.keptImageID == Self.imageID(catalog, "small.jpg"))
    options.sourcePriority = ["nope"]
    #expect(throws: DedupError.self) { try catalog.deduplicate(options) }
    options.sourcePriority = []
    options.radius = 99
    #expect(throws: DedupError.badRadius(99)) { try catalog.deduplicate(options) }
  }

  /// Corrupt images (mutated real files) are skipped with a reason; the run goes on.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func corruptImagesAreSkippedWithAReason() throws {
    let catalog = try Self.workspace()
    let png = try TestPaths.bytes(TestPaths.opencvPhotos.appendingPathComponent("smarties.png"))
    // Damage the compressed data in the middle: the header and IEND stay, so it imports as clean.
    var broken = png
    for i in stride(from: png.count / 3, to: png.count / 3 + 400, by: 1) { broken[i] ^= 0x5A }
    var zeroed = png
    for i in (png.count / 2)..<(png.count / 2 + 2000) { zeroed[i] = 0 }
    let items = try Self.sample(tiles: 1)
    let report = try Self.ingest(
      catalog,
      [("broken.png", broken), ("zeroed.png", zeroed)] + items.map { (Self.name($0), $0.bytes) }, source: "mixed")
    #expect(report.added == items.count + 2)
    let result = try catalog.deduplicate(DedupOptions())
    #expect(result.hashing.skipped.count == 2)
    for skipped in result.hashing.skipped {
      #expect(skipped.origin.hasPrefix("mixed/") && skipped.origin.hasSuffix(".png"))
      #expect(skipped.reason.hasPrefix("cannot decode the image: libpng: "), "\(skipped.reason)")
    }
    #expect(result.hashing.hashed == items.count)
    #expect(result.clusters.count == 1 && result.clusters[0].members.count == items.count)
  }

  /// The single-image query for new arrivals finds the stored near-duplicates of a copy.
  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func singleImageQuery() throws {
    let catalog = try Self.workspace()
    let items = try Self.sample(tiles: 3)
    let originals = items.filter { $0.transform == .original }
    try Self.ingest(catalog, originals.map { (Self.name($0), $0.bytes) }, source: "a")
    _ = try catalog.computeHashes(HashingOptions(algorithms: DedupMethod.phashCentre.algorithms))
    let search = try catalog.nearDuplicateSearch()
    #expect(search.imageIDs.count == originals.count)
    for copy in items where copy.transform == .crop3 {
      let hashes = try PerceptualHash.hashes(of: copy.bytes, algorithms: DedupMethod.phashCentre.algorithms)
      let matches = search.matches(for: hashes, radius: 8)
      let original = try Self.imageID(catalog, "\(copy.name)/original.jpg")
      #expect(matches.map(\.imageID) == [original])
    }
  }
}
