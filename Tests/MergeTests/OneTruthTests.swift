import Annotations
import Catalog
import Export
import Foundation
import Imaging
import TestSupport
import Testing

@testable import Merge

/// One box set per image, on real files: the Kaggle face-mask sample (Tests/Fixtures/voc-facemask) with one photo
/// duplicated under a second name and its boxes shifted, a Spanish re-encode of part of it
/// (`con_mascarilla` / `sin_mascarilla` / `mascarilla_mal_puesta`, boxes 1 px lower), and a folder set,
/// merged by one recipe; then exported as detection sets.
@Suite("One truth per image: boxes through class maps and views, one box set per image")
struct OneTruthTests {
  static let fixtures = TestSupport.testdata + "/voc-facemask"
  /// The photo duplicated inside the Kaggle source (same bytes, second name, boxes 2 px to the right).
  static let twin = "maksssksksss1"
  static let twinCopy = "maksssksksss1001"
  /// The photos the Spanish set re-encodes (same bytes).
  static let shared = ["maksssksksss0", "maksssksksss142", "maksssksksss218", "maksssksksss231"]

  static func fixtureXML(_ stem: String) throws -> String {
    try String(contentsOfFile: "\(fixtures)/annotations/\(stem).xml", encoding: .utf8)
  }

  static func fixtureImage(_ stem: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/images/\(stem).png")))
  }

  /// The three sources and the recipe; returns the base folder.
  static func sources() throws -> String {
    let base = try TestSupport.temporaryFolder("onetruth")
    // English: the whole sample, plus the twin under a second name with shifted boxes.
    for name in try FileManager.default.contentsOfDirectory(atPath: fixtures + "/images") {
      try TestSupport.write(
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/images/\(name)"))),
        to: "\(base)/en/images/\(name)")
    }
    for name in try FileManager.default.contentsOfDirectory(atPath: fixtures + "/annotations") {
      try TestSupport.write(
        try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/annotations/\(name)"))),
        to: "\(base)/en/annotations/\(name)")
    }
    try TestSupport.write(try fixtureImage(twin), to: "\(base)/en/images/\(twinCopy).png")
    try TestSupport.write(
      Array(TestSupport.rewriteVOC(try fixtureXML(twin), dx: 2, filename: "\(twinCopy).png").utf8),
      to: "\(base)/en/annotations/\(twinCopy).xml")
    // Spanish: four of the photos, class names in Spanish, boxes 1 px lower; plus one photo of its own
    // whose boxes tie (one con_mascarilla, one sin_mascarilla).
    for stem in shared {
      try TestSupport.write(try fixtureImage(stem), to: "\(base)/es/images/\(stem).png")
      try TestSupport.write(
        Array(TestSupport.rewriteVOC(try fixtureXML(stem), dy: 1, names: TestSupport.spanishMaskClasses).utf8),
        to: "\(base)/es/annotations/\(stem).xml")
    }
    let own = try TestSupport.distinctJPEGs(count: 3, seed: 12)
    try TestSupport.write(own[0], to: "\(base)/es/images/empate.jpg")
    try TestSupport.write(
      BoxesTests.voc("empate.jpg", [("sin_mascarilla", 10, 10, 60, 70), ("con_mascarilla", 100, 20, 150, 80)]),
      to: "\(base)/es/annotations/empate.xml")
    // A folder-per-class set: no boxes.
    try TestSupport.write(own[1], to: "\(base)/folders/with_mask/a.jpg")
    try TestSupport.write(own[2], to: "\(base)/folders/without_mask/b.jpg")
    try Data(
      """
      name: detect
      sources:
        - {name: kaggle, path: en, layout: voc, priority: 2}
        - {name: spanish, path: es, layout: voc, priority: 1}
        - {name: folders, path: folders, layout: folders}
      classes:
        mask_weared_incorrect: incorrect
        con_mascarilla: with_mask
        sin_mascarilla: without_mask
        mascarilla_mal_puesta: incorrect
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}
        - {name: two, classes: [with_mask, without_mask], fold: {incorrect: with_mask}}

      """.utf8
    ).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    return base
  }

  static func merged() throws -> (Catalog, MergeReport, String) {
    let base = try sources()
    let catalog = try Workspace.create(at: base + "/ws")
    let report = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    return (catalog, report, base)
  }

  /// A VOC file's boxes as LabelImg reads them (name, corners), classes through `map`.
  static func boxes(ofFile path: String, map: [String: String] = [:]) throws -> [String] {
    let document = try VOCReader.document([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))), file: path)
    return document.objects.map { object in
      let name = map[object.name] ?? object.name
      return "\(name) \(Int(object.box.xmin)) \(Int(object.box.ymin)) \(Int(object.box.xmax)) \(Int(object.box.ymax))"
    }.sorted()
  }

  static let toView = [
    "mask_weared_incorrect": "incorrect", "con_mascarilla": "with_mask", "sin_mascarilla": "without_mask",
    "mascarilla_mal_puesta": "incorrect",
  ]

  @Test(
    "merge reports the twin inside a source and the images annotated by both sources; ties counted and decided by view order"
  )
  func mergeReports() throws {
    let (catalog, report, _) = try Self.merged()
    // The same bytes under two names in one source: the file named like the first name counts.
    let twin = try #require(report.twins.first { $0.kept == "kaggle: annotations/\(Self.twin).xml" })
    #expect(twin.alternates.map(\.file) == ["kaggle: annotations/\(Self.twinCopy).xml"])
    #expect(twin.alternates[0].largestShift == 2)
    #expect(twin.alternates[0].classDisagreements.isEmpty)
    // Each shared photo: the Kaggle file (priority 2) counts, the Spanish one is an alternate 1 px off,
    // with no class disagreement once mapped.
    for stem in Self.shared {
      let entry = try #require(report.twins.first { $0.kept == "kaggle: annotations/\(stem).xml" })
      #expect(entry.alternates.map(\.file) == ["spanish: annotations/\(stem).xml"])
      #expect(entry.alternates[0].largestShift == 1)
      #expect(entry.alternates[0].classDisagreements == [:])
    }
    #expect(report.twins.count == 5)
    #expect(report.annotatedBySeveralSources == 4)
    #expect(report.labelledBySeveralSources == 4)
    // The Spanish photo of its own ties 1–1: decided by the view's class order, with_mask first.
    #expect(report.majorityTies >= 1)
    #expect(report.tieRule.hasPrefix("class order with_mask, without_mask, incorrect"))
    let empate = try catalog.database.scalarText(
      """
      SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id JOIN image_origins o ON o.image_id = l.image_id
      WHERE l.view = 'three' AND o.rel_path = 'images/empate.jpg'
      """)
    #expect(empate == "with_mask")
    // Each image counts once in stats; the four shared photos are counted as labelled by several sources.
    let stats = try catalog.stats(view: "three")
    let labelled = Int(
      try catalog.database.scalarInt("SELECT COUNT(DISTINCT image_id) FROM image_labels WHERE view = 'three'") ?? 0)
    #expect(stats.labels.map(\.images).reduce(0, +) == labelled)
    #expect(stats.labelledBySeveralSources == 4)
    let asFound = try catalog.stats()
    #expect(asFound.labels.map(\.images).reduce(0, +) + asFound.unlabeled == asFound.byStatus["active"])
    #expect(asFound.labelledBySeveralSources == 4)
    // stats --by source credits a shared photo to the source merge credited it to (kaggle).
    let breakdown = try catalog.sourceBreakdown(view: "three")
    let view = try #require(report.views.first { $0.name == "three" })
    for row in breakdown.labels {
      for (column, source) in breakdown.sources.enumerated() {
        #expect(row.images[column] == view.bySource[source]?[row.label] ?? 0, "\(row.label) \(source)")
      }
    }
    // Dedup's "labels differ" compares effective labels: a Spanish-labelled and an English-labelled photo
    // of the same class have the same key.
    let keys = try catalog.effectiveLabelKeys()
    let spanishOnly = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'images/empate.jpg'"))
    let folderWithMask = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'with_mask/a.jpg'"))
    #expect(keys[spanishOnly] == keys[folderWithMask])
    #expect(keys[spanishOnly] == "three=with_mask,two=with_mask")
  }

  @Test("export --view: only the view's classes in its order, one source file's boxes per image, detection images only")
  func viewExport() throws {
    let (catalog, _, base) = try Self.merged()
    // YOLO, view three.
    let plan = try DatasetExport.plan(catalog: catalog, view: "three")
    #expect(plan.classes == ["with_mask", "without_mask", "incorrect"])
    let yolo = base + "/yolo"
    _ = try DatasetExport.write(plan, format: .yolo, to: yolo, store: catalog.store)
    #expect(
      try String(contentsOfFile: yolo + "/classes.txt", encoding: .utf8) == "with_mask\nwithout_mask\nincorrect\n")
    let yaml = try String(contentsOfFile: yolo + "/data.yaml", encoding: .utf8)
    #expect(yaml.hasSuffix("names:\n  0: \"with_mask\"\n  1: \"without_mask\"\n  2: \"incorrect\"\n"))
    // 23 Kaggle photos (the twin pair is one image) and the Spanish one; the folder images have no box.
    let names = plan.subsets[0].items.map(\.fileName).sorted()
    #expect(names.count == 24)
    #expect(!names.contains("\(Self.twinCopy).png") && !names.contains("a.jpg") && names.contains("empate.jpg"))

    // VOC, view three, read back: per image exactly the boxes of one source file (the Kaggle one where
    // both annotate it), classes mapped; never stacked.
    let voc = base + "/voc"
    _ = try DatasetExport.write(plan, format: .voc, to: voc, store: catalog.store)
    var exportedClasses: Set<String> = []
    for name in names {
      let stem = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
      let exported = try Self.boxes(ofFile: "\(voc)/Annotations/\(stem).xml")
      exportedClasses.formUnion(exported.map { String($0.split(separator: " ")[0]) })
      let source = stem == "empate" ? "\(base)/es/annotations/empate.xml" : "\(base)/en/annotations/\(stem).xml"
      #expect(exported == (try Self.boxes(ofFile: source, map: Self.toView)), "\(stem)")
    }
    #expect(exportedClasses == ["with_mask", "without_mask", "incorrect"])
    // The YOLO files hold the same boxes (to 0.001 px).
    let read = try YOLOFormat.read(root: yolo, subset: "all")
    #expect(read.count == 24)
    let twinBoxes = try #require(read["\(Self.twin).png"])
    #expect(twinBoxes.count == (try Self.boxes(ofFile: "\(base)/en/annotations/\(Self.twin).xml")).count)

    // View two folds incorrect into with_mask; COCO categories are the view's classes.
    let coco = base + "/coco"
    _ = try DatasetExport.write(
      try DatasetExport.plan(catalog: catalog, view: "two"), format: .coco, to: coco, store: catalog.store)
    let json =
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: coco + "/annotations/instances_all.json"))) as? [String: Any]
    let categories = (json?["categories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
    #expect(categories == ["with_mask", "without_mask"])
    let annotations = json?["annotations"] as? [[String: Any]] ?? []
    #expect(Set(annotations.compactMap { $0["category_id"] as? Int }) == [1, 2])

    // --include-unannotated adds the folder images on purpose; --label filters images and boxes.
    let background = try DatasetExport.plan(catalog: catalog, view: "three", includeUnannotated: true)
    #expect(background.subsets[0].items.count == 26)
    let incorrect = try DatasetExport.plan(catalog: catalog, labels: ["incorrect"], view: "three")
    #expect(!incorrect.subsets[0].items.isEmpty)
    #expect(
      incorrect.subsets[0].items.allSatisfy { !$0.boxes.isEmpty && $0.boxes.allSatisfy { $0.className == "incorrect" } }
    )

    // Unknown names are errors naming what exists.
    #expect(throws: AnnotationsError.unknownView("nope", known: ["three", "two"])) {
      try DatasetExport.plan(catalog: catalog, view: "nope")
    }
    #expect(
      throws: ExportError.unknownLabel("mask_weared_incorrect", known: ["incorrect", "with_mask", "without_mask"])
    ) {
      try DatasetExport.plan(catalog: catalog, labels: ["mask_weared_incorrect"], view: "three")
    }
  }

  @Test(
    "a LabelImg file exported under its own name round-trips byte for byte when a twin file describes the same bytes")
  func labelImgTwinRoundTrip() throws {
    let base = try TestSupport.temporaryFolder("onetruth-raccoon")
    let raccoon = TestSupport.testdata + "/labelimg-raccoon"
    for folder in ["images", "annotations"] {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(raccoon)/\(folder)") {
        try TestSupport.write(
          try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(raccoon)/\(folder)/\(name)"))),
          to: "\(base)/r/\(folder)/\(name)")
      }
    }
    // raccoon-1.jpg again as zz-copy.jpg, annotated 3 px to the left: sorts after, named differently.
    try TestSupport.write(
      try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(raccoon)/images/raccoon-1.jpg"))),
      to: "\(base)/r/images/zz-copy.jpg")
    let original = try String(contentsOfFile: "\(raccoon)/annotations/raccoon-1.xml", encoding: .utf8)
    try TestSupport.write(
      Array(TestSupport.rewriteVOC(original, dx: -3, filename: "zz-copy.jpg").utf8),
      to: "\(base)/r/annotations/zz-copy.xml")
    let catalog = try Workspace.create(at: base + "/ws")
    let imported = try VOCImport.run(root: base + "/r", catalog: catalog)
    #expect(imported.twins.count == 1)
    #expect(imported.twins.first?.kept.hasSuffix("annotations/raccoon-1.xml") == true)
    #expect(imported.twins.first?.alternates.first?.largestShift == 3)
    let out = base + "/voc"
    let report = try DatasetExport.write(
      try DatasetExport.plan(catalog: catalog), format: .voc, to: out, store: catalog.store)
    #expect(report.images == 7)
    for name in try FileManager.default.contentsOfDirectory(atPath: "\(raccoon)/annotations") {
      #expect(
        try Data(contentsOf: URL(fileURLWithPath: "\(out)/Annotations/\(name)"))
          == Data(contentsOf: URL(fileURLWithPath: "\(raccoon)/annotations/\(name)")), "\(name)")
    }
    #expect(!FileManager.default.fileExists(atPath: "\(out)/Annotations/zz-copy.xml"))
    // voc lint names both files, the shift and the classes.
    let lint = try VOCLint.lint(paths: [base + "/r"])
    #expect(lint.twins.count == 1)
    #expect(lint.twins.first?.kept.hasSuffix("annotations/raccoon-1.xml") == true)
    #expect(lint.twins.first?.alternates.map { $0.file.hasSuffix("annotations/zz-copy.xml") } == [true])
    #expect(lint.twins.first?.alternates.first?.largestShift == 3)
  }
}

extension OneTruthTests {
  @Test("boxes: crops and faces crop cut one box set per image: a photo annotated by two files gives its faces once")
  func cropsOfTwins() throws {
    let base = try TestSupport.temporaryFolder("onetruth-crops")
    for folder in ["images", "annotations"] {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(Self.fixtures)/\(folder)") {
        try TestSupport.write(
          try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(Self.fixtures)/\(folder)/\(name)"))),
          to: "\(base)/en/\(folder)/\(name)")
      }
    }
    // The same photo under a second name, its XML's boxes 2 px to the right.
    try TestSupport.write(try Self.fixtureImage(Self.twin), to: "\(base)/en/images/\(Self.twinCopy).png")
    try TestSupport.write(
      Array(TestSupport.rewriteVOC(try Self.fixtureXML(Self.twin), dx: 2, filename: "\(Self.twinCopy).png").utf8),
      to: "\(base)/en/annotations/\(Self.twinCopy).xml")
    // By hand, from the original files only: every <object>'s <name>.
    var expected: [String: Int] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures + "/annotations") {
      let text = try String(contentsOfFile: "\(Self.fixtures)/annotations/\(file)", encoding: .utf8)
      for object in text.components(separatedBy: "<object>").dropFirst() {
        guard let start = object.range(of: "<name>"), let end = object.range(of: "</name>") else { continue }
        let name = String(object[start.upperBound..<end.lowerBound])
        expected[Self.toView[name] ?? name, default: 0] += 1
      }
    }
    let total = expected.values.reduce(0, +)
    let twinBoxes = try Self.boxes(ofFile: "\(Self.fixtures)/annotations/\(Self.twin).xml").count
    #expect(total == 116 && twinBoxes > 0)
    try Data(
      """
      sources:
        - {name: kaggle, path: en, layout: voc, boxes: crops, crop: {margin: 0.1, size: 32}}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """.utf8
    ).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let catalog = try Workspace.create(at: base + "/ws")
    let report = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    let crops = try #require(report.sources[0].crops)
    #expect(report.sources[0].boxes == total + twinBoxes)  // both files' boxes are stored
    #expect(crops.boxes == total && crops.cut == total && crops.alternates == twinBoxes && crops.failed == [])
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM crops") == Int64(total))
    #expect(report.views[0].classes == expected)
    // The crops come from the file named like the photo's first name, none from its twin.
    let files = try catalog.database.rows(
      "SELECT DISTINCT b.origin_file FROM crops cr JOIN boxes b ON b.id = cr.box_id"
    ) { $0.text(0) ?? "" }
    #expect(files.contains("annotations/\(Self.twin).xml") && !files.contains("annotations/\(Self.twinCopy).xml"))
    // faces crop over the same catalog cuts nothing more: every effective box is cut, the twin's are not.
    let again = try catalog.cropFaces(FaceCropOptions())
    #expect(
      again.boxes == total && again.alreadyCropped == total && again.cropped == 0 && again.alternates == twinBoxes)

    // faces crop alone, on a plain VOC import of the same tree: the same count.
    let fresh = try Workspace.create(at: base + "/ws2")
    _ = try VOCImport.run(root: base + "/en", catalog: fresh)
    let cut = try fresh.cropFaces(FaceCropOptions())
    #expect(cut.boxes == total && cut.cropped == total && cut.alternates == twinBoxes)
  }
}

extension OneTruthTests {
  /// The whole Kaggle sample twice: as found, and re-annotated (Spanish class names, every box 1 px lower) by a
  /// second, lower-priority source over the same photo bytes. Returns the base folder.
  static func twoSourcesOfOnePhotoSet() throws -> String {
    let base = try TestSupport.temporaryFolder("onetruth-two")
    for folder in ["images", "annotations"] {
      for name in try FileManager.default.contentsOfDirectory(atPath: "\(fixtures)/\(folder)") {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(folder)/\(name)")))
        try TestSupport.write(bytes, to: "\(base)/en/\(folder)/\(name)")
        let copy =
          folder == "annotations"
          ? Array(
            TestSupport.rewriteVOC(String(decoding: bytes, as: UTF8.self), dy: 1, names: TestSupport.spanishMaskClasses)
              .utf8) : bytes
        try TestSupport.write(copy, to: "\(base)/es/\(folder)/\(name)")
      }
    }
    return base
  }

  @Test(
    "issue 22 reproducer 6: two sources annotating the same photos give one crop per face, the higher priority's boxes"
  )
  func oneCropPerFaceAcrossSources() throws {
    let base = try Self.twoSourcesOfOnePhotoSet()
    defer { try? FileManager.default.removeItem(atPath: base) }
    // The lower-priority re-annotation is listed (and imported) first: order must not matter, priority does.
    try Data(
      """
      sources:
        - {name: spanish, path: es, layout: voc, boxes: crops, priority: 1, crop: {margin: 0.1, size: 32}}
        - {name: kaggle, path: en, layout: voc, boxes: crops, priority: 2, crop: {margin: 0.1, size: 32}}
      classes:
        mask_weared_incorrect: incorrect
        con_mascarilla: with_mask
        sin_mascarilla: without_mask
        mascarilla_mal_puesta: incorrect
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """.utf8
    ).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let catalog = try Workspace.create(at: base + "/ws")
    let report = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    let spanish = try #require(report.sources.first { $0.name == "spanish" }?.crops)
    let kaggle = try #require(report.sources.first { $0.name == "kaggle" }?.crops)
    #expect(kaggle.cut == 116 && kaggle.alternates == 0)
    #expect(spanish.cut == 0 && spanish.alternates == 116 && spanish.boxes == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM crops") == 116)
    #expect(try catalog.database.scalarInt("SELECT COUNT(DISTINCT box_id) FROM crops") == 116)
    // Every crop is of a kaggle box (the recipe's priority), none of the shifted Spanish ones.
    let cutFrom = try catalog.database.rows(
      "SELECT DISTINCT s.name FROM crops k JOIN boxes b ON b.id = k.box_id JOIN sources s ON s.id = b.origin_source_id"
    ) { $0.text(0) ?? "" }
    #expect(cutFrom == ["kaggle"])
    #expect(report.views[0].images == 116)
    #expect(report.views[0].classes == ["with_mask": 90, "without_mask": 20, "incorrect": 6])
    // Again: nothing more is cut; `faces crop` over the catalog (the recipe's priority, as recorded) neither.
    let again = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    #expect(again.sources.compactMap(\.crops).map(\.cut) == [0, 0])
    let faces = try catalog.cropFaces(FaceCropOptions())
    #expect(faces.cropped == 0 && faces.alternates == 116 && faces.alreadyCropped == 116)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM crops") == 116)

    // `faces crop` on two plain imports of the same photos: the source imported first counts, once.
    let plain = try Workspace.create(at: base + "/ws2")
    _ = try VOCImport.run(root: base + "/en", catalog: plain)
    _ = try VOCImport.run(root: base + "/es", catalog: plain)
    let cut = try plain.cropFaces(FaceCropOptions())
    #expect(cut.cropped == 116 && cut.alternates == 116)
  }
}
