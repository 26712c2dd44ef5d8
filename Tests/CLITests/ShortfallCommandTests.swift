import Foundation
import TestSupport
import Testing

/// Issue 22, reproducer 7 and part of 8: a shortfall is never silent. Unmet merge quotas are reported (text,
/// JSON, `--strict` fails); a URL list is crawled whole, and a crawl stopped at its limit says so; private
/// addresses are refused at once and summarised; progress lines only on a terminal or with `--progress`;
/// generic source names (archive, dataset, data, images) take a meaningful folder's name.
@Suite(.requiresBinary)
struct ShortfallCommandTests {
  func workspace(_ name: String) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    return (base, ws)
  }

  /// A loopback server answering `/img-N.jpg` with the N-th of `images`, anything else 404.
  func imageServer(_ images: [[UInt8]]) throws -> LoopbackServer {
    try LoopbackServer { request in
      let name = request.path.dropFirst()
      guard name.hasPrefix("img-"), name.hasSuffix(".jpg"), let index = Int(name.dropFirst(4).dropLast(4)),
        images.indices.contains(index)
      else { return .status(404) }
      return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: images[index])
    }
  }

  func writeList(_ urls: [String], to path: String) throws {
    try TestSupport.write(Array((urls.joined(separator: "\n") + "\n").utf8), to: path)
  }

  @Test("merge: a per-class quota the sources cannot fill is reported in text and JSON; --strict exits 1 first")
  func quotaShortfall() throws {
    let (base, ws) = try workspace("dsk-shortfall-quota")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 5, width: 64)
    for index in 0..<3 { try TestSupport.write(jpegs[index], to: base + "/set/with_mask/\(index).jpg") }
    for index in 3..<5 { try TestSupport.write(jpegs[index], to: base + "/set/without_mask/\(index).jpg") }
    let recipe = """
      name: quotas
      sources:
        - {name: set, path: set}
      views:
        - {name: two, classes: [with_mask, without_mask]}
      quotas:
        per_class: {with_mask: 5, without_mask: 1}

      """
    try TestSupport.write(Array(recipe.utf8), to: base + "/recipe.yaml")

    // --strict refuses before any view is written (the source is imported).
    let strict = try TestSupport.run(["merge", base + "/recipe.yaml", "--strict"], in: ws)
    #expect(strict.status == 1, "\(strict.stdout)\n\(strict.stderr)")
    #expect(
      strict.stderr.contains("--strict: quotas not met: view two: class with_mask asked 5, got 3"), "\(strict.stderr)")
    #expect(strict.stderr.contains("no view was written"))
    let stats = try TestSupport.run(["stats", "--view", "two"], in: ws)
    #expect(stats.status != 0, "the view was written: \(stats.stdout)")

    let text = try TestSupport.run(["merge", base + "/recipe.yaml"], in: ws)
    #expect(text.status == 0, "\(text.stderr)")
    #expect(text.stdout.contains("View two: 4 images"), "\(text.stdout)")
    #expect(text.stdout.contains("Quota not met: class with_mask asked 5, got 3 (short by 2)"), "\(text.stdout)")
    #expect(!text.stdout.contains("class without_mask asked"))
    #expect(text.stderr.contains("warning: 1 quota not met (first: view two: class with_mask asked 5, got 3"))

    let json = try TestSupport.run(["merge", base + "/recipe.yaml", "--json"], in: ws)
    #expect(json.status == 0)
    let views = try #require((try TestSupport.jsonResult(json.stdout) as? [String: Any])?["views"] as? [[String: Any]])
    let shortfalls = try #require(views.first?["shortfalls"] as? [[String: Any]])
    #expect(shortfalls.count == 1)
    #expect(shortfalls.first?["quota"] as? String == "per_class")
    #expect(shortfalls.first?["name"] as? String == "with_mask")
    #expect(shortfalls.first?["asked"] as? Int == 5)
    #expect(shortfalls.first?["got"] as? Int == 3)
    #expect(shortfalls.first?["shortBy"] as? Int == 2)

    // A per-source quota: 5 images of the source in the view, 8 asked.
    let bySource = """
      name: per-source
      sources:
        - {name: set, path: set}
      views:
        - {name: src, classes: [with_mask, without_mask]}
      quotas:
        per_source: {set: 8}

      """
    try TestSupport.write(Array(bySource.utf8), to: base + "/per-source.yaml")
    let source = try TestSupport.run(["merge", base + "/per-source.yaml"], in: ws)
    #expect(source.status == 0, "\(source.stderr)")
    #expect(source.stdout.contains("Quota not met: source set asked 8, got 5 (short by 3)"), "\(source.stdout)")
  }

  @Test("crawl: a URL list of 120 is fetched whole without --limit; --limit 50 says it stopped with 70 pending")
  func urlListHasNoDefaultLimit() throws {
    let (base, ws) = try workspace("dsk-shortfall-urls")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let images = try TestSupport.distinctJPEGs(count: 120, width: 48)
    #expect(Set(images).count == 120)
    let server = try imageServer(images)
    defer { server.stop() }
    let list = base + "/urls.txt"
    try writeList((0..<120).map { "\(server.base)/img-\($0).jpg" }, to: list)
    let whole = try TestSupport.run(
      [
        "crawl", "--provider", "urls", "--urls", list, "--query", "whole", "--allow-private-network",
        "--per-host-rate", "0", "--json",
      ], in: ws)
    #expect(whole.status == 0, "\(whole.stderr)")
    let report = try #require((try TestSupport.jsonResult(whole.stdout) as? [[String: Any]])?.first)
    #expect(report["stored"] as? Int == 120, "\(report["status"] ?? "")")
    #expect(report["limit"] as? Int == 120)
    #expect(report["pendingAtLimit"] as? Int == 0)
    let text = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "whole", "--allow-private-network"], in: ws)
    #expect(text.stdout.contains("job 1 (resumed), done"), "\(text.stdout)")
    #expect(!text.stdout.contains("stopped at --limit"))

    let limited = try TestSupport.run(
      [
        "crawl", "--provider", "urls", "--urls", list, "--query", "limited", "--limit", "50",
        "--allow-private-network", "--per-host-rate", "0",
      ], in: ws)
    #expect(limited.status == 0, "\(limited.stderr)")
    #expect(limited.stdout.contains("stopped at --limit 50; 70 pending"), "\(limited.stdout)")
    #expect(!limited.stdout.contains("no more pages"))
    let status = try TestSupport.run(["crawl", "status"], in: ws)
    #expect(status.stdout.contains("done (stopped at its limit; 70 pending)"), "\(status.stdout)")
  }

  @Test("crawl: 853 private-address URLs are refused at once (no rate-limit wait) and summarised in one line")
  func privateRefusalsAreImmediate() throws {
    let (base, ws) = try workspace("dsk-shortfall-private")
    defer { try? FileManager.default.removeItem(atPath: base) }
    // Mostly one host, as an intranet link list is: at the default 10 requests/s per host, waiting on the
    // rate limiter would take over a minute.
    var urls = (0..<700).map { "http://127.0.0.1:9/img-\($0).jpg" }
    urls += (0..<100).map { "http://10.0.0.1/photo-\($0).jpg" }
    urls += (0..<50).map { "http://localhost:9/pic-\($0).jpg" }  // a name: refused on connecting, then at once
    urls += ["http://2130706433/a.jpg", "http://0x7f.1/b.jpg", "http://[::1]/c.jpg"]
    #expect(urls.count == 853)
    let list = base + "/intranet.txt"
    try writeList(urls, to: list)
    let started = Date()
    let run = try TestSupport.run(["crawl", "--provider", "urls", "--urls", list, "--query", "intranet"], in: ws)
    let seconds = Date().timeIntervalSince(started)
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")  // every item failed
    #expect(seconds < 10, "853 refusals took \(seconds) s")
    #expect(
      run.stdout.contains(
        "853 URLs refused: private addresses (first: http://127.0.0.1:9/img-0.jpg); pass --allow-private-network"),
      "\(run.stdout)")
    #expect(run.stdout.components(separatedBy: "refused to connect").count == 1, "one line per URL: \(run.stdout)")

    let json = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "intranet json", "--json"], in: ws)
    let report = try #require((try TestSupport.jsonResult(json.stdout) as? [[String: Any]])?.first)
    let refusals = try #require(report["privateAddressRefusals"] as? [String: Any])
    #expect(refusals["count"] as? Int == 853)
    #expect((report["failed"] as? [Any])?.count == 853)
  }

  @Test("progress lines: none when stderr is not a terminal; with --progress they are there")
  func progressOnlyOnATerminal() throws {
    let (base, ws) = try workspace("dsk-shortfall-progress")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let images = try TestSupport.distinctJPEGs(count: 8, width: 48)
    let server = try imageServer(images)
    defer { server.stop() }
    let list = base + "/urls.txt"
    try writeList((0..<8).map { "\(server.base)/img-\($0).jpg" }, to: list)
    // One request a second to the host: the crawl takes over 5 s, when a log used to get its first line.
    let quiet = try TestSupport.run(
      [
        "crawl", "--provider", "urls", "--urls", list, "--query", "slow", "--allow-private-network",
        "--per-host-rate", "1",
      ], in: ws)
    #expect(quiet.status == 0, "\(quiet.stderr)")
    #expect(quiet.stdout.contains("images stored"))
    #expect(!quiet.stderr.contains("urls \"slow\": pages"), "progress on a pipe: \(quiet.stderr)")

    let shown = try TestSupport.run(
      [
        "crawl", "--provider", "urls", "--urls", list, "--query", "shown", "--allow-private-network",
        "--per-host-rate", "0", "--progress",
      ], in: ws)
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.stderr.contains("urls \"shown\": pages"), "\(shown.stderr)")
    #expect(!shown.stderr.contains("\u{1B}["), "a pipe gets plain lines")
    let refused = try TestSupport.run(["stats", "--progress", "--quiet"], in: ws)
    #expect(refused.status == 64)
  }

  @Test("a source named archive, dataset, data or images takes its folder's name; collisions get -2")
  func genericSourceNames() throws {
    let (base, ws) = try workspace("dsk-shortfall-names")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 4, width: 48)
    try TestSupport.write(jpegs[0], to: base + "/face-mask-12k/archive/with_mask/a.jpg")
    try TestSupport.write(jpegs[1], to: base + "/kaggle-masks/dataset/data/without_mask/b.jpg")
    try TestSupport.write(jpegs[2], to: base + "/zips/mask-zip/src/with_mask/c.jpg")
    try TestSupport.write(jpegs[3], to: base + "/other/face-mask-12k/images/with_mask/d.jpg")
    try MergeCommandTests.zip(base + "/zips/mask-zip/src")
    try FileManager.default.moveItem(
      atPath: base + "/zips/mask-zip/src.zip", toPath: base + "/zips/mask-zip/archive (2).zip")
    func sourceName(_ path: String) throws -> String? {
      let run = try TestSupport.run(["import", path, "--json"], in: ws)
      #expect(run.status == 0, "\(run.stderr)")
      let result = (try TestSupport.jsonResult(run.stdout) as? [[String: Any]])?.first
      return (result?["report"] as? [String: Any])?["sourceName"] as? String
    }
    #expect(try sourceName(base + "/face-mask-12k/archive") == "face-mask-12k")
    #expect(try sourceName(base + "/kaggle-masks/dataset/data") == "kaggle-masks")
    #expect(try sourceName(base + "/zips/mask-zip/archive (2).zip") == "mask-zip")
    #expect(try sourceName(base + "/other/face-mask-12k/images") == "face-mask-12k-2")
  }
}
