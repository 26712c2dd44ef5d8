import Catalog
import Foundation
import Testing

@testable import Annotations
@testable import Export

@Suite("Export")
struct ExportTests {
  /// A workspace with the raccoon and face-mask samples imported.
  func importedSamples(_ folder: URL) throws -> Catalog {
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    _ = try VOCImport.run(root: TestData.root.appendingPathComponent("labelimg-raccoon").path, catalog: catalog)
    _ = try VOCImport.run(root: TestData.root.appendingPathComponent("voc-facemask").path, catalog: catalog)
    return catalog
  }

  func readerBoxes(_ dataset: String) throws -> [String: [Box]] {
    var result: [String: [Box]] = [:]
    for file in TestData.files(dataset) {
      let document = try VOCReader.document(try TestData.bytes(file), file: file.lastPathComponent)
      result[try #require(document.filename)] = document.objects.map { $0.box.labeled($0.name) }
    }
    return result
  }

  func close(_ a: [Box]?, _ b: [Box]?, tolerance: Double) -> Bool {
    guard let a, let b, a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
      x.label == y.label && abs(x.xmin - y.xmin) <= tolerance && abs(x.ymin - y.ymin) <= tolerance
        && abs(x.xmax - y.xmax) <= tolerance && abs(x.ymax - y.ymax) <= tolerance
    }
  }

  @Test("raccoon: import → export voc gives identical bytes (devkit and flat layouts)")
  func raccoonRoundTrip() throws {
    let folder = try TestData.temporaryFolder("export")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try importedSamples(folder)
    let plan = try DatasetExport.plan(catalog: catalog)
    for layout in VOCExportLayout.allCases {
      let out = folder.appendingPathComponent("voc-\(layout.rawValue)")
      let report = try DatasetExport.write(plan, format: .voc, to: out.path, store: catalog.store, vocLayout: layout)
      #expect(report.images == 30 && report.boxes == 124)
      let annotations = layout == .devkit ? out.appendingPathComponent("Annotations") : out
      for original in TestData.files("labelimg-raccoon") {
        let exported = annotations.appendingPathComponent(original.lastPathComponent)
        #expect(try TestData.bytes(exported) == TestData.bytes(original), "\(layout) \(original.lastPathComponent)")
      }
      let image = (layout == .devkit ? out.appendingPathComponent("JPEGImages") : out).appendingPathComponent(
        "raccoon-1.jpg")
      #expect(
        try TestData.bytes(image)
          == TestData.bytes(TestData.root.appendingPathComponent("labelimg-raccoon/images/raccoon-1.jpg")))
      if layout == .devkit {
        let list = try String(contentsOf: out.appendingPathComponent("ImageSets/Main/all.txt"), encoding: .utf8)
        #expect(list.split(separator: "\n").count == 30)
        #expect(list.contains("raccoon-37\n"))
      }
    }
  }

  @Test("face-mask: import → export voc gives LabelImg-format files with the same (clamped) boxes and classes")
  func faceMaskToLabelImg() throws {
    let folder = try TestData.temporaryFolder("export")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try importedSamples(folder)
    let out = folder.appendingPathComponent("voc")
    _ = try DatasetExport.write(
      try DatasetExport.plan(catalog: catalog), format: .voc, to: out.path, store: catalog.store)
    let expected = try readerBoxes("voc-facemask")
    #expect(expected.count == 23)
    for (image, boxes) in expected {
      let stem = String(image.dropLast(4))
      let bytes = try TestData.bytes(out.appendingPathComponent("Annotations/\(stem).xml"))
      let result = VOCReader.read(bytes, file: stem)
      let document = try #require(result.document)
      #expect(result.dialect == "labelimg", "\(stem): \(result.findings)")
      #expect(result.warnings.isEmpty, "\(stem): \(result.warnings)")
      #expect(document.objects.map { $0.box.labeled($0.name) } == boxes)
      #expect(document.path == out.path + "/JPEGImages/\(image)")
      #expect(document.objects.allSatisfy { $0.extras.map(\.element.name) == ["occluded"] })
    }
  }

  @Test("YOLO, COCO and Create ML exports read back to the same boxes")
  func readBack() throws {
    let folder = try TestData.temporaryFolder("export")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try importedSamples(folder)
    let plan = try DatasetExport.plan(catalog: catalog)
    var expected = try readerBoxes("voc-facemask")
    expected.merge(try readerBoxes("labelimg-raccoon")) { a, _ in a }

    let yolo = folder.appendingPathComponent("yolo")
    _ = try DatasetExport.write(plan, format: .yolo, to: yolo.path, store: catalog.store, link: .hard)
    let yoloBoxes = try YOLOFormat.read(root: yolo.path, subset: "all")
    #expect(yoloBoxes.count == 30)
    for (image, boxes) in expected {
      // Six decimals of a fraction of at most 800 px: within 0.001 px.
      #expect(close(yoloBoxes[image], boxes, tolerance: 0.001), "\(image)")
    }
    #expect(
      try String(contentsOf: yolo.appendingPathComponent("classes.txt"), encoding: .utf8)
        == "mask_weared_incorrect\nraccoon\nwith_mask\nwithout_mask\n")
    let yaml = try String(contentsOf: yolo.appendingPathComponent("data.yaml"), encoding: .utf8)
    #expect(yaml.contains("train: images/all\nval: images/all\nnames:\n  0: \"mask_weared_incorrect\"\n"))

    let coco = folder.appendingPathComponent("coco")
    _ = try DatasetExport.write(plan, format: .coco, to: coco.path, store: catalog.store, link: .sym)
    let cocoPath = coco.appendingPathComponent("annotations/instances_all.json").path
    let cocoBoxes = try COCOFile.read(path: cocoPath)
    for (image, boxes) in expected { #expect(close(cocoBoxes[image], boxes, tolerance: 1e-9), "\(image)") }

    let createML = folder.appendingPathComponent("createml")
    _ = try DatasetExport.write(plan, format: .createml, to: createML.path, store: catalog.store)
    let createMLBoxes = try CreateMLFormat.read(path: createML.appendingPathComponent("all/annotations.json").path)
    for (image, boxes) in expected { #expect(close(createMLBoxes[image], boxes, tolerance: 1e-9), "\(image)") }
    #expect(FileManager.default.fileExists(atPath: createML.appendingPathComponent("all/maksssksksss0.png").path))
  }

  @Test("the COCO export validates against schemas/coco.schema.json; a broken one does not")
  func cocoSchema() throws {
    let folder = try TestData.temporaryFolder("export")
    defer { try? FileManager.default.removeItem(at: folder) }
    let catalog = try importedSamples(folder)
    let coco = folder.appendingPathComponent("coco")
    _ = try DatasetExport.write(
      try DatasetExport.plan(catalog: catalog), format: .coco, to: coco.path, store: catalog.store)
    let schemaData = try Data(contentsOf: TestData.repository.appendingPathComponent("schemas/coco.schema.json"))
    let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
    let document = try JSONSerialization.jsonObject(
      with: Data(contentsOf: coco.appendingPathComponent("annotations/instances_all.json")))
    #expect(JSONSchemaSubset.validate(document, against: schema) == [])
    var broken = try #require(document as? [String: Any])
    var annotations = try #require(broken["annotations"] as? [[String: Any]])
    annotations[0]["bbox"] = [1, 2, 3]
    annotations[1].removeValue(forKey: "category_id")
    broken["annotations"] = annotations
    broken["extra"] = true
    let problems = JSONSchemaSubset.validate(broken, against: schema)
    #expect(problems.count == 3, "\(problems)")
    let categories = try #require(broken["categories"] as? [[String: Any]])
    #expect(
      categories.map { $0["name"] as? String } == ["mask_weared_incorrect", "raccoon", "with_mask", "without_mask"])
    #expect(categories.map { $0["id"] as? Int } == [1, 2, 3, 4])
  }

  @Test("class lists hold only the classes present, sorted; a label filter keeps only its classes")
  func presentClasses() throws {
    let folder = try TestData.temporaryFolder("export")
    defer { try? FileManager.default.removeItem(at: folder) }
    let dataset = folder.appendingPathComponent("one")
    try write(TinyPNG.make(width: 40, height: 30, seed: 1), to: dataset.appendingPathComponent("a.png"))
    try write(
      vocText(filename: "a.png", boxes: [("zebra", 1, 1, 10, 10), ("cat", 2, 2, 20, 20)]),
      to: dataset.appendingPathComponent("a.xml"))
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    _ = try VOCImport.run(root: dataset.path, catalog: catalog)
    #expect(try DatasetExport.plan(catalog: catalog).classes == ["cat", "zebra"])
    let more = folder.appendingPathComponent("two")
    try write(TinyPNG.make(width: 40, height: 30, seed: 2), to: more.appendingPathComponent("b.png"))
    try write(vocText(filename: "b.png", boxes: [("ant", 1, 1, 10, 10)]), to: more.appendingPathComponent("b.xml"))
    _ = try VOCImport.run(root: more.path, catalog: catalog)
    let plan = try DatasetExport.plan(catalog: catalog)
    #expect(plan.classes == ["ant", "cat", "zebra"])
    // A label filter: only matching images and boxes, and only their classes (index = sorted position).
    let filtered = try DatasetExport.plan(catalog: catalog, labels: ["zebra"])
    #expect(filtered.classes == ["zebra"])
    #expect(filtered.subsets[0].items.map(\.fileName) == ["a.png"])
    #expect(filtered.subsets[0].items[0].boxes.map(\.className) == ["zebra"])
    let out = folder.appendingPathComponent("yolo")
    _ = try DatasetExport.write(filtered, format: .yolo, to: out.path, store: catalog.store)
    #expect(
      try String(contentsOf: out.appendingPathComponent("labels/all/a.txt"), encoding: .utf8)
        == "0 0.137500 0.183333 0.225000 0.300000\n")
    // An export never writes into a folder that holds something.
    #expect(throws: ExportError.self) {
      try DatasetExport.write(filtered, format: .yolo, to: out.path, store: catalog.store)
    }
  }

  @Test("boxes from elsewhere are written the way LabelImg saves them; names are unique per stem")
  func foreignBoxes() throws {
    let item = ExportItem(
      imageID: 1, sha256: "ab", width: 100, height: 80, fileName: "x.jpg", license: nil,
      boxes: [
        ExportBox(
          id: 1, className: "face", box: Box(xmin: 0.4, ymin: 10.7, xmax: 100.9, ymax: 50.2), difficult: false,
          truncated: false, pose: nil, extraXML: nil, origin: "detector")
      ], vocSkeleton: nil)
    let document = try ExportWriter.vocDocument(item, folder: "JPEGImages", path: "/out/JPEGImages/x.jpg")
    #expect(document.objects[0].box == Box(xmin: 1, ymin: 10, xmax: 100, ymax: 50, label: "face"))
    let text = String(decoding: document.bytes(), as: UTF8.self)
    #expect(text.contains("<truncated>1</truncated>"))
    #expect(VOCReader.read(document.bytes(), file: "x.xml").dialect == "labelimg")
    var used: Set<String> = []
    let names = ["a.jpg", "a.png", "A.jpg", "../b.jpg", "c"].map {
      DatasetExport.uniqueName(preferred: $0, sha256: "0123456789abcdef0123", fileExtension: "jpg", used: &used)
    }
    #expect(
      names == ["a.jpg", "a-01234567.png", "A-01234567-2.jpg", "0123456789abcdef.jpg", "0123456789abcdef-01234567.jpg"])
  }
}
