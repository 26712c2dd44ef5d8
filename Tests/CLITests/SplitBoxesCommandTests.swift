import Foundation
import TestSupport
import Testing

/// A split freezes its members' boxes (issue 22, item 3): a box relabelled or rejected in review after the
/// split does not change a box export of it; `split status` names the image, `split --update` takes the new
/// boxes in without moving a member. On real photos (Tests/Fixtures/voc-facemask).
@Suite("CLI: a split's box exports are frozen")
struct SplitBoxesCommandTests {
  static func run(_ arguments: [String], in ws: String) throws -> TestSupport.ProcessResult {
    try TestSupport.run(arguments, in: ws)
  }

  /// Every COCO annotation of the export (all subsets) by id: its category name.
  static func cocoAnnotations(_ folder: String) throws -> [Int: String] {
    var result: [Int: String] = [:]
    for file in try FileManager.default.contentsOfDirectory(atPath: folder + "/annotations") {
      let document = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/annotations/\(file)")))
          as? [String: Any])
      var names: [Int: String] = [:]
      for category in document["categories"] as? [[String: Any]] ?? [] {
        if let id = category["id"] as? Int, let name = category["name"] as? String { names[id] = name }
      }
      for annotation in document["annotations"] as? [[String: Any]] ?? [] {
        if let id = annotation["id"] as? Int, let category = annotation["category_id"] as? Int {
          result[id] = names[category] ?? ""
        }
      }
    }
    return result
  }

  /// Lines of every YOLO label file (one line per box).
  static func yoloBoxLines(_ folder: String) throws -> Int {
    try SplitRecipeCommandTests.tree(folder).filter { $0.key.hasPrefix("labels/") && $0.key.hasSuffix(".txt") }
      .values.map { String(decoding: $0, as: UTF8.self).split(separator: "\n").count }.reduce(0, +)
  }

  @Test(
    "a box relabelled and one rejected after the split leave its YOLO and COCO exports byte-identical; status lists the image; --update takes the boxes in",
    .requiresBinary)
  func boxesAreFrozen() throws {
    let folder = try TestSupport.temporaryFolder("dsk-split-boxes")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try Self.run(
      ["import", TestSupport.testdata + "/voc-facemask", "--layout", "voc"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let split = try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--kind", "photos"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let members = try SplitRecipeCommandTests.subsets(ws, "v1")
    #expect(!members.isEmpty)
    // Each export goes to the same folder each time (YOLO's data.yaml names its folder).
    var first: [String: [String: Data]] = [:]
    for format in ["yolo", "coco"] {
      let export = try Self.run(
        ["export", "--split", "v1", "--format", format, "--out", "\(folder)/\(format)"], in: ws)
      #expect(export.status == 0, "\(export.stderr)")
      first[format] = try SplitRecipeCommandTests.tree("\(folder)/\(format)")
    }
    let yoloLines = try Self.yoloBoxLines(folder + "/yolo")
    let coco1 = try Self.cocoAnnotations(folder + "/coco")

    // A member with two boxes or more, one of them not `without_mask`: relabel that one, reject another.
    let row = try #require(
      try SplitRecipeCommandTests.query(
        ws,
        """
        SELECT b.id, b.image_id, c.name FROM boxes b JOIN classes c ON c.id = b.class_id
        WHERE c.name <> 'without_mask' AND b.image_id IN (SELECT image_id FROM boxes GROUP BY image_id HAVING COUNT(*) >= 2)
          AND b.image_id IN (SELECT a.image_id FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = 'v1')
        ORDER BY b.image_id, b.id LIMIT 1
        """
      ).first)
    let (relabelled, image, oldClass) = (row[0], row[1], row[2])
    let rejected = try #require(
      try SplitRecipeCommandTests.query(
        ws, "SELECT id FROM boxes WHERE image_id = \(image) AND id <> \(relabelled) ORDER BY id LIMIT 1"
      ).first?.first)
    let boxCount = try #require(
      Int(
        try SplitRecipeCommandTests.query(ws, "SELECT COUNT(*) FROM boxes WHERE image_id = \(image)").first?.first ?? ""
      ))
    let relabel = try Self.run(["review", "relabel", "--label", "without_mask", relabelled], in: ws)
    #expect(relabel.status == 0, "\(relabel.stderr)")
    let reject = try Self.run(["review", "reject", rejected], in: ws)
    #expect(reject.status == 0, "\(reject.stderr)")

    // The split's exports are what they were, byte for byte; the export says which member changed.
    for format in ["yolo", "coco"] {
      let again = try Self.run(["export", "--split", "v1", "--format", format, "--out", "\(folder)/\(format)"], in: ws)
      #expect(again.status == 0, "\(again.stderr)")
      #expect(try SplitRecipeCommandTests.tree("\(folder)/\(format)") == first[format])
      #expect(again.stderr.contains("boxes changed since: take the new boxes on update"), "\(again.stderr)")
      #expect(again.stderr.contains("image \(image) "), "\(again.stderr)")
    }
    #expect(coco1[Int(relabelled) ?? 0] == oldClass)
    #expect(coco1[Int(rejected) ?? 0] != nil)

    let status = try Self.run(["split", "status", "v1"], in: ws)
    #expect(status.status == 0, "\(status.stderr)")
    #expect(status.stdout.contains("1 boxes changed since: take the new boxes on update"), "\(status.stdout)")
    #expect(status.stdout.contains("image \(image) "), "\(status.stdout)")
    let after = boxCount - 1
    #expect(
      status.stdout.contains("\(boxCount) boxes → \(after) \(after == 1 ? "box" : "boxes"))"), "\(status.stdout)")
    let json = try #require(
      try TestSupport.jsonResult(try Self.run(["split", "status", "v1", "--json"], in: ws).stdout) as? [String: Any])
    let changes = json["changes"] as? [[String: Any]] ?? []
    #expect(changes.count == 1)
    #expect(changes.first?["kind"] as? String == "boxesChanged")
    #expect(changes.first?["boxesBefore"] as? Int == boxCount)
    #expect(changes.first?["boxesAfter"] as? Int == after)

    // --update takes the new boxes in; no member moves; the export now has them.
    let update = try Self.run(["split", "--update", "v1"], in: ws)
    #expect(update.status == 0, "\(update.stderr)")
    #expect(update.stdout.contains("1 with new boxes"), "\(update.stdout)")
    #expect(update.stdout.contains("boxes changed: took the new boxes"), "\(update.stdout)")
    #expect(try SplitRecipeCommandTests.subsets(ws, "v1") == members)
    #expect(try Self.run(["split", "status", "v1"], in: ws).stdout.contains("Up to date"))
    for format in ["yolo", "coco"] {
      let export = try Self.run(
        ["export", "--split", "v1", "--format", format, "--out", "\(folder)/\(format)"], in: ws)
      #expect(export.status == 0, "\(export.stderr)")
      #expect(!export.stderr.contains("boxes changed"), "\(export.stderr)")
    }
    #expect(try Self.yoloBoxLines(folder + "/yolo") == yoloLines - 1)
    let coco3 = try Self.cocoAnnotations(folder + "/coco")
    #expect(coco3[Int(relabelled) ?? 0] == "without_mask")
    #expect(coco3[Int(rejected) ?? 0] == nil)
    #expect(coco3.count == coco1.count - 1)
  }

  /// The recipe re-run with `mask_weared_incorrect` folded into `without_mask` instead of `with_mask`: the
  /// view's class map changed, a YOLO export of a split of the view stays as it was; status lists the members
  /// whose boxes took another class.
  @Test("a view's class map changed by a merge re-run leaves a YOLO export of its split as it was", .requiresBinary)
  func classMapChangeIsFrozen() throws {
    let folder = try TestSupport.temporaryFolder("dsk-split-boxes-map")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try SplitRecipeCommandTests.makeSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["merge", folder + "/recipe.yaml"], in: ws).status == 0)
    #expect(try Self.run(["split", "--name", "v1", "--view", "two", "--ratios", "80/20"], in: ws).status == 0)
    let export = try Self.run(["export", "--split", "v1", "--format", "yolo", "--out", folder + "/yolo"], in: ws)
    #expect(export.status == 0, "\(export.stderr)")
    let before = try SplitRecipeCommandTests.tree(folder + "/yolo")
    // Members with a mask_weared_incorrect box (now with_mask in the view) that no label change covers.
    let folded = Set(
      try SplitRecipeCommandTests.query(
        ws,
        """
        SELECT DISTINCT b.image_id FROM boxes b JOIN classes c ON c.id = b.class_id
        JOIN split_assignments a ON a.image_id = b.image_id WHERE c.name = 'mask_weared_incorrect'
        """
      ).map { $0[0] })
    #expect(!folded.isEmpty)

    try SplitRecipeCommandTests.writeRecipe(folder, incorrectTo: "without_mask")
    #expect(try Self.run(["merge", folder + "/recipe.yaml"], in: ws).status == 0)
    let again = try Self.run(["export", "--split", "v1", "--format", "yolo", "--out", folder + "/yolo"], in: ws)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try SplitRecipeCommandTests.tree(folder + "/yolo") == before)
    let json = try #require(
      try TestSupport.jsonResult(try Self.run(["split", "status", "v1", "--json"], in: ws).stdout) as? [String: Any])
    let reboxed = Set(
      (json["changes"] as? [[String: Any]] ?? []).filter { $0["kind"] as? String == "boxesChanged" }
        .compactMap { ($0["imageID"] as? Int).map(String.init) })
    #expect(reboxed == folded)

    #expect(try Self.run(["split", "--update", "v1"], in: ws).status == 0)
    #expect(
      try Self.run(["export", "--split", "v1", "--format", "yolo", "--out", folder + "/yolo"], in: ws).status == 0)
    #expect(try SplitRecipeCommandTests.tree(folder + "/yolo") != before)
  }

  /// A split made before boxes were frozen (schema 017: no rows, `boxes_frozen` 0) freezes its members' boxes
  /// of the moment the first time it is read: nothing listed as changed, the export as before; a box relabelled
  /// later is then listed.
  @Test("a split made before boxes were frozen freezes them when first read", .requiresBinary)
  func olderSplitFreezesOnFirstRead() throws {
    let folder = try TestSupport.temporaryFolder("dsk-split-boxes-old")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(
      try Self.run(["import", TestSupport.testdata + "/voc-facemask", "--layout", "voc"], in: ws).status == 0)
    #expect(try Self.run(["split", "--name", "v1", "--ratios", "80/20"], in: ws).status == 0)
    #expect(
      try Self.run(["export", "--split", "v1", "--format", "coco", "--out", folder + "/coco"], in: ws).status == 0)
    let before = try SplitRecipeCommandTests.tree(folder + "/coco")
    // As a catalog migrated to 017 holds a split made before it.
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [
      "python3", "-c",
      """
      import sqlite3, sys
      db = sqlite3.connect(sys.argv[1])
      db.executescript('DELETE FROM split_boxes; DELETE FROM split_box_documents; UPDATE splits SET boxes_frozen = 0;')
      db.commit()
      """,
      ws + "/datasetkit.sqlite",
    ]
    try process.run()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    let status = try Self.run(["split", "status", "v1"], in: ws)
    #expect(status.stdout.contains("Up to date"), "\(status.stdout)")
    #expect(
      try Self.run(["export", "--split", "v1", "--format", "coco", "--out", folder + "/coco"], in: ws).status == 0)
    #expect(try SplitRecipeCommandTests.tree(folder + "/coco") == before)
    let box = try #require(
      try SplitRecipeCommandTests.query(
        ws,
        """
        SELECT b.id FROM boxes b JOIN classes c ON c.id = b.class_id WHERE c.name <> 'without_mask'
          AND b.image_id IN (SELECT image_id FROM split_assignments) ORDER BY b.id LIMIT 1
        """
      ).first?.first)
    #expect(try Self.run(["review", "relabel", "--label", "without_mask", box], in: ws).status == 0)
    #expect(try Self.run(["split", "status", "v1"], in: ws).stdout.contains("1 boxes changed since"))
    #expect(
      try Self.run(["export", "--split", "v1", "--format", "coco", "--out", folder + "/coco"], in: ws).status == 0)
    #expect(try SplitRecipeCommandTests.tree(folder + "/coco") == before)
  }
}
