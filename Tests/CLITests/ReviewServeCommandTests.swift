import Catalog
import Foundation
import TestSupport
import Testing

/// End-to-end: the built binary serves the review page; decisions it confirmed survive kill -9.
@Suite("CLI: review serve", .serialized)
struct ReviewServeCommandTests {

  /// A workspace of real photographs with eager Haar proposals.
  func workspace() throws -> (folder: String, ws: String) {
    let folder = try TestSupport.temporaryFolder("dsk-serve")
    // Filed under with_mask: a class the page may give a box.
    for name in ["messi5.jpg", "home.jpg", "baboon.jpg"] {
      try TestSupport.write(try TestSupport.photo(name), to: folder + "/photos/with_mask/" + name)
    }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/photos"], in: ws).status == 0)
    let detect = try TestSupport.run(
      ["faces", "detect", "--detector", "haar", "--min-neighbors", "1", "--min-size", "20"], in: ws)
    #expect(detect.status == 0, "\(detect.stderr)")
    return (folder, ws)
  }

  /// Starts `datasetkit review serve` and returns it with the port from the URL it prints.
  func serve(_ ws: String, _ extra: [String] = []) throws -> (Process, port: Int, token: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.binary)
    process.arguments = ["review", "serve", "--port", "0", "--status", "any"] + extra
    process.currentDirectoryURL = URL(fileURLWithPath: ws)
    process.standardError = FileHandle.nullDevice
    let (url, port, token) = try RawHTTP.startReviewServer(process)
    #expect(url.hasPrefix("http://127.0.0.1:") && port > 0 && token.count == 32, "\(url)")
    return (process, port, token)
  }

  func post(_ port: Int, _ token: String, _ name: String, _ body: String) throws -> RawHTTP.Reply {
    try RawHTTP.request(
      port: port, method: "POST", target: "/api/" + name, headers: ["X-Review-Token": token],
      body: Array(body.utf8))
  }

  @Test(
    "kill -9 right after a decision is confirmed: the decision is in the catalog",
    .requiresBinary)
  func killAfterConfirmation() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let boxes = try Catalog(workspace: Workspace(root: ws)).database.rows("SELECT id, image_id FROM boxes ORDER BY id")
    {
      ($0.int64(0), $0.int64(1))
    }
    try #require(boxes.count >= 6)
    var confirmed: [String] = []
    for round in 0..<6 {
      let (process, port, token) = try serve(ws)
      let (box, image) = boxes[round]
      let action = ["accept", "reject"][round % 2]
      let reply = try post(port, token, "decide", #"{"action":"\#(action)","boxes":[\#(box)]}"#)
      #expect(reply.status == 200, "\(reply.text)")
      var added = ""
      if round % 3 == 2 {
        let face = try post(
          port, token, "add", #"{"image":\#(image),"label":"with_mask","rect":{"xmin":1,"ymin":2,"xmax":40,"ymax":50}}"#
        )
        #expect(face.status == 200)
        added = "add"
      }
      // The answer has arrived: kill the server at once, no chance to flush anything.
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      #expect(process.terminationReason == .uncaughtSignal)
      confirmed.append("\(action) \(box)")
      if !added.isEmpty { confirmed.append("add") }
    }
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.integrityCheck() == ["ok"])
    let log = try catalog.database.rows("SELECT action, subject_id FROM reviews ORDER BY id") {
      $0.text(0)! == "add" ? "add" : "\($0.text(0)!) \($0.int64(1))"
    }
    #expect(log == confirmed)
    for round in 0..<6 {
      #expect(
        try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(boxes[round].0)])
          == ["accepted", "rejected"][round % 2])
    }
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM boxes WHERE origin = 'review'") == 2)
  }

  @Test(
    "the page needs the token; a busy port is a clear error",
    .requiresBinary)
  func tokenAndBusyPort() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let (process, port, token) = try serve(ws)
    defer {
      kill(process.processIdentifier, SIGTERM)
      process.waitUntilExit()
    }
    #expect(try RawHTTP.request(port: port, target: "/").status == 403)
    #expect(try RawHTTP.request(port: port, target: "/?token=" + token).status == 200)
    #expect(try RawHTTP.request(port: port, target: "/../datasetkit.sqlite?token=" + token).status == 404)
    let busy = try TestSupport.run(["review", "serve", "--port", String(port)], in: ws)
    #expect(busy.status == 1 && busy.stderr.contains("cannot serve the review page") && busy.stderr.contains("--port"))
    let outside = try TestSupport.run(["review", "serve"], in: folder)
    #expect(outside.status == 1 && outside.stderr.contains("workspace"))
  }

  @Test(
    "hostile requests: a page number near 2⁶³ answers an empty page, an oversized body 413, the server stays up",
    .requiresBinary)
  func hostileRequests() throws {
    let folder = try TestSupport.temporaryFolder("dsk-serve-hostile")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(try TestSupport.run(["init", folder + "/ws"]).status == 0)
    let (process, port, token) = try serve(folder + "/ws")
    defer {
      kill(process.processIdentifier, SIGTERM)
      process.waitUntilExit()
    }
    for page in ["9223372036854775807", "-9223372036854775808", "99999999999999999999"] {
      let reply = try RawHTTP.request(port: port, target: "/api/tiles?per=500&page=\(page)&token=" + token)
      #expect(reply.status == 200, "page \(page): \(reply.text)")
      #expect((try reply.json() as? [String: Any])?["tiles"] as? [Any] != nil)
    }
    let big = [UInt8](repeating: 0x20, count: (1 << 20) + 4096)
    let refused = try RawHTTP.request(
      port: port, method: "POST", target: "/api/decide", headers: ["X-Review-Token": token], body: big)
    #expect(refused.status == 413, "\(refused.status) \(refused.text)")
    #expect(refused.text.contains("over the 1 MiB"))
    #expect(process.isRunning)
    #expect(try RawHTTP.request(port: port, target: "/api/config?token=" + token).status == 200)
  }

  @Test(
    "--host 0.0.0.0 warns that the page is reachable from the network",
    .requiresBinary)
  func hostWarning() throws {
    let folder = try TestSupport.temporaryFolder("dsk-serve-host")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    #expect(try TestSupport.run(["init", folder + "/ws"]).status == 0)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.binary)
    process.arguments = ["review", "serve", "--host", "0.0.0.0", "--port", "0"]
    process.currentDirectoryURL = URL(fileURLWithPath: folder + "/ws")
    let err = Pipe()
    process.standardOutput = FileHandle.nullDevice
    process.standardError = err
    try process.run()
    defer {
      kill(process.processIdentifier, SIGTERM)
      process.waitUntilExit()
    }
    var text = ""
    while !text.contains("\n") {
      let chunk = err.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      text += String(decoding: chunk, as: UTF8.self)
    }
    #expect(text.contains("warning: --host 0.0.0.0 makes the review page reachable from the network"), "\(text)")
  }
}
