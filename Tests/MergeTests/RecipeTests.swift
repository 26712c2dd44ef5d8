import Catalog
import Foundation
import Ingest
import TestSupport
import Testing

@testable import Merge

@Suite("Merge recipes: class map, views, quotas, conflicts, re-runs")
struct RecipeTests {
  /// Two sources with different layouts and class names, sharing two images (one with a conflicting label).
  func setUp() throws -> (Catalog, String, [[UInt8]]) {
    let base = try TestSupport.temporaryFolder("recipe")
    let catalog = try Workspace.create(at: base + "/ws")
    let jpegs = try TestSupport.distinctJPEGs(count: 10)
    // kaggle: folders WithMask / WithoutMask (Train/Test), 5 images.
    try Fixtures.tree(
      base + "/kaggle",
      [
        ("Train/WithMask/1.png", jpegs[0]), ("Train/WithMask/2.png", jpegs[1]), ("Train/WithoutMask/3.png", jpegs[2]),
        ("Test/WithoutMask/4.png", jpegs[3]), ("Test/WithMask/5.png", jpegs[4]),
      ])
    // obs: a CSV with with_mask / without_mask / mask_weared_incorrect; shares jpegs[0] (agreeing) and
    // jpegs[2] (labelled with_mask here: a conflict).
    try Fixtures.tree(
      base + "/obs",
      [
        ("data/a.jpg", jpegs[0]), ("data/b.jpg", jpegs[2]), ("data/c.jpg", jpegs[5]), ("data/d.jpg", jpegs[6]),
        ("data/e.jpg", jpegs[7]),
        (
          "train.csv",
          Array(
            "filename,class\na.jpg,with_mask\nb.jpg,with_mask\nc.jpg,without_mask\nd.jpg,mask_weared_incorrect\ne.jpg,mask_weared_incorrect\n"
              .utf8)
        ),
      ])
    return (catalog, base, jpegs)
  }

  let recipeText = """
    name: facemask
    seed: 7
    sources:
      - name: kaggle
        path: kaggle
        layout: folders
        license: unknown
        priority: 2
      - name: obs
        path: obs
        layout: csv
        priority: 1
    classes:
      WithMask: with_mask
      WithoutMask: without_mask
      mask_weared_incorrect: incorrect
    views:
      - name: two
        classes: [with_mask, without_mask]
        fold: {incorrect: with_mask}
      - name: three
        classes: [with_mask, without_mask, incorrect]

    """

  func write(_ text: String, _ base: String) throws -> Recipe {
    try Data(text.utf8).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    return try Recipe.load(path: base + "/recipe.yaml")
  }

  @Test("counts per class and per source are those computed by hand; priority decides a conflict; re-run is a no-op")
  func mergeTwoSources() throws {
    let (catalog, base, _) = try setUp()
    let recipe = try write(recipeText, base)
    let report = try MergeRun.run(recipe, catalog: catalog)
    // 10 files, 8 distinct images: kaggle 1..5; obs adds c, d, e.
    #expect(report.sources.map(\.added) == [5, 3])
    #expect(report.sources[1].knownBytes == 2)
    #expect(report.conflicts.count == 1)
    #expect(report.conflicts.first?.chosen == "without_mask")
    #expect(report.conflicts.first?.labels == ["kaggle": "WithoutMask", "obs": "with_mask"])
    let three = try #require(report.views.first { $0.name == "three" })
    // with_mask: 1, 2, 5 (kaggle); without_mask: 3, 4 (kaggle), c (obs); incorrect: d, e (obs).
    #expect(three.classes == ["with_mask": 3, "without_mask": 3, "incorrect": 2])
    #expect(three.bySource["kaggle"] == ["with_mask": 3, "without_mask": 2])
    #expect(three.bySource["obs"] == ["without_mask": 1, "incorrect": 2])
    let two = try #require(report.views.first { $0.name == "two" })
    #expect(two.classes == ["with_mask": 5, "without_mask": 3])
    // Views are label rows, not copies.
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == 8)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_labels WHERE view = 'three'") == 8)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM sources WHERE recipe = 'facemask'") == 2)

    let again = try MergeRun.run(recipe, catalog: catalog)
    #expect(again.sources.allSatisfy { $0.added == 0 && $0.knownBytes == 0 })
    #expect(again.views.allSatisfy { $0.labelsAdded == 0 && $0.labelsRemoved == 0 })
    #expect(again.views.map(\.classes) == report.views.map(\.classes))
  }

  @Test("stats by source: overlap matrix of shared bytes and label × source table, as found and per view")
  func statsBySource() throws {
    let (catalog, base, _) = try setUp()
    _ = try MergeRun.run(try write(recipeText, base), catalog: catalog)
    let found = try catalog.sourceBreakdown()
    #expect(found.sources == ["kaggle", "obs"])
    #expect(found.overlap == [[5, 2], [2, 5]])
    #expect(found.labels.first { $0.label == "WithMask" }?.images == [3, 0])
    // Each image counts once: the two shared images (obs says with_mask) are credited to the source
    // imported first, as found; 8 images in all.
    #expect(found.labels.first { $0.label == "with_mask" } == nil)
    #expect(found.labels.flatMap(\.images).reduce(0, +) == 8)
    let three = try catalog.sourceBreakdown(view: "three")
    #expect(three.labels.map(\.label) == ["incorrect", "with_mask", "without_mask"])
    #expect(three.labels.map(\.images) == [[0, 2], [3, 0], [2, 1]])
  }

  @Test(
    "a VOC source (the Kaggle face-mask set) labels each image by its boxes' majority")
  func vocSource() throws {
    let testdata = TestSupport.testdata
    let base = try TestSupport.temporaryFolder("recipe-voc")
    let catalog = try Workspace.create(at: base + "/ws")
    let text = """
      sources:
        - {name: andrewmvd, path: \(testdata)/voc-facemask, layout: voc, license: CC0-1.0}
      classes: {mask_weared_incorrect: incorrect}
      views:
        - {name: three, classes: [with_mask, without_mask, incorrect]}

      """
    let report = try MergeRun.run(try write(text, base), catalog: catalog)
    // By hand: the majority class of each image's boxes in the annotation files.
    let majority = try catalog.database.rows(
      """
      SELECT image_id, (SELECT c.name FROM boxes b2 JOIN classes c ON c.id = b2.class_id
        WHERE b2.image_id = b.image_id GROUP BY c.name ORDER BY COUNT(*) DESC, c.name LIMIT 1)
      FROM boxes b GROUP BY image_id
      """
    ) { $0.text(1) ?? "" }
    var expected: [String: Int] = [:]
    for name in majority { expected[name == "mask_weared_incorrect" ? "incorrect" : name, default: 0] += 1 }
    #expect(report.sources[0].layout == "voc")
    #expect(!expected.isEmpty)
    #expect(report.views[0].classes == expected)
  }

  @Test("adding a source imports only that source")
  func addSource() throws {
    let (catalog, base, _) = try setUp()
    _ = try MergeRun.run(try write(recipeText, base), catalog: catalog)
    let extra = try TestSupport.distinctJPEGs(count: 2, seed: 40)
    try Fixtures.tree(base + "/more", [("with_mask/x.jpg", extra[0]), ("without_mask/y.jpg", extra[1])])
    let longer = recipeText.replacingOccurrences(
      of: "classes:\n  WithMask", with: "  - name: more\n    path: more\nclasses:\n  WithMask")
    let report = try MergeRun.run(try write(longer, base), catalog: catalog)
    #expect(report.sources.map(\.added) == [0, 0, 2])
    #expect(report.sources.map(\.unchanged) == [5, 5, 0])
    #expect(report.views.first { $0.name == "three" }?.labelsAdded == 2)
  }

  @Test("unmapped classes are listed and the merge refuses, unless told to drop them")
  func unmapped() throws {
    let (catalog, base, _) = try setUp()
    let recipe = try write(
      recipeText.replacingOccurrences(of: "  mask_weared_incorrect: incorrect\n", with: "  other: incorrect\n"), base)
    var message = ""
    do { _ = try MergeRun.run(recipe, catalog: catalog) } catch { message = error.localizedDescription }
    #expect(message.contains("not mapped: mask_weared_incorrect (2 images)"))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_labels WHERE view != ''") == 0)
    let dropped = try MergeRun.run(recipe, catalog: catalog, dropUnmapped: true)
    #expect(dropped.droppedUnmapped == ["mask_weared_incorrect"])
    #expect(dropped.views.first { $0.name == "three" }?.classes["incorrect"] == nil)
  }

  @Test("balance to the smallest class, seeded: the same images every run")
  func balance() throws {
    let (catalog, base, _) = try setUp()
    let recipe = try write(recipeText + "quotas:\n  balance: smallest\n", base)
    let first = try MergeRun.run(recipe, catalog: catalog)
    #expect(first.views.first { $0.name == "three" }?.classes == ["with_mask": 2, "without_mask": 2, "incorrect": 2])
    #expect(first.views.first { $0.name == "two" }?.classes == ["with_mask": 3, "without_mask": 3])
    let chosen = try catalog.database.rows("SELECT image_id FROM image_labels WHERE view = 'three' ORDER BY image_id") {
      $0.int64(0)
    }
    let again = try MergeRun.run(recipe, catalog: catalog)
    #expect(again.views.allSatisfy { $0.labelsAdded == 0 && $0.labelsRemoved == 0 })
    #expect(
      try catalog.database.rows("SELECT image_id FROM image_labels WHERE view = 'three' ORDER BY image_id") {
        $0.int64(0)
      } == chosen)
  }

  @Test("recipe mistakes name the line")
  func errorsNameTheLine() throws {
    let base = try TestSupport.temporaryFolder("recipe")
    try FileManager.default.createDirectory(atPath: base + "/kaggle", withIntermediateDirectories: true)
    func message(_ text: String) -> String {
      do {
        _ = try Recipe.parse(text, path: base + "/r.yaml")
        return ""
      } catch { return error.localizedDescription }
    }
    let good =
      "sources:\n  - name: k\n    path: kaggle\nclasses:\n  a: x\n  b: y\nviews:\n  - name: v\n    classes: [x, y]\n"
    #expect(message(good) == "")
    #expect(
      message(good.replacingOccurrences(of: "    path: kaggle", with: "    path: kaggle\n    layuot: csv")).contains(
        "r.yaml:4: unknown source key `layuot`"))
    #expect(
      message(good.replacingOccurrences(of: "    path: kaggle", with: "    path: kaggle\n    layout: xml")).contains(
        "r.yaml:4: unknown layout xml"))
    #expect(message(good.replacingOccurrences(of: "path: kaggle", with: "path: nowhere")).contains("r.yaml:2:"))
    #expect(
      message(good + "  - name: w\n    classes: [x, y]\n    fold: {a: q}\n").contains(
        "r.yaml:10: view w folds a into q"))
    #expect(message(good + "seed: [1\n").contains("r.yaml:"))
    #expect(message(good + "quota:\n  balance: smallest\n").contains("r.yaml:10: unknown key `quota`"))
  }

  @Test("the JSON Schema names the same keys the parser accepts")
  func schemaAgrees() throws {
    let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/schemas/recipe.schema.json"))
    let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let properties = try #require(schema["properties"] as? [String: Any])
    #expect(Set(properties.keys) == ["name", "seed", "unmapped", "sources", "classes", "views", "quotas", "tie_order"])
    let source = try #require(
      ((properties["sources"] as? [String: Any])?["items"] as? [String: Any])?["properties"] as? [String: Any])
    #expect(
      Set(source.keys) == [
        "name", "path", "zip", "layout", "license", "priority", "label_file", "label_column", "label_values",
        "label_patterns", "boxes", "crop",
      ])
    let crop = try #require((source["crop"] as? [String: Any])?["properties"] as? [String: Any])
    #expect(Set(crop.keys) == ["margin", "size", "square"])
  }
}
