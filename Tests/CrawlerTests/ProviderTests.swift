import Catalog
import Foundation
import TestSupport
import Testing

@testable import Crawler

/// Fakes of every provider, built from the request and response shapes each API documents, serving result pages
/// and the images they point at. Each page's results are numbered 1…total; image n is `/img/n.png`.
enum FakeProvider {
  static let key = "KEY-abcdef-0123456789"
  static let total = 12

  /// Expected provenance of result n: (page URL, license, license URL, creator, attribution).
  typealias Provenance = (page: String?, license: String?, licenseURL: String?, creator: String?, attribution: String?)

  static func expected(_ provider: String, _ n: Int) -> Provenance {
    switch provider {
    case "openverse":
      return (
        "https://www.flickr.com/photos/x/\(n)", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/",
        "Creator \(n)",
        "\"T \(n)\" by Creator \(n) is licensed under CC BY 2.0."
      )
    case "commons":
      return (
        "https://commons.wikimedia.org/wiki/File:\(n).png", "CC BY-SA 4.0",
        "https://creativecommons.org/licenses/by-sa/4.0",
        "Artist \(n)", "Artist \(n), CC BY-SA 4.0, via Wikimedia Commons"
      )
    case "flickr":
      return (
        "https://www.flickr.com/photos/12345@N00/\(n)", "CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/",
        "Owner \(n)",
        "T \(n) by Owner \(n) on Flickr"
      )
    case "pexels":
      return (
        "https://www.pexels.com/photo/\(n)/", "Pexels License", "https://www.pexels.com/license/", "Photog \(n)",
        "Photo by Photog \(n) on Pexels"
      )
    case "pixabay":
      return (
        "https://pixabay.com/photos/\(n)/", "Pixabay Content License", "https://pixabay.com/service/license-summary/",
        "User \(n)",
        "Image by User \(n) from Pixabay"
      )
    case "google": return ("https://example.com/page/\(n)", nil, nil, nil, nil)
    case "serpapi": return ("https://example.com/page/\(n)", nil, nil, "example.com", nil)
    case "bing": return ("https://example.com/page/\(n)", nil, nil, nil, nil)
    default: return (nil, nil, nil, nil, nil)
    }
  }

  /// The query words the request carried, as the provider's API names them.
  static func sentQuery(_ provider: String, _ request: LoopbackServer.Request) -> String? {
    let q = request.query
    switch provider {
    case "openverse", "pixabay", "google", "serpapi", "bing": return q["q"]
    case "flickr": return q["text"]
    case "pexels": return q["query"]
    case "commons": return q["gsrsearch"].map { String($0.dropFirst("filetype:bitmap ".count)) }
    default: return nil
    }
  }

  static func json(_ value: Any) -> LoopbackServer.Reply {
    let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data()
    return .respond(status: 200, headers: [("Content-Type", "application/json")], body: Array(data))
  }

  /// The API page for `request`, or nil when it is not an API call.
  static func page(_ provider: String, _ request: LoopbackServer.Request, base: String) -> LoopbackServer.Reply? {
    let q = request.query
    func img(_ n: Int) -> String { "\(base)/img/\(n).png" }
    func range(start: Int, size: Int) -> [Int] { start > total ? [] : Array(start...min(total, start + size - 1)) }
    switch provider {
    case "openverse":
      guard request.path == "/v1/images/" else { return nil }
      let page = Int(q["page"] ?? "1") ?? 1
      let size = Int(q["page_size"] ?? "20") ?? 20
      let results = range(start: (page - 1) * size + 1, size: size).map { n -> [String: Any] in
        [
          "id": "id-\(n)", "title": "T \(n)", "url": img(n), "width": 32, "height": 32, "license": "by",
          "license_version": "2.0",
          "license_url": "https://creativecommons.org/licenses/by/2.0/", "creator": "Creator \(n)",
          "foreign_landing_url": "https://www.flickr.com/photos/x/\(n)",
          "attribution": "\"T \(n)\" by Creator \(n) is licensed under CC BY 2.0.", "provider": "flickr",
          "source": "flickr",
        ]
      }
      return json([
        "result_count": total, "page_count": (total + size - 1) / size, "page_size": size, "page": page,
        "results": results,
        "warnings": [],
      ])
    case "commons":
      guard request.path == "/w/api.php", q["action"] == "query", q["generator"] == "search" else { return nil }
      let offset = Int(q["gsroffset"] ?? "0") ?? 0
      let size = Int(q["gsrlimit"] ?? "50") ?? 50
      let numbers = range(start: offset + 1, size: size)
      let pages = numbers.reversed().map { n -> [String: Any] in  // unordered, as formatversion=2 may be
        [
          "pageid": 1000 + n, "ns": 6, "title": "File:\(n).png", "index": n,
          "imageinfo": [
            [
              "url": img(n), "descriptionurl": "https://commons.wikimedia.org/wiki/File:\(n).png", "width": 32,
              "height": 32,
              "mime": "image/png",
              "extmetadata": [
                "LicenseShortName": ["value": "CC BY-SA 4.0"], "Artist": ["value": "<a href=\"//x\">Artist \(n)</a>"],
                "LicenseUrl": ["value": "https://creativecommons.org/licenses/by-sa/4.0"],
              ],
            ]
          ],
        ]
      }
      var body: [String: Any] = ["batchcomplete": true, "query": ["pages": pages]]
      if offset + size < total { body["continue"] = ["gsroffset": offset + size, "continue": "gsroffset||"] }
      return json(body)
    case "flickr":
      guard request.path == "/services/rest/", q["method"] == "flickr.photos.search", q["api_key"] == key else {
        return nil
      }
      let page = Int(q["page"] ?? "1") ?? 1
      let size = Int(q["per_page"] ?? "100") ?? 100
      let photos = range(start: (page - 1) * size + 1, size: size).map { n -> [String: Any] in
        [
          "id": "\(n)", "owner": "12345@N00", "secret": "ab", "server": "65535", "farm": 66, "title": "T \(n)",
          "ispublic": 1,
          "license": "4", "ownername": "Owner \(n)", "url_l": img(n), "height_l": "32", "width_l": 32,
        ]
      }
      return json([
        "photos": [
          "page": page, "pages": (total + size - 1) / size, "perpage": size, "total": "\(total)", "photo": photos,
        ],
        "stat": "ok",
      ])
    case "pexels":
      guard request.path == "/v1/search", request.headers["authorization"] == key else { return nil }
      let page = Int(q["page"] ?? "1") ?? 1
      let size = Int(q["per_page"] ?? "15") ?? 15
      let photos = range(start: (page - 1) * size + 1, size: size).map { n -> [String: Any] in
        [
          "id": n, "width": 32, "height": 32, "url": "https://www.pexels.com/photo/\(n)/",
          "photographer": "Photog \(n)",
          "photographer_url": "https://www.pexels.com/@p\(n)", "src": ["original": img(n), "large": img(n)],
        ]
      }
      var body: [String: Any] = ["page": page, "per_page": size, "total_results": total, "photos": photos]
      if page * size < total {
        body["next_page"] = "https://api.pexels.com/v1/search/?page=\(page + 1)&per_page=\(size)"
      }
      return json(body)
    case "pixabay":
      guard request.path == "/api/", q["key"] == key else { return nil }
      let page = Int(q["page"] ?? "1") ?? 1
      let size = Int(q["per_page"] ?? "20") ?? 20
      let hits = range(start: (page - 1) * size + 1, size: size).map { n -> [String: Any] in
        [
          "id": n, "pageURL": "https://pixabay.com/photos/\(n)/", "type": "photo", "tags": "mask",
          "largeImageURL": img(n),
          "webformatURL": img(n), "imageWidth": 32, "imageHeight": 32, "user": "User \(n)", "user_id": n,
        ]
      }
      return json(["total": total, "totalHits": total, "hits": hits])
    case "google":
      guard request.path == "/customsearch/v1", q["key"] == key, q["cx"] == "engine-1", q["searchType"] == "image"
      else { return nil }
      let start = Int(q["start"] ?? "1") ?? 1
      let items = range(start: start, size: 10).map { n -> [String: Any] in
        [
          "title": "T \(n)", "link": img(n), "displayLink": "example.com", "mime": "image/png",
          "image": ["contextLink": "https://example.com/page/\(n)", "height": 32, "width": 32, "byteSize": 100],
        ]
      }
      var body: [String: Any] = ["items": items, "searchInformation": ["totalResults": "\(total)"]]
      if start + 10 <= total { body["queries"] = ["nextPage": [["startIndex": start + 10]]] }
      return json(body)
    case "serpapi":
      guard request.path == "/search.json", q["engine"] == "google_images", q["api_key"] == key else { return nil }
      let ijn = Int(q["ijn"] ?? "0") ?? 0
      let results = range(start: ijn * 5 + 1, size: 5).map { n -> [String: Any] in
        [
          "position": n, "title": "T \(n)", "source": "example.com", "link": "https://example.com/page/\(n)",
          "original": img(n),
          "original_width": 32, "original_height": 32, "thumbnail": "\(base)/thumb/\(n).jpg",
        ]
      }
      var body: [String: Any] = ["search_metadata": ["status": "Success"], "images_results": results]
      body["serpapi_pagination"] =
        (ijn + 1) * 5 < total
        ? ["current": ijn, "next": "https://serpapi.com/search.json?engine=google_images&ijn=\(ijn + 1)"]
        : ["current": ijn]
      return json(body)
    case "bing":
      guard request.path == "/v7.0/images/search", request.headers["ocp-apim-subscription-key"] == key else {
        return nil
      }
      let offset = Int(q["offset"] ?? "0") ?? 0
      let count = Int(q["count"] ?? "35") ?? 35
      let values = range(start: offset + 1, size: count).map { n -> [String: Any] in
        [
          "name": "T \(n)", "contentUrl": img(n), "thumbnailUrl": "\(base)/thumb/\(n)",
          "hostPageUrl": "https://example.com/page/\(n)",
          "encodingFormat": "png", "width": 32, "height": 32,
        ]
      }
      return json([
        "_type": "Images", "totalEstimatedMatches": total, "nextOffset": offset + values.count, "value": values,
      ])
    default:
      return nil
    }
  }

  static let endpoints: [String: String] = [
    "openverse": "/v1/images/", "commons": "/w/api.php", "flickr": "/services/rest/", "pexels": "/v1/search",
    "pixabay": "/api/",
    "google": "/customsearch/v1", "serpapi": "/search.json", "bing": "/v7.0/images/search",
  ]

  /// A server playing `provider`: API pages, `/img/n.png` images, robots.txt 404.
  static func server(_ provider: String) throws -> LoopbackServer {
    let baseBox = Box()
    let server = try LoopbackServer { request in
      if let reply = page(provider, request, base: baseBox.value) { return reply }
      if request.path.hasPrefix("/img/"), let n = Int(request.path.dropFirst(5).dropLast(4)) {
        return .respond(
          status: 200, headers: [("Content-Type", "image/png")], body: TestImages.png(width: 32, height: 32, seed: n))
      }
      return .status(404)
    }
    baseBox.value = server.base
    return server
  }

  static func environment() -> [String: String] {
    [
      "FLICKR_API_KEY": key, "PEXELS_API_KEY": key, "PIXABAY_API_KEY": key, "GOOGLE_CSE_KEY": key,
      "GOOGLE_CSE_CX": "engine-1",
      "SERPAPI_KEY": key, "BING_SEARCH_KEY": key,
    ]
  }
}

final class Box: @unchecked Sendable {
  private let lock = NSLock()
  private var stored = ""
  var value: String {
    get { lock.withLock { stored } }
    set { lock.withLock { stored = newValue } }
  }
}

@Suite("Providers against fakes built from each API's documented shapes")
struct ProviderTests {
  static let query = "Gesichtsmaske für Kinder 😷 маска & more"

  @Test(
    "each provider pages until --limit and records exact provenance",
    arguments: ["openverse", "commons", "flickr", "pexels", "pixabay", "google", "serpapi", "bing"])
  func crawlsWithProvenance(provider: String) throws {
    let server = try FakeProvider.server(provider)
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let limit = provider == "google" ? 11 : 7
    var request = testRequest(
      provider, query: Self.query, endpoint: server.base + (FakeProvider.endpoints[provider] ?? "/"), limit: limit)
    request.settings.environment = FakeProvider.environment()
    request.settings.pageSize = 5
    let report = try Crawl.run(request, catalog: workspace.catalog)
    #expect(report.status == .done)
    #expect(report.stored == limit)
    #expect(report.rejected.isEmpty && report.failed.isEmpty && report.skipped.isEmpty)

    let apiCalls = server.requests.filter { FakeProvider.sentQuery(provider, $0) != nil }
    #expect(apiCalls.count == 2)  // two pages of 5 (google: 10) reach the limit
    #expect(apiCalls.allSatisfy { FakeProvider.sentQuery(provider, $0) == Self.query })
    #expect(report.jobRequestsSpent == 2)
    // The images are fetched without any key.
    let imageCalls = server.requests.filter { $0.path.hasPrefix("/img/") }
    #expect(imageCalls.count == limit)
    #expect(
      imageCalls.allSatisfy { !$0.target.contains(FakeProvider.key) && !$0.headers.values.contains(FakeProvider.key) })
    #expect(imageCalls.allSatisfy { ($0.headers["user-agent"] ?? "").hasPrefix("datasetkit/") })

    let rows = try workspace.catalog.database.rows(
      """
      SELECT o.url, o.page_url, o.license, o.license_url, o.creator, o.attribution, o.query, o.rank, o.http_status,
        c.name, i.width, s.kind
      FROM image_origins o JOIN images i ON i.id = o.image_id JOIN sources s ON s.id = o.source_id
      JOIN image_labels l ON l.image_id = i.id JOIN classes c ON c.id = l.class_id ORDER BY o.rank
      """
    ) { row in
      (
        url: row.text(0), page: row.text(1), license: row.text(2), licenseURL: row.text(3), creator: row.text(4),
        attribution: row.text(5), query: row.text(6), rank: row.int(7), status: row.int(8), label: row.text(9),
        width: row.int(10), kind: row.text(11)
      )
    }
    #expect(rows.count == limit)
    for (index, row) in rows.enumerated() {
      let n = index + 1
      let expected = FakeProvider.expected(provider, n)
      #expect(row.url == "\(server.base)/img/\(n).png")
      #expect(row.rank == n)
      #expect(row.page == expected.page)
      #expect(row.license == expected.license)
      #expect(row.licenseURL == expected.licenseURL)
      #expect(row.creator == expected.creator)
      #expect(row.attribution == expected.attribution)
      #expect(row.query == Self.query)
      #expect(row.status == 200)
      #expect(row.label == "with_mask")
      #expect(row.width == 32)
      #expect(row.kind == "crawl")
    }
  }

  @Test("a CSV URL list carries per-row label, landing page, license and creator")
  func urlListCSV() throws {
    let server = try LoopbackServer { request in
      guard request.path.hasPrefix("/img/"), let n = Int(request.path.dropFirst(5).dropLast(4)) else {
        return .status(404)
      }
      return .respond(status: 200, headers: [], body: TestImages.png(width: 40, height: 30, seed: 100 + n))
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let list = workspace.root + "/list.csv"
    let csv = """
      url,label,page_url,license,creator
      \(server.base)/img/1.png,with_mask,https://example.com/1,CC0-1.0,"Doe, Jane"
      \(server.base)/img/2.png,without_mask,,CC-BY-4.0,Someone
      \(server.base)/img/3.png,,https://example.com/3,,

      """
    try csv.write(toFile: list, atomically: true, encoding: .utf8)
    var request = testRequest("urls", query: "list.csv", label: "fallback", endpoint: nil)
    request.settings.listPath = list
    let report = try Crawl.run(request, catalog: workspace.catalog)
    #expect(report.stored == 3)
    #expect(report.status == .exhausted)
    let rows = try workspace.catalog.database.rows(
      """
      SELECT o.rank, c.name, o.page_url, o.license, o.creator FROM image_origins o JOIN image_labels l ON l.image_id = o.image_id
      JOIN classes c ON c.id = l.class_id ORDER BY o.rank
      """
    ) { "\($0.int(0)) \($0.text(1) ?? "-") \($0.text(2) ?? "-") \($0.text(3) ?? "-") \($0.text(4) ?? "-")" }
    #expect(
      rows == [
        "1 with_mask https://example.com/1 CC0-1.0 Doe, Jane", "2 without_mask - CC-BY-4.0 Someone",
        "3 fallback https://example.com/3 - -",
      ])
  }

  @Test("malformed JSON, the wrong shape and an HTTP error give clear errors and store nothing")
  func malformedResponses() throws {
    let server = try LoopbackServer { request in
      switch request.path {
      case "/html/":
        return .respond(
          status: 200, headers: [("Content-Type", "application/json")],
          body: Array("<html><body>Oops</body></html>".utf8))
      case "/shape/": return .json("{\"detail\": \"unexpected\"}")
      case "/truncated/": return .json("{\"results\": [{\"url\": \"http://x/1.jpg\"")
      case "/unauthorized/": return .json("{\"detail\": \"page_size too large\"}", status: 401)
      default: return .status(404)
      }
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let cases: [(String, String)] = [
      ("/html/", "not JSON"), ("/shape/", "no results array"), ("/truncated/", "not JSON"),
      ("/unauthorized/", "HTTP 401"),
    ]
    for (path, phrase) in cases {
      let request = testRequest("openverse", query: "face mask", endpoint: server.base + path)
      #expect(Comment(rawValue: path)) {
        try Crawl.run(request, catalog: workspace.catalog)
      } throws: { error in
        let text = (error as? LocalizedError)?.errorDescription ?? ""
        return text.contains(phrase) && text.contains("openverse")
      }
    }
    #expect(try workspace.count("SELECT count(*) FROM images") == 0)
    #expect(try workspace.count("SELECT count(*) FROM crawl_items") == 0)
    #expect(try workspace.count("SELECT count(*) FROM crawl_jobs WHERE status = 'stopped'") == cases.count)
  }

  @Test("an empty result page ends the crawl cleanly; an empty query is refused")
  func emptyResults() throws {
    let server = try LoopbackServer { _ in
      .json("{\"result_count\": 0, \"page_count\": 0, \"page\": 1, \"results\": []}")
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let report = try Crawl.run(
      testRequest("openverse", query: "zzzz", endpoint: server.base + "/v1/images/"), catalog: workspace.catalog)
    #expect(report.status == .exhausted)
    #expect(report.stored == 0)
    #expect(server.requests.count == 1)
    #expect(throws: CrawlerError.self) {
      try Crawl.run(testRequest("openverse", query: "  ", endpoint: server.base), catalog: workspace.catalog)
    }
    #expect(throws: CrawlerError.missingKey(provider: "pexels", variable: "PEXELS_API_KEY")) {
      try Crawl.run(testRequest("pexels", query: "x", endpoint: server.base), catalog: workspace.catalog)
    }
  }

  @Test("HTML served as image/jpeg, too-small images and 404s never enter the store")
  func validation() throws {
    let server = try LoopbackServer { request in
      switch request.path {
      case "/html.jpg":
        return .respond(
          status: 200, headers: [("Content-Type", "image/jpeg")], body: Array("<!DOCTYPE html><html>login</html>".utf8))
      case "/small.png":
        return .respond(status: 200, headers: [], body: TestImages.png(width: 16, height: 200, seed: 7))
      case "/good.png":
        return .respond(status: 200, headers: [], body: TestImages.png(width: 130, height: 140, seed: 8))
      case "/same.png":
        return .respond(status: 200, headers: [], body: TestImages.png(width: 130, height: 140, seed: 8))
      case "/endless.jpg": return .endlessChunks
      case "/damaged.png":
        var bytes = TestImages.png(width: 140, height: 140, seed: 9)
        for offset in stride(from: 60, to: 400, by: 7) { bytes[offset] ^= 0x5A }  // IDAT data and CRC no longer agree
        return .respond(status: 200, headers: [], body: bytes)
      default: return .status(404)
      }
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let list = workspace.root + "/list.txt"
    try ["html.jpg", "small.png", "good.png", "same.png", "gone.jpg", "endless.jpg", "damaged.png"].map {
      "\(server.base)/\($0)"
    }.joined(separator: "\n")
      .write(toFile: list, atomically: true, encoding: .utf8)
    var request = testRequest("urls", query: "list", endpoint: nil)
    request.settings.listPath = list
    request.minSize = 128
    request.transfer.limits.maxBytes = 1 << 20
    let report = try Crawl.run(request, catalog: workspace.catalog)
    #expect(report.stored == 1)
    #expect(report.duplicates == 1)
    let reasons = Dictionary(
      uniqueKeysWithValues: report.rejected.map { (URL(string: $0.url)?.lastPathComponent ?? "", $0.reason) })
    #expect(reasons["html.jpg"]?.contains("not an image (html)") == true)
    #expect(reasons["small.png"]?.contains("smaller than --min-size 128") == true)
    #expect(reasons["gone.jpg"] == "HTTP 404")
    #expect(reasons["damaged.png"]?.hasPrefix("does not decode") == true, "\(reasons["damaged.png"] ?? "stored")")
    #expect(reasons["endless.jpg"]?.contains("body larger than 1048576 bytes; stopped") == true)
    #expect(
      try workspace.count("SELECT count(*) FROM crawl_items WHERE state = 'rejected' AND error LIKE '%larger than%'")
        == 1)
    #expect(try workspace.count("SELECT count(*) FROM images") == 1)
    #expect(try workspace.count("SELECT count(*) FROM image_origins") == 2)
    let objects =
      FileManager.default.enumerator(atPath: workspace.root + "/objects")?.compactMap { $0 as? String }
      .filter { !$0.contains("tmp") && $0.count > 3 } ?? []
    #expect(objects.count == 1)
  }
}
