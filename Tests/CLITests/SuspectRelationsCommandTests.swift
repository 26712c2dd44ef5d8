import Catalog
import Foundation
import TestSupport
import Testing

/// `review suspects` on painted-mask pairs and a re-shared copy filed under the wrong class: the relation dedup
/// confirmed decides whether a label difference is suspect.
@Suite("CLI: suspects by relation (a painted copy rightly differs, the same picture does not)")
struct SuspectRelationsCommandTests {
  @Test(
    "painted pairs are not suspects; the same picture under another label is, at full weight, as duplicates",
    .requiresBinary,
    .requires(
      FileManager.default.isExecutableFile(atPath: TestSupport.repositoryRoot + "/.build/debug/sample-images"),
      "needs .build/debug/sample-images (make test builds it)"))
  func paintedPairsAreNotSuspects() throws {
    let folder = try TestSupport.temporaryFolder("dsk-suspect-relations")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try WorkflowTests.paintPairs(folder + "/painted", count: 6)
    // The same crops re-shared at 96 px (as `export --max-side 96` writes them), under the same names, one
    // unmasked face filed under with_mask.
    let scratch = folder + "/scratch"
    #expect(try TestSupport.run(["init", scratch]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/painted"], in: scratch).status == 0)
    let resized = try TestSupport.run(
      ["export", "--format", "folders", "--max-side", "96", "--out", folder + "/resized"], in: scratch)
    try #require(resized.status == 0, "\(resized.stderr)")
    let names = Dictionary(
      try Catalog(workspace: Workspace(root: scratch)).database.rows(
        "SELECT i.sha256, o.rel_path FROM images i JOIN image_origins o ON o.image_id = i.id"
      ) { ($0.text(0) ?? "", $0.text(1) ?? "") }, uniquingKeysWith: { first, _ in first })
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/resized/manifest.json")))
        as? [String: Any])
    for file in try #require(manifest["files"] as? [[String: Any]]) {
      let original = try #require((file["original"] as? [String: Any])?["sha256"] as? String)
      let name = try #require(names[original])
      let target = name == "without_mask/0002.jpg" ? "with_mask/0102.jpg" : name
      try TestSupport.write(
        Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/resized/" + (file["path"] as? String ?? "")))),
        to: folder + "/reshared/" + target)
    }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for source in ["painted", "reshared"] {
      let imported = try TestSupport.run(["import", folder + "/" + source], in: ws)
      #expect(imported.status == 0, "\(imported.stderr)")
    }
    #expect(try TestSupport.run(["dedup"], in: ws).status == 0)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    func id(_ source: String, _ path: String) throws -> Int64 {
      try #require(
        try catalog.database.scalarInt(
          """
          SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id
          WHERE s.name = ? AND o.rel_path = ?
          """, [.text(source), .text(path)]), "no \(source)/\(path)")
    }
    let misfiled = try id("reshared", "with_mask/0102.jpg")
    let twin = try id("painted", "without_mask/0002.jpg")
    // Dedup saw painted pairs (related, never marked): the label difference there is the mask painted on.
    let painted = try catalog.database.scalarInt("SELECT COUNT(*) FROM dedup_relations WHERE evidence = 'painted'") ?? 0
    #expect(painted > 0)

    func suspects() throws -> [Int64: [[String: Any]]] {
      let run = try TestSupport.run(["review", "suspects", "--json", "--limit", "100"], in: ws)
      #expect(run.status == 0, "\(run.stderr)")
      let result = try #require(try TestSupport.jsonResult(run.stdout) as? [String: Any])
      var found: [Int64: [[String: Any]]] = [:]
      for suspect in try #require(result["suspects"] as? [[String: Any]]) {
        found[Int64(suspect["image"] as? Int ?? 0)] = suspect["reasons"] as? [[String: Any]] ?? []
      }
      return found
    }
    // Exactly the misfiled copy and the picture it copies, each for the other, at full weight.
    let found = try suspects()
    #expect(Set(found.keys) == [misfiled, twin], "\(found)")
    for (image, other) in [(misfiled, twin), (twin, misfiled)] {
      let reasons = found[image] ?? []
      #expect(reasons.count == 1)
      #expect(reasons.first?["kind"] as? String == "duplicates")
      #expect((reasons.first?["weight"] as? Double) == 1)
      #expect((reasons.first?["others"] as? [Int])?.map(Int64.init) == [other])
      #expect((reasons.first?["detail"] as? String)?.contains("the same picture") == true, "\(reasons)")
    }

    // A dedup run without stored pairs (before schema 024) is read as before: its groups are compared, so the
    // painted pairs come back as related images.
    try catalog.database.run("DELETE FROM dedup_relations")
    let old = try suspects()
    #expect(old.count > 2)
    #expect(old.values.contains { $0.contains { $0["kind"] as? String == "related" } })
  }
}
