import Catalog
import Foundation
import Ingest
import Splitter
import TestSupport
import Testing

@testable import Export

@Suite("Export: folders and CSV with a reproducible manifest")
struct ExportTests {
  func setUp() throws -> (Catalog, String) {
    let base = try TestSupport.temporaryFolder()
    let catalog = try Workspace.create(at: base + "/ws")
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 20, width: 120).enumerated() {
      try TestSupport.write(jpeg, to: "\(base)/masks/\(index % 4 == 0 ? "without_mask" : "with_mask")/\(index).jpg")
    }
    _ = try FolderImport.run(root: base + "/masks", catalog: catalog, license: "CC0-1.0")
    _ = try SplitCatalog.split(
      catalog: catalog, name: "v1", plan: SplitPlan(subsets: try SplitPlan.subsets(ratios: "80/10/10"), seed: 1))
    return (catalog, base)
  }

  @Test(
    "folders: train/<label>/ as Keras and ImageFolder expect; hard links use no extra disk; manifest byte-identical")
  func folders() throws {
    let (catalog, base) = try setUp()
    let out = base + "/export"
    let report = try Exporter.run(
      catalog: catalog,
      request: ExportRequest(format: .folders, output: out, split: "v1", link: .hard, toolVersion: "test"))
    #expect(report.files == 20 && report.copiedInsteadOfLinked == 0)
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out)) == ["train", "val", "test", "manifest.json"])
    #expect(Set(try FileManager.default.contentsOfDirectory(atPath: out + "/train")) == ["with_mask", "without_mask"])
    let assignments = try SplitCatalog.assignments(catalog: catalog, name: "v1")
    let trainCount = assignments.values.filter { $0 == "train" }.count
    let inTrain = try ["with_mask", "without_mask"].map {
      try FileManager.default.contentsOfDirectory(atPath: out + "/train/" + $0).count
    }
    #expect(inTrain.reduce(0, +) == trainCount)
    // Hard links: the exported file is the object's inode.
    let file = try #require(try FileManager.default.contentsOfDirectory(atPath: out + "/train/with_mask").first)
    var a = stat()
    var b = stat()
    stat(out + "/train/with_mask/" + file, &a)
    let sha = try #require(
      try catalog.database.scalarText(
        "SELECT sha256 FROM images WHERE sha256 LIKE ?", [.text(String(file.prefix(16)) + "%")]))
    stat(catalog.store.path(of: sha), &b)
    #expect(a.st_ino == b.st_ino && a.st_nlink >= 2)
    let manifest = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
    let object = try #require(try JSONSerialization.jsonObject(with: manifest) as? [String: Any])
    #expect(object["classes"] as? [String: Int] == ["with_mask": 0, "without_mask": 1])
    #expect((object["files"] as? [[String: Any]])?.count == 20)
    // Re-export: the earlier export is replaced, the manifest bytes are the same.
    let again = try Exporter.run(
      catalog: catalog,
      request: ExportRequest(format: .folders, output: out, split: "v1", link: .hard, toolVersion: "test"))
    #expect(again.replacedPreviousExport)
    #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")) == manifest)
    #expect(try FileManager.default.contentsOfDirectory(atPath: base).allSatisfy { !$0.contains("datasetkit-") })
    // Without --kind or --source the manifest has no selection; with them it records it (sources sorted, once),
    // and the same selection gives the same bytes.
    #expect(object["selection"] == nil)
    let source = try #require(try catalog.database.scalarText("SELECT name FROM sources"))
    // A split's selection is its own: another one is refused, naming both.
    var other = ExportRequest(format: .folders, output: base + "/photos", split: "v1", toolVersion: "test")
    other.selection = ImageSelection(kind: .photos)
    #expect(
      throws: SplitterError.contradictsSplit(flag: "--kind photos", split: "v1", made: "no --kind (crops and photos)")
    ) { try Exporter.run(catalog: catalog, request: other) }
    _ = try SplitCatalog.split(
      catalog: catalog, name: "photos",
      plan: SplitPlan(
        subsets: try SplitPlan.subsets(ratios: "80/10/10"), seed: 1, kind: .photos, sources: [source]))
    var selected = ExportRequest(format: .folders, output: base + "/photos", split: "photos", toolVersion: "test")
    selected.selection = ImageSelection(kind: .photos, sources: [source, source])
    #expect(try Exporter.run(catalog: catalog, request: selected).files == 20)
    let photos = try Data(contentsOf: URL(fileURLWithPath: base + "/photos/manifest.json"))
    let recorded = (try JSONSerialization.jsonObject(with: photos) as? [String: Any])?["selection"] as? [String: Any]
    #expect(recorded?["kind"] as? String == "photos" && recorded?["sources"] as? [String] == [source])
    _ = try Exporter.run(catalog: catalog, request: selected)
    #expect(try Data(contentsOf: URL(fileURLWithPath: base + "/photos/manifest.json")) == photos)
  }

  @Test("csv: data.csv with provenance; copies when asked")
  func csv() throws {
    let (catalog, base) = try setUp()
    let out = base + "/csv"
    let report = try Exporter.run(
      catalog: catalog, request: ExportRequest(format: .csv, output: out, split: "v1", link: .copy, toolVersion: "test")
    )
    #expect(report.files == 20)
    let csv = try String(contentsOfFile: out + "/data.csv", encoding: .utf8).split(separator: "\n")
    #expect(csv.first == "path,label,subset,sha256,source,license,url,caption")
    #expect(csv.count == 21)
    #expect(csv.dropFirst().allSatisfy { $0.contains(",masks,CC0-1.0,") })
  }

  @Test("a non-empty folder that is not an export is refused, untouched")
  func foreignFolder() throws {
    let (catalog, base) = try setUp()
    let out = base + "/mine"
    try TestSupport.write(Array("keep me".utf8), to: out + "/notes.txt")
    #expect(throws: ExportError.foreignFolder(out)) {
      try Exporter.run(
        catalog: catalog, request: ExportRequest(format: .folders, output: out, split: "v1", toolVersion: "t"))
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: out) == ["notes.txt"])
  }

  @Test(
    "hard links fall back to copies on another file system, and say so",
    .enabled(if: getuid() == 0, "needs root to mount a tmpfs"))
  func crossFileSystem() throws {
    let (catalog, base) = try setUp()
    let mountPoint = base + "/other-fs"
    try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
    let mount = Process()
    mount.executableURL = URL(fileURLWithPath: "/bin/mount")
    mount.arguments = ["-t", "tmpfs", "-o", "size=20m", "tmpfs", mountPoint]
    try mount.run()
    mount.waitUntilExit()
    try #require(mount.terminationStatus == 0)
    defer {
      let umount = Process()
      umount.executableURL = URL(fileURLWithPath: "/bin/umount")
      umount.arguments = [mountPoint]
      try? umount.run()
      umount.waitUntilExit()
    }
    let report = try Exporter.run(
      catalog: catalog,
      request: ExportRequest(format: .folders, output: mountPoint + "/out", split: "v1", link: .hard, toolVersion: "t"))
    #expect(report.files == 20 && report.copiedInsteadOfLinked == 20)
  }

  @Test("box formats through the one export: split subsets, data.yaml names the final folder, manifest has the split")
  func yoloWithSplit() throws {
    let (catalog, base) = try setUp()
    let out = base + "/yolo"
    // A detection export holds images with boxes; these folder images have none, so only on request.
    let detection = try Exporter.run(
      catalog: catalog, request: ExportRequest(format: .yolo, output: out, split: "v1", toolVersion: "t"))
    #expect(detection.files == 0 && detection.unlabeled == 20)
    let report = try Exporter.run(
      catalog: catalog,
      request: ExportRequest(format: .yolo, output: out, split: "v1", toolVersion: "t", includeUnannotated: true))
    #expect(report.files == 20)
    let yaml = try String(contentsOfFile: out + "/data.yaml", encoding: .utf8)
    #expect(yaml.contains("path: \"\(out)\"") || yaml.contains("path: \(out)\n"))
    #expect(!yaml.contains("datasetkit-export-"))
    #expect(FileManager.default.fileExists(atPath: out + "/images/train"))
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        as? [String: Any])
    #expect((manifest["split"] as? [String: Any])?["name"] as? String == "v1")
    #expect((manifest["tool"] as? String)?.hasPrefix("datasetkit") == true)
    #expect(manifest["selection"] == nil)
    // A box format records the selection too.
    var crops = ExportRequest(
      format: .yolo, output: base + "/yolo-crops", split: nil, toolVersion: "t", includeUnannotated: true)
    crops.selection = ImageSelection(kind: .crops)
    #expect(try Exporter.run(catalog: catalog, request: crops).files == 0)
    let cropManifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/yolo-crops/manifest.json")))
        as? [String: Any])
    #expect(cropManifest["selection"] as? [String: String] == ["kind": "crops"])
  }

  @Test("one format enum: the --format values in their order, which write boxes; the box writer refuses the others")
  func formats() throws {
    #expect(
      DatasetFormat.allCases.map(\.rawValue) == ["folders", "csv", "voc", "yolo", "coco", "createml", "webdataset"])
    #expect(DatasetFormat.allCases.filter(\.writesBoxes) == [.voc, .yolo, .coco, .createml, .webdataset])
    let (catalog, base) = try setUp()
    let plan = try DatasetExport.plan(catalog: catalog, includeUnannotated: true)
    for format in [DatasetFormat.folders, .csv] {
      let out = base + "/boxes-\(format.rawValue)"
      #expect(throws: ExportError.self) {
        try DatasetExport.write(plan, format: format, to: out, store: catalog.store)
      }
      #expect(!FileManager.default.fileExists(atPath: out))
    }
    let written = try DatasetExport.write(plan, format: .coco, to: base + "/boxes-coco", store: catalog.store)
    #expect(written.format == .coco && written.images == 20)
  }
}
