import Catalog
import Foundation
import TestSupport
import Testing

@testable import Crawler

/// The built binary, `<repo>/.build/debug/datasetkit` (the Makefile builds it before testing).
let datasetkitBinary: String = TestSupport.binary

struct CommandResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

@discardableResult
func runDatasetkit(_ arguments: [String], environment: [String: String] = [:]) throws -> CommandResult {
  let result = try TestSupport.run(arguments, environment: environment)
  return CommandResult(status: result.status, stdout: result.stdout, stderr: result.stderr)
}

/// A fake Openverse with `total` results whose images answer after `delay` seconds.
func slowOpenverse(total: Int, delay: Double) throws -> LoopbackServer {
  let base = Box()
  let server = try LoopbackServer { request in
    let q = request.query
    if request.path == "/v1/images/" {
      let page = Int(q["page"] ?? "1") ?? 1
      let size = Int(q["page_size"] ?? "20") ?? 20
      let first = (page - 1) * size + 1
      let numbers = first > total ? [] : Array(first...min(total, first + size - 1))
      let results = numbers.map { n in
        "{\"url\": \"\(base.value)/img/\(n).png\", \"license\": \"cc0\", \"license_version\": \"1.0\", \"creator\": \"C\(n)\", \"foreign_landing_url\": \"https://example.org/\(n)\"}"
      }
      return .json(
        "{\"result_count\": \(total), \"page_count\": \((total + size - 1) / size), \"page\": \(page), \"results\": [\(results.joined(separator: ","))]}"
      )
    }
    if request.path.hasPrefix("/img/"), let n = Int(request.path.dropFirst(5).dropLast(4)) {
      usleep(useconds_t(delay * 1_000_000))
      return .respond(
        status: 200, headers: [("Content-Type", "image/png")],
        body: TestImages.png(width: 24, height: 24, seed: 500 + n))
    }
    return .status(404)
  }
  base.value = server.base
  return server
}

/// The catalog facts a crawl produces, for comparing two runs.
func catalogFacts(_ root: String) throws -> [String] {
  let catalog = try Catalog(workspace: Workspace(root: root))
  let origins = try catalog.database.rows(
    """
    SELECT i.sha256, o.url, o.rank, o.query, o.license, o.creator, o.page_url, o.http_status, c.name
    FROM image_origins o JOIN images i ON i.id = o.image_id JOIN image_labels l ON l.image_id = i.id
    JOIN classes c ON c.id = l.class_id ORDER BY o.rank
    """
  ) { row in (0..<9).map { row.isNull(Int32($0)) ? "-" : (row.text(Int32($0)) ?? "") }.joined(separator: "|") }
  let items = try catalog.database.rows("SELECT rank, url, state, error FROM crawl_items ORDER BY rank") { row in
    "\(row.int(0))|\(row.text(1) ?? "")|\(row.text(2) ?? "")|\(row.text(3) ?? "-")"
  }
  let counts = try ["images", "image_origins", "image_labels", "sources", "crawl_jobs"].map { table in
    "\(table)=\(try catalog.database.scalarInt("SELECT count(*) FROM \(table)") ?? -1)"
  }
  return origins + items + counts
}

@Suite(
  "Resume, budgets and the CLI", .serialized,
  .requiresBinary)
struct ResumeTests {
  func crawlArguments(_ root: String, _ server: LoopbackServer) -> [String] {
    [
      "crawl", "--workspace", root, "--provider", "openverse", "--query", "face mask", "--label", "with_mask",
      "--limit", "60",
      "--concurrency", "2", "--per-host-connections", "2", "--per-host-rate", "0", "--endpoint",
      server.base + "/v1/images/",
      "--allow-private-network",
    ]
  }

  @Test(
    "kill -9 mid-crawl, then re-run: no stored image or saved page fetched again; same catalog as an uninterrupted run")
  func killAndResume() throws {
    let server = try slowOpenverse(total: 60, delay: 0.1)
    defer { server.stop() }
    let interrupted = try TempWorkspace()
    let process = Process()
    process.executableURL = URL(fileURLWithPath: datasetkitBinary)
    process.arguments = crawlArguments(interrupted.root, server) + ["--quiet"]
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait until some images are committed, then kill -9.
    let reader = try Database(path: interrupted.root + "/datasetkit.sqlite")
    var storedBefore: [String] = []
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      usleep(50_000)
      let stored = (try? reader.rows("SELECT url FROM crawl_items WHERE state = 'stored'") { $0.text(0) ?? "" }) ?? []
      if stored.count >= 5 { break }
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    storedBefore = try reader.rows("SELECT url FROM crawl_items WHERE state = 'stored'") { $0.text(0) ?? "" }
    #expect(storedBefore.count >= 5)
    #expect(storedBefore.count < 60, "the crawl finished before it could be killed; slow the fake server down")
    let pagesBefore = server.hits("/v1/images/")

    let resumed = try runDatasetkit(crawlArguments(interrupted.root, server) + ["--json"])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    #expect(resumed.stdout.contains("\"resumed\" : true"))
    #expect(resumed.stdout.contains("\"status\" : \"done\""))
    for url in storedBefore {
      #expect(server.hits(URL(string: url)?.path ?? "") == 1, "\(url) was downloaded again")
    }
    #expect(server.hits("/v1/images/") == pagesBefore, "a saved page was fetched again")
    #expect(pagesBefore == 3)
    let spent = try reader.scalarInt("SELECT requests_spent FROM crawl_jobs") ?? -1
    #expect(spent == 3)

    let clean = try TempWorkspace()
    let straight = try runDatasetkit(crawlArguments(clean.root, server) + ["--quiet"])
    #expect(straight.status == 0, "\(straight.stderr)")
    let a = try catalogFacts(interrupted.root)
    let b = try catalogFacts(clean.root)
    #expect(a == b)
    #expect(a.contains("images=60"))
    let integrity = try interrupted.catalog.integrityCheck()
    #expect(integrity == ["ok"])
  }

  @Test("request budgets persist across runs: a spent budget sends no request and says when to resume")
  func budgets() throws {
    let server = try slowOpenverse(total: 100, delay: 0)
    defer { server.stop() }
    let workspace = try TempWorkspace()
    var request = testRequest("openverse", query: "face mask", endpoint: server.base + "/v1/images/", limit: 100)
    request.budget = RequestBudget(limit: 2, windowSeconds: 3600)
    let first = try Crawl.run(request, catalog: workspace.catalog)
    #expect(first.status == .budget)
    #expect(first.stored == 40)
    #expect(first.note?.contains("request budget of 2 per 3600 s is spent") == true)
    let second = try Crawl.run(request, catalog: workspace.catalog)
    #expect(second.status == .budget)
    #expect(second.stored == 0)
    #expect(server.hits("/v1/images/") == 2)
    #expect(try workspace.count("SELECT count(*) FROM crawl_requests WHERE provider = 'openverse'") == 2)
    // The CLI reads the same ledger.
    let cli = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--query", "face mask", "--label", "with_mask", "--endpoint",
      server.base + "/v1/images/",
      "--budget", "2/hour", "--allow-private-network",
    ])
    #expect(cli.status == 0)
    #expect(cli.stdout.contains("budget"))
    #expect(server.hits("/v1/images/") == 2)
    let status = try runDatasetkit(["crawl", "status", "--workspace", workspace.root, "--json"])
    #expect(status.status == 0)
    let json = try JSONSerialization.jsonObject(with: Data(status.stdout.utf8)) as? [String: Any]
    let jobs = json?["result"] as? [[String: Any]]
    #expect(jobs?.count == 1)
    #expect((jobs?.first?["states"] as? [String: Int])?["stored"] == 40)
    #expect(jobs?.first?["requestsSpent"] as? Int == 2)
  }

  @Test("CLI: an API key never reaches stdout or stderr; usage errors exit 64; a plan runs queries × labels")
  func cli() throws {
    let key = "PEXELS-SECRET-998877"
    let api = try LoopbackServer { _ in .json("{\"error\": \"bad key \(key)\"}", status: 403) }
    defer { api.stop() }
    let workspace = try TempWorkspace()
    for extra in [[], ["--json"], ["--verbose"]] {
      let result = try runDatasetkit(
        [
          "crawl", "--workspace", workspace.root, "--provider", "pexels", "--query", "face mask", "--endpoint",
          api.base + "/v1/search",
          "--allow-private-network",
        ] + extra, environment: ["PEXELS_API_KEY": key])
      #expect(result.status == 1)
      #expect(result.stderr.contains("HTTP 403"))
      #expect(!result.stdout.contains(key) && !result.stderr.contains(key))
    }
    #expect(api.requests.allSatisfy { $0.headers["authorization"] == key })
    let missingKey = try runDatasetkit(
      ["crawl", "--workspace", workspace.root, "--provider", "pexels", "--query", "x"],
      environment: ["PEXELS_API_KEY": ""])
    #expect(missingKey.status == 1)
    #expect(missingKey.stderr.contains("PEXELS_API_KEY"))
    let usage = try runDatasetkit(["crawl", "--workspace", workspace.root, "--query", "x", "--limit", "0"])
    #expect(usage.status == 64)
    let help = try runDatasetkit(["crawl", "run", "--help"])
    for variable in [
      "FLICKR_API_KEY", "PEXELS_API_KEY", "PIXABAY_API_KEY", "GOOGLE_CSE_KEY", "GOOGLE_CSE_CX", "SERPAPI_KEY",
      "BING_SEARCH_KEY",
    ] {
      #expect(help.stdout.contains(variable))
    }

    let server = try slowOpenverse(total: 6, delay: 0)
    defer { server.stop() }
    let plan = workspace.root + "/plan.json"
    try """
    {"provider": "openverse", "limit": 3, "endpoint": "\(server.base)/v1/images/",
     "labels": {"with_mask": ["face mask", "surgical mask"], "without_mask": ["face"]}}
    """.write(toFile: plan, atomically: true, encoding: .utf8)
    let planned = try runDatasetkit([
      "crawl", "--workspace", workspace.root, "--plan", plan, "--allow-private-network", "--json",
    ])
    #expect(planned.status == 0, "\(planned.stderr)")
    let jobs = try runDatasetkit(["crawl", "status", "--workspace", workspace.root])
    #expect(jobs.stdout.contains("surgical mask"))
    #expect(jobs.stdout.contains("without_mask"))
    // The same fake answers every query with the same images: 3 new, then the same bytes again.
    #expect(try workspace.count("SELECT count(*) FROM images") == 3)
    #expect(try workspace.count("SELECT count(*) FROM image_origins") == 9)
    #expect(try workspace.count("SELECT count(DISTINCT query) FROM image_origins") == 3)
  }
}
