import Foundation
import TestSupport
import Testing

/// RELIABILITY.md case 42: a progressive JPEG of 10,000 empty scans (1.1 MB, 8192²) took ~100 s in every command
/// that decodes. Its work budget refuses it in a fraction of a second with one clear per-file error, and the batch
/// goes on. The time bound is a sanity ceiling, not a benchmark; each run is killed after `killAfter` seconds so
/// the old decode fails these tests without running its 100 s (270 s on a loaded machine) to the end.
@Suite(.requiresBinary)
struct DecodeBudgetCommandTests {
  static let ceiling = 30.0
  static let killAfter = 90.0
  /// The refusal's text: the limit a scan of empty bands goes over first (8 coefficient passes).
  static let refusal =
    "JPEG's 10 scans pass over its 1048576 blocks' coefficients more than 8 times (work budget); refused"
  static let hostile = TestSupport.manyScanJPEG()
  static let facemask = TestSupport.testdata + "/voc-facemask"

  /// A workspace holding the hostile JPEG (one face box on it) and a real photo with three, imported as VOC.
  func workspace(_ name: String) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    try TestSupport.write(Self.hostile, to: base + "/voc/images/scans.jpg")
    try TestSupport.write(
      Array(
        """
        <annotation><folder>images</folder><filename>scans.jpg</filename>
        <size><width>8192</width><height>8192</height><depth>1</depth></size>
        <object><name>with_mask</name><bndbox><xmin>100</xmin><ymin>100</ymin><xmax>300</xmax><ymax>340</ymax>
        </bndbox></object></annotation>
        """.utf8), to: base + "/voc/annotations/scans.xml")
    for (folder, name) in [("images", "maksssksksss0.png"), ("annotations", "maksssksksss0.xml")] {
      try FileManager.default.copyItem(
        atPath: Self.facemask + "/\(folder)/\(name)", toPath: base + "/voc/\(folder)/\(name)")
    }
    let imported = try TestSupport.run(["import", base + "/voc", "--layout", "voc"], in: ws)
    #expect(imported.status == 0, "\(imported.stdout)\n\(imported.stderr)")
    return (base, ws)
  }

  func expectFast(_ run: TestSupport.ProcessResult, _ what: String) {
    #expect(!run.timedOut, "\(what) still running after \(Self.killAfter) s")
    #expect(run.seconds < Self.ceiling, "\(what) took \(run.seconds) s")
  }

  @Test("dedup skips the 10,000-scan JPEG with the budget's reason and hashes the rest; alone, it exits 1")
  func dedup() throws {
    let (base, ws) = try workspace("dsk-budget-dedup")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let run = try TestSupport.run(["dedup", "--dry-run", "--json"], in: ws, timeout: Self.killAfter)
    expectFast(run, "dedup")
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let result = (try TestSupport.jsonResult(run.stdout) as? [String: Any])?["dedup"] as? [String: Any]
    let hashing = result?["hashing"] as? [String: Any]
    #expect(hashing?["hashed"] as? Int == 1)
    let skipped = hashing?["skipped"] as? [[String: Any]] ?? []
    #expect(skipped.count == 1 && skipped.first?["origin"] as? String == "voc/images/scans.jpg", "\(skipped)")
    #expect((skipped.first?["reason"] as? String)?.contains(Self.refusal) == true, "\(skipped)")

    // The text names the file and the limit; with no other image to hash, every item failed: exit 1.
    let only = try TestSupport.temporaryFolder("dsk-budget-only")
    defer { try? FileManager.default.removeItem(atPath: only) }
    #expect(try TestSupport.run(["init", only + "/ws"]).status == 0)
    try TestSupport.write(Self.hostile, to: only + "/photos/scans.jpg")
    #expect(try TestSupport.run(["import", only + "/photos"], in: only + "/ws").status == 0)
    let alone = try TestSupport.run(["dedup"], in: only + "/ws", timeout: Self.killAfter)
    expectFast(alone, "dedup (alone)")
    #expect(alone.status == 1, "\(alone.stdout)\n\(alone.stderr)")
    #expect(alone.stdout.contains("  photos/scans.jpg: " + Self.refusal), "\(alone.stdout)")
  }

  @Test("faces detect records the budget's refusal for the JPEG and detects in the other photo")
  func facesDetect() throws {
    let (base, ws) = try workspace("dsk-budget-detect")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let run = try TestSupport.run(["faces", "detect", "--json"], in: ws, timeout: Self.killAfter)
    expectFast(run, "faces detect")
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let report = try TestSupport.jsonResult(run.stdout) as? [String: Any]
    let failed = report?["failed"] as? [[String: Any]] ?? []
    #expect(failed.count == 1 && (failed.first?["reason"] as? String)?.contains(Self.refusal) == true, "\(failed)")
    #expect((report?["faces"] as? Int ?? 0) >= 1, "\(report ?? [:])")
  }

  @Test("faces crop fails the JPEG's box with the budget's reason and cuts the other photo's three")
  func facesCrop() throws {
    let (base, ws) = try workspace("dsk-budget-crop")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let run = try TestSupport.run(["faces", "crop", "--json"], in: ws, timeout: Self.killAfter)
    expectFast(run, "faces crop")
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let report = try TestSupport.jsonResult(run.stdout) as? [String: Any]
    #expect(report?["cropped"] as? Int == 3, "\(report ?? [:])")
    let failed = report?["failed"] as? [[String: Any]] ?? []
    #expect(failed.count == 1 && (failed.first?["reason"] as? String)?.contains(Self.refusal) == true, "\(failed)")
  }

  @Test("report's thumbnails draw the JPEG as an empty frame within the ceiling")
  func reportThumbnails() throws {
    let (base, ws) = try workspace("dsk-budget-card")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let run = try TestSupport.run(["report", "--all", "--out", base + "/card.html"], in: ws, timeout: Self.killAfter)
    expectFast(run, "report")
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let html = try String(contentsOfFile: base + "/card.html", encoding: .utf8)
    #expect(html.contains("data:image/jpeg;base64,"), "the other photo's thumbnail is drawn")
  }

  @Test("the crawl's decode check rejects the downloaded JPEG with the budget's reason and stores the other")
  func crawlCheck() throws {
    let base = try TestSupport.temporaryFolder("dsk-budget-crawl")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let clean = try TestSupport.distinctJPEGs(count: 1)[0]
    let server = try LoopbackServer { request in
      switch request.path {
      case "/scans.jpg": return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: Self.hostile)
      case "/clean.jpg": return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: clean)
      default: return .status(404)
      }
    }
    defer { server.stop() }
    try TestSupport.write(Array("\(server.base)/scans.jpg\n\(server.base)/clean.jpg\n".utf8), to: base + "/urls.txt")
    let run = try TestSupport.run(
      [
        "crawl", "--provider", "urls", "--urls", base + "/urls.txt", "--query", "scans", "--allow-private-network",
        "--json",
      ], in: ws, timeout: Self.killAfter)
    expectFast(run, "crawl")
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let report = (try TestSupport.jsonResult(run.stdout) as? [[String: Any]])?.first
    #expect(report?["stored"] as? Int == 1, "\(report ?? [:])")
    let rejected = report?["rejected"] as? [[String: Any]] ?? []
    #expect(rejected.count == 1 && rejected.first?["url"] as? String == server.base + "/scans.jpg", "\(rejected)")
    #expect((rejected.first?["reason"] as? String)?.contains(Self.refusal) == true, "\(rejected)")
  }
}
