import Catalog
import Foundation
import Ingest
import Testing

@testable import Annotations

#if canImport(Glibc)
  import Glibc
#endif

/// A VOC file for tests.
func vocText(
  filename: String, path: String? = nil, width: Int = 40, height: Int = 30, boxes: [(String, Int, Int, Int, Int)]
)
  -> String
{
  var document = VOCDocument.labelImg(folder: "images", filename: filename, path: path, width: width, height: height)
  document.objects = boxes.map {
    VOCObject(name: $0.0, box: Box(xmin: Double($0.1), ymin: Double($0.2), xmax: Double($0.3), ymax: Double($0.4)))
  }
  return String(decoding: document.bytes(), as: UTF8.self)
}

func write(_ text: String, to url: URL) throws {
  try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data(text.utf8).write(to: url)
}

func write(_ bytes: [UInt8], to url: URL) throws {
  try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  try Data(bytes).write(to: url)
}

@Suite("VOC import")
struct VOCImportTests {
  func boxes(_ catalog: Catalog) throws -> [(file: String, name: String, box: Box, origin: String)] {
    try catalog.database.rows(
      """
      SELECT b.origin_file, c.name, b.xmin, b.ymin, b.xmax, b.ymax, b.origin FROM boxes b JOIN classes c ON c.id = b.class_id
      ORDER BY b.id
      """
    ) {
      (
        $0.text(0) ?? "", $0.text(1) ?? "",
        Box(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5)), $0.text(6) ?? ""
      )
    }
  }

  @Test("the raccoon set imports: 7 images, 8 boxes with origin voc and their file; again adds nothing")
  func raccoon() throws {
    let folder = try TestData.temporaryFolder("voc-import")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    let root = TestData.root.appendingPathComponent("labelimg-raccoon").path
    let report = try VOCImport.run(root: root, catalog: catalog)
    #expect(report.images.added == 7)
    #expect(report.annotationFiles == 7)
    #expect(report.documentsRecorded == 7)
    #expect(report.boxesAdded == 8)
    #expect(report.classes == ["raccoon": 8])
    #expect(report.rejectedFiles.isEmpty)
    #expect(report.warnings.isEmpty)
    #expect(report.imagesWithoutAnnotation.isEmpty && report.annotationsWithoutImage.isEmpty)
    let stored = try boxes(catalog)
    #expect(stored.count == 8)
    #expect(stored.allSatisfy { $0.origin == "voc" })
    #expect(stored.first?.file == "annotations/raccoon-1.xml")
    #expect(stored.first?.box == Box(xmin: 81, ymin: 88, xmax: 522, ymax: 408))
    #expect(try catalog.database.scalarText("SELECT kind FROM sources") == "voc")

    let again = try VOCImport.run(root: root, catalog: catalog)
    #expect(again.images.unchanged == 7)
    #expect(again.documentsUnchanged == 7 && again.documentsRecorded == 0 && again.boxesAdded == 0)
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM boxes") == 8)
  }

  @Test("the face-mask sample imports with its warnings: stray text, three clamped boxes")
  func faceMask() throws {
    let folder = try TestData.temporaryFolder("voc-import")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    let report = try VOCImport.run(root: TestData.root.appendingPathComponent("voc-facemask").path, catalog: catalog)
    #expect(report.images.added == 23)
    #expect(report.boxesAdded == 116)
    #expect(report.classes == ["with_mask": 90, "without_mask": 20, "mask_weared_incorrect": 6])
    #expect(report.rejectedFiles.isEmpty)
    let stray = report.warnings.filter { $0.code == "stray-text" }
    #expect(stray.map(\.file) == ["annotations/maksssksksss0.xml"])
    #expect(stray.first?.line == 22)
    #expect(Set(report.warnings.filter { $0.code == "clamped" }.map(\.file)).count == 3)
    #expect(report.warnings.filter { $0.code == "size-mismatch" }.isEmpty)
    let occluded = try catalog.database.scalarInt(
      "SELECT count(*) FROM boxes WHERE extra_xml LIKE '%<occluded>0</occluded>%'")
    #expect(occluded == 116)
  }

  @Test("<filename> and <path> never lead outside the dataset root (traversal, absolute, Windows, empty)")
  func traversal() throws {
    let folder = try TestData.temporaryFolder("voc-traversal")
    defer { try? FileManager.default.removeItem(at: folder) }
    let dataset = folder.appendingPathComponent("dataset")
    // Images outside the root that a careless resolver would pick up.
    try write(TinyPNG.make(width: 40, height: 30, seed: 99), to: folder.appendingPathComponent("secret.png"))
    try write(TinyPNG.make(width: 40, height: 30, seed: 98), to: folder.appendingPathComponent("outside.png"))
    for (index, name) in ["a", "b", "c", "d", "e"].enumerated() {
      try write(
        TinyPNG.make(width: 40, height: 30, seed: index), to: dataset.appendingPathComponent("images/\(name).png"))
    }
    // A symbolic link inside the root pointing outside it.
    try FileManager.default.createSymbolicLink(
      atPath: dataset.appendingPathComponent("images/link.png").path,
      withDestinationPath: folder.appendingPathComponent("outside.png").path)
    let box = [("face", 2, 2, 10, 10)]
    let annotations = dataset.appendingPathComponent("annotations")
    try write(vocText(filename: "../secret.png", boxes: box), to: annotations.appendingPathComponent("a.xml"))
    try write(
      vocText(filename: "../../../../etc/passwd", path: "/etc/passwd", boxes: box),
      to: annotations.appendingPathComponent("x1.xml"))
    try write(
      vocText(filename: "C:\\Users\\me\\Desktop\\b.png", path: "C:\\Users\\me\\Desktop\\b.png", boxes: box),
      to: annotations.appendingPathComponent("b.xml"))
    try write(
      vocText(filename: "", path: folder.appendingPathComponent("secret.png").path, boxes: box),
      to: annotations.appendingPathComponent("c.xml"))
    try write(
      vocText(filename: folder.appendingPathComponent("secret.png").path, boxes: box),
      to: annotations.appendingPathComponent("x2.xml"))
    try write(vocText(filename: "link.png", boxes: box), to: annotations.appendingPathComponent("x3.xml"))
    try write(vocText(filename: "..", boxes: box), to: annotations.appendingPathComponent("x4.xml"))

    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    let report = try VOCImport.run(root: dataset.path, catalog: catalog)
    // a.xml: "../secret.png" → only "secret.png" is looked for, inside the root: not there; then a.xml's own name → a.png.
    // b.xml: the Windows path gives b.png; c.xml: empty name → c.png by the XML's own name.
    let files = Set(try boxes(catalog).map(\.file))
    #expect(files == ["annotations/a.xml", "annotations/b.xml", "annotations/c.xml"])
    #expect(
      report.annotationsWithoutImage.map(\.path).sorted() == [
        "annotations/x1.xml", "annotations/x2.xml", "annotations/x3.xml", "annotations/x4.xml",
      ])
    #expect(report.annotationsWithoutImage.first { $0.path.hasSuffix("x1.xml") }?.reason.contains("\"passwd\"") == true)
    #expect(
      report.warnings.contains { $0.file == "annotations/b.xml" && $0.message.contains("only the name \"b.png\"") })
    #expect(report.images.walkSkipped.contains { $0.path == "images/link.png" })
    // Nothing outside the root was read: every origin is inside it.
    let origins = try catalog.database.rows("SELECT rel_path FROM image_origins") { $0.text(0) ?? "" }
    #expect(origins.sorted() == ["images/a.png", "images/b.png", "images/c.png", "images/d.png", "images/e.png"])
    #expect(report.imagesWithoutAnnotation == ["images/d.png", "images/e.png"])
  }

  @Test("a file with one impossible box imports none of its boxes; the image still comes in; missing pairs named")
  func allOrNone() throws {
    let folder = try TestData.temporaryFolder("voc-allornone")
    defer { try? FileManager.default.removeItem(at: folder) }
    let dataset = folder.appendingPathComponent("dataset")
    try write(TinyPNG.make(width: 40, height: 30, seed: 1), to: dataset.appendingPathComponent("good.png"))
    try write(TinyPNG.make(width: 40, height: 30, seed: 2), to: dataset.appendingPathComponent("bad.png"))
    try write(TinyPNG.make(width: 40, height: 30, seed: 3), to: dataset.appendingPathComponent("lonely.png"))
    try write(
      vocText(filename: "good.png", boxes: [("face", 1, 1, 20, 20), ("face", 5, 5, 41, 30)]),
      to: dataset.appendingPathComponent("good.xml"))
    try write(
      vocText(filename: "bad.png", boxes: [("face", 1, 1, 20, 20), ("face", 30, 5, 10, 10)]),
      to: dataset.appendingPathComponent("bad.xml"))
    try write(
      vocText(filename: "ghost.png", boxes: [("face", 1, 1, 20, 20)]), to: dataset.appendingPathComponent("ghost.xml"))
    try write(
      vocText(filename: "good.png", width: 400, height: 300, boxes: []),
      to: dataset.appendingPathComponent("sub/good.xml"))
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    let report = try VOCImport.run(root: dataset.path, catalog: catalog)
    #expect(report.images.added == 3)
    #expect(report.boxesAdded == 2)
    #expect(try boxes(catalog).map(\.file) == ["good.xml", "good.xml"])
    #expect(try boxes(catalog).last?.box == Box(xmin: 5, ymin: 5, xmax: 40, ymax: 30))
    #expect(report.rejectedFiles.map(\.path) == ["bad.xml"])
    #expect(report.rejectedFiles.first?.reason.contains("min greater than max") == true)
    #expect(report.annotationsWithoutImage.map(\.path) == ["ghost.xml"])
    #expect(report.annotationsWithoutImage.first?.reason.contains("ghost.png") == true)
    #expect(report.imagesWithoutAnnotation == ["lonely.png"])
    #expect(report.warnings.contains { $0.code == "clamped" && $0.file == "good.xml" })
    #expect(report.warnings.contains { $0.code == "size-mismatch" && $0.file == "sub/good.xml" })
  }

  @Test("layout detection: annotations/ + images/, XML beside images, plain class folders")
  func detection() {
    #expect(VOCLayout.looksLikeVOC(relativePaths: ["annotations/a.xml", "images/a.png"]))
    #expect(VOCLayout.looksLikeVOC(relativePaths: ["VOC2007/Annotations/1.xml", "VOC2007/JPEGImages/1.jpg"]))
    #expect(VOCLayout.looksLikeVOC(relativePaths: ["a.jpg", "a.xml", "b.jpg", "b.xml"]))
    #expect(!VOCLayout.looksLikeVOC(relativePaths: ["with_mask/a.jpg", "without_mask/b.jpg"]))
    #expect(!VOCLayout.looksLikeVOC(relativePaths: ["with_mask/a.jpg", "notes/pom.xml"]))
  }

  @Test("an annotation file changed since the last import replaces its boxes; unchanged files are left alone")
  func changedFile() throws {
    let folder = try TestData.temporaryFolder("voc-changed")
    defer { try? FileManager.default.removeItem(at: folder) }
    let dataset = folder.appendingPathComponent("dataset")
    try write(TinyPNG.make(width: 40, height: 30, seed: 1), to: dataset.appendingPathComponent("images/a.png"))
    try write(TinyPNG.make(width: 40, height: 30, seed: 2), to: dataset.appendingPathComponent("images/b.png"))
    let a = dataset.appendingPathComponent("annotations/a.xml")
    try write(vocText(filename: "a.png", boxes: [("face", 1, 1, 10, 10), ("face", 5, 5, 20, 20)]), to: a)
    try write(
      vocText(filename: "b.png", boxes: [("face", 2, 2, 9, 9)]), to: dataset.appendingPathComponent("annotations/b.xml")
    )
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    #expect(try VOCImport.run(root: dataset.path, catalog: catalog).boxesAdded == 3)
    try write(vocText(filename: "a.png", boxes: [("mask", 3, 3, 30, 25)]), to: a)
    let again = try VOCImport.run(root: dataset.path, catalog: catalog)
    #expect(again.documentsRecorded == 1 && again.documentsUnchanged == 1 && again.boxesAdded == 1)
    let stored = try boxes(catalog)
    #expect(stored.map(\.file) == ["annotations/b.xml", "annotations/a.xml"])
    #expect(stored.last?.name == "mask")
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM voc_documents") == 2)
  }
}
