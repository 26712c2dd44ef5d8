import Catalog
import Foundation
import Imaging
import Report
import TestSupport
import Testing

/// Workspaces made through the built binary, like a user makes them.
enum Workspaces {
  static func run(_ arguments: [String], in ws: String) throws {
    let result = try TestSupport.run(arguments, in: ws)
    guard result.status == 0 else {
      throw RawHTTP.Failure(description: "datasetkit \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
  }

  /// A folder per class of distinct real JPEGs (`width` wide), imported as source `name`.
  static func importFolder(
    _ name: String, _ classes: [(String, Int)], into ws: String, seed: Int, width: Int = 160, png: Bool = false
  ) throws {
    let folder = try TestSupport.temporaryFolder("source")
    var offset = seed
    for (label, count) in classes {
      for (index, jpeg) in try TestSupport.distinctJPEGs(count: count, width: width, seed: offset).enumerated() {
        let bytes = png ? try DecodedImage(bytes: jpeg).encoded(.png) : jpeg
        try TestSupport.write(bytes, to: "\(folder)/\(label)/\(index).\(png ? "png" : "jpg")")
      }
      offset += count
    }
    try run(["import", folder, "--name", name, "--quiet"], in: ws)
  }

  static func fresh() throws -> String {
    let ws = try TestSupport.temporaryFolder("card") + "/ws"
    try run(["init", ws], in: NSTemporaryDirectory())
    return ws
  }

  /// Like the demo workspace: two folder sources with the three mask classes, the Kaggle face-mask VOC
  /// sample with its boxes cut into crops (which know their parent photo), dedup, a 80/10/10 split.
  /// `plantConfound`: a third source supplies every image of class incorrect (the crops' own
  /// mask_weared_incorrect class is too small to be compared).
  static func demoLike(plantConfound: Bool) throws -> String {
    let ws = try fresh()
    let incorrect = plantConfound ? 0 : 6
    try importFolder("web", [("with_mask", 14), ("without_mask", 14), ("incorrect", incorrect)], into: ws, seed: 0)
    try importFolder("studio", [("with_mask", 14), ("without_mask", 14), ("incorrect", incorrect)], into: ws, seed: 40)
    if plantConfound { try importFolder("synthetic", [("incorrect", 12)], into: ws, seed: 80) }
    try run(["import", TestSupport.testdata + "/voc-facemask", "--layout", "voc", "--quiet"], in: ws)
    try run(["faces", "crop", "--square", "--size", "64", "--quiet"], in: ws)
    try run(["dedup", "--quiet"], in: ws)
    try run(["split", "--name", "v1", "--ratios", "80/10/10", "--quiet"], in: ws)
    return ws
  }

  static func card(_ ws: String, split: String? = "v1", view: String? = nil) throws -> DatasetCard {
    try DatasetCard.build(
      catalog: Catalog(workspace: Workspace(root: ws)),
      options: CardOptions(split: split, view: view, toolVersion: "test"))
  }
}

@Suite("Dataset card figures", .serialized)
struct CardFigureTests {
  @Test("one class entirely from one source raises a source warning naming both; the heat map shows 100 %")
  func plantedConfound() throws {
    let ws = try Workspaces.demoLike(plantConfound: true)
    let card = try Workspaces.card(ws)
    let sourceWarnings = card.warnings.filter { $0.kind == "source" }
    #expect(sourceWarnings.map(\.label) == ["incorrect"])
    #expect(sourceWarnings.first?.source == "synthetic")
    #expect(
      sourceWarnings.first?.message.contains("100 % of incorrect images (12 of 12) come from source synthetic") == true)
    #expect(card.classes.contains("mask_weared_incorrect"))
    let row = try #require(card.confounds.rows.first { $0.label == "incorrect" })
    let column = try #require(card.confounds.sources.firstIndex(of: "synthetic"))
    #expect(row.shares[column] == 1)
    #expect(card.confounds.thresholds.sourceShare == 0.8)
  }

  @Test("a balanced set (two sources, the same classes, sizes and format) raises no warning")
  func balanced() throws {
    let ws = try Workspaces.fresh()
    try Workspaces.importFolder("a", [("with_mask", 12), ("without_mask", 12)], into: ws, seed: 0)
    try Workspaces.importFolder("b", [("with_mask", 12), ("without_mask", 12)], into: ws, seed: 30)
    try Workspaces.run(["split", "--name", "s", "--ratios", "50/50", "--quiet"], in: ws)
    let card = try Workspaces.card(ws, split: "s")
    #expect(card.warnings.isEmpty, "\(card.warnings.map(\.message))")
    #expect(card.images == 48)
    #expect(card.composition.map(\.images) == [24, 24])
    // Class proportions per subset next to the target (the whole set's), and the per-class deviation.
    for subset in card.composition {
      #expect(subset.classes.map(\.share) == [0.5, 0.5])
      #expect(subset.classes.map(\.targetShare) == [0.5, 0.5])
      #expect(subset.targetShare == 0.5)
    }
    #expect(card.deviations.map(\.deviation) == [0, 0])
    // One source for the whole set is no confound either: the source says nothing about the class.
    let single = try Workspaces.fresh()
    try Workspaces.importFolder("only", [("with_mask", 12), ("without_mask", 12)], into: single, seed: 0)
    #expect(try Workspaces.card(single, split: nil).warnings.isEmpty)
  }

  @Test("classes at different sizes and formats raise size and format warnings; --fail-on-warning exits 1")
  func sizeAndFormat() throws {
    let ws = try Workspaces.fresh()
    try Workspaces.importFolder("a", [("with_mask", 12)], into: ws, seed: 0, width: 360, png: true)
    try Workspaces.importFolder("a2", [("without_mask", 12)], into: ws, seed: 20, width: 100)
    try Workspaces.importFolder("b", [("with_mask", 4), ("without_mask", 4)], into: ws, seed: 40, width: 100)
    let card = try Workspaces.card(ws, split: nil)
    #expect(Set(card.warnings.map(\.kind)).isSuperset(of: ["size", "format"]))
    let format = card.warnings.first { $0.kind == "format" }?.message ?? ""
    #expect(
      format.contains("100 % of with_mask images are PNG") || format.contains("100 % of without_mask images are JPEG"))
    #expect(!card.warnings.contains { $0.kind == "aspect" })
    let sizes = try #require(card.quality.histograms.first { $0.label == "with_mask" })
    #expect(sizes.size.counts.reduce(0, +) == 16)

    let failing = try TestSupport.run(["report", "--json", "--fail-on-warning"], in: ws)
    #expect(failing.status == 1)
    let json = try #require(try TestSupport.jsonResult(failing.stdout) as? [String: Any])
    #expect((json["warnings"] as? [[String: Any]])?.count == card.warnings.count)
    #expect(try TestSupport.run(["report", "--json"], in: ws).status == 0)
    #expect(try TestSupport.run(["report"], in: ws).status == 64)
  }

  @Test("the same catalog and seed give the same page byte for byte; another seed other samples")
  func reproducible() throws {
    let ws = try Workspaces.fresh()
    try Workspaces.importFolder("a", [("with_mask", 20), ("without_mask", 20)], into: ws, seed: 0, width: 96)
    let first = try TestSupport.temporaryFolder() + "/card.html"
    let second = try TestSupport.temporaryFolder() + "/card.html"
    #expect(try TestSupport.run(["report", "--out", first, "--quiet"], in: ws).status == 0)
    #expect(try TestSupport.run(["report", "--out", second, "--quiet"], in: ws).status == 0)
    #expect(FileManager.default.contents(atPath: first) == FileManager.default.contents(atPath: second))
    let catalog = try Catalog(workspace: Workspace(root: ws))
    var options = CardOptions(toolVersion: "test")
    let one = try DatasetCard.build(catalog: catalog, options: options)
    options.seed = 2
    let two = try DatasetCard.build(catalog: catalog, options: options)
    #expect(one.samples.strips.map(\.samples.count) == [8, 8])
    #expect(one.samples.strips.map { $0.samples.map(\.id) } != two.samples.strips.map { $0.samples.map(\.id) })
    #expect(one.fingerprint == two.fingerprint && one.fingerprint.count == 64)
  }

  @Test("hostile class and source names are escaped: no markup of theirs reaches the page")
  func hostileNames() throws {
    let ws = try Workspaces.fresh()
    let hostile = "<img src=x onerror=alert(1)>"
    try Workspaces.importFolder("<script>s</script>", [(hostile, 3), ("plain", 3)], into: ws, seed: 0, width: 64)
    let out = try TestSupport.temporaryFolder() + "/card.html"
    #expect(try TestSupport.run(["report", "--out", out, "--quiet"], in: ws).status == 0)
    let page = try String(contentsOfFile: out, encoding: .utf8)
    #expect(!page.contains("<script") && !page.contains(hostile) && !page.contains("onerror=alert(1)>"))
    #expect(page.contains("&lt;img src=x onerror=alert(1)&gt;") && page.contains("&lt;script&gt;s&lt;/script&gt;"))
  }

  @Test("a missing object or an undecodable one is drawn as an empty frame; the card is still written")
  func missingObject() throws {
    let ws = try Workspaces.fresh()
    try Workspaces.importFolder("a", [("with_mask", 3)], into: ws, seed: 0, width: 64)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let shas = try catalog.database.rows("SELECT sha256 FROM images ORDER BY id") { $0.text(0)! }
    try FileManager.default.removeItem(atPath: catalog.store.path(of: shas[0]))
    try Data("not an image".utf8).write(to: URL(fileURLWithPath: catalog.store.path(of: shas[1])))
    let out = try TestSupport.temporaryFolder() + "/card.html"
    let result = try TestSupport.run(["report", "--out", out], in: ws)
    #expect(result.status == 0, "\(result.stderr)")
    let page = try String(contentsOfFile: out, encoding: .utf8)
    #expect(page.components(separatedBy: "no preview").count - 1 == 2)
    #expect(page.components(separatedBy: "data:image/jpeg;base64,").count - 1 == 1)
  }

  @Test("an image too large to decode for a thumbnail within the memory bound is drawn as an empty frame")
  func oversizedImage() throws {
    let ws = try Workspaces.fresh()
    let small = try TestSupport.distinctJPEGs(count: 1, width: 64)[0]
    let large = try DecodedImage(bytes: small).cropped(
      to: Box(x: 0, y: 0, width: 64, height: 48), width: 1600, height: 1200)
    let folder = try TestSupport.temporaryFolder("large")
    try TestSupport.write(try large.encoded(.png), to: folder + "/big/huge.png")
    try TestSupport.write(small, to: folder + "/big/small.jpg")
    try Workspaces.run(["import", folder, "--quiet"], in: ws)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let card = try DatasetCard.build(catalog: catalog, options: CardOptions(toolVersion: "test"))
    let bounded = CardPage.render(
      card, thumbnails: try CardThumbnails.make(for: card, catalog: catalog, maxDecodedPixels: 1_000_000))
    #expect(bounded.components(separatedBy: "data:image/jpeg;base64,").count - 1 == 1)
    #expect(bounded.contains("no preview"))
    let unbounded = CardPage.render(card, thumbnails: try CardThumbnails.make(for: card, catalog: catalog))
    #expect(unbounded.components(separatedBy: "data:image/jpeg;base64,").count - 1 == 2)
  }
}
