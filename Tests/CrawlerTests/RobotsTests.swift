import Foundation
import TestSupport
import Testing

@testable import Crawler

/// robots.txt 404 (allowed) / 503 (skipped) / disallow and `X-Robots-Tag: noai`.
@Suite("robots.txt and X-Robots-Tag")
struct RobotsTests {
  static func image(_ seed: Int, headers: [(String, String)] = []) -> LoopbackServer.Reply {
    .respond(
      status: 200, headers: [("Content-Type", "image/png")] + headers,
      body: TestImages.png(width: 20, height: 20, seed: seed))
  }

  @Test("robots.txt 404 → allowed, 503 → host skipped, Disallow → path skipped, noai → excluded")
  func honoured() throws {
    let missing = try LoopbackServer { request in request.path == "/robots.txt" ? .status(404) : Self.image(1) }
    let failing = try LoopbackServer { request in request.path == "/robots.txt" ? .status(503) : Self.image(2) }
    let disallowing = try LoopbackServer { request in
      if request.path == "/robots.txt" {
        return .respond(
          status: 200, headers: [("Content-Type", "text/plain")],
          body: Array(
            "User-agent: *\nDisallow: /private/\nAllow: /private/ok*.png$\n\nUser-agent: OtherBot\nDisallow: /\n".utf8))
      }
      return Self.image(100 + request.path.count)
    }
    let tagging = try LoopbackServer { request in
      switch request.path {
      case "/noai.png": return Self.image(10, headers: [("X-Robots-Tag", "noai")])
      case "/noimageai.png": return Self.image(11, headers: [("X-Robots-Tag", "noindex, noimageai")])
      case "/other-agent.png": return Self.image(12, headers: [("X-Robots-Tag", "otherbot: noai")])
      case "/plain.png": return Self.image(13, headers: [("X-Robots-Tag", "noindex")])
      default: return .status(404)
      }
    }
    defer { for server in [missing, failing, disallowing, tagging] { server.stop() } }

    let workspace = try TempWorkspace()
    let urls = [
      "\(missing.base)/a.png", "\(failing.base)/b.png", "\(disallowing.base)/private/c.png",
      "\(disallowing.base)/private/ok1.png",
      "\(disallowing.base)/public/d.png", "\(tagging.base)/noai.png", "\(tagging.base)/noimageai.png",
      "\(tagging.base)/other-agent.png", "\(tagging.base)/plain.png",
    ]
    let list = workspace.root + "/list.txt"
    try urls.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
    var request = testRequest("urls", query: "robots", endpoint: nil)
    request.settings.listPath = list
    let report = try Crawl.run(request, catalog: workspace.catalog)

    let stored = try workspace.catalog.database.rows("SELECT url FROM image_origins ORDER BY rank") { $0.text(0) ?? "" }
    #expect(
      stored == [
        "\(missing.base)/a.png", "\(disallowing.base)/private/ok1.png", "\(disallowing.base)/public/d.png",
        "\(tagging.base)/other-agent.png", "\(tagging.base)/plain.png",
      ])
    let skipped = Set(report.skipped.map(\.url))
    #expect(
      skipped == [
        "\(failing.base)/b.png", "\(disallowing.base)/private/c.png", "\(tagging.base)/noai.png",
        "\(tagging.base)/noimageai.png",
      ])
    #expect(failing.hits("/b.png") == 0)  // robots.txt unreachable: the host is not fetched
    #expect(disallowing.hits("/private/c.png") == 0)
    #expect(try workspace.count("SELECT count(*) FROM crawl_items WHERE state = 'skipped'") == 4)
    #expect(try workspace.count("SELECT count(*) FROM images") == 5)
    #expect(missing.hits("/robots.txt") == 1)
  }

  @Test("the parser picks our group, the longest match, and wildcards")
  func parser() {
    let text = """
      # comment
      User-agent: *
      Disallow: /

      User-agent: datasetkit
      User-agent: otherbot
      Disallow: /photos/
      Allow: /photos/public/
      Disallow: /*.gif$
      """
    let rules = RobotsRules(parsing: text, agent: "datasetkit")
    #expect(rules.allows("/index.html"))
    #expect(!rules.allows("/photos/x.jpg"))
    #expect(rules.allows("/photos/public/x.jpg"))
    #expect(!rules.allows("/a/b.gif"))
    #expect(rules.allows("/a/b.gif?x=1"))
    let others = RobotsRules(parsing: text, agent: "somebot")
    #expect(!others.allows("/index.html"))
    #expect(RobotsRules(parsing: "User-agent: *\nDisallow:\n", agent: "datasetkit").allows("/x"))
    #expect(robotsTagForbidsAI("noai", agent: "datasetkit"))
    #expect(robotsTagForbidsAI("noindex, noimageai", agent: "datasetkit"))
    #expect(robotsTagForbidsAI("datasetkit: noai", agent: "datasetkit"))
    #expect(!robotsTagForbidsAI("googlebot: noai", agent: "datasetkit"))
    #expect(!robotsTagForbidsAI("noindex, nofollow", agent: "datasetkit"))
  }
}
