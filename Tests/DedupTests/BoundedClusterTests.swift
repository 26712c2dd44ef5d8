import Catalog
import Foundation
import Imaging
import Ingest
import TestSupport
import Testing

@testable import Dedup

/// Bounded clusters: a cluster is a star around its kept image; chains form near-duplicate groups, not clusters;
/// a person's `keep` / `unmark` survives re-runs.
@Suite struct BoundedClusterTests {
  /// Three windows of one real photo, each shifted by `step` pixels from the last, such that neighbours are
  /// near-duplicates (≤ 8 bits) and the two ends are not: the smallest such step, found by hashing.
  static func chain() throws -> (bytes: [[UInt8]], distances: (ab: Int, bc: Int, ac: Int)) {
    let photo = try DecodedImage(
      bytes: try TestPaths.bytes(TestPaths.opencvPhotos.appendingPathComponent("fruits.jpg")))
    let width = photo.width * 2 / 3
    let height = photo.height * 2 / 3
    let method = DedupMethod.phashCentre
    for step in stride(from: 4, to: photo.width / 6, by: 2) {
      let bytes = try (0..<3).map { index in
        try photo.cropped(to: Box(x: index * step, y: 0, width: width, height: height), width: width, height: height)
          .encoded(.jpeg(quality: 92))
      }
      let hashes = try bytes.map { try PerceptualHash.hashes(of: $0, algorithms: method.algorithms) }
      func d(_ i: Int, _ j: Int) -> Int { NearDuplicateSearch.distance(hashes[i], hashes[j], method: method) ?? 64 }
      if d(0, 1) <= 8 && d(1, 2) <= 8 && d(0, 2) > 8 { return (bytes, (d(0, 1), d(1, 2), d(0, 2))) }
    }
    throw CocoaError(.featureUnsupported)
  }

  /// A workspace holding the chain as a.jpg, b.jpg, c.jpg (imported in that order).
  static func chainCatalog() throws -> (Catalog, (Int64, Int64, Int64), (ab: Int, bc: Int, ac: Int)) {
    let (bytes, distances) = try chain()
    let catalog = try CatalogDedupTests.workspace()
    try CatalogDedupTests.ingest(catalog, [("a.jpg", bytes[0]), ("b.jpg", bytes[1]), ("c.jpg", bytes[2])], source: "s")
    let ids = try ["a.jpg", "b.jpg", "c.jpg"].map { try CatalogDedupTests.imageID(catalog, $0) }
    return (catalog, (ids[0], ids[1], ids[2]), distances)
  }

  @Test(
    "a chain A~B~C with A and C far apart: C stays active, in A's near-duplicate group",
    .requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func chainLeavesTheFarEndActive() throws {
    let (catalog, (a, b, c), distances) = try Self.chainCatalog()
    var options = DedupOptions.hashOnly
    options.keep = .first
    let result = try catalog.deduplicate(options)
    #expect(result.pairs == 2, "distances \(distances)")
    #expect(try CatalogDedupTests.status(catalog, a) == "active")
    #expect(try CatalogDedupTests.status(catalog, b) == "duplicate")
    #expect(try CatalogDedupTests.status(catalog, c) == "active", "C is \(distances.ac) bits from the kept A")
    #expect(result.clusters.count == 1)
    let cluster = try #require(result.clusters.first)
    #expect(cluster.keptImageID == a && Set(cluster.members.map(\.imageID)) == [a, b])
    #expect(cluster.members.allSatisfy { $0.distanceToKept <= 8 })
    // The chain is one wide group: a split keeps it whole, nothing in it is marked for being in it.
    #expect(result.groups == 1 && result.imagesInGroups == 3)
    let group = try #require(result.wideGroups.first)
    #expect(Set(group.imageIDs) == [a, b, c] && group.clusterIDs.count == 2 && cluster.groupID == group.id)
    let stored = try catalog.database.rows("SELECT image_id, group_id, kept FROM dup_clusters ORDER BY image_id") {
      ($0.int64(0), $0.int64(1), $0.int(2))
    }
    #expect(stored.map(\.0) == [a, b, c] && Set(stored.map(\.1)).count == 1 && stored.map(\.2) == [1, 0, 1])
    // The report shows each member's label and distance and flags the wide group.
    let html = DedupReportPage.render(result, catalog: catalog)
    #expect(html.contains("wide group \(group.id): 3 images in 2 clusters"))
    #expect(html.contains("distance \(distances.ab)") && html.contains("label <i>none</i>"))

    // Again: nothing changes.
    let again = try catalog.deduplicate(options)
    #expect(again.markedDuplicate == 0 && again.markedActive == 0 && again.clusters.map(\.id) == [cluster.id])
    #expect(again.clusters.first?.change == "unchanged")
  }

  @Test(
    "dedup keep / unmark undo a decision, and every later run honours them",
    .requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func decisionsSurviveReruns() throws {
    let (catalog, (a, b, c), _) = try Self.chainCatalog()
    var options = DedupOptions.hashOnly
    options.keep = .first
    _ = try catalog.deduplicate(options)
    #expect(try CatalogDedupTests.status(catalog, b) == "duplicate")

    // unmark B: active now and after a re-run; it is in no cluster, but still in the group.
    let unmarked = try catalog.decide(.unmark, on: b)
    #expect(unmarked.statusBefore == .duplicate && unmarked.status == .active)
    #expect(try CatalogDedupTests.status(catalog, b) == "active")
    let afterUnmark = try catalog.deduplicate(options)
    #expect(afterUnmark.markedDuplicate == 0)
    #expect(afterUnmark.clusters.isEmpty)
    #expect(try [a, b, c].map { try CatalogDedupTests.status(catalog, $0) } == ["active", "active", "active"])
    #expect(afterUnmark.groups == 1 && afterUnmark.imagesInGroups == 3)

    // keep B instead: B is the kept image, and both its neighbours are its duplicates (A was kept before).
    let kept = try catalog.decide(.keep, on: b)
    #expect(kept.replaced == "unmark")
    let afterKeep = try catalog.deduplicate(options)
    #expect(afterKeep.clusters.count == 1 && afterKeep.clusters.first?.keptImageID == b)
    #expect(try [a, b, c].map { try CatalogDedupTests.status(catalog, $0) } == ["duplicate", "active", "duplicate"])
    #expect(afterKeep.clusters.first?.members.first { $0.imageID == b }?.decision == "keep")
    // And it lasts.
    let third = try catalog.deduplicate(options)
    #expect(third.markedDuplicate == 0 && third.clusters.first?.keptImageID == b)

    // Unknown and rejected images are refused with a message.
    #expect(throws: DedupError.unknownImage(999)) { try catalog.decide(.keep, on: 999) }
    try catalog.database.run("UPDATE images SET status = 'rejected' WHERE id = ?", [.int(c)])
    #expect(throws: DedupError.notDeduplicable(c, status: "rejected")) { try catalog.decide(.unmark, on: c) }
  }
}
