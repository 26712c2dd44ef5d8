import Catalog
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// The review server under load (RELIABILITY.md 43, 44): many thumbnail requests on a huge image, and
/// half-sent requests (slowloris), while a person uses the page.
@Suite("CLI: review serve sheds load", .serialized)
struct ReviewLoadCommandTests {
  /// Starts `review serve` with at most `files` open files (1024: a login shell's usual limit).
  func serve(_ ws: String, files: Int = 1024) throws -> (Process, port: Int, token: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = [
      "-c", "ulimit -n \(files) && exec \"$0\" \"$@\"", TestSupport.binary, "review", "serve", "--port", "0",
      "--status", "any",
    ]
    process.currentDirectoryURL = URL(fileURLWithPath: ws)
    process.standardError = FileHandle.nullDevice
    let (url, port, token) = try RawHTTP.startReviewServer(process)
    #expect(port > 0 && token.count == 32, "\(url)")
    return (process, port, token)
  }

  /// Seconds a GET takes, and its status, on a thread of its own (so 200 of them run at once).
  func fetch(_ port: Int, _ target: String, timeout: Int = 30) async -> (seconds: Double, status: Int) {
    let start = Date()
    let status = (try? await RawHTTP.fetch(port: port, target: target, timeoutSeconds: timeout).status) ?? -1
    return (Date().timeIntervalSince(start), status)
  }

  /// Seconds a GET takes, and its status.
  func timed(_ port: Int, _ target: String, timeout: Int = 30) -> (seconds: Double, status: Int) {
    let start = Date()
    let status = (try? RawHTTP.request(port: port, target: target, timeoutSeconds: timeout).status) ?? -1
    return (Date().timeIntervalSince(start), status)
  }

  @Test(
    "200 concurrent thumbnails of a box on a 13000×13000 PNG: /api/config answers within 1 s (median) meanwhile",
    .requiresBinary)
  func thumbnailsDoNotStallThePage() async throws {
    let folder = try TestSupport.temporaryFolder("dsk-load")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try TestSupport.write(ZeroPNG.make(side: 13_000), to: folder + "/set/with_mask/huge.png")
    try TestSupport.write(try TestSupport.photo("messi5.jpg"), to: folder + "/set/with_mask/messi5.jpg")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)
    let image = try #require(
      try Catalog(workspace: Workspace(root: ws)).database.scalarInt(
        "SELECT image_id FROM image_origins WHERE rel_path LIKE '%huge.png'"))
    let (process, port, token) = try serve(ws)
    defer { process.terminate() }
    let add = try RawHTTP.request(
      port: port, method: "POST", target: "/api/add", headers: ["X-Review-Token": token],
      body: Array(#"{"image":\#(image),"rect":{"xmin":6000,"ymin":6000,"xmax":6400,"ymax":6400}}"#.utf8))
    #expect(add.status == 200, "\(add.text)")
    let box = try #require(((try add.json() as? [String: Any])?["boxes"] as? [Int])?.first)

    // 200 clients ask for the box's thumbnail at once; meanwhile the page's config is asked every 100 ms.
    let thumbs = Task.detached {
      await withTaskGroup(of: Int.self) { group in
        for _ in 0..<200 {
          group.addTask { await self.fetch(port, "/thumb/\(box)?token=\(token)", timeout: 120).status }
        }
        return await group.reduce(into: [Int]()) { $0.append($1) }
      }
    }
    var latencies: [Double] = []
    try await Task.sleep(for: .milliseconds(200))
    for _ in 0..<10 {
      let (seconds, status) = await fetch(port, "/api/config?token=\(token)", timeout: 30)
      #expect(status == 200)
      latencies.append(seconds)
      try await Task.sleep(for: .milliseconds(100))
    }
    let statuses = await thumbs.value
    // The median, not every sample: on the shared 2-core machine, with the whole suite running beside it, one
    // sample may wait 10 s and more for a scheduler slot (each still answered, within its 30 s: status 200 above);
    // the old server answered none of them within 30 s.
    let median = latencies.sorted()[latencies.count / 2]
    #expect(median < 1, "config latencies while 200 thumbnails were asked: \(latencies)")
    #expect(
      statuses.count == 200 && statuses.allSatisfy { $0 == 200 },
      "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
    // The browser's whole-image thumbnail of it is refused (404) without decoding 169 megapixels.
    let (seconds, status) = timed(port, "/ithumb/\(image)?token=\(token)")
    #expect(status == 404 && seconds < 1, "\(status) in \(seconds) s")
  }

  @Test(
    "1,100 half-sent requests on a server allowed 1,024 open files: a real request still gets its answer at once",
    .requiresBinary)
  func slowloris() throws {
    let folder = try TestSupport.temporaryFolder("dsk-slow")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try TestSupport.write(try TestSupport.photo("messi5.jpg"), to: folder + "/set/with_mask/messi5.jpg")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)
    let (process, port, token) = try serve(ws)
    defer { process.terminate() }
    var sockets: [Int32] = []
    defer { for fd in sockets { close(fd) } }
    for _ in 0..<1100 {
      // A connect the server does not take within a second counts as refused (no hang).
      guard let fd = try? RawHTTP.connected(port: port, sendTimeout: 1) else { continue }
      let partial = Array("GET /api/config?token=\(token) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nX-Slow: ".utf8)
      _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      sockets.append(fd)
    }
    #expect(sockets.count >= 1000)
    let (seconds, status) = timed(port, "/api/config?token=\(token)", timeout: 10)
    #expect(
      status == 200 && seconds < 2,
      "a real request took \(seconds) s (status \(status)) next to \(sockets.count) half-sent ones")
  }
}
