import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TestSupport
import Testing

@testable import Review

@Suite("Browser routes and the server's guards")
struct BrowseServerTests {
  @Test("a Host the server does not serve is refused (DNS rebinding); a POST from another Origin too")
  func hostAndOrigin() throws {
    let served = ServedAddress()
    served.set(host: "127.0.0.1", port: 8080)
    func request(_ method: HTTPRequest.Method, authority: String, origin: String? = nil) -> Request {
      var head = HTTPRequest(method: method, scheme: nil, authority: authority, path: "/api/browse/decide")
      if let origin { head.headerFields[.origin] = origin }
      return Request(head: head, body: RequestBody(buffer: ByteBuffer()))
    }
    #expect(served.refusal(request(.get, authority: "127.0.0.1:8080")) == nil)
    #expect(served.refusal(request(.get, authority: "localhost:8080")) == nil)
    #expect(served.refusal(request(.get, authority: "attacker.example:8080"))?.contains("refused") == true)
    #expect(served.refusal(request(.get, authority: "127.0.0.1:9999")) != nil)
    #expect(served.refusal(request(.post, authority: "127.0.0.1:8080", origin: "http://127.0.0.1:8080")) == nil)
    #expect(served.refusal(request(.post, authority: "127.0.0.1:8080", origin: "http://attacker.example")) != nil)
    #expect(served.refusal(request(.post, authority: "127.0.0.1:8080", origin: "null")) != nil)
  }

  @Test("tiles filter by label, status and decided; a decision needs the page's Origin; bad filters are 400")
  func tilesAndDecisions() async throws {
    let (workspace, _) = try reviewWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)
    let messi = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'messi5.jpg'"))
    let all = try await server.get("/api/browse/tiles")
    #expect(all.status == 200)
    #expect((try all.json() as? [String: Any])?["total"] as? Int == 3)
    let one = try await server.get("/api/browse/tiles?label=without_mask")
    let tiles = try #require((try one.json() as? [String: Any])?["tiles"] as? [[String: Any]])
    #expect(tiles.map { $0["image"] as? Int } == [Int(messi)])
    #expect(try await server.get("/api/browse/tiles?status=bogus").status == 400)
    let suspects = try await server.get("/api/browse/tiles?suspects=1")
    #expect(suspects.status == 200)
    #expect((try suspects.json() as? [String: Any])?["total"] as? Int == 0)
    let unlabelled = try await server.get("/api/browse/tiles?label=(none)")
    #expect((try unlabelled.json() as? [String: Any])?["total"] as? Int == 0)
    #expect(try await server.get("/api/browse/tiles?group=abc").status == 404)

    let body = Array(#"{"action":"exclude","images":[\#(messi)],"reason":"blurred"}"#.utf8)
    let foreign = try await RawHTTP.fetch(
      port: server.port, method: "POST", target: "/api/browse/decide",
      headers: ["X-Review-Token": server.token, "Origin": "http://attacker.example"], body: body)
    #expect(foreign.status == 403)
    #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(messi)]) == "active")
    let own = try await RawHTTP.fetch(
      port: server.port, method: "POST", target: "/api/browse/decide",
      headers: ["X-Review-Token": server.token, "Origin": "http://127.0.0.1:\(server.port)"], body: body)
    #expect(own.status == 200, "\(own.text)")
    #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(messi)]) == "rejected")
    let excluded = try await server.get("/api/browse/tiles?status=rejected&decided=1")
    #expect(
      ((try excluded.json() as? [String: Any])?["tiles"] as? [[String: Any]])?.map { $0["image"] as? Int } == [
        Int(messi)
      ])
    let detail = try await server.get("/api/browse/image/\(messi)")
    let facts = try #require(try detail.json() as? [String: Any])
    #expect(facts["statusReason"] as? String == "excluded: blurred")
    #expect((facts["origins"] as? [[String: Any]])?.first?["path"] as? String == "messi5.jpg")
    // A thumbnail of the whole image, made once and served again from the cache.
    let thumb = try await server.get("/ithumb/\(messi)?side=96")
    #expect(thumb.status == 200 && thumb.headers["content-type"] == "image/jpeg" && thumb.body.count > 100)
    #expect(try await server.get("/ithumb/\(messi)?side=96").body == thumb.body)
  }

  @Test("suspects are ranked again as soon as another connection changes the catalog")
  func suspectsFollowTheCatalog() async throws {
    let (workspace, _) = try reviewWorkspace()
    let catalog = try Catalog(workspace: workspace)
    let (messi, home) = (
      try #require(try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'messi5.jpg'")),
      try #require(try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'home.jpg'"))
    )
    // One duplicate cluster of two photos under two labels (as dedup would store it): both are suspects.
    for image in [messi, home] {
      try catalog.database.run(
        "INSERT INTO dup_clusters (image_id, cluster_id, method, radius) VALUES (?, 1, 'phash', 8)", [.int(image)])
    }
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    func suspects() async throws -> [Int] {
      let page = try #require(try await server.get("/api/browse/tiles?suspects=1").json() as? [String: Any])
      return ((page["tiles"] as? [[String: Any]]) ?? []).compactMap { $0["image"] as? Int }
    }
    #expect(Set(try await suspects()) == [Int(messi), Int(home)])
    // Unchanged catalog: the same ranking, kept.
    #expect(Set(try await suspects()) == [Int(messi), Int(home)])
    // Another connection (a CLI command) relabels home like messi5: the next page has no suspect left, at
    // once (the ranking used to be kept 30 s whatever happened).
    _ = try Catalog(workspace: workspace).decide(.relabel("without_mask"), images: [home], reviewer: "cli")
    #expect(try await suspects() == [])
  }

  @Test("one computation for many waiters; a computation nobody waits for any more is cancelled")
  func cacheSharesAndCancels() async throws {
    let cache = ThumbnailCache(budget: 1 << 20)
    let limiter = DecodeLimiter(slots: 1)
    // Ten callers at once: one computation.
    let results = await withTaskGroup(of: [UInt8]?.self) { group in
      for _ in 0..<10 {
        group.addTask {
          try? await cache.thumbnail("k") {
            try await limiter.run {
              Thread.sleep(forTimeInterval: 0.2)
              return [1, 2, 3]
            }
          }
        }
      }
      return await group.reduce(into: [[UInt8]?]()) { $0.append($1) }
    }
    #expect(results.allSatisfy { $0 == [1, 2, 3] })
    #expect(await cache.computed == 1)
    // The slot is held by a long decode; a second request waits for it and is cancelled: it never runs.
    let ran = ManagedAtomicFlag()
    // The long decode holds its slot until the test opens the gate.
    let gate = DispatchSemaphore(value: 0)
    let long = Task { try await limiter.run { gate.wait() } }
    // Polled, not slept on: the other suites of this process may keep the concurrency pool busy for a while.
    try await until { await limiter.load.busy == 1 }
    let waiting = Task {
      try await cache.thumbnail("other") {
        try await limiter.run {
          ran.set()
          return [9]
        }
      }
    }
    try await until { await limiter.load.waiting == 1 }
    waiting.cancel()
    await #expect(throws: CancellationError.self) { try await waiting.value }
    gate.signal()
    try await long.value
    try await Task.sleep(for: .milliseconds(100))
    #expect(!ran.isSet)
    #expect(await limiter.load.busy == 0)
  }
}

/// Waits until `condition` holds, checking every 10 ms for at most 20 s (then fails the test).
func until(_ condition: () async -> Bool) async throws {
  for _ in 0..<2000 {
    if await condition() { return }
    try await Task.sleep(for: .milliseconds(10))
  }
  Issue.record("condition not met within 20 s")
}

/// A flag set from any thread.
final class ManagedAtomicFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  func set() { lock.withLock { value = true } }
  var isSet: Bool { lock.withLock { value } }
}
