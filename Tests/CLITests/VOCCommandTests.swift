import Foundation
import TestSupport
import Testing

/// End-to-end: the built binary on the shared real files.
@Suite("CLI: VOC import, lint, export")
struct VOCCommandTests {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let binary = repository.appendingPathComponent(".build/debug/datasetkit")
  static let testdata = repository.appendingPathComponent("Tests/Fixtures")

  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  func run(_ arguments: [String], in folder: URL) throws -> Run {
    let result = try TestSupport.run(arguments, in: folder.path)
    return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  func temporary() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dsk-cli-voc-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  @Test(
    "import (auto-detected voc) → export voc: raccoon files come back byte for byte",
    .requiresBinary)
  func importExport() throws {
    let folder = try temporary()
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(try run(["init", "ws"], in: folder).status == 0)
    let ws = folder.appendingPathComponent("ws")
    let imported = try run(["import", Self.testdata.appendingPathComponent("voc-facemask").path], in: ws)
    #expect(imported.status == 0)
    #expect(imported.stdout.contains("layout voc (guessed)"))
    #expect(imported.stdout.contains("116 boxes added"))
    #expect(imported.stdout.contains("maksssksksss0.xml:22: stray text"))
    let json = try run(
      ["import", Self.testdata.appendingPathComponent("labelimg-raccoon").path, "--layout", "voc", "--json"], in: ws)
    #expect(json.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
    let result = (object?["result"] as? [[String: Any]])?.first
    #expect((result?["annotations"] as? [String: Any])?["boxesAdded"] as? Int == 8)
    #expect((result?["report"] as? [String: Any])?["added"] as? Int == 7)
    #expect(object?["schemaVersion"] as? Int == 1)

    let exported = try run(["export", "--format", "voc", "--out", folder.appendingPathComponent("out").path], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    #expect(exported.stdout.contains("Exported 30 images and 124 boxes as voc"))
    for name in ["raccoon-1", "raccoon-12", "raccoon-37"] {
      let original = try Data(
        contentsOf: Self.testdata.appendingPathComponent("labelimg-raccoon/annotations/\(name).xml"))
      let written = try Data(contentsOf: folder.appendingPathComponent("out/Annotations/\(name).xml"))
      #expect(original == written, "\(name)")
    }
    // The same folder again: an earlier export is replaced whole; a folder of other files is refused.
    let again = try run(["export", "--format", "yolo", "--out", folder.appendingPathComponent("out").path], in: ws)
    #expect(again.status == 0)
    #expect(again.stdout.contains("replaced the earlier export"))
    let foreign = folder.appendingPathComponent("foreign")
    try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
    try Data("mine".utf8).write(to: foreign.appendingPathComponent("notes.txt"))
    let refused = try run(["export", "--format", "yolo", "--out", foreign.path], in: ws)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("not a datasetkit export"))
    let yolo = try run(
      [
        "export", "--format", "yolo", "--label", "raccoon", "--out", folder.appendingPathComponent("yolo").path,
        "--json",
      ], in: ws)
    #expect(yolo.status == 0)
    #expect(yolo.stdout.contains("\"files\" : 7"))
  }

  @Test(
    "voc lint: warnings exit 0, errors exit 1, --json shape",
    .requiresBinary)
  func lint() throws {
    let folder = try temporary()
    defer { try? FileManager.default.removeItem(at: folder) }
    let clean = try run(["voc", "lint", Self.testdata.appendingPathComponent("labelimg-raccoon").path], in: folder)
    #expect(clean.status == 0)
    #expect(clean.stdout.contains("7 files: 0 errors, 0 warnings, 0 notes; 7 exactly LabelImg's format"))
    let warned = try run(["voc", "lint", Self.testdata.appendingPathComponent("voc-facemask").path], in: folder)
    #expect(warned.status == 0)
    #expect(warned.stdout.contains("maksssksksss0.xml:22: warning: stray text"))
    #expect(warned.stdout.contains("[clamped]"))
    let bad = folder.appendingPathComponent("bad.xml")
    try Data("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/hostname\">]><annotation>&x;</annotation>".utf8).write(
      to: bad)
    let failed = try run(["voc", "lint", bad.path, "--json"], in: folder)
    #expect(failed.status == 1)
    let object = try JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [String: Any]
    let result = object?["result"] as? [String: Any]
    #expect(result?["errors"] as? Int == 1)
    let finding = ((result?["files"] as? [[String: Any]])?.first?["findings"] as? [[String: Any]])?.first
    #expect(finding?["code"] as? String == "xml")
    #expect((finding?["message"] as? String)?.contains("DOCTYPE not allowed") == true)
  }
}
