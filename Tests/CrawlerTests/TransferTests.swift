import Foundation
import TestSupport
import Testing

@testable import Crawler

/// Hostile servers (endless bodies, drips, redirect chains, private targets, Retry-After, key leaks), against
/// servers on 127.0.0.1.
@Suite("Transfers against hostile servers")
struct TransferTests {
  @Test("17: an endless chunked body stops at the byte cap counted in the write callback")
  func endlessBody() throws {
    let server = try LoopbackServer { _ in .endlessChunks }
    defer { server.stop() }
    var configuration = testTransfer()
    configuration.limits.maxBytes = 1 << 20
    let result = try fetch(server.base + "/endless.jpg", configuration)
    guard case .failure(.tooLarge(_, let limit)) = result else {
      Issue.record("expected tooLarge, got \(result)")
      return
    }
    #expect(limit == 1 << 20)
    #expect(server.hits("/endless.jpg") == 1)  // a size stop is not retried
  }

  @Test("18: a 1-byte drip and an accept-and-hang peer hit the low-speed timeout; a dead port fails to connect")
  func slowPeers() throws {
    let drip = try LoopbackServer { _ in .drip(interval: 10) }
    let hang = try LoopbackServer { _ in .hang }
    defer {
      drip.stop()
      hang.stop()
    }
    let deadPort = try LoopbackServer { _ in .close }
    let dead = deadPort.base
    deadPort.stop()
    let results = try fetchAll([
      HTTPRequest(url: drip.base + "/a.jpg"), HTTPRequest(url: hang.base + "/b.jpg"), HTTPRequest(url: dead + "/c.jpg"),
    ])
    for (index, expected) in [(0, 28), (1, 28), (2, 7)] {
      guard case .failure(.transfer(_, let code, let message)) = results[index] else {
        Issue.record("request \(index): expected a transfer failure, got \(results[index])")
        continue
      }
      #expect(Int(code) == expected, "\(message)")
    }
  }

  @Test("19: redirect chains stop after 5 hops; loops and file:// or ftp:// targets are refused")
  func redirects() throws {
    let server = try LoopbackServer { request in
      let path = request.path
      if path.hasPrefix("/hop/") {
        let n = Int(path.dropFirst(5)) ?? 0
        return n >= 20 ? .json("{}") : .redirect("/hop/\(n + 1)")
      }
      if path == "/loop" { return .redirect("/loop") }
      if path == "/file" { return .redirect("file:///etc/passwd") }
      if path == "/ftp" { return .redirect("ftp://127.0.0.1/x") }
      if path == "/three" { return .redirect("/hop/17") }
      return .status(404)
    }
    defer { server.stop() }
    let results = try fetchAll(
      ["/hop/0", "/loop", "/file", "/ftp", "/three"].map { HTTPRequest(url: server.base + $0) })
    for index in 0..<4 {
      guard case .failure(.transfer(_, let code, _)) = results[index] else {
        Issue.record("request \(index): expected a failure, got \(results[index])")
        continue
      }
      // 47: too many redirects; 1: unsupported protocol
      #expect(index < 2 ? code == 47 : code == 1)
    }
    #expect(server.requests.filter { $0.path.hasPrefix("/hop/") }.count <= 6 + 4)  // chain ≤ 6, /three 4
    let three = try results[4].get()
    #expect(three.status == 200)
    #expect(three.redirects == 4)
  }

  @Test("20: private targets are refused by default and the server sees zero hits; the flag allows them")
  func privateAddresses() throws {
    let server = try LoopbackServer { _ in
      .respond(status: 200, headers: [], body: TestImages.png(width: 4, height: 4, seed: 1))
    }
    defer { server.stop() }
    let port = server.port
    let urls = [
      "http://127.0.0.1:\(port)/a", "http://2130706433:\(port)/b", "http://0x7f.1:\(port)/c",
      "http://[::ffff:7f00:1]:\(port)/d", "http://[::1]:\(port)/e", "http://localhost:\(port)/f",
      "http://10.1.2.3:\(port)/g", "http://169.254.169.254/latest/meta-data/", "http://192.168.0.1/",
      "http://[fd00::1]/",
    ]
    let refused = try fetchAll(urls.map { HTTPRequest(url: $0) }, testTransfer(allowPrivate: false))
    for (url, result) in zip(urls, refused) {
      guard case .failure(.privateAddress) = result else {
        Issue.record("\(url): expected a private-address refusal, got \(result)")
        continue
      }
    }
    #expect(server.requests.isEmpty)

    // A "public" host (a loopback port the policy treats as public, reached by a public-looking name)
    // redirecting to a private one: the redirect is refused and the private server sees nothing.
    let front = try LoopbackServer { _ in .redirect("http://127.0.0.1:\(port)/secret") }
    defer { front.stop() }
    var configuration = testTransfer(allowPrivate: false)
    configuration.network.publicLoopbackPorts = [front.port]
    configuration.resolve = ["images.example.com:\(front.port):127.0.0.1"]
    let redirected = try fetch("http://images.example.com:\(front.port)/photo.jpg", configuration)
    guard case .failure(.privateAddress(_, let address)) = redirected else {
      Issue.record("expected a refusal after the redirect, got \(redirected)")
      return
    }
    #expect(address == "127.0.0.1")
    #expect(front.requests.count == 1)
    #expect(server.requests.isEmpty)

    let allowed = try fetch("http://127.0.0.1:\(port)/a", testTransfer(allowPrivate: true))
    #expect(try allowed.get().status == 200)
  }

  @Test("20: address classification covers IPv4, IPv6 and mapped forms")
  func addressClassification() {
    for private_ in [
      [127, 0, 0, 1], [10, 9, 8, 7], [172, 20, 0, 1], [192, 168, 1, 1], [169, 254, 169, 254], [100, 64, 0, 1],
      [0, 0, 0, 0], [224, 0, 0, 1],
    ] as [[UInt8]] {
      #expect(NetworkPolicy.isPrivate(private_))
    }
    for public_ in [[8, 8, 8, 8], [93, 184, 216, 34], [172, 32, 0, 1]] as [[UInt8]] {
      #expect(!NetworkPolicy.isPrivate(public_))
    }
    let mapped: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF, 127, 0, 0, 1]
    #expect(NetworkPolicy.isPrivate(mapped))
    let mappedPublic: [UInt8] = Array(repeating: 0, count: 10) + [0xFF, 0xFF, 8, 8, 8, 8]
    #expect(!NetworkPolicy.isPrivate(mappedPublic))
    #expect(NetworkPolicy.isPrivate([0xFE, 0x80] + Array(repeating: 0, count: 13) + [1]))
    #expect(!NetworkPolicy.isPrivate([0x26, 0x06, 0x47, 0x00] + Array(repeating: 0, count: 11) + [1]))
  }

  @Test("21: 429 with Retry-After seconds, HTTP-date and an absurd value; 503 ×3 then 200; 404/403 not retried")
  func retries() throws {
    let counter = Counter()
    let server = try LoopbackServer { request in
      let n = counter.next(request.path)
      switch request.path {
      case "/seconds": return n == 1 ? .status(429, headers: [("Retry-After", "1")]) : .json("{}")
      case "/date":
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return n == 1
          ? .status(429, headers: [("Retry-After", formatter.string(from: Date().addingTimeInterval(2)))]) : .json("{}")
      case "/absurd": return n == 1 ? .status(429, headers: [("Retry-After", "999999999")]) : .json("{}")
      case "/flaky": return n <= 3 ? .status(503) : .json("{}")
      case "/timeout": return n == 1 ? .status(408) : .json("{}")
      case "/missing": return .status(404)
      case "/forbidden": return .status(403)
      case "/always503": return .status(503)
      default: return .status(400)
      }
    }
    defer { server.stop() }
    let paths = ["/seconds", "/date", "/absurd", "/flaky", "/timeout", "/missing", "/forbidden", "/always503"]
    var configuration = testTransfer()
    configuration.perHostConnections = 8
    let results = try fetchAll(paths.map { HTTPRequest(url: server.base + $0) }, configuration)
    let statuses = try results.map { try $0.get().status }
    #expect(statuses == [200, 200, 200, 200, 200, 404, 403, 503])
    #expect(try results[3].get().attempts == 4)
    #expect(server.hits("/missing") == 1)
    #expect(server.hits("/forbidden") == 1)
    #expect(server.hits("/always503") == 4)  // maxAttempts
    func gap(_ path: String) -> Double {
      let times = server.requests.filter { $0.path == path }.map(\.time)
      return times.count == 2 ? times[1].timeIntervalSince(times[0]) : -1
    }
    #expect(gap("/seconds") >= 0.9)
    #expect(gap("/date") >= 0.5)  // an HTTP-date has 1 s resolution
    #expect(gap("/absurd") >= 1.4 && gap("/absurd") < 10)  // capped at retryAfterCapSeconds = 1.5
  }

  @Test("21: the per-host request rate is never exceeded")
  func perHostRate() throws {
    let server = try LoopbackServer { _ in .json("{}") }
    defer { server.stop() }
    var configuration = testTransfer()
    configuration.perHostRequestsPerSecond = 20
    _ = try fetchAll((0..<10).map { HTTPRequest(url: server.base + "/r\($0)") }, configuration)
    let times = server.requests.map(\.time).sorted()
    #expect(times.count == 10)
    // The limiter spaces the starts 1/20 s apart; the server sees arrivals, which a loaded machine delays by
    // a few ms each way. So: no burst (each gap over half the interval; without the limiter gaps are ~1 ms),
    // and the ten arrivals span at least nine intervals, less 10 % for that jitter.
    for index in 1..<times.count {
      #expect(times[index].timeIntervalSince(times[index - 1]) >= 0.025)
    }
    if let first = times.first, let last = times.last { #expect(last.timeIntervalSince(first) >= 9 * 0.05 * 0.9) }
  }

  @Test("21: Retry-After parsing")
  func retryAfterParsing() {
    let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
    #expect(TransferSession.retryAfterSeconds("120", now: now) == 120)
    #expect(TransferSession.retryAfterSeconds("Sun, 06 Nov 1994 08:49:47 GMT", now: now) == 10)
    #expect(TransferSession.retryAfterSeconds("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == 0)
    #expect(TransferSession.retryAfterSeconds("soon", now: now) == nil)
  }

  @Test("a keyless API request redirected to another host: refused without claiming an API key")
  func keylessRedirectMessage() throws {
    let other = try LoopbackServer { _ in .json("{}") }
    defer { other.stop() }
    let api = try LoopbackServer { _ in .redirect("\(other.base)/elsewhere") }
    defer { api.stop() }
    let result = try fetchAll([HTTPRequest(url: api.base + "/v1/images/?q=x", redirects: .sameHost)])[0]
    guard case .failure(let error) = result, case .crossHostRedirect = error else {
      Issue.record("expected crossHostRedirect, got \(result)")
      return
    }
    let text = error.errorDescription ?? ""
    #expect(!text.contains("API key"), "\(text)")
    #expect(text.contains("redirected to another host") && text.contains("stay on the provider's host"))
    #expect(other.requests.isEmpty)
  }

  @Test("22: a key-bearing request does not follow a redirect to another host; errors never show the key")
  func keyNeverLeaves() throws {
    let key = "SECRET-KEY-123456"
    let other = try LoopbackServer { _ in .json("{}") }
    defer { other.stop() }
    let api = try LoopbackServer { request in
      if request.path == "/v1/search" { return .redirect("\(other.base)/steal") }
      return .status(500)
    }
    defer { api.stop() }
    let sameHostRedirect = try LoopbackServer { request in
      request.path == "/start" ? .redirect("/v1/next?key=\(key)") : .json("{\"ok\":1}")
    }
    defer { sameHostRedirect.stop() }
    let results = try fetchAll([
      HTTPRequest(
        url: api.base + "/v1/search?q=x", headers: ["Authorization: \(key)"], redirects: .sameHost, secrets: [key]),
      HTTPRequest(url: api.base + "/broken?api_key=\(key)&q=x", redirects: .sameHost, secrets: [key]),
      HTTPRequest(
        url: sameHostRedirect.base + "/start?key=\(key)", headers: ["Authorization: \(key)"], redirects: .sameHost,
        secrets: [key]),
    ])
    guard case .failure(let error) = results[0], case .crossHostRedirect = error else {
      Issue.record("expected crossHostRedirect, got \(results[0])")
      return
    }
    #expect(other.requests.isEmpty)
    #expect(!(error.errorDescription ?? "").contains(key))
    #expect((error.errorDescription ?? "").contains("not followed because the request carries an API key"))
    #expect(try results[1].get().status == 500)
    #expect(try results[2].get().status == 200)
    #expect(sameHostRedirect.requests.count == 2)

    // Through a provider: Pexels' key header, redirected to a second host; and Pixabay's key in the query.
    let workspace = try TempWorkspace()
    var request = testRequest("pexels", query: "face mask", endpoint: api.base + "/v1/search")
    request.settings.environment = ["PEXELS_API_KEY": key]
    #expect {
      try Crawl.run(request, catalog: workspace.catalog)
    } throws: { error in
      let text = (error as? LocalizedError)?.errorDescription ?? ""
      return !text.contains(key) && text.contains("another host")
    }
    var pixabay = testRequest("pixabay", query: "face mask", endpoint: api.base + "/api/")
    pixabay.settings.environment = ["PIXABAY_API_KEY": key]
    #expect {
      try Crawl.run(pixabay, catalog: workspace.catalog)
    } throws: { error in
      let text = (error as? LocalizedError)?.errorDescription ?? ""
      return !text.contains(key) && text.contains("key=<redacted>") && text.contains("HTTP 500")
    }
    #expect(other.requests.isEmpty)
    #expect(try workspace.count("SELECT count(*) FROM images") == 0)
  }
}

/// Counts requests per path across server threads.
final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var counts: [String: Int] = [:]

  func next(_ key: String) -> Int {
    lock.lock()
    defer { lock.unlock() }
    counts[key, default: 0] += 1
    return counts[key] ?? 0
  }
}
