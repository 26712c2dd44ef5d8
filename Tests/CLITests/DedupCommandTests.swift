import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// `datasetkit dedup` end to end: the built binary on a real workspace.
@Suite struct DedupCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let binary = root.appendingPathComponent(".build/debug/datasetkit")
  static let photos = "/usr/share/doc/opencv-doc/examples/data"
  static var ready: Bool {
    FileManager.default.isExecutableFile(atPath: binary.path) && FileManager.default.fileExists(atPath: photos)
  }

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static func run(_ arguments: [String], in folder: URL) throws -> Run {
    let result = try TestSupport.run(arguments, in: folder.path)
    return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  /// Two sources: `a` with two photos, `b` with a resized and a cropped copy of the first, plus a
  /// damaged PNG.
  static func workspace() throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dedup-cli-\(UUID().uuidString)")
    let fm = FileManager.default
    for sub in ["a/x", "b/x"] {
      try fm.createDirectory(at: folder.appendingPathComponent(sub), withIntermediateDirectories: true)
    }
    let fruits = try DecodedImage(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: photos + "/fruits.jpg"))))
    let baboon = try DecodedImage(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: photos + "/baboon.jpg"))))
    func write(_ bytes: [UInt8], _ path: String) throws {
      try Data(bytes).write(to: folder.appendingPathComponent(path))
    }
    try write(try fruits.encoded(.jpeg(quality: 90)), "a/x/fruits.jpg")
    try write(try baboon.encoded(.jpeg(quality: 90)), "a/x/baboon.jpg")
    let w = fruits.width
    let h = fruits.height
    try write(
      try fruits.cropped(to: Box(x: 0, y: 0, width: w, height: h), width: w / 2, height: h / 2).encoded(
        .jpeg(quality: 80)), "b/x/fruits-small.jpg")
    let dx = w * 3 / 100
    let dy = h * 3 / 100
    try write(
      try fruits.cropped(
        to: Box(x: dx, y: dy, width: w - 2 * dx, height: h - 2 * dy), width: w - 2 * dx, height: h - 2 * dy
      )
      .encoded(.jpeg(quality: 85)), "b/x/fruits-crop.jpg")
    var png = Array(try Data(contentsOf: URL(fileURLWithPath: photos + "/smarties.png")))
    for i in (png.count / 3)..<(png.count / 3 + 300) { png[i] ^= 0x5A }
    try write(png, "b/x/broken.png")
    #expect(try run(["init", "ws"], in: folder).status == 0)
    let ws = folder.appendingPathComponent("ws")
    #expect(try run(["import", "../a"], in: ws).status == 0)
    #expect(try run(["import", "../b"], in: ws).status == 0)
    return ws
  }

  @Test(
    .requires(
      ready,
      "needs the built binary .build/debug/datasetkit (make test builds it) and opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"
    ))
  func dryRunThenDedupWithReport() throws {
    let ws = try Self.workspace()

    let dry = try Self.run(["dedup", "--dry-run"], in: ws)
    #expect(dry.status == 0, "\(dry.stderr)")
    #expect(dry.stdout.contains("Would mark 2 images duplicate"))
    #expect(dry.stdout.contains("dry run, nothing changed"))
    #expect(dry.stdout.contains("broken.png"))

    let run = try Self.run(["dedup", "--json", "--report", "dups.html"], in: ws)
    #expect(run.status == 0, "\(run.stderr)")
    let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    #expect(json["schemaVersion"] as? Int == 1)
    #expect(json["command"] as? String == "dedup")
    let result = try #require((json["result"] as? [String: Any])?["dedup"] as? [String: Any])
    #expect(result["method"] as? String == "phash+centre")
    #expect(result["radius"] as? Int == 8)
    #expect(result["markedDuplicate"] as? Int == 2)
    let clusters = try #require(result["clusters"] as? [[String: Any]])
    #expect(clusters.count == 1)
    let members = try #require(clusters.first?["members"] as? [[String: Any]])
    #expect(members.count == 3)
    #expect((members.first?["origins"] as? [String]) == ["a/x/fruits.jpg"])
    let skipped = try #require((result["hashing"] as? [String: Any])?["skipped"] as? [[String: Any]])
    #expect(skipped.count == 1 && (skipped.first?["origin"] as? String) == "b/x/broken.png")
    let matrix = try #require(result["sourceMatrix"] as? [[String: Any]])
    #expect(
      matrix.contains { $0["sourceA"] as? String == "a" && $0["sourceB"] as? String == "b" && $0["pairs"] as? Int == 2 }
    )

    let html = try String(contentsOf: ws.appendingPathComponent("dups.html"), encoding: .utf8)
    #expect(html.contains("<!DOCTYPE html>"))
    #expect(html.components(separatedBy: "data:image/jpeg;base64,").count - 1 == 3)
    #expect(!html.contains("http://") && !html.contains("https://"), "self-contained")
    #expect(html.contains("Source × source") && html.contains("<b>kept</b>"))

    let stats = try Self.run(["stats", "--json"], in: ws)
    #expect(stats.stdout.contains("\"duplicate\" : 2"))

    // Again: nothing new to hash, nothing changes.
    let again = try Self.run(["dedup"], in: ws)
    #expect(again.stdout.contains("Hashed 0 images"))
    #expect(again.stdout.contains("Marked 0 images duplicate"))
    #expect(again.stdout.contains("unchanged"))
  }

  @Test(
    .requires(
      ready,
      "needs the built binary .build/debug/datasetkit (make test builds it) and opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"
    ))
  func usageErrors() throws {
    let folder = FileManager.default.temporaryDirectory
    let badRadius = try Self.run(["dedup", "--radius", "40"], in: folder)
    #expect(badRadius.status == 64)
    #expect(badRadius.stderr.contains("--radius"))
    let priority = try Self.run(["dedup", "--priority", "a"], in: folder)
    #expect(priority.status == 64)
    let badHash = try Self.run(["dedup", "--hash", "md5"], in: folder)
    #expect(badHash.status == 64)
  }
}
