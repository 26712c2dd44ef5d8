import Foundation
import TestSupport
import Testing

/// libjpeg's and libpng's warnings go into the command's report (per file, JSON and a summary line), never to
/// stderr; a file no decoder can read is one clear per-file failure and the batch goes on.
@Suite(.requiresBinary)
struct DecoderWarningsCommandTests {
  static let codecs = TestSupport.testdata + "/codecs"
  /// What libjpeg and libpng print by themselves (the text of their warnings, and libpng's prefixes).
  static let libraryText = ["Corrupt JPEG data", "Premature end of JPEG", "libpng", "iCCP", "tEXt", "extraneous"]

  func fixture(_ name: String) throws -> [UInt8] {
    Array(try Data(contentsOf: URL(fileURLWithPath: Self.codecs + "/" + name)))
  }

  func workspace(_ name: String) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    return (base, ws)
  }

  func expectQuiet(_ stderr: String, _ what: String) {
    for text in Self.libraryText {
      #expect(!stderr.contains(text), "\(what): stderr holds \"\(text)\": \(stderr)")
    }
  }

  /// `file` → its warnings, from a report's `decodeWarnings`.
  func warnings(_ report: [String: Any]?) -> [String: [String]] {
    var out: [String: [String]] = [:]
    for entry in report?["decodeWarnings"] as? [[String: Any]] ?? [] {
      if let file = entry["file"] as? String { out[file] = entry["warnings"] as? [String] ?? [] }
    }
    return out
  }

  @Test("the crawl's decode check reports each damaged download with its warning; broken ones are rejected")
  func crawl() throws {
    let (base, ws) = try workspace("dsk-decwarn-crawl")
    var noSOI = try fixture("jpeg-420.jpg")
    noSOI.removeFirst(2)
    let files: [String: (type: String, body: [UInt8])] = [
      "/extraneous.jpg": ("image/jpeg", try fixture("jpeg-warning-extraneous.jpg")),
      "/truncated.jpg": ("image/jpeg", try fixture("jpeg-warning-truncated.jpg")),
      "/iccp.png": ("image/png", try fixture("png-warning-iccp.png")),
      "/crc.png": ("image/png", try fixture("png-broken-crc.png")),
      "/no-soi.jpg": ("image/jpeg", noSOI),
      "/clean.jpg": ("image/jpeg", try fixture("jpeg-444.jpg")),
    ]
    let server = try LoopbackServer { request in
      guard let file = files[request.path] else { return .status(404) }
      return .respond(status: 200, headers: [("Content-Type", file.type)], body: file.body)
    }
    defer { server.stop() }
    let list = base + "/urls.txt"
    let urls = files.keys.sorted().map { server.base + $0 }
    try TestSupport.write(Array((urls.joined(separator: "\n") + "\n").utf8), to: list)
    let run = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "damaged", "--allow-private-network", "--json"],
      in: ws)
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    expectQuiet(run.stderr, "crawl")
    let report = (try TestSupport.jsonResult(run.stdout) as? [[String: Any]])?.first
    let warned = warnings(report)
    #expect(warned.count == 3, "\(warned)")
    #expect(warned[server.base + "/extraneous.jpg"] == ["Corrupt JPEG data: 35 extraneous bytes before marker 0xd9"])
    #expect(warned[server.base + "/truncated.jpg"]?.first?.hasPrefix("Premature end of JPEG file") == true)
    #expect(warned[server.base + "/iccp.png"] == ["iCCP: too short"])
    let rejected = (report?["rejected"] as? [[String: Any]] ?? []).compactMap { entry -> (String, String)? in
      guard let url = entry["url"] as? String, let reason = entry["reason"] as? String else { return nil }
      return (url, reason)
    }
    let reasons = Dictionary(rejected, uniquingKeysWith: { first, _ in first })
    #expect(reasons[server.base + "/crc.png"]?.contains("libpng: IDAT: CRC error") == true, "\(rejected)")
    #expect(reasons[server.base + "/no-soi.jpg"] != nil, "\(rejected)")
    #expect((report?["stored"] as? Int ?? 0) >= 3)

    // Text: one summary line naming the first file and its warning.
    let text = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "damaged again", "--allow-private-network"], in: ws)
    expectQuiet(text.stderr, "crawl (text)")
    #expect(
      text.stdout.contains(
        "3 photos decoded with warnings (first: \(server.base)/"),
      "\(text.stdout)")
  }

  @Test("dedup's hashing and faces detect put decoder warnings in their reports, not on stderr")
  func dedupAndFaces() throws {
    let (base, ws) = try workspace("dsk-decwarn-dedup")
    try TestSupport.write(try fixture("jpeg-warning-extraneous.jpg"), to: base + "/photos/extraneous.jpg")
    try TestSupport.write(try fixture("png-warning-iccp.png"), to: base + "/photos/iccp.png")
    try TestSupport.write(try fixture("png-warning-text-crc.png"), to: base + "/photos/text-crc.png")
    try TestSupport.write(try fixture("png-broken-crc.png"), to: base + "/photos/crc.png")
    try TestSupport.write(try fixture("jpeg-422.jpg"), to: base + "/photos/clean.jpg")
    let imported = try TestSupport.run(["import", base + "/photos"], in: ws)
    #expect(imported.status == 0, "\(imported.stdout)\n\(imported.stderr)")
    expectQuiet(imported.stderr, "import")

    // Before dedup marks the copies duplicate (detection searches active images only).
    let faces = try TestSupport.run(["faces", "detect", "--json"], in: ws)
    expectQuiet(faces.stderr, "faces detect")
    let detect = try TestSupport.jsonResult(faces.stdout) as? [String: Any]
    #expect(warnings(detect).keys.sorted() == ["photos/extraneous.jpg", "photos/iccp.png", "photos/text-crc.png"])
    #expect((detect?["failed"] as? [Any])?.count == 1)

    let dry = try TestSupport.run(["dedup", "--dry-run", "--json"], in: ws)
    #expect(dry.status == 0, "\(dry.stdout)\n\(dry.stderr)")
    expectQuiet(dry.stderr, "dedup --json")
    let result = (try TestSupport.jsonResult(dry.stdout) as? [String: Any])?["dedup"] as? [String: Any]
    let hashing = result?["hashing"] as? [String: Any]
    let warned = warnings(hashing)
    #expect(
      warned["photos/extraneous.jpg"] == ["Corrupt JPEG data: 35 extraneous bytes before marker 0xd9"], "\(warned)")
    #expect(warned["photos/iccp.png"] == ["iCCP: too short"])
    #expect(warned["photos/text-crc.png"] == ["tEXt: CRC error"])
    #expect(warned.count == 3)
    let skipped = hashing?["skipped"] as? [[String: Any]] ?? []
    #expect(skipped.count == 1 && skipped.first?["origin"] as? String == "photos/crc.png", "\(skipped)")
    #expect((skipped.first?["reason"] as? String)?.contains("IDAT: CRC error") == true)
    #expect(hashing?["hashed"] as? Int == 4)
    let verbose = try TestSupport.run(["dedup", "--dry-run", "--verbose"], in: ws)
    #expect(verbose.stdout.contains("  photos/iccp.png: iCCP: too short"), "\(verbose.stdout)")

    let text = try TestSupport.run(["dedup"], in: ws)
    #expect(text.status == 0, "\(text.stdout)\n\(text.stderr)")
    expectQuiet(text.stderr, "dedup")
    #expect(text.stdout.contains("3 photos decoded with warnings (first: photos/"), "\(text.stdout)")

  }
}
