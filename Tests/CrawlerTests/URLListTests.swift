import Catalog
import Foundation
import TestSupport
import Testing

@testable import Crawler

/// URL lists as img2dataset takes them: CSV, TSV and JSONL with a URL column and a caption column, read as a
/// stream from a byte-offset cursor.
@Suite("Crawl: URL lists (CSV, TSV, JSONL, captions)")
struct URLListTests {
  func write(_ text: String, _ name: String) throws -> String {
    let folder = try TestSupport.temporaryFolder("dsk-urllist")
    let path = folder + "/" + name
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  /// Every result of a list, page by page through the cursor, as the crawl reads it.
  func all(_ list: URLList) throws -> [CrawlResult] {
    var results: [CrawlResult] = []
    var cursor: String? = list.firstCursor
    var pages = 0
    while let current = cursor {
      guard case .local(let page) = try list.step(query: "q", cursor: current) else { break }
      results += page.results
      cursor = page.next
      pages += 1
      #expect(pages < 10_000)
    }
    return results
  }

  @Test("CSV: quoted fields with commas, doubled quotes and newlines; CRLF; BOM; a caption column by name")
  func quotedCSV() throws {
    let path = try write(
      "\u{FEFF}id,URL,caption\r\n1,http://a.test/1.jpg,\"a cat, sitting\"\r\n2,http://a.test/2.jpg,\"two\nlines \"\"quoted\"\"\"\r\n3,,no url here\r\n4\r\n",
      "list.csv")
    let list = try URLList(path: path, options: URLListOptions(urlColumn: "URL", captionColumn: "caption"))
    let results = try all(list)
    #expect(results.map(\.url) == ["http://a.test/1.jpg", "http://a.test/2.jpg"])
    #expect(results.map(\.caption) == ["a cat, sitting", "two\nlines \"quoted\""])
    #expect(list.count == 2)
    // The row without a URL and the row without the column are skipped, with their lines.
    #expect(list.skippedCount == 2)
    #expect(list.skippedRows == ["line 5: the URL field is empty", "line 6: 1 fields, no URL column"])
  }

  @Test("TSV and JSONL: url_col and caption_col as img2dataset names them; pages of 500 through the cursor")
  func pagesThroughTheCursor() throws {
    var tsv = "url\tcaption\n"
    var jsonl = ""
    for n in 0..<1_234 {
      tsv += "http://b.test/\(n).jpg\tcaption \(n)\n"
      jsonl += "{\"link\": \"http://b.test/\(n).jpg\", \"text\": \"caption \(n)\", \"n\": \(n)}\n"
    }
    jsonl += "not json\n"
    for (path, options) in [
      (try write(tsv, "list.tsv"), URLListOptions(captionColumn: "caption")),
      (try write(jsonl, "list.jsonl"), URLListOptions(urlColumn: "link", captionColumn: "text")),
    ] {
      let list = try URLList(path: path, options: options)
      #expect(list.count == 1_234)
      let results = try all(list)
      #expect(results.count == 1_234)
      #expect(results.map(\.url) == (0..<1_234).map { "http://b.test/\($0).jpg" })
      #expect(results.map(\.caption) == (0..<1_234).map { "caption \($0)" })
    }
    // A job saved by an older version has a row index as cursor: rows are skipped to.
    let list = try URLList(path: try write(tsv, "old.tsv"), options: URLListOptions(captionColumn: "caption"))
    guard case .local(let page) = try list.step(query: "q", cursor: "1000") else {
      Issue.record("no page at row 1000")
      return
    }
    #expect(page.results.first?.url == "http://b.test/1000.jpg")
    #expect(page.results.count == 234)
  }

  @Test("a column that does not exist, and an unclosed quote: errors naming the columns present and the line")
  func badColumns() throws {
    let path = try write("url,caption\nhttp://c.test/1.jpg,x\n", "list.csv")
    #expect {
      try URLList(path: path, options: URLListOptions(captionColumn: "text"))
    } throws: { error in
      let message = (error as? LocalizedError)?.errorDescription ?? ""
      return message.contains("no column \"text\"") && message.contains("\"url\", \"caption\"")
    }
    let open = try write("url,caption\nhttp://c.test/1.jpg,\"never closed\nhttp://c.test/2.jpg,y\n", "open.csv")
    #expect {
      try URLList(path: open, options: URLListOptions(captionColumn: "caption"))
    } throws: { error in
      ((error as? LocalizedError)?.errorDescription ?? "").contains("line 2: a quote opened here is never closed")
    }
  }

  @Test(
    "TSV and JSONL lists with captions crawl from a loopback server; the captions end in the manifest and data.csv",
    .requiresBinary)
  func captionsReachTheExport() throws {
    let server = try LoopbackServer { request in
      guard request.path.hasPrefix("/img/"), let n = Int(request.path.dropFirst(5).dropLast(4)) else {
        return .status(404)
      }
      return .respond(
        status: 200, headers: [("Content-Type", "image/png")], body: TestImages.png(width: 32, height: 24, seed: n))
    }
    defer { server.stop() }
    let workspace = try TempWorkspace()
    let folder = try TestSupport.temporaryFolder("dsk-urllist-e2e")
    let tsv = folder + "/cc.tsv"
    try "url\tcaption\n\(server.base)/img/1.png\ta dog on a \"red\" sofa\n\(server.base)/img/2.png\tcaf\u{E9} au lait\n"
      .write(toFile: tsv, atomically: true, encoding: .utf8)
    let jsonl = folder + "/cc.jsonl"
    try
      "{\"image\": \"\(server.base)/img/3.png\", \"alt\": \"three, with a comma\"}\n{\"image\": \"\(server.base)/img/4.png\", \"alt\": null}\n"
      .write(toFile: jsonl, atomically: true, encoding: .utf8)
    let tsvRun = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--provider", "urls", "--urls", tsv, "--caption-col", "caption",
      "--allow-private-network", "--label", "pets",
    ])
    #expect(tsvRun.status == 0, "\(tsvRun.stderr)")
    let jsonlRun = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--provider", "urls", "--urls", jsonl, "--url-col", "image",
      "--caption-col", "alt", "--allow-private-network", "--label", "pets",
    ])
    #expect(jsonlRun.status == 0, "\(jsonlRun.stderr)")
    let out = folder + "/export"
    let export = try runDatasetkit(["export", "--workspace", workspace.root, "--format", "csv", "--out", out])
    #expect(export.status == 0, "\(export.stderr)")
    let csv = try String(contentsOfFile: out + "/data.csv", encoding: .utf8)
    #expect(csv.hasPrefix("path,label,subset,sha256,source,license,url,caption\n"))
    #expect(csv.contains("/img/1.png,\"a dog on a \"\"red\"\" sofa\"\n"), "\(csv)")
    #expect(csv.contains("/img/2.png,caf\u{E9} au lait\n"), "\(csv)")
    #expect(csv.contains("/img/3.png,\"three, with a comma\"\n"), "\(csv)")
    #expect(csv.contains("/img/4.png,\n"), "\(csv)")
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        as? [String: Any])
    let files = try #require(manifest["files"] as? [[String: Any]])
    let captions = files.flatMap { ($0["origins"] as? [[String: Any]] ?? []).compactMap { $0["caption"] as? String } }
    #expect(Set(captions) == ["a dog on a \"red\" sofa", "caf\u{E9} au lait", "three, with a comma"])
  }

  @Test("--caption-col naming a column the list lacks: exit 64 naming the columns present", .requiresBinary)
  func missingColumnIsAUsageError() throws {
    let workspace = try TempWorkspace()
    let path = try write("url\ttext\thash\nhttp://127.0.0.1:9/a.png\thi\t1\n", "list.tsv")
    let result = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--provider", "urls", "--urls", path, "--caption-col", "caption",
    ])
    #expect(result.status == 64, "\(result.stderr)")
    #expect(result.stderr.contains("--caption-col caption"), "\(result.stderr)")
    #expect(result.stderr.contains("\"url\", \"text\", \"hash\""), "\(result.stderr)")
    let format = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--provider", "urls", "--urls", path, "--input-format", "parquet",
    ])
    #expect(format.status == 64, "\(format.stderr)")
    #expect(format.stderr.contains("parquet is not read"), "\(format.stderr)")
    #expect(try workspace.count("SELECT count(*) FROM crawl_jobs") == 0)
  }
}
