import Annotations
import Catalog
import Foundation
import TestSupport
import Testing

@testable import Merge

/// COCO detection JSON through the same one-truth rules as VOC: the Kaggle face-mask sample
/// (Tests/Fixtures/voc-facemask) and its COCO twin (Tests/Fixtures/coco-facemask/instances.json, written from
/// the VOC files' values by make-coco.py).
@Suite("COCO import: the same boxes as the VOC twin; hostile files refused entry by entry")
struct COCOImportTests {
  static let voc = TestSupport.testdata + "/voc-facemask"
  static let cocoJSON = TestSupport.testdata + "/coco-facemask/instances.json"

  /// The VOC sample's images with the COCO file in `annotations/` (`json` replaces the fixture's text).
  static func cocoDataset(json: String? = nil) throws -> String {
    let base = try TestSupport.temporaryFolder("coco")
    for name in try FileManager.default.contentsOfDirectory(atPath: voc + "/images") {
      try TestSupport.write(
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(voc)/images/\(name)"))), to: "\(base)/coco/images/\(name)")
    }
    let text = try json ?? String(contentsOfFile: cocoJSON, encoding: .utf8)
    try TestSupport.write(Array(text.utf8), to: "\(base)/coco/annotations/instances_default.json")
    return base
  }

  /// Every box of the catalog not rejected: `sha256 class xmin ymin xmax ymax`, sorted.
  static func boxes(_ catalog: Catalog) throws -> [String] {
    let digests = try catalog.activeImageDigests()
    let effective = try catalog.effectiveBoxes()
    return effective.boxes.flatMap { image, list in
      list.map {
        "\(digests[image] ?? "?") \($0.className) \($0.box.xmin) \($0.box.ymin) \($0.box.xmax) \($0.box.ymax)"
      }
    }.sorted()
  }

  static func labels(_ catalog: Catalog) throws -> [String] {
    try catalog.database.rows(
      """
      SELECT i.sha256, c.name FROM image_labels l JOIN classes c ON c.id = l.class_id JOIN images i ON i.id = l.image_id
      WHERE l.view = '' ORDER BY 1, 2
      """
    ) { "\($0.text(0) ?? "") \($0.text(1) ?? "")" }
  }

  @Test("the COCO twin of the Kaggle sample imports with the same boxes and labels as its VOC files")
  func sameBoxesAsTheVOCTwin() throws {
    let base = try Self.cocoDataset()
    let vocCatalog = try Workspace.create(at: base + "/ws-voc")
    var vocRequest = LayoutImport.Request(path: Self.voc)
    vocRequest.layout = .voc
    _ = try LayoutImport.run(vocRequest, catalog: vocCatalog)

    let cocoCatalog = try Workspace.create(at: base + "/ws-coco")
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/coco"), catalog: cocoCatalog)
    #expect(result.layout.layout == "coco")
    #expect(result.layout.guessed)
    #expect(result.layout.reason.contains("annotations/instances_default.json"))
    #expect(result.layout.problems.isEmpty, "\(result.layout.problems)")
    #expect(result.layout.boxes == 116)
    #expect(result.layout.annotations == 117)
    #expect(result.layout.crowdRegions == 1)
    // The three boxes past the edge are clamped, as VOC clamps them.
    #expect(result.layout.warnings?.filter { $0.reason.contains("clamped") }.count == 3)
    let vocBoxes = try Self.boxes(vocCatalog)
    #expect(vocBoxes.count == 116)
    #expect(try Self.boxes(cocoCatalog) == vocBoxes)
    #expect(try Self.labels(cocoCatalog) == Self.labels(vocCatalog))
    // The crowd region is provenance: a row with its segmentation, no box.
    let crowd = try cocoCatalog.database.rows(
      "SELECT segmentation, box_id IS NULL, bbox FROM coco_annotations WHERE iscrowd = 1"
    ) { "\($0.text(0) ?? "-") \($0.int(1)) \($0.text(2) ?? "")" }
    #expect(crowd == ["[[10,10,50,10,50,40,10,40]] 1 [10,10,40,30]"])
    // Importing again changes nothing.
    let again = try LayoutImport.run(LayoutImport.Request(path: base + "/coco"), catalog: cocoCatalog)
    #expect(again.images.unchanged == 23)
    #expect(try Self.boxes(cocoCatalog) == vocBoxes)
    #expect(
      try cocoCatalog.database.scalarInt("SELECT count(*) FROM boxes") == 116
        && cocoCatalog.database.scalarInt("SELECT count(*) FROM coco_annotations") == 117)
  }

  @Test("a VOC and a COCO source annotating the same bytes: one box set per image, by recipe priority")
  func oneTruthAcrossFormats() throws {
    let base = try Self.cocoDataset()
    try Data(
      """
      name: both
      sources:
        - {name: coco, path: coco, layout: coco, priority: 2}
        - {name: voc, path: \(Self.voc), layout: voc, priority: 1}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """.utf8
    ).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let catalog = try Workspace.create(at: base + "/ws")
    let report = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    #expect(report.sources.map(\.layout) == ["coco", "voc"])
    #expect(report.sources[0].boxes == 116)
    #expect(report.annotatedBySeveralSources == 23)
    // Each photo's kept set is the COCO entry (priority 2); the VOC file is an alternate with no shift.
    let twin = try #require(
      report.twins.first { $0.kept == "coco: annotations/instances_default.json#maksssksksss1.png" })
    #expect(twin.alternates.map(\.file) == ["voc: annotations/maksssksksss1.xml"])
    #expect(twin.alternates[0].largestShift == 0)
    let effective = try catalog.effectiveBoxes(rank: [1: 0, 2: 1])
    #expect(effective.boxes.values.map(\.count).reduce(0, +) == 116)
    #expect(report.views.first?.images == 23)
  }

  @Test("hostile entries: repeated ids, boxes outside, negative and non-numeric sizes, escaping file names")
  func hostileEntries() throws {
    let json = """
      {"images": [
        {"id": 1, "file_name": "maksssksksss0.png", "width": 400, "height": 271},
        {"id": 1, "file_name": "maksssksksss1.png", "width": 400, "height": 156},
        {"id": 2, "file_name": "../../../../etc/hostname", "width": 10, "height": 10},
        {"id": 3, "file_name": "/etc/hostname", "width": 10, "height": 10},
        {"id": 4, "file_name": "images/maksssksksss142.png", "width": 400, "height": 226},
        {"id": 5, "file_name": "maksssksksss218.png", "width": -400, "height": 226},
        {"id": true, "file_name": "maksssksksss231.png", "width": 400, "height": 249},
        {"id": 6, "file_name": "nowhere.png", "width": 40, "height": 40}
      ],
      "annotations": [
        {"id": 1, "image_id": 4, "category_id": 1, "bbox": [10, 10, 20, 20], "iscrowd": 0},
        {"id": 1, "image_id": 4, "category_id": 1, "bbox": [30, 30, 20, 20], "iscrowd": 0},
        {"id": 2, "image_id": 4, "category_id": 1, "bbox": [500, 10, 20, 20]},
        {"id": 3, "image_id": 4, "category_id": 1, "bbox": [10, 10, -5, 20]},
        {"id": 4, "image_id": 4, "category_id": 1, "bbox": [10, 10, "NaN", 20]},
        {"id": 5, "image_id": 4, "category_id": 9, "bbox": [10, 10, 5, 5]},
        {"id": 6, "image_id": 1, "category_id": 1, "bbox": [10, 10, 5, 5]},
        {"id": 7, "image_id": 4, "category_id": 2, "bbox": [395, 200, 8, 27], "area": 1e400},
        {"id": 8, "image_id": 4, "category_id": 2, "bbox": [395, 200, 8, 27]},
        {"id": 9, "image_id": 4, "category_id": 1, "bbox": [1, 2, 3], "iscrowd": 0},
        {"id": 10, "image_id": 4, "category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 7}
      ],
      "categories": [{"id": 1, "name": "with_mask"}, {"id": 2, "name": "without_mask"}, {"id": 2, "name": "other"}]}
      """
    // 1e400 is not a JSON number any parser keeps: the whole file is refused, with its name.
    let refused = try Self.cocoDataset(json: json)
    let whole = try LayoutImport.run(
      LayoutImport.Request(path: refused + "/coco"), catalog: try Workspace.create(at: refused + "/ws"))
    #expect(whole.layout.problems.count == 1)
    #expect(whole.layout.problems.first?.reason.contains("not JSON") == true, "\(whole.layout.problems)")
    #expect(whole.layout.boxes == 0)

    let base = try Self.cocoDataset(json: json.replacingOccurrences(of: ", \"area\": 1e400", with: ""))
    let catalog = try Workspace.create(at: base + "/ws")
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/coco"), catalog: catalog)
    let reasons = result.layout.problems.map(\.reason)
    func has(_ text: String) -> Bool { reasons.contains { $0.contains(text) } }
    #expect(has("images[1]: image id 1 is used twice"), "\(reasons)")
    #expect(has("climbs out of the dataset folder"), "\(reasons)")
    #expect(has("is an absolute path"), "\(reasons)")
    #expect(has("images[5]: image 5 needs integer `width` and `height`"), "\(reasons)")
    #expect(has("images[6]: no integer `id`"), "\(reasons)")
    #expect(has("annotations[1]: annotation id 1 is used twice; the first is kept"), "\(reasons)")
    #expect(
      has("annotations[2]: annotation 2 with_mask bbox [500,10,20,20] lies outside the 400×226 image"), "\(reasons)")
    #expect(has("annotations[3]: annotation 3 with_mask bbox [10,10,-5,20] has no width or height"), "\(reasons)")
    #expect(has("annotations[4]: annotation 4 `bbox` holds something that is not a finite number"), "\(reasons)")
    #expect(has("annotations[5]: annotation 5 names category 9"), "\(reasons)")
    #expect(has("annotations[6]: annotation 6 names image 1, whose id is used twice"), "\(reasons)")
    #expect(has("category id 2 is used twice (without_mask, other)"), "\(reasons)")
    #expect(has("annotations[7]: annotation 7 names category 2"), "\(reasons)")
    #expect(has("annotations[9]: annotation 9 `bbox` is not a list of 4 numbers"), "\(reasons)")
    #expect(has("annotations[10]: annotation 10 `iscrowd` is not 0 or 1"), "\(reasons)")
    #expect(result.layout.rowsWithoutImage == ["nowhere.png"])
    // What was fine imports: one with_mask box on maksssksksss142.png; the image is labelled by it.
    let stored = try Self.boxes(catalog)
    #expect(stored.count == 1)
    #expect(stored.first?.hasSuffix(" with_mask 10.0 10.0 30.0 30.0") == true, "\(stored)")
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM images") == 23)
  }

  @Test("no categories list, or a file over the size limit: refused with the reason, the images still import")
  func refusedFiles() throws {
    let base = try Self.cocoDataset(json: "{\"images\": [], \"annotations\": []}")
    let catalog = try Workspace.create(at: base + "/ws")
    let result = try LayoutImport.run(LayoutImport.Request(path: base + "/coco"), catalog: catalog)
    #expect(result.layout.problems.first?.reason.contains("no `categories` list") == true, "\(result.layout.problems)")
    #expect(result.images.added == 23)
    var options = COCOReaderOptions()
    options.maxBytes = 1_000
    #expect {
      try COCOReader.read(
        path: Array(Self.cocoJSON.utf8), size: 24_000, display: "instances.json", options: options)
    } throws: { error in
      ((error as? LocalizedError)?.errorDescription ?? "").contains("over the 0 MB limit for a COCO file")
    }
  }
}
