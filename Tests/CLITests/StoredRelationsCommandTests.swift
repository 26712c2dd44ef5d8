import Catalog
import Foundation
import TestSupport
import Testing

/// Issue 26: the dataset card's leakage check reads the relations `dedup` stored when they answer the same search
/// (the same hashes, radius and thresholds) instead of searching every image again, with the same report.
@Suite("CLI: check leakage and the card read dedup's stored relations while they are current")
struct StoredRelationsCommandTests {
  static func pairs(_ ws: String) throws -> [[String: Any]] {
    let json = try TestSupport.run(["check", "leakage", "--split", "v1", "--json"], in: ws)
    #expect(json.status == 1, "\(json.stderr)")
    return try #require((try TestSupport.jsonResult(json.stdout) as? [String: Any])?["pairs"] as? [[String: Any]])
  }

  static func keys(_ pairs: [[String: Any]]) -> [String] {
    pairs.map { "\($0["first"] ?? "")-\($0["second"] ?? ""):\($0["evidence"] ?? ""):\($0["distance"] ?? "-")" }
  }

  @Test(
    "leakage from stored relations equals a fresh search; a stored pair is read; changed hashes search again",
    .requiresBinary)
  func storedRelationsAnswerTheSameSearch() throws {
    let folder = try TestSupport.temporaryFolder("dsk-stored-relations")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try RelationsCommandTests.makeSet(folder + "/set")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)
    #expect(try TestSupport.run(["dedup"], in: ws).status == 0)
    #expect(try TestSupport.run(["split", "--name", "v1", "--ratios", "50/50", "--seed", "4"], in: ws).status == 0)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    func id(_ path: String) throws -> Int64 {
      try #require(
        try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = ?", [.text(path)]))
    }
    // Planted leaks: a painted and a mirrored copy moved to the other subset.
    let subsets = try SplitLeakageCommandTests.subsets(ws, "v1")
    for path in ["with_mask/142-with-mask.jpg", "without_mask/augmented_1.jpg"] {
      let image = try id(path)
      try SplitLeakageCommandTests.move(ws, "v1", image: image, to: subsets[image] == "train" ? "test" : "train")
    }
    let stored = try catalog.database.scalarInt(
      "SELECT COUNT(*) FROM dedup_relations WHERE method = 'phash+centre' AND radius = 8")
    #expect((stored ?? 0) >= 18, "dedup stores every relation it confirmed")
    let fromStore = try Self.pairs(ws)
    #expect(Self.keys(fromStore).contains { $0.contains("related:mirror") }, "\(Self.keys(fromStore))")

    // The same report when nothing is stored (a fresh search and decode).
    try catalog.database.run("DELETE FROM dedup_relation_runs")
    let searched = try Self.pairs(ws)
    #expect(Self.keys(searched) == Self.keys(fromStore) && !searched.isEmpty)

    // Stored again by the next dedup, and read: a pair planted in the store is reported (the search would not
    // find these two photos of different people).
    #expect(try TestSupport.run(["dedup"], in: ws).status == 0)
    let (a, b) = (try id("without_mask/0.jpg"), try id("without_mask/485.jpg"))
    let now = try SplitLeakageCommandTests.subsets(ws, "v1")
    if now[a] == now[b] {
      try SplitLeakageCommandTests.move(ws, "v1", image: b, to: now[b] == "train" ? "test" : "train")
    }
    try catalog.database.run(
      """
      INSERT INTO dedup_relations (method, radius, first_image_id, second_image_id, relation, evidence, distance,
        similarity) VALUES ('phash+centre', 8, ?, ?, 'related', 'edited', 11, 0.95)
      """, [.int(min(a, b)), .int(max(a, b))])
    let planted = Self.keys(try Self.pairs(ws))
    #expect(planted.contains("\(min(a, b))-\(max(a, b)):related:edited:11"), "\(planted)")
    // The card counts the same pairs.
    let cardJSON = try TestSupport.run(["report", "--split", "v1", "--json"], in: ws)
    let quality = (try TestSupport.jsonResult(cardJSON.stdout) as? [String: Any])?["quality"] as? [String: Any]
    #expect((quality?["leakage"] as? [String: Any])?["pairs"] as? Int == planted.count, "\(cardJSON.stderr)")

    // A hash changed since (here one bit of an image's upper-part hash): the stored relations no longer answer
    // this search, which runs again and does not see the planted pair.
    try catalog.database.run(
      "UPDATE hashes SET value = (value | 1) - (value & 1) WHERE image_id = ? AND algorithm = 'phash-upper'", [.int(a)])
    let after = Self.keys(try Self.pairs(ws))
    #expect(!after.contains { $0.hasPrefix("\(min(a, b))-\(max(a, b)):") }, "\(after)")
  }
}
