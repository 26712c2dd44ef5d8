import Foundation
import TestSupport
import Testing

/// End-to-end: the built binary importing a zip and layouts, merging a recipe, stats by source.
@Suite("CLI: import zip / layouts, merge, stats --by source")
struct MergeCommandTests {

  /// Zips `folder` into `folder.zip` as Python's shutil does (entries relative to the folder).
  static func zip(_ folder: String) throws {
    let zip = Process()
    zip.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    zip.arguments = ["python3", "-c", "import shutil; shutil.make_archive('\(folder)', 'zip', '\(folder)')"]
    try zip.run()
    zip.waitUntilExit()
  }

  @Test(
    "zip import, pattern layout, a recipe merge twice, and stats --by source",
    .requiresBinary)
  func endToEnd() throws {
    let base = try TestSupport.temporaryFolder("cli-merge")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 5)
    for (index, name) in ["WithMask/1.jpg", "WithoutMask/2.jpg"].enumerated() {
      try TestSupport.write(jpegs[index], to: base + "/k/" + name)
    }
    for (index, name) in ["00000_Mask.jpg", "00001_Mask_Chin.jpg", "00002_Mask_Mouth_Chin.jpg"].enumerated() {
      try TestSupport.write(jpegs[index + 2], to: base + "/mfn/imfd/" + name)
    }
    try Self.zip(base + "/k")
    #expect(try TestSupport.run(["init", base + "/ws"]).status == 0)

    let imported = try TestSupport.run(["import", base + "/k.zip", "--workspace", base + "/ws"])
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stdout.contains("layout zip+folders (guessed)"))
    #expect(imported.stdout.contains("Labels: WithMask 1, WithoutMask 1"))
    let pattern = try TestSupport.run([
      "import", base + "/mfn", "--layout", "pattern", "--label-pattern", "_Mask_(Chin|Mouth_Chin)\\.jpg$=incorrect",
      "--label-pattern", "_Mask\\.jpg$=with_mask", "--json", "--workspace", base + "/ws",
    ])
    #expect(pattern.status == 0, "\(pattern.stderr)")
    let result = (try TestSupport.jsonResult(pattern.stdout) as? [[String: Any]])?.first
    #expect((result?["report"] as? [String: Any])?["labels"] as? [String: Int] == ["incorrect": 2, "with_mask": 1])
    let bad = try TestSupport.run([
      "import", base + "/mfn", "--label-pattern", "no-equals", "--workspace", base + "/ws",
    ])
    #expect(bad.status == 64 && bad.stderr.contains("REGEX=label"))

    let recipe = """
      name: cli
      sources:
        - {name: kaggle, zip: k.zip, priority: 1}
        - {name: mfn, path: mfn, layout: pattern, label_patterns: ['_Mask_(Chin|Mouth_Chin)\\.jpg$=incorrect', '_Mask\\.jpg$=with_mask']}
      classes: {WithMask: with_mask, WithoutMask: without_mask}
      views:
        - {name: two, classes: [with_mask, without_mask], fold: {incorrect: with_mask}}
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let merged = try TestSupport.run(["merge", base + "/recipe.yaml", "--workspace", base + "/ws"])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(merged.stdout.contains("View two: 5 images (5 labels added, 0 removed)"))
    let again = try TestSupport.run(["merge", base + "/recipe.yaml", "--json", "--workspace", base + "/ws"])
    let views = (try TestSupport.jsonResult(again.stdout) as? [String: Any])?["views"] as? [[String: Any]]
    #expect(views?.map { $0["labelsAdded"] as? Int } == [0, 0])

    try Data("sources:\n  - name: x\n    paht: k\n".utf8).write(to: URL(fileURLWithPath: base + "/bad.yaml"))
    let refused = try TestSupport.run(["merge", base + "/bad.yaml", "--workspace", base + "/ws"])
    #expect(refused.status == 1 && refused.stderr.contains("bad.yaml:3: unknown source key `paht`"))

    let stats = try TestSupport.run([
      "stats", "--by", "source", "--view", "three", "--json", "--workspace", base + "/ws",
    ])
    let bySource = (try TestSupport.jsonResult(stats.stdout) as? [String: Any])?["bySource"] as? [String: Any]
    #expect(bySource?["view"] as? String == "three")
    #expect((bySource?["overlap"] as? [[Int]])?.count == 2)
    let text = try TestSupport.run(["stats", "--by", "source", "--workspace", base + "/ws"])
    #expect(text.stdout.contains("source × source"))
    // Unknown views are errors naming the views, for every format and for stats; a folder set
    // has no boxes, so a detection export holds nothing unless background is asked for.
    for arguments in [
      ["export", "--view", "nope", "--format", "yolo"], ["export", "--view", "nope", "--format", "folders"],
      ["stats", "--view", "nope"],
    ] {
      let out = arguments[0] == "export" ? ["--out", base + "/x"] : []
      let unknown = try TestSupport.run(arguments + out + ["--workspace", base + "/ws"])
      #expect(
        unknown.status == 1 && unknown.stderr.contains("no view named nope")
          && unknown.stderr.contains("views: three, two"), "\(arguments) \(unknown.stderr)")
    }
    let detection = try TestSupport.run([
      "export", "--view", "three", "--format", "yolo", "--out", base + "/yolo", "--workspace", base + "/ws",
    ])
    #expect(
      detection.status == 0 && detection.stdout.contains("5 images without a box left out"), "\(detection.stdout)")
    let background = try TestSupport.run([
      "export", "--view", "three", "--format", "yolo", "--include-unannotated", "--out", base + "/yolo",
      "--workspace", base + "/ws",
    ])
    #expect(background.stdout.contains("Exported 5 images and 0 boxes as yolo"), "\(background.stdout)")
    #expect(
      try String(contentsOfFile: base + "/yolo/classes.txt", encoding: .utf8) == "with_mask\nwithout_mask\nincorrect\n")
  }

  @Test(
    "a zipped VOC set: import reads it from the archive; a recipe cuts its boxes into labelled crops",
    .requiresBinary)
  func zippedVOCCrops() throws {
    let base = try TestSupport.temporaryFolder("cli-merge")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 2, seed: 2)
    func voc(_ image: String, _ objects: String) -> [UInt8] {
      Array(
        "<annotation><filename>\(image)</filename><size><width>200</width><height>150</height></size>\(objects)</annotation>\n"
          .utf8)
    }
    let box = { (name: String, x: Int) in
      "<object><name>\(name)</name><bndbox><xmin>\(x)</xmin><ymin>20</ymin><xmax>\(x + 50)</xmax><ymax>90</ymax></bndbox></object>"
    }
    try TestSupport.write(jpegs[0], to: base + "/voc/images/a.png")
    try TestSupport.write(jpegs[1], to: base + "/voc/images/b.png")
    try TestSupport.write(
      voc("a.png", box("with_mask", 10) + box("without_mask", 100)), to: base + "/voc/annotations/a.xml")
    try TestSupport.write(voc("b.png", box("mask_weared_incorrect", 40)), to: base + "/voc/annotations/b.xml")
    try TestSupport.write(voc("gone.png", box("with_mask", 10)), to: base + "/voc/annotations/gone.xml")
    try Self.zip(base + "/voc")
    #expect(try TestSupport.run(["init", base + "/ws"]).status == 0)
    let imported = try TestSupport.run(["import", base + "/voc.zip", "--workspace", base + "/ws"])
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stdout.contains("layout zip+voc (guessed)"))
    #expect(imported.stdout.contains("annotations/gone.xml: no image \"gone.png\" in the dataset"))

    let recipe = """
      sources:
        - {name: masks, zip: voc.zip, layout: voc, boxes: crops, crop: {size: 64}}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let merged = try TestSupport.run(["merge", base + "/recipe.yaml", "--workspace", base + "/ws"])
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(merged.stdout.contains("masks: 3 boxes → 3 crops cut now, 0 cut before"))
    #expect(merged.stdout.contains("View three: 3 images (3 labels added, 0 removed)"))
    let again = try TestSupport.run(["merge", base + "/recipe.yaml", "--json", "--workspace", base + "/ws"])
    let report = try TestSupport.jsonResult(again.stdout) as? [String: Any]
    let crops = ((report?["sources"] as? [[String: Any]])?.first?["crops"] as? [String: Any])
    #expect(crops?["cut"] as? Int == 0 && crops?["cutBefore"] as? Int == 3)
    let views = report?["views"] as? [[String: Any]]
    #expect(views?.first?["classes"] as? [String: Int] == ["with_mask": 1, "without_mask": 1, "incorrect": 1])
    #expect(views?.first?["labelsAdded"] as? Int == 0)
  }
}
