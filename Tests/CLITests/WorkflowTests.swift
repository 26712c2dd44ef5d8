import Foundation
import TestSupport
import Testing

/// The workflows datasetkit exists for, end to end through the built binary on real photos (issue 22's
/// "done means"): each asserts its final export against its split — classes exactly the view's, per-subset
/// counts equal to the split's, no SHA-256 in two subsets, every crop in its parent's subset with its parent
/// named, licenses present, the manifest valid under `schemas/manifest.schema.json`, and a second export
/// byte-identical. Workflow (a), a folder set and a VOC set into
/// Keras folders, is `SplitRecipeCommandTests.foldersWorkflow`.
@Suite("CLI: workflows from sources to a training export, checked against their split")
struct WorkflowTests {
  static var facemask: String { TestSupport.testdata + "/voc-facemask" }

  static func run(_ arguments: [String], in ws: String) throws -> TestSupport.ProcessResult {
    try TestSupport.run(arguments, in: ws)
  }

  /// A split's members as frozen in the catalog: SHA-256 → (subset, label).
  static func members(_ ws: String, _ split: String) throws -> [String: (subset: String, label: String)] {
    var result: [String: (subset: String, label: String)] = [:]
    for row in try SplitRecipeCommandTests.query(
      ws,
      """
      SELECT i.sha256, a.subset, COALESCE(a.label, '') FROM split_assignments a JOIN splits s ON s.id = a.split_id
      JOIN images i ON i.id = a.image_id WHERE s.name = '\(split)'
      """)
    {
      result[row[0]] = (row[1], row[2])
    }
    return result
  }

  /// Exports `split` twice (into `out`, twice) with `arguments`, and checks the first against the split:
  /// the class list is `classes`; every exported file is a member, in its member's subset, with its frozen label
  /// (`checkLabels`: class exports); per-subset counts are the split's (`everyMember`: every member is exported);
  /// no SHA-256 in two subsets; every crop names its parent, sits in its parent's subset when the parent is a
  /// member and beside its sibling crops; every file carries a license; the manifest validates against the schema;
  /// the second export has the same bytes.
  /// Returns the manifest.
  @discardableResult
  static func checkExport(
    _ ws: String, split: String, out: String, _ arguments: [String], classes: Set<String>, everyMember: Bool = true,
    checkLabels: Bool = true
  ) throws -> [String: Any] {
    // Twice into the same folder (a YOLO data.yaml names its own folder): the same bytes.
    var trees: [[String: Data]] = []
    for _ in 0..<2 {
      let export = try run(["export", "--split", split, "--out", out] + arguments, in: ws)
      #expect(export.status == 0, "\(arguments): \(export.stderr)")
      trees.append(try SplitRecipeCommandTests.tree(out))
    }
    #expect(trees[0] == trees[1] && !trees[0].isEmpty, "\(arguments): a second export differs")
    let manifest = try SplitRecipeCommandTests.manifest(out)
    let schema = try #require(
      try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/schemas/manifest.schema.json")))
        as? [String: Any])
    let problems = JSONSchemaSubset.validate(manifest, against: schema)
    #expect(problems.isEmpty, "\(arguments): \(problems.prefix(5))")
    #expect(Set((manifest["classes"] as? [String: Int])?.keys ?? [:].keys) == classes, "\(arguments)")
    let members = try Self.members(ws, split)
    let files = try #require(manifest["files"] as? [[String: Any]])
    var subsetOf: [String: String] = [:]
    var exported: [String: Int] = [:]
    var subsetOfParent: [String: String] = [:]
    for file in files {
      let sha = try #require(file["sha256"] as? String)
      let subset = try #require(file["subset"] as? String)
      #expect(subsetOf[sha] == nil || subsetOf[sha] == subset, "\(sha) in two subsets")
      subsetOf[sha] = subset
      exported[subset, default: 0] += 1
      let member = try #require(members[sha], "\(sha) is not a member of split \(split)")
      #expect(member.subset == subset, "\(sha): exported in \(subset), a member of \(member.subset)")
      if checkLabels { #expect(file["label"] as? String == member.label, "\(sha)") }
      var licensed = (file["origins"] as? [[String: Any]] ?? []).contains { ($0["license"] as? String ?? "") != "" }
      if let parent = file["parent"] as? [String: Any] {
        let parentSHA = try #require(parent["sha256"] as? String)
        #expect(parent["box"] is [String: Any], "crop \(sha) names its box")
        if let home = members[parentSHA] { #expect(home.subset == subset, "crop \(sha) and its parent") }
        #expect(subsetOfParent[parentSHA] == nil || subsetOfParent[parentSHA] == subset, "crops of \(parentSHA)")
        subsetOfParent[parentSHA] = subset
        licensed =
          licensed
          || (parent["origins"] as? [[String: Any]] ?? []).contains { ($0["license"] as? String ?? "") != "" }
      }
      #expect(licensed, "\(sha) has no license")
    }
    if everyMember {
      var split: [String: Int] = [:]
      for member in members.values { split[member.subset, default: 0] += 1 }
      #expect(exported == split, "\(arguments): exported \(exported), split \(split)")
    }
    return manifest
  }

  /// The voc-facemask fixture as two VOC sets (issue 22's workflow e): `en` as published, and `es`, a Spanish
  /// re-annotation of eight of its photos (the same bytes; con_mascarilla / sin_mascarilla /
  /// mascarilla_mal_puesta; every box one pixel lower), with a recipe mapping both onto three classes.
  static func makeDetectionSets(_ folder: String) throws {
    try FileManager.default.copyItem(atPath: facemask, toPath: folder + "/en")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder + "/en/annotations").sorted().prefix(8)
    try FileManager.default.createDirectory(atPath: folder + "/es/annotations", withIntermediateDirectories: true)
    try FileManager.default.createDirectory(atPath: folder + "/es/images", withIntermediateDirectories: true)
    for name in names {
      let text = TestSupport.rewriteVOC(
        try String(contentsOfFile: folder + "/en/annotations/" + name, encoding: .utf8), dy: 1,
        names: TestSupport.spanishMaskClasses)
      try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/es/annotations/" + name))
      let image = String(name.dropLast(4)) + ".png"
      try FileManager.default.copyItem(atPath: folder + "/en/images/" + image, toPath: folder + "/es/images/" + image)
    }
    let recipe = """
      name: detect
      sources:
        - {name: kaggle, path: en, layout: voc, priority: 2, license: CC0-1.0}
        - {name: spanish, path: es, layout: voc, priority: 1, license: CC0-1.0}
      classes:
        mask_weared_incorrect: incorrect
        con_mascarilla: with_mask
        sin_mascarilla: without_mask
        mascarilla_mal_puesta: incorrect
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: folder + "/recipe.yaml"))
  }

  /// Workflow (e): two detection sets with different class names merged, a split, COCO per subset.
  @Test(
    "(e) two VOC sets with different class names → view three → split 80/10/10 → COCO, one file per subset",
    .requiresBinary)
  func detectionSetsToCOCO() throws {
    let folder = try TestSupport.temporaryFolder("dsk-workflow-e")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeDetectionSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let merged = try Self.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(merged.status == 0, "\(merged.stderr)")
    let split = try Self.run(
      ["split", "--name", "v1", "--view", "three", "--ratios", "80/10/10", "--seed", "2"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let three: Set<String> = ["with_mask", "without_mask", "incorrect"]
    try Self.checkExport(
      ws, split: "v1", out: folder + "/coco", ["--format", "coco"], classes: three, checkLabels: false)
    // One COCO file per subset: its images are the subset's members, each with the boxes of its one
    // annotation file (the Spanish twin's boxes are alternates, never stacked), categories the view's classes.
    let members = try Self.members(ws, "v1")
    var boxesPerFile: [String: Int] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: Self.facemask + "/annotations") {
      let text = try String(contentsOfFile: Self.facemask + "/annotations/" + name, encoding: .utf8)
      boxesPerFile[String(name.dropLast(4)) + ".png"] = text.components(separatedBy: "<object>").count - 1
    }
    for subset in ["train", "val", "test"] {
      let path = "\(folder)/coco/annotations/instances_\(subset).json"
      let coco = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
      let categories = (coco["categories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
      #expect(Set(categories) == three && categories.count == 3, "\(subset): \(categories)")
      let images = coco["images"] as? [[String: Any]] ?? []
      #expect(images.count == members.values.filter { $0.subset == subset }.count, "\(subset)")
      let annotations = coco["annotations"] as? [[String: Any]] ?? []
      var perImage: [Int: Int] = [:]
      for annotation in annotations { perImage[annotation["image_id"] as? Int ?? -1, default: 0] += 1 }
      for image in images {
        let name = URL(fileURLWithPath: image["file_name"] as? String ?? "").lastPathComponent
        #expect(perImage[image["id"] as? Int ?? -2] == boxesPerFile[name], "\(subset) \(name)")
      }
    }
  }

  /// Two folder-per-class sets of distinct real-looking photos: `a` (6 with_mask, 3 without_mask) and `b`
  /// (4 with_mask, 2 without_mask), and a recipe balancing a view at 8 per class: without_mask falls 3 short.
  static func makeQuotaSets(_ folder: String) throws {
    let jpegs = try TestSupport.distinctJPEGs(count: 15, seed: 11)
    var next = 0
    for (set, counts) in [("a", [6, 3]), ("b", [4, 2])] {
      for (label, count) in zip(["with_mask", "without_mask"], counts) {
        for index in 0..<count {
          try TestSupport.write(jpegs[next], to: "\(folder)/\(set)/\(label)/\(set)\(index).jpg")
          next += 1
        }
      }
    }
    let recipe = """
      name: balanced
      seed: 4
      sources:
        - {name: a, path: a, layout: folders, license: CC-BY-4.0}
        - {name: b, path: b, layout: folders, license: CC0-1.0}
      views:
        - {name: two, classes: [with_mask, without_mask]}
      quotas: {per_class: {with_mask: 8, without_mask: 8}}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: folder + "/recipe.yaml"))
  }

  /// Workflow (d): balanced quotas from two sets with a shortfall (said in text and JSON; `--strict` fails),
  /// a split, an export.
  @Test("(d) quotas over two sets: the shortfall is loud; split 80/20; folders and csv", .requiresBinary)
  func quotasWithAShortfall() throws {
    let folder = try TestSupport.temporaryFolder("dsk-workflow-d")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeQuotaSets(folder)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let strict = try Self.run(["merge", folder + "/recipe.yaml", "--strict"], in: ws)
    #expect(strict.status == 1, "\(strict.stdout)\(strict.stderr)")
    let merged = try Self.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(merged.stdout.contains("without_mask") && merged.stdout.contains("short"), "\(merged.stdout)")
    let json = try Self.run(["merge", folder + "/recipe.yaml", "--json"], in: ws)
    let views = (try TestSupport.jsonResult(json.stdout) as? [String: Any])?["views"] as? [[String: Any]]
    let shortfalls = try #require(views?.first?["shortfalls"] as? [[String: Any]], "\(json.stdout)")
    #expect(shortfalls.count == 1)
    let split = try Self.run(["split", "--name", "v1", "--view", "two", "--ratios", "80/20"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let members = try Self.members(ws, "v1")
    #expect(members.values.filter { $0.label == "with_mask" }.count == 8)
    #expect(members.values.filter { $0.label == "without_mask" }.count == 5)
    try Self.checkExport(
      ws, split: "v1", out: folder + "/folders", ["--format", "folders"], classes: ["with_mask", "without_mask"])
    try Self.checkExport(
      ws, split: "v1", out: folder + "/csv", ["--format", "csv"], classes: ["with_mask", "without_mask"])
  }

  /// Painted-mask pairs as public mask sets make them: `sample-images faces` cuts jittered face crops from
  /// Debian's opencv-doc photographs and paints a mask on a copy (`with_mask/0001.jpg` is
  /// `without_mask/0001.jpg` painted), `size` px square.
  static func paintPairs(_ out: String, count: Int, size: Int = 160) throws {
    let manual = "/usr/share/doc/opencv-doc/opencv4/html"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.repositoryRoot + "/.build/debug/sample-images")
    process.arguments = [
      "faces", "--from", manual + "/example.jpg", "--from", manual + "/julia_facedetect_sample.jpg", "--from",
      TestSupport.debianPhotos + "/messi5.jpg", "--out", out, "--count", "\(count)", "--seed", "3", "--size", "\(size)",
    ]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "sample-images faces failed")
  }

  /// Workflow (c): a 3-class set from VOC face crops plus painted-mask pairs, a grouped split, a leakage check.
  @Test(
    "(c) VOC crops + painted pairs → view three → dedup → split grouped by person → check leakage → folders",
    .requiresBinary)
  func cropsAndPaintedPairs() throws {
    let folder = try TestSupport.temporaryFolder("dsk-workflow-c")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.paintPairs(folder + "/painted", count: 10)
    let recipe = """
      name: three
      seed: 1
      sources:
        - name: andrewmvd
          path: \(Self.facemask)
          layout: voc
          boxes: crops
          crop: {margin: 0.2, size: 96, square: true}
          license: CC0-1.0
        - {name: painted, path: painted, layout: folders, license: Apache-2.0}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: folder + "/recipe.yaml"))
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let merged = try Self.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(merged.status == 0, "\(merged.stderr)")
    #expect(try Self.run(["dedup"], in: ws).status == 0)
    let split = try Self.run(
      ["split", "--name", "v1", "--view", "three", "--ratios", "70/30", "--group-by", "^(\\d{4})", "--seed", "1"],
      in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let leakage = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(leakage.status == 0 && leakage.stdout.contains("No pair crosses subsets"), "\(leakage.stdout)")
    let manifest = try Self.checkExport(
      ws, split: "v1", out: folder + "/folders", ["--format", "folders"],
      classes: ["with_mask", "without_mask", "incorrect"])
    let files = manifest["files"] as? [[String: Any]] ?? []
    // Crops name their parent photo and carry its CC0 license; each painted copy sits with its original.
    let crops = files.filter { $0["parent"] != nil }
    #expect(crops.count == 116, "the fixture's 116 boxes, one crop each")
    var pairSubsets: [String: Set<String>] = [:]
    for file in files {
      for origin in file["origins"] as? [[String: Any]] ?? [] where origin["source"] as? String == "painted" {
        let name = URL(fileURLWithPath: origin["path"] as? String ?? "").lastPathComponent
        pairSubsets[name, default: []].insert(file["subset"] as? String ?? "")
      }
    }
    // (Painted copies of the same face jittered twice may be set aside as near-duplicates; what remains of each
    // pair never straddles subsets.)
    #expect(pairSubsets.count >= 5 && pairSubsets.values.allSatisfy { $0.count == 1 }, "\(pairSubsets)")

    // Without --group-by: dedup relates each painted copy to its original (never marks it), so a split keeps
    // the pairs whole by itself and check leakage finds nothing.
    let auto = try Self.run(["split", "--name", "auto", "--view", "three", "--ratios", "70/30", "--seed", "1"], in: ws)
    #expect(auto.status == 0, "\(auto.stderr)")
    let autoLeakage = try Self.run(["check", "leakage", "--split", "auto"], in: ws)
    #expect(autoLeakage.status == 0, "\(autoLeakage.stdout)")
    var autoPairs: [String: Set<String>] = [:]
    let autoManifest = try Self.checkExport(
      ws, split: "auto", out: folder + "/auto", ["--format", "csv"],
      classes: ["with_mask", "without_mask", "incorrect"])
    for file in autoManifest["files"] as? [[String: Any]] ?? [] {
      for origin in file["origins"] as? [[String: Any]] ?? [] where origin["source"] as? String == "painted" {
        let name = URL(fileURLWithPath: origin["path"] as? String ?? "").lastPathComponent
        autoPairs[name, default: []].insert(file["subset"] as? String ?? "")
      }
    }
    #expect(autoPairs.count >= 8 && autoPairs.values.allSatisfy { $0.count == 1 }, "\(autoPairs)")
  }

  /// Workflow (b): a URL list crawled from a loopback server, faces detected, reviewed (relabelled, rejected),
  /// corrected in LabelImg and imported back, split 80/20, exported as VOC and YOLO.
  @Test(
    "(b) URL list → faces detect → review → LabelImg round trip → split 80/20 → VOC and YOLO",
    .requiresBinary)
  func crawlDetectReviewExport() throws {
    let folder = try TestSupport.temporaryFolder("dsk-workflow-b")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let images = Self.facemask + "/images"
    let names = try FileManager.default.contentsOfDirectory(atPath: images).sorted().prefix(12)
    let server = try LoopbackServer { request in
      let name = String(request.path.dropFirst())
      guard names.contains(name), let bytes = FileManager.default.contents(atPath: images + "/" + name) else {
        return .status(404)
      }
      return .respond(status: 200, headers: [("Content-Type", "image/png")], body: Array(bytes))
    }
    defer { server.stop() }
    let list = "url,label,license\n" + names.map { "\(server.base)/\($0),,CC0-1.0\n" }.joined()
    try Data(list.utf8).write(to: URL(fileURLWithPath: folder + "/urls.csv"))
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let crawl = try Self.run(
      ["crawl", "--provider", "urls", "--urls", folder + "/urls.csv", "--allow-private-network"], in: ws)
    #expect(crawl.status == 0, "\(crawl.stderr)")
    #expect(try SplitRecipeCommandTests.query(ws, "SELECT count(*) FROM images") == [["12"]], "\(crawl.stdout)")
    #expect(try Self.run(["faces", "detect"], in: ws).status == 0)
    let sheet = try Self.run(["review", "sheet", "--out", folder + "/sheet.png", "--json"], in: ws)
    let boxes = try #require(
      (try TestSupport.jsonResult(sheet.stdout) as? [String: Any])?["boxes"] as? [Int], "\(sheet.stdout)")
    try #require(boxes.count >= 40, "YuNet finds most of the fixture's faces")
    let (first, last) = (boxes[0], boxes[boxes.count - 1])
    let withMask = "\(first)-\(first + boxes.count / 2 - 1)"
    let withoutMask = "\(first + boxes.count / 2)-\(first + boxes.count * 3 / 4 - 1)"
    #expect(try Self.run(["review", "accept", "\(first)-\(last)"], in: ws).status == 0)
    // A class the catalog does not know yet is added on purpose; a typo of it is refused.
    #expect(try Self.run(["review", "relabel", "--label", "with_mask", "--new-class", withMask], in: ws).status == 0)
    #expect(
      try Self.run(["review", "relabel", "--label", "without_mask", "--new-class", withoutMask], in: ws).status == 0)
    let typo = try Self.run(["review", "relabel", "--label", "withmask", "\(first)"], in: ws)
    #expect(typo.status != 0 && typo.stderr.contains("with_mask"), "\(typo.stderr)")
    #expect(try Self.run(["review", "reject", "\(first + boxes.count * 3 / 4)-\(last)"], in: ws).status == 0)

    // LabelImg: the accepted boxes out, one relabelled and a missed face drawn, back in.
    let exported = try Self.run(
      ["review", "labelimg-export", "--status", "accepted", "--out", folder + "/lab"], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    let xml = try #require(
      try FileManager.default.contentsOfDirectory(atPath: folder + "/lab").filter { $0.hasSuffix(".xml") }.sorted()
        .first)
    var text = try String(contentsOfFile: folder + "/lab/" + xml, encoding: .utf8)
    let objects = text.components(separatedBy: "<object>").count - 1
    if let range = text.range(of: "<name>with_mask</name>") {
      text.replaceSubrange(range, with: "<name>without_mask</name>")
    }
    let drawn =
      "\t<object>\n\t\t<name>with_mask</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
      + "\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>4</xmin>\n\t\t\t<ymin>5</ymin>\n"
      + "\t\t\t<xmax>44</xmax>\n\t\t\t<ymax>50</ymax>\n\t\t</bndbox>\n\t</object>\n"
    text = text.replacingOccurrences(of: "</annotation>", with: drawn + "</annotation>")
    try Data(text.utf8).write(to: URL(fileURLWithPath: folder + "/lab/" + xml))
    let imported = try Self.run(["review", "labelimg-import", folder + "/lab"], in: ws)
    #expect(
      imported.status == 0 && imported.stdout.contains("1 drawn (missed faces), 1 relabelled"), "\(imported.stdout)")

    let split = try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--kind", "photos", "--seed", "1"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    let two: Set<String> = ["with_mask", "without_mask"]
    // Photos whose every box was rejected are left out of a detection export, each named.
    try Self.checkExport(
      ws, split: "v1", out: folder + "/voc", ["--format", "voc"], classes: two, everyMember: false, checkLabels: false)
    let yolo = try Self.checkExport(
      ws, split: "v1", out: folder + "/yolo", ["--format", "yolo"], classes: two, everyMember: false,
      checkLabels: false)
    let yaml = try String(contentsOfFile: folder + "/yolo/data.yaml", encoding: .utf8)
    #expect(yaml.contains("train: images/train\nval: images/test\n"), "\(yaml)")
    // The LabelImg edit reached both exports: the drawn box and the relabelled one.
    let stem = String(xml.drop { $0 != "-" }.dropFirst().dropLast(4))
    let voc = try String(contentsOfFile: "\(folder)/voc/Annotations/\(stem).xml", encoding: .utf8)
    #expect(voc.components(separatedBy: "<object>").count - 1 == objects + 1, "\(voc)")
    #expect(voc.contains("<xmin>4</xmin>") && voc.contains("<name>without_mask</name>"))
    let files = yolo["files"] as? [[String: Any]] ?? []
    #expect(files.count < 12 && files.count > 0)
  }
}
