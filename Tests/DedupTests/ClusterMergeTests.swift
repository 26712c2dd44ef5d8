import Catalog
import Foundation
import Testing

@testable import Dedup

/// Cluster bookkeeping on hand-made hashes (no decoding): a new image bridging two stored clusters.
@Suite struct ClusterMergeTests {
  static func addImage(_ catalog: Catalog, _ name: String, hash: UInt64, pixels: Int) throws -> Int64 {
    try catalog.database.run(
      """
      INSERT INTO images (sha256, size, width, height, format, extension, created_at)
      VALUES (?, 1000, ?, 1, 'jpeg', 'jpg', '2026-01-01T00:00:00Z')
      """, [.text(String(repeating: name, count: 64 / name.count)), .int(Int64(pixels))])
    let id = catalog.database.lastInsertRowID
    for algorithm in [HashAlgorithm.phash, .phashCentre] {
      try catalog.database.run(
        "INSERT INTO hashes (image_id, algorithm, version, value) VALUES (?, ?, ?, ?)",
        [.int(id), .text(algorithm.rawValue), .int(Int64(algorithm.version)), .int(Int64(bitPattern: hash))])
    }
    return id
  }

  @Test func bridgingImageJoinsTheGroupsNotTheClusters() throws {
    let catalog = try Workspace.create(at: try TestPaths.temporaryFolder().path)
    // Two clusters 16 bits apart; within each, 1 bit.
    let a = try Self.addImage(catalog, "a", hash: 0, pixels: 100)
    let a2 = try Self.addImage(catalog, "b", hash: 1, pixels: 50)
    let c = try Self.addImage(catalog, "c", hash: 0xFFFF, pixels: 200)
    let c2 = try Self.addImage(catalog, "d", hash: 0xFFFE, pixels: 50)
    let first = try catalog.deduplicate(.hashOnly)
    #expect(first.hashing.hashed == 0)
    #expect(first.clusters.count == 2)
    let idOfA = try #require(first.clusters.first { $0.keptImageID == a }?.id)
    let idOfC = try #require(first.clusters.first { $0.keptImageID == c }?.id)
    #expect(idOfA != idOfC)

    // The bridge is 8 bits from both kept images, and bigger than both: the kept images stay kept, the
    // bridge joins the first of them (the larger, c); a's cluster stays as it was.
    let bridge = try Self.addImage(catalog, "e", hash: 0xFF, pixels: 500)
    let second = try catalog.deduplicate(.hashOnly)
    #expect(second.clusters.count == 2)
    let ofC = try #require(second.clusters.first { $0.id == idOfC })
    let ofA = try #require(second.clusters.first { $0.id == idOfA })
    #expect(ofC.keptImageID == c && Set(ofC.members.map(\.imageID)) == [c, c2, bridge] && ofC.change == "extended")
    #expect(ofA.keptImageID == a && Set(ofA.members.map(\.imageID)) == [a, a2] && ofA.change == "unchanged")
    #expect(second.markedDuplicate == 1)  // the bridge
    let statuses = try catalog.database.rows("SELECT id, status FROM images ORDER BY id") {
      ($0.int64(0), $0.text(1) ?? "")
    }
    #expect(statuses.filter { $0.1 == "active" }.map(\.0) == [a, c])
    // One near-duplicate group of all five, reported as wide.
    #expect(second.groups == 1 && second.wideGroups.map(\.imageIDs) == [[a, a2, c, c2, bridge]])
    #expect(
      try catalog.database.scalarInt("SELECT COUNT(DISTINCT group_id) FROM dup_clusters WHERE method = 'phash+centre'")
        == 1)
  }

  @Test func otherMethodsAndRadiiAreStoredApart() throws {
    let catalog = try Workspace.create(at: try TestPaths.temporaryFolder().path)
    _ = try Self.addImage(catalog, "a", hash: 0, pixels: 100)
    _ = try Self.addImage(catalog, "b", hash: 0b111, pixels: 50)
    var options = DedupOptions.hashOnly
    options.method = .phash
    options.radius = 2
    #expect(try catalog.deduplicate(options).clusters.isEmpty)
    options.radius = 3
    #expect(try catalog.deduplicate(options).clusters.count == 1)
    let rows = try catalog.database.rows("SELECT method, radius FROM dup_clusters") {
      "\($0.text(0) ?? "")@\($0.int(1))"
    }
    #expect(Set(rows) == ["phash@3"])
  }
}
