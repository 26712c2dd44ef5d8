import Catalog
import Foundation
import TestSupport
import Testing

/// `review suspects` on painted-mask pairs and a re-shared copy filed under the wrong class: the relation dedup
/// confirmed decides whether a label difference is suspect.
@Suite("CLI: suspects by relation (a painted copy rightly differs, the same picture does not)")
struct SuspectRelationsCommandTests {
  /// `sample-images faces` from two of opencv-doc's portraits: `with_mask/000N.jpg` is `without_mask/000N.jpg`
  /// with a mask painted over the lower face.
  static func faces(_ out: String, size: Int) throws {
    let manual = "/usr/share/doc/opencv-doc/opencv4/html"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.repositoryRoot + "/.build/debug/sample-images")
    process.arguments = [
      "faces", "--from", manual + "/example.jpg", "--from", manual + "/julia_facedetect_sample.jpg", "--count", "6",
      "--seed", "3", "--size", "\(size)", "--out", out,
    ]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "sample-images faces failed")
  }

  @Test(
    "painted pairs are not suspects; the same picture under another label is, at full weight, as duplicates",
    .requiresBinary,
    .requires(
      FileManager.default.isExecutableFile(atPath: TestSupport.repositoryRoot + "/.build/debug/sample-images"),
      "needs .build/debug/sample-images (make test builds it)"))
  func paintedPairsAreNotSuspects() throws {
    let folder = try TestSupport.temporaryFolder("dsk-suspect-relations")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.faces(folder + "/painted", size: 112)
    // The same crops re-shared at 96 px, one unmasked face filed under with_mask.
    try Self.faces(folder + "/reshared", size: 96)
    try FileManager.default.moveItem(
      atPath: folder + "/reshared/without_mask/0002.jpg", toPath: folder + "/reshared/with_mask/0102.jpg")
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
    let painted = try catalog.database.scalarInt("SELECT COUNT(*) FROM dup_pairs WHERE evidence = 'painted'") ?? 0
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

    // A dedup run stored before its pairs were (schema 023) is read as before: its groups are compared, so the
    // painted pairs come back as related images.
    try catalog.database.run("DELETE FROM dup_pairs")
    let old = try suspects()
    #expect(old.count > 2)
    #expect(old.values.contains { $0.contains { $0["kind"] as? String == "related" } })
  }
}
