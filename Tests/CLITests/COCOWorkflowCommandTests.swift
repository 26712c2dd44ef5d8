import Catalog
import Foundation
import TestSupport
import Testing

/// Issue 26, leftovers of item 5: a COCO source is listed with its own kind, and a COCO file goes through the
/// whole workflow (import, split, export as VOC and as COCO) with the boxes it came with, the same as its VOC twin's.
@Suite(.requiresBinary)
struct COCOWorkflowCommandTests {
  static let voc = TestSupport.testdata + "/voc-facemask"
  static let cocoJSON = TestSupport.testdata + "/coco-facemask/instances.json"

  /// The VOC sample's images with the COCO twin in `annotations/`, as a COCO dataset folder.
  static func cocoDataset(in base: String) throws -> String {
    let folder = base + "/facemask-coco"
    for name in try FileManager.default.contentsOfDirectory(atPath: voc + "/images") {
      try TestSupport.write(
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(voc)/images/\(name)"))), to: "\(folder)/images/\(name)")
    }
    try TestSupport.write(
      [UInt8](try Data(contentsOf: URL(fileURLWithPath: cocoJSON))), to: folder + "/annotations/instances_default.json")
    return folder
  }

  /// A new workspace with the COCO dataset imported: the temporary folder, the dataset, the workspace, and what
  /// `import` printed.
  static func importedCOCO(_ name: String) throws -> (base: String, coco: String, ws: String, imported: String) {
    let base = try TestSupport.temporaryFolder(name)
    let coco = try cocoDataset(in: base)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try TestSupport.run(["import", coco], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    return (base, coco, ws, imported.stdout)
  }

  static func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// `stats --json`: each source's name → kind.
  static func kinds(_ ws: String) throws -> [String: String] {
    let run = try TestSupport.run(["stats", "--json"], in: ws)
    #expect(run.status == 0, "\(run.stderr)")
    var kinds: [String: String] = [:]
    let result = try #require(try json(run.stdout)["result"] as? [String: Any])
    for source in result["sources"] as? [[String: Any]] ?? [] {
      kinds[source["name"] as? String ?? ""] = source["kind"] as? String
    }
    return kinds
  }

  /// Every accepted box of the catalog: `sha256 class xmin ymin xmax ymax`, sorted.
  static func catalogBoxes(_ ws: String) throws -> [String] {
    let catalog = try Catalog(workspace: Workspace(root: ws))
    return try catalog.database.rows(
      """
      SELECT i.sha256, c.name, b.xmin, b.ymin, b.xmax, b.ymax FROM boxes b JOIN images i ON i.id = b.image_id
      JOIN classes c ON c.id = b.class_id WHERE b.status = 'accepted'
      """
    ) { row in
      [
        row.text(0) ?? "", row.text(1) ?? "", format(row.double(2)), format(row.double(3)), format(row.double(4)),
        format(row.double(5)),
      ].joined(separator: " ")
    }.sorted()
  }

  static func format(_ value: Double) -> String { String(format: "%.3f", value) }

  static func sha256(_ path: String) throws -> String {
    SHA256.hex(of: try Data(contentsOf: URL(fileURLWithPath: path)))
  }

  /// The boxes of a VOC devkit export (`Annotations/*.xml`, images in `JPEGImages/`), read with a plain pattern
  /// match of LabelImg's layout (not datasetkit's reader), and each file's image subset from `ImageSets/Main`.
  static func vocBoxes(_ out: String) throws -> (boxes: [String], subsets: [String: String]) {
    var boxes: [String] = []
    var subsets: [String: String] = [:]
    func value(_ tag: String, in text: Substring) -> String? {
      guard let open = text.range(of: "<\(tag)>"),
        let close = text.range(of: "</\(tag)>", range: open.upperBound..<text.endIndex)
      else { return nil }
      return String(text[open.upperBound..<close.lowerBound])
    }
    for subset in ["train", "val", "test"] {
      let list = try String(contentsOfFile: out + "/ImageSets/Main/\(subset).txt", encoding: .utf8)
      for stem in list.split(separator: "\n") { subsets[String(stem)] = subset }
    }
    for name in try FileManager.default.contentsOfDirectory(atPath: out + "/Annotations") {
      let text = try String(contentsOfFile: out + "/Annotations/" + name, encoding: .utf8)
      let file = try #require(value("filename", in: text[...]))
      let sha = try sha256(out + "/JPEGImages/" + file)
      var rest = text[...]
      while let start = rest.range(of: "<object>"),
        let end = rest.range(of: "</object>", range: start.upperBound..<rest.endIndex)
      {
        let object = rest[start.upperBound..<end.lowerBound]
        let numbers = try ["xmin", "ymin", "xmax", "ymax"].map { try #require(Double(value($0, in: object) ?? "")) }
        boxes.append(([sha, value("name", in: object) ?? "?"] + numbers.map(format)).joined(separator: " "))
        rest = rest[end.upperBound...]
      }
    }
    return (boxes.sorted(), subsets)
  }

  @Test(
    "a COCO import is listed as kind coco (stats, --json), re-imports into the same source, and a catalog from before keeps every row"
  )
  func cocoSourceKind() throws {
    let (base, coco, ws, imported) = try Self.importedCOCO("dsk-coco-kind")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(imported.contains("layout coco (guessed)"), "\(imported)")
    #expect(try TestSupport.run(["import", Self.voc, "--layout", "voc", "--name", "facemask-voc"], in: ws).status == 0)
    #expect(try Self.kinds(ws) == ["facemask-coco": "coco", "facemask-voc": "voc"])
    let text = try TestSupport.run(["stats"], in: ws)
    let row = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("facemask-coco ") })
    #expect(row.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first == "coco", "\(row)")
    // The same folder again is the same source: nothing new, no second source.
    let again = try TestSupport.run(["import", coco, "--json"], in: ws)
    #expect(again.status == 0)
    #expect(try Self.kinds(ws).count == 2)

    // A catalog written before kind `coco` existed (the COCO source recorded as `folder`, schema 24): the next
    // command migrates it, every row kept under its id, the COCO source now `coco`, the folder source unchanged.
    let pets = base + "/pets"
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 2, width: 64).enumerated() {
      try TestSupport.write(jpeg, to: pets + "/cat/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", pets], in: ws).status == 0)
    let tables = ["sources", "images", "image_origins", "image_labels", "boxes", "coco_annotations"]
    func snapshot() throws -> [String: [String]] {
      let catalog = try Catalog(workspace: Workspace(root: ws))
      var rows: [String: [String]] = [:]
      for table in tables {
        let columns = try catalog.database.rows("PRAGMA table_info(\(table))") { $0.text(1) ?? "" }
        let line = columns.map { "quote(\($0))" }.joined(separator: " || '|' || ")
        rows[table] = try catalog.database.rows("SELECT \(line) FROM \(table) ORDER BY 1") { $0.text(0) ?? "" }
      }
      return rows
    }
    do {
      let catalog = try Catalog(workspace: Workspace(root: ws))
      try catalog.database.execute(
        "UPDATE sources SET kind = 'folder' WHERE name = 'facemask-coco'; PRAGMA user_version = 24")
    }
    var before = try snapshot()
    #expect(try Self.kinds(ws) == ["facemask-coco": "coco", "facemask-voc": "voc", "pets": "folder"])
    let after = try snapshot()
    before["sources"] = before["sources"]?.map {
      $0.replacingOccurrences(of: "|'folder'|'facemask-coco'|", with: "|'coco'|'facemask-coco'|")
    }
    for table in tables {
      #expect(after[table] == before[table], "\(table)")
      #expect(after[table]?.isEmpty == false, "\(table)")
    }
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("PRAGMA user_version") == Int64(Migration.latestVersion))
    #expect(try catalog.database.rows("PRAGMA foreign_key_check") { $0.text(0) ?? "" }.isEmpty)
    // The rebuilt table still refuses a kind it does not know and an origin naming no source.
    #expect(throws: (any Error).self) {
      try catalog.database.execute(
        "INSERT INTO sources (kind, name, uri, created_at) VALUES ('tarball', 'x', '/x', '2026-01-01')")
    }
    #expect(throws: (any Error).self) {
      try catalog.database.execute(
        "INSERT INTO image_origins (image_id, source_id, rel_path, rel_path_bytes, retrieved_at) VALUES (1, 999, 'p', x'70', '2026')"
      )
    }
  }

  @Test(
    "COCO file → split → export as VOC and as COCO: the boxes imported, the VOC twin's; crowd regions stay provenance")
  func cocoSplitExport() throws {
    let (base, _, ws, imported) = try Self.importedCOCO("dsk-coco-flow")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(imported.contains("116 boxes stored, 1 crowd region kept as provenance"), "\(imported)")
    let twin = base + "/ws-voc"
    #expect(try TestSupport.run(["init", twin]).status == 0)
    #expect(try TestSupport.run(["import", Self.voc, "--layout", "voc"], in: twin).status == 0)

    let importedBoxes = try Self.catalogBoxes(ws)
    #expect(importedBoxes.count == 116)
    #expect(importedBoxes == (try Self.catalogBoxes(twin)), "the COCO import's boxes differ from the VOC twin's")

    let split = try TestSupport.run(["split", "--name", "v1", "--ratios", "60/20/20"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    // Each image's subset as the split assigned it.
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let assigned = Dictionary(
      try catalog.database.rows(
        "SELECT i.sha256, a.subset FROM split_assignments a JOIN images i ON i.id = a.image_id"
      ) { ($0.text(0) ?? "", $0.text(1) ?? "") }, uniquingKeysWith: { first, _ in first })
    #expect(assigned.count == 23)
    #expect(Set(assigned.values) == ["train", "val", "test"])

    // VOC: the same 116 boxes, each image in its split subset.
    let vocOut = base + "/v1-voc"
    let vocRun = try TestSupport.run(["export", "--split", "v1", "--format", "voc", "--out", vocOut], in: ws)
    #expect(vocRun.status == 0, "\(vocRun.stderr)")
    #expect(vocRun.stdout.contains("Exported 23 images and 116 boxes as voc"), "\(vocRun.stdout)")
    let (vocBoxes, vocSubsets) = try Self.vocBoxes(vocOut)
    #expect(vocBoxes == importedBoxes)
    for name in try FileManager.default.contentsOfDirectory(atPath: vocOut + "/JPEGImages") {
      let stem = String(name[..<(name.lastIndex(of: ".") ?? name.endIndex)])
      #expect(vocSubsets[stem] == assigned[try Self.sha256(vocOut + "/JPEGImages/" + name)], "\(name)")
    }

    // COCO: bbox [x, y, w, h] back to corners gives the same boxes; no crowd region became a box.
    let cocoOut = base + "/v1-coco"
    let cocoRun = try TestSupport.run(["export", "--split", "v1", "--format", "coco", "--out", cocoOut], in: ws)
    #expect(cocoRun.status == 0, "\(cocoRun.stderr)")
    var cocoBoxes: [String] = []
    var annotations = 0
    for subset in ["train", "val", "test"] {
      let document = try Self.json(
        try String(contentsOfFile: cocoOut + "/annotations/instances_\(subset).json", encoding: .utf8))
      var shaOf: [Int: String] = [:]
      for image in document["images"] as? [[String: Any]] ?? [] {
        let sha = try Self.sha256(cocoOut + "/images/\(subset)/" + (image["file_name"] as? String ?? ""))
        #expect(assigned[sha] == subset)
        shaOf[image["id"] as? Int ?? -1] = sha
      }
      var category: [Int: String] = [:]
      for entry in document["categories"] as? [[String: Any]] ?? [] {
        category[entry["id"] as? Int ?? -1] = entry["name"] as? String
      }
      for annotation in document["annotations"] as? [[String: Any]] ?? [] {
        annotations += 1
        #expect(annotation["iscrowd"] as? Int == 0)
        #expect((annotation["segmentation"] as? [Any])?.isEmpty == true)
        let b = try #require(annotation["bbox"] as? [Double])
        let sha = try #require(shaOf[annotation["image_id"] as? Int ?? -1])
        let name = category[annotation["category_id"] as? Int ?? -1] ?? "?"
        cocoBoxes.append(
          ([sha, name] + [b[0], b[1], b[0] + b[2], b[1] + b[3]].map(Self.format)).joined(separator: " "))
      }
    }
    #expect(annotations == 116)
    #expect(cocoBoxes.sorted() == importedBoxes)

    // The crowd region is still in the catalog as provenance: its segmentation as written, no box.
    let crowd = try catalog.database.rows(
      "SELECT segmentation, box_id IS NULL FROM coco_annotations WHERE iscrowd = 1"
    ) { "\($0.text(0) ?? "-") \($0.int64(1))" }
    #expect(crowd == ["[[10,10,50,10,50,40,10,40]] 1"])
  }
}
