import Catalog
import Foundation
import TestSupport
import Testing

/// `dedup keep` / `dedup unmark` record who decided, as `review image` does.
@Suite("CLI: dedup keep and unmark")
struct DedupDecisionCommandTests {
  @Test("keep and unmark record the time and --reviewer (default cli:$USER) and say so", .requiresBinary)
  func reviewerIsRecorded() throws {
    let folder = try TestSupport.temporaryFolder("dsk-dedup-decide")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let codecs = TestSupport.testdata + "/codecs/"
    // jpeg-420 and jpeg-444: the same picture, other chroma subsampling (one label: duplicates).
    for name in ["jpeg-420.jpg", "jpeg-444.jpg"] {
      try TestSupport.write(
        Array(try Data(contentsOf: URL(fileURLWithPath: codecs + name))), to: "\(folder)/set/with_mask/\(name)")
    }
    try TestSupport.write(try TestSupport.photo("home.jpg"), to: "\(folder)/set/with_mask/home.jpg")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)
    #expect(try TestSupport.run(["dedup"], in: ws).status == 0)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let duplicate = try #require(
      try catalog.database.scalarInt("SELECT id FROM images WHERE status = 'duplicate'"), "dedup marked no duplicate")
    let keep = try TestSupport.run(["dedup", "keep", String(duplicate), "--reviewer", "alice"], in: ws)
    #expect(keep.status == 0, "\(keep.stderr)")
    #expect(keep.stdout.contains("status duplicate → active") && keep.stdout.hasSuffix("by alice\n"), "\(keep.stdout)")
    func recorded() throws -> [String] {
      try catalog.database.rows(
        "SELECT decision, reviewer, created_at FROM dedup_decisions WHERE image_id = ?", [.int(duplicate)]
      ) { [$0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? ""] }.first ?? []
    }
    #expect(try recorded().prefix(2) == ["keep", "alice"])
    #expect(try recorded().last?.isEmpty == false)
    let unmark = try TestSupport.run(["dedup", "unmark", String(duplicate), "--json"], in: ws)
    #expect(unmark.status == 0, "\(unmark.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(unmark.stdout.utf8)) as? [String: Any]
    let result = try #require(json?["result"] as? [String: Any])
    #expect(result["replaced"] as? String == "keep" && (result["reviewer"] as? String)?.hasPrefix("cli") == true)
    #expect((result["at"] as? String)?.isEmpty == false)
    #expect(try recorded().first == "unmark" && (try recorded()[1]).hasPrefix("cli"))
  }
}
