import Catalog
import Foundation
import TestSupport
import Testing

@testable import Crawler

/// Hostile downloads met by the built binary: a header bomb among the results must not stop the job.
@Suite("Crawl: hostile downloads")
struct HostileCrawlTests {
  /// A 45-byte PNG whose IHDR declares 4294967295×4294967295 pixels.
  static let pngBomb: [UInt8] = {
    var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    bytes += Array("IHDR".utf8) + [UInt8](repeating: 0xFF, count: 8) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
    bytes += [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
    return bytes
  }()

  @Test(
    "a PNG declaring 4294967295×4294967295 in a crawl: rejected, the job finishes, with and without --no-decode-check",
    arguments: [true, false])
  func headerBombInACrawl(decodeCheck: Bool) throws {
    #expect(Self.pngBomb.count == 45)
    let server = try LoopbackServer { request in
      switch request.path {
      case "/bomb.png": return .respond(status: 200, headers: [("Content-Type", "image/png")], body: Self.pngBomb)
      case "/ok.png":
        return .respond(
          status: 200, headers: [("Content-Type", "image/png")], body: TestImages.png(width: 24, height: 24, seed: 7))
      default: return .status(404)
      }
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let list = workspace.root + "/list.txt"
    try "\(server.base)/bomb.png\n\(server.base)/ok.png\n".write(toFile: list, atomically: true, encoding: .utf8)
    let arguments =
      [
        "crawl", "--workspace", workspace.root, "--provider", "urls", "--urls", list, "--allow-private-network",
        "--json",
      ]
      + (decodeCheck ? [] : ["--no-decode-check"])
    let first = try runDatasetkit(arguments)
    #expect(first.status == 0, "\(first.stderr)")
    let result = try #require(try TestSupport.jsonResult(first.stdout) as? [[String: Any]], "\(first.stdout)")
    let rejected = try #require(result.first?["rejected"] as? [[String: Any]])
    #expect((rejected.first?["reason"] as? String)?.contains("4294967295×4294967295") == true, "\(rejected)")
    #expect(try workspace.count("SELECT count(*) FROM images") == 1)
    #expect(try workspace.count("SELECT count(*) FROM crawl_items WHERE state = 'pending'") == 0)
    // Run again: the job is finished, nothing is fetched twice, nothing traps.
    let again = try runDatasetkit(arguments)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try workspace.count("SELECT count(*) FROM images") == 1)
  }
}
