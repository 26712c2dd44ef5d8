import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// A split is the whole recipe of its export (issue 22): its view, kind and sources, its members and
/// their labels, on real photos (Tests/Fixtures/voc-facemask, Debian's opencv-doc photographs).
@Suite("CLI: a split exports exactly what it was made of")
struct SplitRecipeCommandTests {
  static var facemask: String { TestSupport.testdata + "/voc-facemask" }

  static func run(_ arguments: [String], in ws: String) throws -> TestSupport.ProcessResult {
    try TestSupport.run(arguments, in: ws)
  }

  /// A folder-per-class set `kaggle/` (WithMask/, WithoutMask/: distinct real photos, plus near-duplicates of
  /// four voc-facemask photos re-encoded as JPEG at 90 %), and a recipe mixing it with voc-facemask into
  /// a two-class view (`mask_weared_incorrect` folded into `incorrectTo`) and a three-class view.
  static func makeSets(_ folder: String, incorrectTo: String = "with_mask") throws {
    let jpegs = try TestSupport.distinctJPEGs(count: 12, seed: 5)
    for (index, bytes) in jpegs.enumerated() {
      try TestSupport.write(bytes, to: "\(folder)/kaggle/\(index % 2 == 0 ? "WithMask" : "WithoutMask")/k\(index).jpg")
    }
    for name in ["0", "142", "231", "388"] {
      let url = URL(fileURLWithPath: "\(facemask)/images/maksssksksss\(name).png")
      let image = try DecodedImage(bytes: Array(try Data(contentsOf: url)))
      let smaller = try image.cropped(
        to: Box(x: 0, y: 0, width: image.width, height: image.height), width: image.width * 9 / 10,
        height: image.height * 9 / 10)
      try TestSupport.write(try smaller.encoded(.jpeg(quality: 88)), to: "\(folder)/kaggle/WithMask/m\(name).jpg")
    }
    try writeRecipe(folder, incorrectTo: incorrectTo)
  }

  static func writeRecipe(_ folder: String, incorrectTo: String) throws {
    let recipe = """
      name: mix
      sources:
        - {name: kaggle, path: kaggle, layout: folders, priority: 1}
        - {name: masks, path: \(facemask), layout: voc}
      classes: {WithMask: with_mask, WithoutMask: without_mask}
      views:
        - {name: two, classes: [with_mask, without_mask], fold: {mask_weared_incorrect: \(incorrectTo)}}
        - {name: three, classes: [with_mask, without_mask, mask_weared_incorrect]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: folder + "/recipe.yaml"))
  }

  /// Every file under `folder` by relative path, with its bytes (symbolic links as their target).
  static func tree(_ folder: String) throws -> [String: Data] {
    var result: [String: Data] = [:]
    let enumerator = FileManager.default.enumerator(atPath: folder)
    while let relative = enumerator?.nextObject() as? String {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder + "/" + relative, isDirectory: &isFolder), !isFolder.boolValue {
        result[relative] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + relative))
      }
    }
    return result
  }

  static func manifest(_ folder: String) throws -> [String: Any] {
    try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")))
        as? [String: Any])
  }

  /// Rows of a read-only query on the workspace's catalog, each column as text (through Python's sqlite3,
  /// so the test never migrates the catalog: the same test runs against an older binary).
  static func query(_ ws: String, _ sql: String) throws -> [[String]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    let script = """
      import json, sqlite3, sys
      db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
      print(json.dumps([[None if v is None else str(v) for v in row] for row in db.execute(sys.argv[2])]))
      """
    process.arguments = ["python3", "-c", script, ws + "/datasetkit.sqlite", sql]
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let rows = try JSONSerialization.jsonObject(with: data) as? [[Any]] ?? []
    return rows.map { $0.map { $0 as? String ?? "" } }
  }

  static func subsets(_ ws: String, _ split: String) throws -> [Int64: String] {
    var result: [Int64: String] = [:]
    for row in try query(
      ws,
      "SELECT a.image_id, a.subset FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = '\(split)'"
    ) {
      if let id = Int64(row[0]) { result[id] = row[1] }
    }
    return result
  }

  /// Reproducer 1: `split --view two`, then `export --split v1 --format folders` wrote one folder per raw
  /// class name; flags that contradict the split are usage errors naming both values.
  @Test(
    "export, stats and report take the split's view; a contradicting --view, --kind or --source exits 64",
    .requiresBinary)
  func splitRemembersItsView() throws {
    let folder = try TestSupport.temporaryFolder("dsk-recipe")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let merged = try Self.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(merged.status == 0, "\(merged.stderr)")
    let split = try Self.run(["split", "--name", "v1", "--view", "two", "--ratios", "70/15/15"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")

    let export = try Self.run(["export", "--split", "v1", "--format", "folders", "--out", folder + "/f"], in: ws)
    #expect(export.status == 0, "\(export.stderr)")
    for subset in ["train", "val", "test"] {
      let classes = Set(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/f/\(subset)"))
      #expect(classes.isSubset(of: ["with_mask", "without_mask"]) && !classes.isEmpty, "\(subset): \(classes)")
    }
    #expect(try Self.manifest(folder + "/f")["view"] as? String == "two")

    // Repeating the split's own values is fine; another value is a usage error naming both.
    let same = try Self.run(
      ["export", "--split", "v1", "--view", "two", "--format", "folders", "--out", folder + "/f2"], in: ws)
    #expect(same.status == 0, "\(same.stderr)")
    #expect(try Self.tree(folder + "/f2") == Self.tree(folder + "/f"))
    let cases: [([String], String)] = [
      (
        ["export", "--split", "v1", "--view", "three", "--format", "folders", "--out", folder + "/x"],
        "--view three contradicts split v1, made with --view two; drop the flag or make a new split"
      ),
      (
        ["export", "--split", "v1", "--kind", "crops", "--format", "yolo", "--out", folder + "/x"],
        "--kind crops contradicts split v1, made with no --kind"
      ),
      (
        ["export", "--split", "v1", "--source", "masks", "--format", "csv", "--out", folder + "/x"],
        "--source masks contradicts split v1, made with no --source"
      ),
      (["stats", "--split", "v1", "--view", "three"], "--view three contradicts split v1, made with --view two"),
      (["report", "--split", "v1", "--view", "three", "--json"], "--view three contradicts split v1"),
    ]
    for (arguments, message) in cases {
      let refused = try Self.run(arguments, in: ws)
      #expect(refused.status == 64, "\(arguments): \(refused.status) \(refused.stderr)")
      #expect(refused.stderr.contains(message), "\(arguments): \(refused.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: folder + "/x"))
    // stats --split takes the split's view for its label table too.
    let stats = try Self.run(["stats", "--split", "v1"], in: ws)
    #expect(stats.status == 0 && stats.stdout.contains("label (view two)"), "\(stats.stdout)")
  }

  /// Reproducer 2: an 80/20 split exported as YOLO validated on train ("No split yet"). Every box format
  /// writes the split's subsets; only an export without a split has val = train, said on stderr. Item 4:
  /// a class relabelled to and back never stays in the class list.
  @Test(
    "YOLO, COCO, VOC and Create ML write the split's subsets; class lists hold only classes present", .requiresBinary)
  func everyFormatHonoursTheSubsets() throws {
    let folder = try TestSupport.temporaryFolder("dsk-subsets")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["import", Self.facemask, "--layout", "voc"], in: ws).status == 0)
    // A typo relabelled back: the class exists in the catalog but no box has it.
    let row = try #require(
      try Self.query(ws, "SELECT b.id, c.name FROM boxes b JOIN classes c ON c.id = b.class_id ORDER BY b.id LIMIT 1")
        .first)
    let (box, original) = (row[0], row[1])
    #expect(try Self.run(["review", "relabel", "--new-class", "--label", "withmask", "\(box)"], in: ws).status == 0)
    #expect(try Self.run(["review", "relabel", "--label", original, "\(box)"], in: ws).status == 0)

    #expect(try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--kind", "photos"], in: ws).status == 0)
    let shown = try #require(
      try TestSupport.jsonResult(try Self.run(["split", "show", "v1", "--json"], in: ws).stdout) as? [String: Any])
    let counts = try #require(shown["counts"] as? [String: Int])
    #expect(counts.keys.sorted() == ["test", "train"])

    let yolo = try Self.run(
      ["export", "--split", "v1", "--format", "yolo", "--kind", "photos", "--out", folder + "/yolo"], in: ws)
    #expect(yolo.status == 0, "\(yolo.stderr)")
    let yaml = try String(contentsOfFile: folder + "/yolo/data.yaml", encoding: .utf8)
    #expect(!yaml.contains("No split"), "\(yaml)")
    #expect(yaml.contains("train: images/train\nval: images/test\ntest: images/test\n"), "\(yaml)")
    #expect(yaml.contains("val is the test subset"))
    #expect(!yolo.stderr.contains("val is the same images as train"))
    let classes = try String(contentsOfFile: folder + "/yolo/classes.txt", encoding: .utf8)
    #expect(classes == "mask_weared_incorrect\nwith_mask\nwithout_mask\n", "\(classes)")
    #expect(!yaml.contains("withmask"))
    for subset in ["train", "test"] {
      let images = try FileManager.default.contentsOfDirectory(atPath: "\(folder)/yolo/images/\(subset)")
      #expect(images.count == counts[subset], "\(subset)")
    }

    let coco = try Self.run(["export", "--split", "v1", "--format", "coco", "--out", folder + "/coco"], in: ws)
    #expect(coco.status == 0, "\(coco.stderr)")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder + "/coco/annotations").sorted() == [
        "instances_test.json", "instances_train.json",
      ])
    for subset in ["train", "test"] {
      let document = try #require(
        try JSONSerialization.jsonObject(
          with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/coco/annotations/instances_\(subset).json")))
          as? [String: Any])
      #expect((document["images"] as? [Any])?.count == counts[subset])
      #expect(
        (document["categories"] as? [[String: Any]])?.map { $0["name"] as? String }
          == ["mask_weared_incorrect", "with_mask", "without_mask"])
    }
    let voc = try Self.run(["export", "--split", "v1", "--format", "voc", "--out", folder + "/voc"], in: ws)
    #expect(voc.status == 0, "\(voc.stderr)")
    for subset in ["train", "test"] {
      let list = try String(contentsOfFile: "\(folder)/voc/ImageSets/Main/\(subset).txt", encoding: .utf8)
      #expect(list.split(separator: "\n").count == counts[subset])
    }
    let createML = try Self.run(
      ["export", "--split", "v1", "--format", "createml", "--out", folder + "/createml"], in: ws)
    #expect(createML.status == 0, "\(createML.stderr)")
    for subset in ["train", "test"] {
      let entries = try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/createml/\(subset)/annotations.json")))
      #expect((entries as? [Any])?.count == counts[subset])
    }
    // Exporting twice gives the same bytes (COCO's info date is the split's).
    #expect(
      try Self.run(["export", "--split", "v1", "--format", "coco", "--out", folder + "/coco2"], in: ws).status == 0)
    #expect(try Self.tree(folder + "/coco2") == Self.tree(folder + "/coco"))

    // No split: val is train, and stderr says so.
    let all = try Self.run(["export", "--format", "yolo", "--out", folder + "/all"], in: ws)
    #expect(all.status == 0 && all.stderr.contains("val is the same images as train"), "\(all.stderr)")
    #expect(try String(contentsOfFile: folder + "/all/data.yaml", encoding: .utf8).contains("val: images/all"))
  }

  /// Reproducer 3: merge, dedup, split, the same merge again (and more changes) — the split's export
  /// stays what it was; `split status` names the changes; `split --update` takes them in, moving no
  /// unchanged member.
  @Test(
    "a split exports the same bytes whatever the catalog does; status lists changes, --update takes them in",
    .requiresBinary)
  func splitIsReproducible() throws {
    let folder = try TestSupport.temporaryFolder("dsk-frozen")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["merge", folder + "/recipe.yaml"], in: ws).status == 0)
    #expect(try Self.run(["dedup"], in: ws).status == 0)
    #expect(try Self.run(["split", "--name", "v1", "--view", "two", "--ratios", "70/15/15"], in: ws).status == 0)
    let members = try Self.subsets(ws, "v1")
    let first = try Self.run(["export", "--split", "v1", "--format", "folders", "--out", folder + "/a"], in: ws)
    #expect(first.status == 0, "\(first.stderr)")
    let before = try Self.tree(folder + "/a")

    // The same merge again: nothing about the split changes.
    #expect(try Self.run(["merge", folder + "/recipe.yaml"], in: ws).status == 0)
    let stats = try Self.run(["stats", "--split", "v1", "--json"], in: ws)
    let split = try #require((try TestSupport.jsonResult(stats.stdout) as? [String: Any])?["split"] as? [String: Any])
    let cells = try #require(split["cells"] as? [[String: Any]])
    #expect(!cells.contains { ($0["label"] as? String) == "" }, "members without a label: \(cells)")
    #expect(cells.reduce(0) { $0 + ($1["images"] as? Int ?? 0) } == members.count)
    let status = try Self.run(["split", "status", "v1"], in: ws)
    #expect(status.status == 0 && status.stdout.contains("Up to date"), "\(status.stdout)")

    // Now the catalog changes: a re-run merge with another fold relabels members, new photos arrive, a
    // member is marked duplicate (a larger copy of it arrives and dedup keeps the larger).
    try Self.writeRecipe(folder, incorrectTo: "without_mask")
    // A member photo of the VOC set labelled with_mask in the view, in no duplicate group yet.
    let candidates = try Self.query(
      ws,
      """
      SELECT o.image_id, o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
      JOIN image_labels l ON l.image_id = o.image_id AND l.view = 'two' JOIN classes c ON c.id = l.class_id
      WHERE s.name = 'masks' AND c.name = 'with_mask' AND o.image_id NOT IN (SELECT image_id FROM dup_clusters)
      ORDER BY o.image_id
      """
    ).map { (Int64($0[0]) ?? 0, $0[1]) }.filter { members[$0.0] != nil }
    try #require(candidates.count >= 2)
    let memberPhoto = candidates[0]
    // Another member's exact bytes arrive in the folder set: a second origin in the catalog (and a label
    // from the higher-priority source), not in the split's manifest.
    try FileManager.default.copyItem(
      atPath: Self.facemask + "/" + candidates[1].1, toPath: folder + "/kaggle/WithoutMask/same-bytes.png")
    let image = try DecodedImage(
      bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Self.facemask + "/" + memberPhoto.1))))
    let larger = try image.cropped(
      to: Box(x: 0, y: 0, width: image.width, height: image.height), width: image.width * 5 / 4,
      height: image.height * 5 / 4)
    try TestSupport.write(try larger.encoded(.jpeg(quality: 92)), to: folder + "/kaggle/WithMask/larger.jpg")
    for (index, bytes) in try TestSupport.distinctJPEGs(count: 3, seed: 40).enumerated() {
      try TestSupport.write(bytes, to: "\(folder)/kaggle/WithoutMask/new\(index).jpg")
    }
    let remerged = try Self.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(remerged.status == 0, "\(remerged.stderr)")
    #expect(try Self.run(["dedup"], in: ws).status == 0)
    #expect(try Self.query(ws, "SELECT status FROM images WHERE id = \(memberPhoto.0)") == [["duplicate"]])

    let second = try Self.run(["export", "--split", "v1", "--format", "folders", "--out", folder + "/b"], in: ws)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(try Self.tree(folder + "/b") == before, "the export of v1 changed with the catalog")
    #expect(second.stderr.contains("split --update v1"), "\(second.stderr)")
    #expect(second.stderr.contains("image \(memberPhoto.0) masks/\(memberPhoto.1)"), "\(second.stderr)")

    let json = try Self.run(["split", "status", "v1", "--json"], in: ws)
    let report = try #require(try TestSupport.jsonResult(json.stdout) as? [String: Any])
    let changes = try #require(report["changes"] as? [[String: Any]])
    func ids(_ kind: String) -> Set<Int64> {
      Set(changes.filter { $0["kind"] as? String == kind }.compactMap { ($0["imageID"] as? NSNumber)?.int64Value })
    }
    #expect(ids("duplicate").contains(memberPhoto.0), "\(changes)")
    let leaving = Set(
      changes.filter { $0["leaves"] as? Bool == true }.compactMap { ($0["imageID"] as? NSNumber)?.int64Value })
    let relabelled = ids("relabelled")
    #expect(!relabelled.isEmpty)
    for change in changes where change["kind"] as? String == "relabelled" {
      #expect(change["label"] as? String == "with_mask" && change["newLabel"] as? String == "without_mask")
      #expect((change["path"] as? String)?.hasPrefix("masks/") == true)
    }
    #expect(ids("new").count >= 3)
    let text = try Self.run(["split", "status", "v1"], in: ws)
    #expect(
      text.stdout.contains("marked duplicate since") && text.stdout.contains("relabelled since"), "\(text.stdout)")
    #expect(text.stdout.contains("image \(relabelled.min() ?? 0) "), "\(text.stdout)")

    // The update takes them in and moves nobody else.
    let update = try Self.run(["split", "--update", "v1"], in: ws)
    #expect(update.status == 0, "\(update.stderr)")
    #expect(
      update.stdout.contains("Taken in: \(leaving.count) left, \(relabelled.count) relabelled"), "\(update.stdout)")
    let after = try Self.subsets(ws, "v1")
    #expect(after[memberPhoto.0] == nil)
    for (id, subset) in members where !leaving.contains(id) { #expect(after[id] == subset, "image \(id) moved") }
    #expect(after.count == members.count - leaving.count + ids("new").count)
    #expect(try Self.run(["split", "status", "v1"], in: ws).stdout.contains("Up to date"))
    let third = try Self.run(["export", "--split", "v1", "--format", "folders", "--out", folder + "/c"], in: ws)
    #expect(third.status == 0 && !third.stderr.contains("split --update"), "\(third.stderr)")
    let manifest = try Self.manifest(folder + "/c")
    let files = try #require(manifest["files"] as? [[String: Any]])
    #expect(files.count == after.count)
  }

  /// The workflow: a folder set and a VOC set through a 2-class view, dedup, split 70/15/15, Keras folders.
  @Test(
    "folder set + VOC set → view two → dedup → split 70/15/15 → folders, twice: the same bytes, the split's counts",
    .requiresBinary)
  func foldersWorkflow() throws {
    let folder = try TestSupport.temporaryFolder("dsk-workflow")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["merge", folder + "/recipe.yaml"], in: ws).status == 0)
    let dedup = try Self.run(["dedup"], in: ws)
    // Four photos of the VOC set are also in the folder set, re-encoded; one pair differs in label and
    // keeps both.
    #expect(dedup.status == 0 && dedup.stdout.contains("Marked 3 images duplicate"), "\(dedup.stdout)")
    let split = try Self.run(["split", "--name", "v1", "--view", "two", "--ratios", "70/15/15"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let shown = try #require(
      try TestSupport.jsonResult(try Self.run(["split", "show", "v1", "--json"], in: ws).stdout) as? [String: Any])
    let counts = try #require(shown["counts"] as? [String: Int])
    for out in ["k1", "k2"] {
      let export = try Self.run(
        ["export", "--split", "v1", "--format", "folders", "--out", "\(folder)/\(out)"], in: ws)
      #expect(export.status == 0, "\(export.stderr)")
    }
    let tree = try Self.tree(folder + "/k1")
    #expect(tree == (try Self.tree(folder + "/k2")))
    let manifest = try Self.manifest(folder + "/k1")
    #expect((manifest["classes"] as? [String: Int]) == ["with_mask": 0, "without_mask": 1])
    let files = try #require(manifest["files"] as? [[String: Any]])
    var subsetOf: [String: String] = [:]
    var perSubset: [String: Int] = [:]
    for file in files {
      let sha = try #require(file["sha256"] as? String)
      let subset = try #require(file["subset"] as? String)
      #expect(subsetOf[sha] == nil || subsetOf[sha] == subset, "\(sha) in two subsets")
      subsetOf[sha] = subset
      perSubset[subset, default: 0] += 1
      #expect(["with_mask", "without_mask"].contains(file["label"] as? String ?? ""))
      #expect((file["origins"] as? [Any])?.isEmpty == false)
    }
    #expect(perSubset == counts, "export \(perSubset) vs split \(counts)")
    for subset in ["train", "val", "test"] {
      let classes = Set(try FileManager.default.contentsOfDirectory(atPath: "\(folder)/k1/\(subset)"))
      #expect(classes.isSubset(of: ["with_mask", "without_mask"]))
    }
    #expect(try Self.run(["check", "leakage", "--split", "v1"], in: ws).status == 0)
  }
}
