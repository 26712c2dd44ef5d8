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
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    var line = ""
    while !line.contains("\n") {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      line += String(decoding: chunk, as: UTF8.self)
    }
    let url = line.trimmingCharacters(in: .whitespacesAndNewlines)
    let port = Int(url.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0
    let token = url.components(separatedBy: "token=").last ?? ""
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
    "200 concurrent thumbnails of a box on a 13000×13000 PNG: /api/config answers within 1 s meanwhile",
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
    #expect(latencies.allSatisfy { $0 < 1 }, "config latencies while 200 thumbnails were asked: \(latencies)")
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
      let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else { break }
      // A connect the server does not take within a second counts as refused (no hang).
      var timeout = timeval(tv_sec: 1, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      if connected != 0 {
        close(fd)
        continue
      }
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
