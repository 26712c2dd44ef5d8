import Catalog
import Foundation
import Testing

@testable import Annotations

@Suite("BoxStore: views, box filters and listings on the raccoon set")
struct BoxStoreTests {
  /// The raccoon set imported (7 images, 8 accepted `voc` boxes of class raccoon), and its source.
  func imported() throws -> (folder: URL, catalog: Catalog, sourceID: Int64) {
    let folder = try TestData.temporaryFolder("box-store")
    let catalog = try Workspace.create(at: folder.appendingPathComponent("ws").path)
    let report = try VOCImport.run(
      root: TestData.root.appendingPathComponent("labelimg-raccoon").path, catalog: catalog)
    #expect(report.boxesAdded == 8)
    return (folder, catalog, report.images.sourceID)
  }

  @Test("a recorded view reads back as recorded; recording it again replaces it")
  func viewRoundTrip() throws {
    let (folder, catalog, sourceID) = try imported()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = BoxStore(catalog: catalog)
    #expect(try store.viewDefinition("animals") == nil)
    let view = ViewDefinition(
      name: "animals", classes: ["animal", "other"],
      map: ["raccoon": .map("animal"), "cat": .drop, "blur": .ignore], sourceRank: [sourceID: 0])
    try catalog.database.writeTransaction { try store.recordView(view) }
    #expect(try store.viewDefinition("animals") == view)
    #expect(try store.viewNames() == ["animals"])
    let smaller = ViewDefinition(
      name: "animals", classes: ["animal"], map: ["raccoon": .map("animal")], sourceRank: [:])
    try catalog.database.writeTransaction { try store.recordView(smaller) }
    #expect(try catalog.viewDefinition("animals") == smaller)
  }

  @Test("the filter chooses boxes by status, class, score and source; unscored boxes pass a score bound")
  func filters() throws {
    let (folder, catalog, sourceID) = try imported()
    defer { try? FileManager.default.removeItem(at: folder) }
    let store = BoxStore(catalog: catalog)
    let truth = try store.importedBoxes(sourceID: sourceID)
    #expect(truth.count == 8 && truth.allSatisfy { $0.box.label == "raccoon" })
    // Scores on two boxes (a detector's would have them); the other six have none.
    let all = try store.openBoxIDsByImage(BoxFilter(status: nil, origin: nil, label: nil)).values.flatMap { $0 }
      .sorted()
    #expect(all.count == 8)
    try catalog.database.run("UPDATE boxes SET score = 0.2 WHERE id = ?", [.int(all[0])])
    try catalog.database.run("UPDATE boxes SET score = 0.9 WHERE id = ?", [.int(all[1])])

    var filter = BoxFilter(status: .accepted, origin: "voc", label: "raccoon")
    #expect(try store.tileCount(filter) == 8)
    filter.minScore = 0.5
    #expect(try store.tiles(filter, limit: 100, offset: 0).map(\.box) == Array(all.dropFirst()))
    filter.minScore = nil
    filter.maxScore = 0.5
    #expect(try store.tileCount(filter) == 7)
    #expect(try store.tiles(filter, limit: 2, offset: 1).map(\.box) == [all[2], all[3]])
    filter.maxScore = nil
    filter.source = try catalog.sourceName(id: sourceID)
    #expect(try store.tileCount(filter) == 8)
    filter.source = "no such source"
    #expect(try store.tileCount(filter) == 0)
    #expect(try store.tileCount(BoxFilter()) == 0, "nothing is proposed")
    #expect(try store.sheetBoxes(BoxFilter(status: .accepted, origin: nil, label: "cat")).isEmpty)
    #expect(try store.sheetBoxes(BoxFilter(status: .accepted, origin: nil, label: nil)).map(\.id) == all)
  }
}
