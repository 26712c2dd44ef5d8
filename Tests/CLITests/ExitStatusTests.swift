import Foundation
import TestSupport
import Testing

@testable import datasetkit

/// A batch command whose every item failed exits 1 (after printing its report), so a script notices; one
/// good item among bad ones, or nothing to do, exits 0.
@Suite("Exit status of batch commands")
struct ExitStatusTests {
  func workspace() throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder("dsk-exit")
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    return (base, ws)
  }

  func urlList(_ urls: [String], in base: String) throws -> String {
    let path = base + "/urls.txt"
    try TestSupport.write(Array((urls.joined(separator: "\n") + "\n").utf8), to: path)
    return path
  }

  /// The first crawl report of a `--json` crawl result.
  func crawlReport(_ stdout: String) throws -> [String: Any] {
    let results = try #require(try TestSupport.jsonResult(stdout) as? [[String: Any]])
    return try #require(results.first)
  }

  @Test("a crawl with every URL refused (private addresses) exits 1 and still prints its report")
  func crawlAllRefused() throws {
    let (base, ws) = try workspace()
    let server = try LoopbackServer { _ in .status(200) }
    defer { server.stop() }
    let list = try urlList(["\(server.base)/a.jpg", "\(server.base)/b.jpg"], in: base)
    let run = try TestSupport.run(["crawl", "--provider", "urls", "--urls", list, "--json"], in: ws)
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
    #expect(run.stderr.contains("every item failed (2 URLs, none succeeded)"), "\(run.stderr)")
    let report = try crawlReport(run.stdout)
    #expect((report["failed"] as? [Any])?.count == 2)
    #expect(report["stored"] as? Int == 0)
    #expect(server.requests.isEmpty)  // refused before connecting
  }

  @Test("a crawl whose every URL answers 404 exits 1; one image among them exits 0")
  func crawlAllRejectedThenOneGood() throws {
    let (base, ws) = try workspace()
    let jpeg = try #require(try TestSupport.distinctJPEGs(count: 1).first)
    let server = try LoopbackServer { request in
      request.path == "/good.jpg"
        ? .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: jpeg) : .status(404)
    }
    defer { server.stop() }
    let missing = try urlList(["\(server.base)/missing-1.jpg", "\(server.base)/missing-2.jpg"], in: base)
    let bad = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", missing, "--query", "missing", "--allow-private-network", "--json"],
      in: ws)
    #expect(bad.status == 1, "\(bad.stdout)\n\(bad.stderr)")
    #expect(bad.stderr.contains("every item failed"), "\(bad.stderr)")
    #expect((try crawlReport(bad.stdout)["rejected"] as? [Any])?.count == 2)

    let mixed = try urlList(["\(server.base)/missing-3.jpg", "\(server.base)/good.jpg"], in: base)
    let good = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", mixed, "--query", "mixed", "--allow-private-network", "--json"], in: ws)
    #expect(good.status == 0, "\(good.stdout)\n\(good.stderr)")
    #expect(!good.stderr.contains("every item failed"))
    let report = try crawlReport(good.stdout)
    #expect(report["stored"] as? Int == 1)
    #expect((report["rejected"] as? [Any])?.count == 1)
  }

  @Test("an import whose every file fails exits 1; one good image among them exits 0, also when it is unchanged")
  func importAllFailed() throws {
    let (base, ws) = try workspace()
    try TestSupport.write(Array("not an image".utf8), to: base + "/bad/notes.jpg")
    try TestSupport.write([0xFF, 0xD8, 0xFF], to: base + "/bad/cut.jpg")
    let bad = try TestSupport.run(["import", base + "/bad"], in: ws)
    #expect(bad.status == 1, "\(bad.stdout)\n\(bad.stderr)")
    #expect(bad.stdout.contains("files seen"))  // the report is printed before the error
    #expect(bad.stderr.contains("every item failed (2 files, none succeeded)"), "\(bad.stderr)")

    let jpeg = try #require(try TestSupport.distinctJPEGs(count: 1).first)
    try TestSupport.write(jpeg, to: base + "/bad/good.jpg")
    let mixed = try TestSupport.run(["import", base + "/bad"], in: ws)
    #expect(mixed.status == 0, "\(mixed.stdout)\n\(mixed.stderr)")

    // Again: the image is unchanged since the last import (a success with nothing new), the others fail again.
    let again = try TestSupport.run(["import", base + "/bad"], in: ws)
    #expect(again.status == 0, "\(again.stdout)\n\(again.stderr)")
  }

  /// Overwrites every stored image of the workspace with bytes no decoder reads (the store's files are read-only).
  func damageStoredImages(_ ws: String) throws {
    let objects = ws + "/objects"
    let files = try #require(FileManager.default.enumerator(atPath: objects)).compactMap { $0 as? String }
    var damaged = 0
    for file in files where !file.hasPrefix("tmp") {
      var isFolder: ObjCBool = false
      guard FileManager.default.fileExists(atPath: objects + "/" + file, isDirectory: &isFolder), !isFolder.boolValue
      else { continue }
      try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: objects + "/" + file)
      try TestSupport.write(Array("damaged on disk".utf8), to: objects + "/" + file)
      damaged += 1
    }
    #expect(damaged > 0)
  }

  @Test("dedup whose every image fails to decode exits 1 and still prints its report", .requiresBinary)
  func dedupAllFailed() throws {
    let (base, ws) = try workspace()
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 2).enumerated() {
      try TestSupport.write(jpeg, to: base + "/photos/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", base + "/photos"], in: ws).status == 0)
    try damageStoredImages(ws)
    let run = try TestSupport.run(["dedup"], in: ws)
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
    #expect(run.stderr.contains("every item failed (2 images to hash, none succeeded)"), "\(run.stderr)")
  }

  @Test("faces crop whose every box's photo is damaged exits 1; the failures are listed", .requiresBinary)
  func facesCropAllFailed() throws {
    let (base, ws) = try workspace()
    let fixture = TestSupport.testdata + "/voc-facemask"
    for stem in ["maksssksksss0", "maksssksksss1"] {
      try TestSupport.write(
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(fixture)/images/\(stem).png"))),
        to: "\(base)/voc/images/\(stem).png")
      try TestSupport.write(
        Array(try Data(contentsOf: URL(fileURLWithPath: "\(fixture)/annotations/\(stem).xml"))),
        to: "\(base)/voc/annotations/\(stem).xml")
    }
    let imported = try TestSupport.run(["import", base + "/voc", "--layout", "voc"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    try damageStoredImages(ws)
    let run = try TestSupport.run(["faces", "crop", "--json"], in: ws)
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
    #expect(run.stderr.contains("every item failed"), "\(run.stderr)")
    #expect(run.stderr.contains("none succeeded"), "\(run.stderr)")
    let result = try #require(try TestSupport.jsonResult(run.stdout) as? [String: Any])
    #expect(result["cropped"] as? Int == 0)
    #expect(((result["failed"] as? [Any])?.count ?? 0) > 0, "\(run.stdout)")
  }

  @Test("a merge whose every source file fails to import exits 1; the report is printed first", .requiresBinary)
  func mergeAllFailed() throws {
    let (base, ws) = try workspace()
    try TestSupport.write(Array("not an image".utf8), to: base + "/k/WithMask/1.jpg")
    try TestSupport.write([0xFF, 0xD8, 0xFF], to: base + "/k/WithoutMask/2.jpg")
    let recipe = """
      name: broken
      sources:
        - {name: kaggle, path: k, layout: folders}
      classes: {WithMask: with_mask, WithoutMask: without_mask}
      views:
        - {name: two, classes: [with_mask, without_mask]}

      """
    try TestSupport.write(Array(recipe.utf8), to: base + "/recipe.yaml")
    let run = try TestSupport.run(["merge", base + "/recipe.yaml"], in: ws)
    #expect(run.status == 1, "\(run.stdout)\n\(run.stderr)")
    #expect(run.stderr.contains("every item failed (2 files, none succeeded)"), "\(run.stderr)")
    #expect(!run.stdout.isEmpty)  // the report is printed before the error
  }

  @Test("the every-item-failed rule: failures and no success, nothing else")
  func itemCounts() {
    #expect(ItemCounts(succeeded: 0, failed: 3, noun: "files").everyItemFailed != nil)
    #expect(ItemCounts(succeeded: 1, failed: 3, noun: "files").everyItemFailed == nil)
    #expect(ItemCounts(succeeded: 0, failed: 0, noun: "files").everyItemFailed == nil)
    #expect(ItemCounts(succeeded: 5, failed: 0, noun: "files").everyItemFailed == nil)
  }
}

@Suite("Progress bar text")
struct ProgressTextTests {
  @Test("rate and time left at the pace so far")
  func rateAndETA() {
    #expect(ProgressBar.rateAndETA(done: 100, of: 400, elapsed: 2) == "50/s, ETA 6s")
    #expect(ProgressBar.rateAndETA(done: 3, of: 1000, elapsed: 2) == "1.5/s, ETA 11m05s")
    #expect(ProgressBar.rateAndETA(done: 10, of: 100_000, elapsed: 4) == "2.5/s, ETA 11h06m")
    #expect(ProgressBar.rateAndETA(done: 400, of: 400, elapsed: 8) == "50/s")  // done: no ETA
    #expect(ProgressBar.rateAndETA(done: 0, of: 400, elapsed: 2).isEmpty)  // no pace yet
    #expect(ProgressBar.rateAndETA(done: 5, of: 400, elapsed: 0).isEmpty)
    #expect(ProgressBar.rateAndETA(done: 1, of: Int.max, elapsed: 1_000).hasSuffix("ETA >99h"))
  }

  @Test("durations: seconds, minutes and seconds, hours and minutes")
  func durations() {
    #expect(ProgressBar.duration(0.2) == "1s")
    #expect(ProgressBar.duration(59) == "59s")
    #expect(ProgressBar.duration(65) == "1m05s")
    #expect(ProgressBar.duration(3600) == "1h00m")
    #expect(ProgressBar.duration(.infinity) == ">99h")
  }

  @Test("the whole line: bar, counts, detail, pace")
  func line() {
    #expect(
      ProgressBar.line("importing", done: 15, of: 30, detail: "files", elapsed: 3)
        == "importing [###############...............] 15/30 files, 5.0/s, ETA 3s")
    #expect(
      ProgressBar.line("hashing", done: 0, of: 10, detail: "", elapsed: 1)
        == "hashing [..............................] 0/10")
  }
}
