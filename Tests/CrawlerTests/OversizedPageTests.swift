import Catalog
import Foundation
import TestSupport
import Testing

@testable import Crawler

/// RELIABILITY.md case 47 (issue #25 item 11): a provider page far larger than asked. A page holding more results
/// than its request asked for is cut to the page size and the rest counted; a page body past
/// `CrawlRequest.pageByteLimit(results:)` is stopped in the write callback and never parsed.
@Suite("Crawl: provider pages larger than asked")
struct OversizedPageTests {
  /// The JSON of one API page with `count` results in `provider`'s shape (Openverse `results`, Pixabay `hits`),
  /// each result padded to about `padding` bytes, built as text (310,000 dictionaries through JSONSerialization
  /// would take longer than the crawl).
  static func page(_ provider: String, count: Int, base: String, padding: Int = 0) -> [UInt8] {
    let pad = String(repeating: "x", count: padding)
    var text =
      provider == "pixabay"
      ? "{\"total\":\(count),\"totalHits\":\(count),\"hits\":["
      : "{\"result_count\":\(count),\"page_count\":1,\"page_size\":\(count),\"page\":1,\"results\":["
    text.reserveCapacity(count * (160 + padding))
    for n in 1...count {
      if n > 1 { text += "," }
      if provider == "pixabay" {
        text += "{\"id\":\(n),\"largeImageURL\":\"\(base)/img/\(n).png\",\"user\":\"\(pad)\"}"
      } else {
        text += "{\"id\":\"id-\(n)\",\"url\":\"\(base)/img/\(n).png\",\"creator\":\"\(pad)\"}"
      }
    }
    return Array((text + "]}").utf8)
  }

  /// A server answering every API request with `body` (whatever page size was asked), and small PNGs.
  static func server(body: @escaping @Sendable (String) -> [UInt8]) throws -> LoopbackServer {
    let baseBox = Box()
    let server = try LoopbackServer { request in
      if request.path.hasPrefix("/img/"), let n = Int(request.path.dropFirst(5).dropLast(4)) {
        return .respond(
          status: 200, headers: [("Content-Type", "image/png")], body: TestImages.png(width: 32, height: 32, seed: n))
      }
      if request.path == "/v1/images/" || request.path == "/api/" {
        return .respond(status: 200, headers: [("Content-Type", "application/json")], body: body(baseBox.value))
      }
      return .status(404)
    }
    baseBox.value = server.base
    return server
  }

  func request(_ provider: String, server: LoopbackServer) -> CrawlRequest {
    var request = testRequest(
      provider, query: "mask", endpoint: server.base + (FakeProvider.endpoints[provider] ?? "/"), limit: 5)
    request.settings.environment = FakeProvider.environment()
    request.settings.pageSize = 20
    return request
  }

  @Test(
    "5,000 results when 20 were asked: 20 kept as pending items, 4,980 reported dropped",
    arguments: ["openverse", "pixabay"])
  func cutToPageSize(provider: String) throws {
    let server = try Self.server { base in Self.page(provider, count: 5_000, base: base) }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let report = try Crawl.run(request(provider, server: server), catalog: workspace.catalog)
    #expect(report.stored == 5)
    #expect(report.resultsDropped == 4_980)
    // Only the page size asked for ever reaches the catalog's job (5 fetched, 15 pending at the limit).
    #expect(try workspace.count("SELECT count(*) FROM crawl_items") == 20)
    #expect(report.pendingAtLimit == 15)
    // The report says so in --json (Codable) as well.
    let json = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(report)) as? [String: Any]
    #expect(json?["resultsDropped"] as? Int == 4_980)
  }

  @Test(
    "a 32.9 MB page of 310,000 results: stopped at the page byte limit with a clear error, nothing stored",
    arguments: ["openverse", "pixabay"])
  func oversizedBodyRefused(provider: String) throws {
    // 32.9 MB: under the 32 MiB every transfer may read, so only a page limit stops it.
    let body = Self.page(provider, count: 310_000, base: "http://127.0.0.1:1", padding: provider == "pixabay" ? 31 : 33)
    #expect(body.count > 32_900_000 && body.count < 32 << 20, "\(body.count) bytes")
    let server = try Self.server { _ in body }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let started = Date()
    #expect {
      try Crawl.run(request(provider, server: server), catalog: workspace.catalog)
    } throws: { error in
      guard case .pageTooLarge(let name, _, let limit, let asked) = error as? CrawlerError else { return false }
      let message = (error as? CrawlerError)?.errorDescription ?? ""
      // 20 results asked: 1 MiB (16 KiB a result, at least 1 MiB).
      return name == provider && limit == 1 << 20 && asked == 20
        && message.contains("larger than 1048576 bytes for 20 results asked")
    }
    #expect(Date().timeIntervalSince(started) < 20)
    #expect(try workspace.count("SELECT count(*) FROM crawl_items") == 0)
    #expect(try workspace.count("SELECT count(*) FROM images") == 0)
  }

  @Test("the page byte limit follows the page size asked: 16 KiB a result, 1 MiB to 8 MiB")
  func pageByteLimit() {
    let request = CrawlRequest(provider: "openverse", query: "mask", label: nil)
    #expect(request.pageByteLimit(results: 20) == 1 << 20)
    #expect(request.pageByteLimit(results: 200) == 200 << 14)
    #expect(request.pageByteLimit(results: 500) == 500 << 14)
    #expect(request.pageByteLimit(results: 600) == 8 << 20)
    #expect(request.pageByteLimit(results: Int.max) == 8 << 20)
  }
}
