import AutoFace
import Catalog
import Foundation
import Imaging
import Ingest
import Labeling
import TestSupport
import Testing

@testable import Review

/// A workspace with real photographs and Haar proposals on them (eager settings, so there are several).
func reviewWorkspace() throws -> (Workspace, [Int64]) {
  let folder = try TestSupport.temporaryFolder("review")
  let catalog = try Workspace.create(at: folder)
  var candidates: [IngestCandidate] = []
  // Labelled with the mask classes, so the catalog's class vocabulary holds them (decisions may give only those).
  for (name, label) in zip(
    ["messi5.jpg", "home.jpg", "baboon.jpg"], ["without_mask", "with_mask", "mask_weared_incorrect"])
  {
    candidates.append(
      IngestCandidate(
        content: .bytes(try TestSupport.photo(name)), origin: OriginFacts(relativePath: Array(name.utf8)),
        label: label))
  }
  _ = try Ingester(catalog: catalog).ingest(candidates, source: SourceSpec(kind: "folder", name: "photos", uri: folder))
  let eager = DetectorSpec(
    kind: .haar,
    parameters: CascadeParameters(scaleFactor: 1.1, minNeighbors: 1, minSize: 20, maxSize: 0, equalize: false))
  _ = try catalog.detectFaces(FaceDetectOptions(detector: eager))
  let ids = try catalog.database.rows("SELECT id FROM boxes ORDER BY id") { $0.int64(0) }
  return (catalog.workspace, ids)
}

/// A review server running in this process on a free loopback port.
struct RunningServer {
  var port: Int
  var token: String
  var task: Task<Void, any Error>

  static func start(_ workspace: Workspace, options: ReviewServerOptions = ReviewServerOptions()) async throws
    -> RunningServer
  {
    var options = options
    options.logLevel = .critical
    let server = ReviewServer(desk: try ReviewDesk(workspace: workspace, reviewer: "test"), options: options)
    let (urls, continuation) = AsyncStream<String>.makeStream()
    let task = Task { try await server.run { continuation.yield($0) } }
    var port = 0
    for await url in urls {
      port = Int(url.split(separator: ":")[2].split(separator: "/")[0]) ?? 0
      #expect(url.hasPrefix("http://127.0.0.1:") && url.hasSuffix("/?token=" + server.token))
      break
    }
    return RunningServer(port: port, token: server.token, task: task)
  }

  func get(_ target: String) async throws -> RawHTTP.Reply {
    try await RawHTTP.fetch(port: port, target: target + (target.contains("?") ? "&" : "?") + "token=" + token)
  }

  func bare(_ target: String, method: String = "GET") async throws -> RawHTTP.Reply {
    try await RawHTTP.fetch(port: port, method: method, target: target)
  }

  func post(_ name: String, _ body: String) async throws -> RawHTTP.Reply {
    try await RawHTTP.fetch(
      port: port, method: "POST", target: "/api/" + name,
      headers: ["X-Review-Token": token, "Content-Type": "application/json"], body: Array(body.utf8))
  }
}

@Suite("Review server: token, paths, grid, decisions")
struct ReviewServerTests {
  @Test("requests without the token are refused; any URL with a `..` segment is 404")
  func tokenAndTraversal() async throws {
    let (workspace, _) = try reviewWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    #expect(try await server.bare("/").status == 403)
    #expect(try await server.bare("/?token=00" + server.token.dropFirst(2)).status == 403)
    #expect(try await server.bare("/api/tiles").status == 403)
    #expect(try await server.bare("/object/1").status == 403)
    #expect(
      try await server.bare("/api/decide", method: "POST").status == 403)
    let page = try await server.get("/")
    #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
    #expect(page.text.contains("datasetkit review") && page.headers["content-security-policy"] != nil)
    let climbs = [
      "/../etc/passwd", "/object/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/thumb/..%2f..%2fetc%2fpasswd",
      "/object/%2E%2E", "/..", "/api/image/1/..", "/object/1/../1", "/..%5c..%5cetc",
    ]
    for target in climbs {
      #expect(try await server.bare(target).status == 404, "\(target) without token")
      #expect(try await server.get(target).status == 404, "\(target) with token")
    }
    #expect(try await server.get("/etc/passwd").status == 404)
    #expect(try await server.get("/object/999999").status == 404)
    #expect(try await server.get("/object/abc").status == 404)
  }

  @Test("grid pages, thumbnails and full images are served by catalog id")
  func gridAndImages() async throws {
    let (workspace, ids) = try reviewWorkspace()
    try #require(ids.count >= 4)
    var options = ReviewServerOptions()
    options.labels = ["with_mask", "without_mask"]
    let server = try await RunningServer.start(workspace, options: options)
    defer { server.task.cancel() }
    let config = try #require(try await server.get("/api/config").json() as? [String: Any])
    // The preferred classes first, then the other classes a decision may give.
    #expect(config["labels"] as? [String] == ["with_mask", "without_mask", "mask_weared_incorrect"])
    let first = try #require(try await server.get("/api/tiles?per=2&page=0").json() as? [String: Any])
    #expect(first["total"] as? Int == ids.count)
    let tiles = try #require(first["tiles"] as? [[String: Any]])
    #expect(tiles.map { $0["box"] as? Int } == [Int(ids[0]), Int(ids[1])])
    let second = try #require(try await server.get("/api/tiles?per=2&page=1").json() as? [String: Any])
    #expect((second["tiles"] as? [[String: Any]])?.first?["box"] as? Int == Int(ids[2]))
    #expect((try await server.get("/api/tiles?status=accepted").json() as? [String: Any])?["total"] as? Int == 0)
    #expect((try await server.get("/api/tiles?origin=voc").json() as? [String: Any])?["total"] as? Int == 0)
    #expect((try await server.get("/api/tiles?source=photos").json() as? [String: Any])?["total"] as? Int == ids.count)
    #expect(try await server.get("/api/tiles?status=bogus").status == 400)

    let thumb = try await server.get("/thumb/\(ids[0])")
    #expect(
      thumb.status == 200 && thumb.headers["content-type"] == "image/jpeg" && thumb.body.prefix(2) == [0xFF, 0xD8])
    let decoded = try DecodedImage(bytes: thumb.body)
    #expect(max(decoded.width, decoded.height) == 160)
    let image = try #require(tiles.first?["image"] as? Int)
    let catalog = try Catalog(workspace: workspace)
    let sha = try #require(
      try catalog.database.scalarText("SELECT sha256 FROM images WHERE id = ?", [.int(Int64(image))]))
    let full = try await server.get("/object/\(image)")
    let stored = try catalog.store.read(sha)
    #expect(full.status == 200 && full.body == stored && full.headers["content-type"] == "image/jpeg")
    let detail = try #require(try await server.get("/api/image/\(image)").json() as? [String: Any])
    #expect((detail["boxes"] as? [Any])?.isEmpty == false && detail["width"] as? Int == 548)
  }

  @Test("each decision is in the catalog when its answer arrives; bad requests change nothing")
  func decisions() async throws {
    let (workspace, ids) = try reviewWorkspace()
    try #require(ids.count >= 4)
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)  // a second connection, as another process would see it
    func status(_ id: Int64) throws -> String? {
      try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(id)])
    }
    let accepted = try await server.post("decide", #"{"action":"accept","boxes":[\#(ids[0])]}"#)
    #expect(accepted.status == 200)
    #expect(try status(ids[0]) == "accepted")
    let reviewID = try #require(((try accepted.json() as? [String: Any])?["reviewIDs"] as? [Int])?.first)
    #expect(try await server.post("decide", #"{"action":"reject","boxes":[\#(ids[1])]}"#).status == 200)
    #expect(try status(ids[1]) == "rejected")
    #expect(
      try await server.post("decide", #"{"action":"relabel","label":"with_mask","boxes":[\#(ids[2])]}"#).status == 200)
    #expect(
      try catalog.database.scalarText(
        "SELECT c.name FROM boxes b JOIN classes c ON c.id = b.class_id WHERE b.id = ?", [.int(ids[2])]) == "with_mask")
    let image = try #require(try catalog.database.scalarInt("SELECT image_id FROM boxes WHERE id = ?", [.int(ids[3])]))
    let added = try await server.post(
      "add", #"{"image":\#(image),"label":"without_mask","rect":{"xmin":10.4,"ymin":20,"xmax":60,"ymax":81}}"#)
    #expect(added.status == 200)
    let newBox = try #require(((try added.json() as? [String: Any])?["boxes"] as? [Int])?.first)
    #expect(
      try catalog.database.rows(
        "SELECT origin, status, xmin, ymin, xmax, ymax FROM boxes WHERE id = ?", [.int(Int64(newBox))]
      ) { "\($0.text(0)!) \($0.text(1)!) \($0.double(2)) \($0.double(3)) \($0.double(4)) \($0.double(5))" }
        == ["review accepted 10.0 20.0 60.0 81.0"])
    #expect(
      try await server.post("adjust", #"{"box":\#(ids[3]),"rect":{"xmin":5,"ymin":6,"xmax":-1,"ymax":70}}"#).status
        == 200)
    #expect(
      try catalog.database.rows("SELECT xmin, xmax, status FROM boxes WHERE id = ?", [.int(ids[3])]) {
        "\($0.double(0)) \($0.double(1)) \($0.text(2)!)"
      } == ["0.0 5.0 accepted"])
    // Undo puts the box back as it was before the decision, by appending to the log.
    #expect(try await server.post("undo", #"{"review":\#(reviewID)}"#).status == 200)
    #expect(try status(ids[0]) == "proposed")
    #expect(try await server.post("undo", #"{"review":\#(reviewID)}"#).status == 400)
    let logged = try catalog.database.rows("SELECT action FROM reviews ORDER BY id") { $0.text(0)! }
    #expect(logged == ["accept", "reject", "relabel", "add", "adjust", "undo"])

    // Bad requests: 400 with a message, and not one row written.
    let bad = [
      ("decide", "not json"), ("decide", #"{"action":"accept","boxes":[999999]}"#),
      ("decide", #"{"action":"explode","boxes":[\#(ids[0])]}"#),
      ("decide", #"{"action":"relabel","boxes":[\#(ids[0])]}"#),
      ("decide", #"{"action":"accept","boxes":[]}"#),
      ("add", #"{"image":\#(image),"rect":{"xmin":10,"ymin":10,"xmax":10.5,"ymax":40}}"#),
      ("add", #"{"image":999999,"rect":{"xmin":10,"ymin":10,"xmax":50,"ymax":40}}"#),
      ("add", #"{"image":\#(image),"rect":{"xmin":5000,"ymin":5000,"xmax":6000,"ymax":6000}}"#),
      ("adjust", #"{"box":999999,"rect":{"xmin":1,"ymin":1,"xmax":50,"ymax":40}}"#),
      ("undo", #"{"review":999999}"#),
      // A label over 255 bytes of UTF-8 (RELIABILITY 53): refused with the limit named.
      ("decide", #"{"action":"relabel","label":"\#(String(repeating: "é", count: 150))","boxes":[\#(ids[0])]}"#),
      (
        "add",
        #"{"image":\#(image),"label":"\#(String(repeating: "x", count: 256))","rect":{"xmin":10,"ymin":10,"xmax":50,"ymax":40}}"#
      ),
    ]
    for (name, body) in bad {
      let reply = try await server.post(name, body)
      #expect(reply.status == 400, "\(name) \(body): \(reply.status) \(reply.text)")
      #expect(!reply.text.isEmpty)
      if body.contains("xxxx") || body.contains("éé") {
        #expect(reply.text.contains("at most 255 bytes"), "\(reply.text)")
      }
    }
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM reviews") == 6)
    #expect(try await server.post("nothing", "{}").status == 404)
  }

  @Test("issue 22 reproducer 4: /api/decide and /api/add refuse a class outside the vocabulary, 400 with a suggestion")
  func decideRefusesUnknownClass() async throws {
    let (workspace, ids) = try reviewWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)
    let typo = try await server.post("decide", #"{"action":"relabel","label":"withmask","boxes":[\#(ids[0])]}"#)
    #expect(typo.status == 400)
    let refusal = try #require(try typo.json() as? [String: Any])
    #expect(refusal["suggestion"] as? String == "with_mask" && refusal["label"] as? String == "withmask")
    #expect((refusal["error"] as? String)?.contains("did you mean with_mask?") == true)
    #expect((refusal["classes"] as? [String])?.contains("without_mask") == true)
    let nonsense = try await server.post(
      "decide", #"{"action":"relabel","label":"nonsense_class","boxes":[\#(ids[0])]}"#)
    #expect(nonsense.status == 400)
    let none = try #require(try nonsense.json() as? [String: Any])
    #expect(none["suggestion"] == nil && none["label"] as? String == "nonsense_class")
    let image = try #require(try catalog.database.scalarInt("SELECT image_id FROM boxes WHERE id = ?", [.int(ids[0])]))
    let added = try await server.post(
      "add", #"{"image":\#(image),"label":"without_mask ","rect":{"xmin":10,"ymin":20,"xmax":60,"ymax":81}}"#)
    #expect(added.status == 200)
    let drawn = try await server.post(
      "add", #"{"image":\#(image),"label":"withoutmask","rect":{"xmin":10,"ymin":20,"xmax":60,"ymax":81}}"#)
    #expect(drawn.status == 400)
    let drawnRefusal = try drawn.json() as? [String: Any]
    #expect(drawnRefusal?["suggestion"] as? String == "without_mask")
    // Nothing refused was written: one add, no relabel, and no class named after a typo.
    #expect(try catalog.database.rows("SELECT action FROM reviews") { $0.text(0)! } == ["add"])
    #expect(
      try catalog.database.scalarInt(
        "SELECT COUNT(*) FROM classes WHERE name IN ('withmask', 'nonsense_class', 'withoutmask')") == 0)
    // The relabel keys offer only classes a decision may give.
    let config = try #require(try await server.get("/api/config").json() as? [String: Any])
    #expect(
      (config["labels"] as? [String]).map(Set.init) == ["with_mask", "without_mask", "mask_weared_incorrect"])
  }

  @Test("crops mode shows the stored crop objects; a decision on a crop is a decision on its box")
  func cropsMode() async throws {
    let (workspace, ids) = try reviewWorkspace()
    let catalog = try Catalog(workspace: workspace)
    _ = try catalog.review(.relabel("with_mask"), boxes: [ids[0], ids[1]], reviewer: "t")
    var crop = FaceCropOptions()
    crop.size = 64
    #expect(try catalog.cropFaces(crop).cropped == 2)
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let page = try #require(try await server.get("/api/tiles?crops=1&status=accepted").json() as? [String: Any])
    let tiles = try #require(page["tiles"] as? [[String: Any]])
    #expect(page["total"] as? Int == 2 && tiles.map { $0["box"] as? Int } == [Int(ids[0]), Int(ids[1])])
    let cropID = try #require(tiles.first?["crop"] as? Int)
    let bytes = try await server.get("/object/\(cropID)")
    let image = try DecodedImage(bytes: bytes.body)
    #expect(bytes.status == 200 && max(image.width, image.height) == 64)
    #expect(try await server.post("decide", #"{"action":"reject","boxes":[\#(ids[0])]}"#).status == 200)
    #expect(try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(ids[0])]) == "rejected")
    #expect(
      (try await server.get("/api/tiles?crops=1&status=accepted").json() as? [String: Any])?["total"] as? Int == 1)
  }

  @Test("`..` detection covers raw and percent-encoded segments and leaves ordinary names alone")
  func climbsOut() {
    for target in ["/..", "/a/../b", "/%2e%2e/x", "/.%2E/x", "/a/..%2fb", "/a\\..\\b", "/x/%2E%2e"] {
      #expect(ReviewServer.climbsOut(target), "\(target)")
    }
    for target in ["/", "/object/12", "/api/tiles?label=..", "/thumb/3?side=160", "/a..b/c", "/...", "/.hidden"] {
      #expect(!ReviewServer.climbsOut(target), "\(target)")
    }
  }
}
