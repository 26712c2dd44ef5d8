import Catalog
import Foundation
import TestSupport
import Testing

@testable import Ingest

@Suite("Folder import through the single ingest path")
struct FolderImportTests {
  /// A workspace and a folder-per-class tree of real JPEGs.
  func setUp(images: Int = 6) throws -> (Catalog, String, [[UInt8]]) {
    let base = try TestSupport.temporaryFolder()
    let catalog = try Workspace.create(at: base + "/ws")
    let jpegs = try TestSupport.distinctJPEGs(count: images)
    for (index, jpeg) in jpegs.enumerated() {
      let folder = index % 2 == 0 ? "with_mask" : "deep/er/without_mask"
      try TestSupport.write(jpeg, to: base + "/data/\(folder)/\(index).jpg")
    }
    return (catalog, base + "/data", jpegs)
  }

  @Test("labels come from the folder holding the image, at any depth; objects hash to their names")
  func labelsAndObjects() throws {
    let (catalog, root, jpegs) = try setUp()
    let report = try FolderImport.run(root: root, catalog: catalog)
    #expect(report.added == jpegs.count)
    #expect(report.labels == ["with_mask": 3, "without_mask": 3])
    let stats = try catalog.stats()
    #expect(stats.labels.map(\.label) == ["with_mask", "without_mask"])
    #expect(stats.sources.count == 1 && stats.sources[0].images == jpegs.count)
    #expect(try catalog.verifyObjects(rehash: true).isEmpty)
    let paths = try catalog.database.rows("SELECT rel_path FROM image_origins ORDER BY rel_path") { $0.text(0) ?? "" }
    #expect(paths.contains("deep/er/without_mask/1.jpg"))
  }

  @Test("importing the same folder again adds nothing and says so")
  func reimportIsNoOp() throws {
    let (catalog, root, jpegs) = try setUp()
    _ = try FolderImport.run(root: root, catalog: catalog)
    let again = try FolderImport.run(root: root, catalog: catalog)
    #expect(again.added == 0 && again.knownBytes == 0 && again.unchanged == jpegs.count)
    #expect(!again.sourceCreated)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_origins") == Int64(jpegs.count))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_labels") == Int64(jpegs.count))
  }

  @Test("the same bytes from two sources are one image with two origins")
  func crossSourceOverlap() throws {
    let (catalog, root, jpegs) = try setUp()
    _ = try FolderImport.run(root: root, catalog: catalog)
    let other = try TestSupport.temporaryFolder() + "/other"
    try TestSupport.write(jpegs[0], to: other + "/mask/copy.jpg")
    let report = try FolderImport.run(root: other, catalog: catalog)
    #expect(report.added == 0 && report.knownBytes == 1)
    let sha = SHA256.hex(of: jpegs[0])
    #expect(
      try catalog.database.scalarInt(
        "SELECT COUNT(*) FROM image_origins o JOIN images i ON i.id = o.image_id WHERE i.sha256 = ?",
        [.text(sha)]) == 2)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == Int64(jpegs.count))
  }

  @Test("truncated JPEG quarantined; HTML/PPM/SVG named .jpg skipped; header bomb rejected")
  func badFiles() throws {
    let (catalog, root, jpegs) = try setUp(images: 2)
    try TestSupport.write(Array(jpegs[0].prefix(jpegs[0].count - 300)), to: root + "/with_mask/cut.jpg")
    try TestSupport.write(Array("<html><body>403</body></html>".utf8), to: root + "/with_mask/page.jpg")
    try TestSupport.write(Array("P6\n1 1\n255\nabc".utf8), to: root + "/with_mask/p.jpg")
    try TestSupport.write(Array("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8), to: root + "/with_mask/v.jpg")
    var bomb: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
    bomb += be32(100_000) + be32(100_000) + [8, 2, 0, 0, 0, 0, 0, 0, 0]
    try TestSupport.write(bomb, to: root + "/with_mask/bomb.png")
    let report = try FolderImport.run(root: root, catalog: catalog)
    #expect(report.added == 3)  // 2 clean + 1 quarantined
    #expect(report.quarantined.map(\.path) == ["with_mask/cut.jpg"])
    #expect(Set(report.notImages.map(\.path)) == ["with_mask/page.jpg", "with_mask/p.jpg", "with_mask/v.jpg"])
    #expect(report.notImages.first { $0.path == "with_mask/page.jpg" }?.reason.contains("html") == true)
    #expect(report.rejected.map(\.path) == ["with_mask/bomb.png"])
    #expect(report.rejected[0].reason.contains("100000×100000"))
    let status = try catalog.database.scalarText(
      "SELECT status FROM images WHERE sha256 = ?",
      [.text(SHA256.hex(of: Array(jpegs[0].prefix(jpegs[0].count - 300))))])
    #expect(status == "quarantined")
    #expect(try catalog.stats().byStatus == ["active": 2, "quarantined": 1])
  }

  @Test("names with byte 0xFF or a newline are imported byte for byte and reported")
  func oddNames() throws {
    let (catalog, root, jpegs) = try setUp(images: 2)
    let newline = root + "/with_mask/new\nline.jpg"
    try TestSupport.write(jpegs[0] + [0], to: newline)  // distinct bytes (a trailing zero after FF D9)
    var raw = Array((root + "/with_mask/bad").utf8) + [0xFF] + Array("name.jpg".utf8)
    let extra = try TestSupport.distinctJPEGs(count: 1, seed: 3)[0]
    raw.append(0)
    let fd = raw.withUnsafeBufferPointer {
      open(UnsafeRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), O_WRONLY | O_CREAT, 0o644)
    }
    #expect(fd >= 0)
    _ = extra.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    close(fd)
    let report = try FolderImport.run(root: root, catalog: catalog)
    #expect(Set(report.oddNames) == ["with_mask/new\nline.jpg", "with_mask/bad\\xFFname.jpg"])
    let stored = try catalog.database.rows("SELECT rel_path_bytes FROM image_origins") { $0.blob(0) }
    #expect(stored.contains(Array("with_mask/bad".utf8) + [0xFF] + Array("name.jpg".utf8)))
    #expect(stored.contains(Array("with_mask/new\nline.jpg".utf8)))
    #expect(report.errors.isEmpty)
  }

  @Test("symbolic links out of the root are not followed; links inside it are")
  func symlinks() throws {
    let (catalog, root, _) = try setUp(images: 2)
    let outside = try TestSupport.temporaryFolder() + "/secret.jpg"
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1, seed: 9)[0], to: outside)
    try FileManager.default.createSymbolicLink(atPath: root + "/with_mask/escape.jpg", withDestinationPath: outside)
    try FileManager.default.createSymbolicLink(atPath: root + "/with_mask/up", withDestinationPath: "../..")
    try FileManager.default.createSymbolicLink(atPath: root + "/with_mask/inside.jpg", withDestinationPath: "0.jpg")
    let report = try FolderImport.run(root: root, catalog: catalog)
    #expect(report.walkSkipped.contains { $0.path == "with_mask/escape.jpg" && $0.reason.contains("outside") })
    #expect(report.walkSkipped.contains { $0.path == "with_mask/up" })
    #expect(report.added == 2 && report.knownBytes == 1)  // inside.jpg is 0.jpg's bytes
    #expect(
      try catalog.database.scalarInt(
        "SELECT COUNT(*) FROM images WHERE sha256 = ?",
        [.text(SHA256.hex(of: Array(try Data(contentsOf: URL(fileURLWithPath: outside)))))]) == 0)
  }

  @Test("an empty folder and a missing path give clear errors")
  func emptyAndMissing() throws {
    let (catalog, _, _) = try setUp(images: 0)
    let empty = try TestSupport.temporaryFolder()
    #expect(throws: IngestError.emptyFolder(empty)) { try FolderImport.run(root: empty, catalog: catalog) }
    #expect(throws: IngestError.pathNotFound("/no/such/folder")) {
      try FolderImport.run(root: "/no/such/folder", catalog: catalog)
    }
    #expect(IngestError.emptyFolder("/x").localizedDescription.contains("nothing to import"))
  }

  @Test(
    "disk full mid-import: clear error, the failed batch rolled back, earlier batches intact",
    .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
  func diskFull() throws {
    let mountPoint = try TestSupport.temporaryFolder("tmpfs")
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=1200k", "tmpfs", mountPoint]
    try mount.run()
    mount.waitUntilExit()
    try #require(mount.terminationStatus == 0, "cannot mount tmpfs")
    defer {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [mountPoint]
      try? umount.run()
      umount.waitUntilExit()
    }
    let catalog = try Workspace.create(at: mountPoint + "/ws")
    let source = try TestSupport.temporaryFolder() + "/many"
    let jpegs = try TestSupport.distinctJPEGs(count: 90, width: 320)
    for (index, jpeg) in jpegs.enumerated() { try TestSupport.write(jpeg, to: source + "/c/\(index).jpg") }
    var options = IngestOptions()
    options.batchSize = 10
    var thrown: IngestError?
    do {
      _ = try FolderImport.run(root: source, catalog: catalog, options: options)
    } catch let error as IngestError {
      thrown = error
    }
    guard case .storeFailed(let message, let committed) = thrown else {
      Issue.record("expected storeFailed, got \(String(describing: thrown))")
      return
    }
    #expect(message.contains("No space left") || message.contains("full"))
    #expect(committed > 0 && committed < jpegs.count)
    #expect(committed % 10 == 0)
    #expect(try catalog.integrityCheck() == ["ok"])
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == Int64(committed))
    #expect(try catalog.verifyObjects(rehash: true).isEmpty)
  }
}
