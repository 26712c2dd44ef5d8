import Annotations
import AutoFace
import Catalog
import Export
import Foundation
import Imaging
import Ingest
import TestSupport
import Testing

@testable import Merge

@Suite("Boxes of VOC and YOLO sources: labelled crops in recipes, VOC inside a zip, YOLO boxes stored")
struct BoxesTests {
  /// A Pascal VOC file for a 200×150 image with these objects (class, xmin, ymin, xmax, ymax).
  static func voc(_ image: String, _ objects: [(String, Int, Int, Int, Int)]) -> [UInt8] {
    var text = "<annotation>\n  <folder>images</folder>\n  <filename>\(image)</filename>\n"
    text += "  <size><width>200</width><height>150</height><depth>3</depth></size>\n"
    for (name, xmin, ymin, xmax, ymax) in objects {
      text += "  <object><name>\(name)</name><difficult>0</difficult>"
      text +=
        "<bndbox><xmin>\(xmin)</xmin><ymin>\(ymin)</ymin><xmax>\(xmax)</xmax><ymax>\(ymax)</ymax></bndbox></object>\n"
    }
    return Array((text + "</annotation>\n").utf8)
  }

  /// The Kaggle face-mask layout (`annotations/*.xml` + `images/*`), with hostile files: a broken XML, a
  /// file whose box lies far outside its image (none of its boxes count), and an XML naming a missing image.
  /// Usable boxes, by hand: a: with_mask ×2, without_mask; b: mask_weared_incorrect, with_mask (the second
  /// box passes the edge by 2 px: clamped). 3 with_mask, 1 without_mask, 1 mask_weared_incorrect.
  func kaggleTree(_ root: String) throws -> [[UInt8]] {
    let jpegs = try TestSupport.distinctJPEGs(count: 3, seed: 3)
    try Fixtures.tree(
      root,
      [
        ("images/a.png", jpegs[0]), ("images/b.png", jpegs[1]), ("images/c.png", jpegs[2]),
        (
          "annotations/a.xml",
          Self.voc(
            "a.png",
            [("with_mask", 10, 10, 60, 70), ("with_mask", 100, 20, 150, 80), ("without_mask", 20, 80, 70, 140)])
        ),
        (
          "annotations/b.xml",
          Self.voc("b.png", [("mask_weared_incorrect", 30, 30, 90, 100), ("with_mask", 150, 90, 202, 150)])
        ),
        ("annotations/c.xml", Self.voc("c.png", [("with_mask", 500, 400, 600, 500)])),
        ("annotations/broken.xml", Array("<annotation><filename>a.png</filename><object><name>with_mask".utf8)),
        ("annotations/ghost.xml", Self.voc("ghost.png", [("without_mask", 1, 1, 40, 40)])),
      ])
    return jpegs
  }

  func workspace() throws -> (Catalog, String) {
    let base = try TestSupport.temporaryFolder("boxes")
    return (try Workspace.create(at: base + "/ws"), base)
  }

  func write(_ text: String, _ base: String) throws -> Recipe {
    try Data(text.utf8).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    return try Recipe.load(path: base + "/recipe.yaml")
  }

  func recipe(path: String, boxes: String) -> String {
    """
    name: crops
    sources:
      - name: kaggle
        path: \(path)
        layout: voc
        boxes: \(boxes)
        crop: {margin: 0.1, size: 48, square: true}
    classes: {mask_weared_incorrect: incorrect}
    views:
      - {name: two, classes: [with_mask, without_mask], fold: {incorrect: with_mask}}
      - {name: three, classes: [with_mask, without_mask, incorrect]}

    """
  }

  @Test("boxes: crops cuts each usable box into a crop labelled by its class; counts are the hand count; re-run no-op")
  func vocCrops() throws {
    let (catalog, base) = try workspace()
    _ = try kaggleTree(base + "/kaggle")
    let recipe = try write(recipe(path: "kaggle", boxes: "crops"), base)
    #expect(recipe.sources[0].boxes == .crops)
    #expect(recipe.sources[0].crop.margin == 0.1 && recipe.sources[0].crop.size == 48 && recipe.sources[0].crop.square)
    let report = try MergeRun.run(recipe, catalog: catalog)
    let source = report.sources[0]
    #expect(source.layout == "voc")
    #expect(source.added == 3)
    #expect(source.boxes == 5)
    #expect(source.crops?.boxes == 5 && source.crops?.cut == 5 && source.crops?.failed == [])
    // Per file: the broken one, the impossible box, the missing image; each named, the others imported.
    #expect(
      Set(source.problems.map(\.path)) == ["annotations/broken.xml", "annotations/c.xml", "annotations/ghost.xml"])
    #expect(source.problems.first { $0.path == "annotations/ghost.xml" }?.reason.contains("ghost.png") == true)
    let three = try #require(report.views.first { $0.name == "three" })
    #expect(three.classes == ["with_mask": 3, "without_mask": 1, "incorrect": 1])
    #expect(three.bySource == ["kaggle": ["with_mask": 3, "without_mask": 1, "incorrect": 1]])
    #expect(report.views.first { $0.name == "two" }?.classes == ["with_mask": 4, "without_mask": 1])
    // The view holds the crops, not the whole images: each a child of its image, 48 px on its longer side
    // (square unless the image's edge cut it).
    let members = try catalog.database.rows(
      """
      SELECT i.width, i.height, i.parent_image_id IS NOT NULL FROM image_labels l JOIN images i ON i.id = l.image_id
      WHERE l.view = 'three'
      """
    ) { ($0.int(0), $0.int(1), $0.int(2)) }
    #expect(members.count == 5)
    #expect(members.allSatisfy { max($0.0, $0.1) == 48 && $0.2 == 1 })
    #expect(members.contains { $0.0 == $0.1 })
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM crops") == 5)
    // The whole images carry no majority label.
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_labels WHERE how = 'voc-majority'") == 0)

    let again = try MergeRun.run(recipe, catalog: catalog)
    #expect(again.sources[0].added == 0 && again.sources[0].crops?.cut == 0 && again.sources[0].crops?.cutBefore == 5)
    #expect(again.views.allSatisfy { $0.labelsAdded == 0 && $0.labelsRemoved == 0 })
    #expect(again.views.map(\.classes) == report.views.map(\.classes))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == 8)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM crops") == 5)
  }

  @Test("a box whose image cannot be decoded is reported with its box; the other boxes are cut")
  func cropFailure() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 1, seed: 4)
    // A WebP whose header is complete (imported) but whose pixels are not (it cannot be cut).
    try Fixtures.tree(
      base + "/voc",
      [
        ("images/a.jpg", jpegs[0]), ("images/w.webp", Fixtures.webp(seed: 1)),
        ("annotations/a.xml", Self.voc("a.jpg", [("with_mask", 10, 10, 60, 70)])),
        (
          "annotations/w.xml",
          Array(
            "<annotation><filename>w.webp</filename><object><name>without_mask</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax><ymax>9</ymax></bndbox></object></annotation>"
              .utf8)
        ),
      ])
    let report = try MergeRun.run(try write(recipe(path: "voc", boxes: "crops"), base), catalog: catalog)
    let crops = try #require(report.sources[0].crops)
    #expect(crops.boxes == 2 && crops.cut == 1)
    #expect(crops.failed.count == 1)
    #expect(crops.failed.first?.hasPrefix("box ") == true)
    #expect(report.views.first { $0.name == "three" }?.classes == ["with_mask": 1])
  }

  @Test("switching a source from boxes: majority to crops replaces its images by their crops in the views")
  func majorityThenCrops() throws {
    let (catalog, base) = try workspace()
    _ = try kaggleTree(base + "/kaggle")
    let majority = try write(
      recipe(path: "kaggle", boxes: "majority").replacingOccurrences(
        of: "    crop: {margin: 0.1, size: 48, square: true}\n", with: ""),
      base)
    let first = try MergeRun.run(majority, catalog: catalog)
    // a: with_mask (2 of 3); b: a tie (incorrect 1, with_mask 1) decided by the views' class order:
    // with_mask. The tie is counted.
    #expect(first.views.first { $0.name == "three" }?.classes == ["with_mask": 2])
    #expect(first.majorityTies == 1)
    #expect(first.tieRule == "class order with_mask, without_mask, incorrect (the views' classes)")
    #expect(first.sources[0].crops == nil)
    let crops = try MergeRun.run(try write(recipe(path: "kaggle", boxes: "crops"), base), catalog: catalog)
    let three = try #require(crops.views.first { $0.name == "three" })
    #expect(three.classes == ["with_mask": 3, "without_mask": 1, "incorrect": 1])
    #expect(three.labelsRemoved == 2 && three.labelsAdded == 5)
  }

  @Test("a zipped VOC dataset imports from the archive: boxes, majority labels, per-file problems, zip checks")
  func vocInsideZip() throws {
    let (catalog, base) = try workspace()
    _ = try kaggleTree(base + "/tree/face-mask-detection")
    try Fixtures.zip(folder: base + "/tree", to: base + "/face-mask-detection.zip")
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/face-mask-detection.zip"), catalog: catalog)
    #expect(result.layout.layout == "voc" && result.layout.guessed)
    #expect(result.archive?.files == 8)
    #expect(result.images.added == 3)
    #expect(result.layout.boxes == 5)
    #expect(result.annotations?.annotationFiles == 5)
    #expect(result.images.labels == ["with_mask": 1, "mask_weared_incorrect": 1])
    let ghost = try #require(result.layout.problems.first { $0.path.hasSuffix("ghost.xml") })
    #expect(ghost.path == "face-mask-detection/annotations/ghost.xml")
    #expect(ghost.reason.contains("no image \"ghost.png\""))
    #expect(result.layout.problems.contains { $0.path.hasSuffix("broken.xml") })
    let kinds = try catalog.database.rows("SELECT kind, name FROM sources") {
      "\($0.text(0) ?? "") \($0.text(1) ?? "")"
    }
    #expect(kinds == ["zip face-mask-detection"])
    // Boxes point at the entry names; the staging folder is gone.
    let files = try catalog.database.rows("SELECT DISTINCT origin_file FROM boxes ORDER BY 1") { $0.text(0) ?? "" }
    #expect(files == ["face-mask-detection/annotations/a.xml", "face-mask-detection/annotations/b.xml"])
    let staging = (try? FileManager.default.contentsOfDirectory(atPath: catalog.workspace.root + "/tmp")) ?? []
    #expect(staging.filter { $0.hasPrefix("zip-") }.isEmpty)

    let again = try LayoutImport.run(LayoutImport.Request(path: base + "/face-mask-detection.zip"), catalog: catalog)
    #expect(again.images.added == 0 && again.images.unchanged == 3)
    #expect(again.annotations?.documentsUnchanged == 2 && again.annotations?.boxesAdded == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM boxes") == 5)

    // And in a recipe, as crops, straight from the zip.
    let recipe = try write(recipe(path: "face-mask-detection.zip", boxes: "crops"), base)
    let merged = try MergeRun.run(recipe, catalog: catalog)
    #expect(merged.views.first { $0.name == "three" }?.classes == ["with_mask": 3, "without_mask": 1, "incorrect": 1])
  }

  @Test("a hostile zipped VOC set: zip-slip and link entries refused, the rest imports; a damaged archive adds nothing")
  func hostileVOCZip() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 1, seed: 9)
    var link = ZipBytes.Item("annotations/link.xml", Array("/etc/passwd".utf8))
    link.mode = 0o120777
    let items = [
      ZipBytes.Item("images/a.jpg", jpegs[0]),
      ZipBytes.Item("annotations/a.xml", Self.voc("a.jpg", [("with_mask", 5, 5, 50, 50)])),
      ZipBytes.Item("../annotations/evil.xml", Self.voc("a.jpg", [("without_mask", 5, 5, 50, 50)])), link,
    ]
    try TestSupport.write(ZipBytes.build(items), to: base + "/voc.zip")
    var request = LayoutImport.Request(path: base + "/voc.zip")
    request.layout = .voc
    let result = try LayoutImport.run(request, catalog: catalog)
    #expect(result.archive?.unsafeNames.map(\.path) == ["../annotations/evil.xml"])
    #expect(result.archive?.links.map(\.path) == ["annotations/link.xml"])
    #expect(result.images.labels == ["with_mask": 1])
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM boxes") == 1)

    var bad = items[0]
    bad.crc = 1234
    try TestSupport.write(ZipBytes.build([bad, items[1]]), to: base + "/bad.zip")
    request.path = base + "/bad.zip"
    #expect(throws: MergeError.self) { try LayoutImport.run(request, catalog: catalog) }
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == 1)
  }

  @Test("YOLO boxes are stored in pixels as LabelImg reads them; bad lines named; re-import adds none; changes replace")
  func yoloBoxes() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 2, seed: 5)
    try Fixtures.tree(
      base + "/yolo",
      [
        ("classes.txt", Array("with_mask\nwithout_mask\n".utf8)),
        ("images/a.jpg", jpegs[0]),
        // 200×150: (0.5, 0.5, 0.2, 0.2) → 80,60–120,90; (0.95, 0.1, 0.2, 0.4) passes two edges → 170,0–200,45.
        ("labels/a.txt", Array("0 0.5 0.5 0.2 0.2\n1 0.95 0.1 0.2 0.4\nnot a line\n1 0.5 0.5 0.2\n".utf8)),
        ("images/b.jpg", jpegs[1]),
        // No area: a zero-width box; the other is fine.
        ("labels/b.txt", Array("0 0.25 0.5 0 0.2\n\n0 0.25 0.5 0.1 0.2\n".utf8)),
      ])
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/yolo"), catalog: catalog)
    #expect(result.layout.layout == "yolo")
    #expect(result.layout.boxes == 3)
    #expect(result.layout.problems.map(\.path) == ["labels/a.txt:3", "labels/a.txt:4", "labels/b.txt:1"])
    #expect(result.layout.problems.last?.reason.contains("no area inside the 200×150 image") == true)
    #expect(result.images.labels == ["with_mask": 2])
    // YOLO boxes are truth for `faces eval` like VOC ones.
    let truth = try catalog.truthFaces(source: result.images.sourceName)
    #expect(truth.values.map(\.count).reduce(0, +) == 3)
    func boxes() throws -> [String] {
      try catalog.database.rows(
        """
        SELECT o.rel_path, c.name, b.xmin, b.ymin, b.xmax, b.ymax, b.origin, b.origin_file, b.status FROM boxes b
        JOIN classes c ON c.id = b.class_id JOIN image_origins o ON o.image_id = b.image_id
        WHERE b.status != 'rejected' ORDER BY b.id
        """
      ) { row in
        (0..<9).map { column -> String in
          let value = row.text(Int32(column)) ?? ""
          return value.hasSuffix(".0") ? String(value.dropLast(2)) : value
        }.joined(separator: " ")
      }
    }
    #expect(
      try boxes() == [
        "images/a.jpg with_mask 80 60 120 90 yolo labels/a.txt accepted",
        "images/a.jpg without_mask 170 0 200 45 yolo labels/a.txt accepted",
        "images/b.jpg with_mask 40 60 60 90 yolo labels/b.txt accepted",
      ])
    // Stored boxes export like VOC ones: a YOLO export read back gives the same pixels.
    _ = try DatasetExport.write(
      try DatasetExport.plan(catalog: catalog), format: .yolo, to: base + "/export", store: catalog.store)
    let exported = try YOLOFormat.read(root: base + "/export", subset: "all").values.flatMap { $0 }
    let rounded = exported.map {
      "\($0.className) \([$0.box.xmin, $0.box.ymin, $0.box.xmax, $0.box.ymax].map { Int($0.rounded()) })"
    }
    #expect(
      Set(rounded) == ["with_mask [80, 60, 120, 90]", "without_mask [170, 0, 200, 45]", "with_mask [40, 60, 60, 90]"])
    let again = try LayoutImport.run(LayoutImport.Request(path: base + "/yolo"), catalog: catalog)
    #expect(again.layout.boxes == 3)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM boxes") == 3)

    try TestSupport.write(Array("1 0.5 0.5 0.5 0.5\n".utf8), to: base + "/yolo/labels/b.txt")
    _ = try LayoutImport.run(LayoutImport.Request(path: base + "/yolo"), catalog: catalog)
    #expect(try boxes().last == "images/b.jpg without_mask 50 38 150 112 yolo labels/b.txt accepted")
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM boxes") == 3)
  }

  @Test("a YOLO source's boxes become crops in a recipe too")
  func yoloCrops() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 1, seed: 6)
    try Fixtures.tree(
      base + "/yolo",
      [
        ("obj.names", Array("mask\nno_mask\n".utf8)), ("images/a.jpg", jpegs[0]),
        ("labels/a.txt", Array("0 0.3 0.3 0.2 0.2\n1 0.7 0.7 0.2 0.2\n1 0.5 0.5 0.1 0.1\n".utf8)),
      ])
    let text = """
      sources:
        - {name: y, path: yolo, layout: yolo, boxes: crops}
      classes: {mask: with_mask, no_mask: without_mask}
      views:
        - {name: two, classes: [with_mask, without_mask]}

      """
    let report = try MergeRun.run(try write(text, base), catalog: catalog)
    #expect(report.sources[0].crops?.cut == 3)
    #expect(report.views[0].classes == ["with_mask": 1, "without_mask": 2])
  }

  @Test("recipe mistakes about boxes name the line")
  func recipeErrors() throws {
    let base = try TestSupport.temporaryFolder("boxes")
    try FileManager.default.createDirectory(atPath: base + "/voc", withIntermediateDirectories: true)
    func message(_ source: String) -> String {
      let text = "sources:\n  - name: v\n    path: voc\n\(source)views:\n  - name: v\n    classes: [x, y]\n"
      do {
        _ = try Recipe.parse(text, path: base + "/r.yaml")
        return ""
      } catch { return error.localizedDescription }
    }
    #expect(message("    boxes: crops\n    crop: {margin: 0.5, size: 64, square: false}\n") == "")
    #expect(message("    boxes: crop\n").contains("r.yaml:4: boxes is `majority`"))
    #expect(message("    crop: {margin: 0.5}\n").contains("r.yaml:4: source v: crop options need `boxes: crops`"))
    #expect(message("    boxes: crops\n    crop: {margin: -1}\n").contains("r.yaml:5: crop.margin"))
    #expect(message("    boxes: crops\n    crop: {size: 2}\n").contains("r.yaml:5: crop.size"))
    #expect(message("    boxes: crops\n    crop: {squares: true}\n").contains("r.yaml:5: unknown crop key `squares`"))
    #expect(message("    boxes: crops\n    crop: {square: yes}\n").contains("r.yaml:5: crop.square is true or false"))
    #expect(message("    layout: csv\n    boxes: crops\n").contains("r.yaml:2: source v: `boxes: crops` needs boxes"))
  }

  @Test("boxes: crops on a source whose guessed layout has no boxes: refused, naming the recipe line")
  func cropsWithoutBoxes() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 1)
    try Fixtures.tree(base + "/folders", [("with_mask/a.jpg", jpegs[0])])
    let text = "sources:\n  - {name: f, path: folders, boxes: crops}\nviews:\n  - {name: v, classes: [with_mask, x]}\n"
    var message = ""
    do { _ = try MergeRun.run(try write(text, base), catalog: catalog) } catch { message = error.localizedDescription }
    #expect(message.contains("recipe.yaml:2: source f has `boxes: crops` but its layout is folders"))
  }

  @Test(
    "the shared Kaggle face-mask sample as crops: one per <object>, counted by hand from the XML files")
  func sharedSampleCrops() throws {
    let testdata = TestSupport.testdata
    let (catalog, base) = try workspace()
    // By hand: every <name> inside an <object> of the annotation files.
    var expected: [String: Int] = [:]
    let folder = testdata + "/voc-facemask/annotations"
    for file in try FileManager.default.contentsOfDirectory(atPath: folder) where file.hasSuffix(".xml") {
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      for object in text.components(separatedBy: "<object>").dropFirst() {
        guard let start = object.range(of: "<name>"), let end = object.range(of: "</name>") else { continue }
        let name = String(object[start.upperBound..<end.lowerBound])
        expected[name == "mask_weared_incorrect" ? "incorrect" : name, default: 0] += 1
      }
    }
    #expect(expected == ["with_mask": 90, "without_mask": 20, "incorrect": 6])  // Tests/Fixtures/README.md
    let text = """
      sources:
        - {name: andrewmvd, path: \(testdata)/voc-facemask, layout: voc, boxes: crops, crop: {margin: 0.2, size: 64}}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    let report = try MergeRun.run(try write(text, base), catalog: catalog)
    #expect(report.sources[0].crops?.failed == [])
    #expect(report.views[0].classes == expected)
    let again = try MergeRun.run(try write(text, base), catalog: catalog)
    #expect(again.views[0].labelsAdded == 0 && again.views[0].labelsRemoved == 0)
  }
}
