import Catalog
import Foundation
import TestSupport
import Testing

@testable import Merge

/// RELIABILITY.md case 45 (issue #25 item 9): recipe lists of hundreds of thousands of entries. The tie order, the
/// view's class membership and the fold check were array scans inside loops (100 k `tie_order` entries 31 s,
/// 100 k view classes 63 s, 1 M not done after 240 s); they are sets and dictionaries now.
@Suite("Merge: recipe lists in linear time")
struct LinearRecipeTests {
  /// A recipe over the voc-facemask sample whose view has `count` extra classes and whose `tie_order` lists `count`
  /// extra names (2 × `count` list entries).
  static func recipe(count: Int) -> String {
    let extra = (0..<count).map { "c\($0)" }.joined(separator: ", ")
    let tie = (0..<count).map { "t\($0)" }.joined(separator: ", ")
    return """
      name: big
      sources:
        - name: masks
          path: \(TestSupport.testdata)/voc-facemask
          layout: voc
      classes: {mask_weared_incorrect: incorrect}
      views:
        - name: v
          classes: [with_mask, without_mask, incorrect\(count > 0 ? ", " + extra : "")]
      tie_order: [incorrect, with_mask, without_mask\(count > 0 ? ", " + tie : "")]

      """
  }

  func merge(_ text: String, _ base: String, _ catalog: Catalog) throws -> (MergeReport, Double) {
    try Data(text.utf8).write(to: URL(fileURLWithPath: base + "/recipe.yaml"))
    let started = Date()
    let report = try MergeRun.run(try Recipe.load(path: base + "/recipe.yaml"), catalog: catalog)
    return (report, Date().timeIntervalSince(started))
  }

  @Test(
    "50 k and 200 k entries per list: the time grows about linearly (a quadratic merge takes hours)",
    .timeLimit(.minutes(4)))
  func scaling() throws {
    let base = try TestSupport.temporaryFolder("linear-recipe")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let catalog = try Workspace.create(at: base + "/ws")
    // The sources are imported once, so the runs below time the recipe's lists alone.
    let (small, _) = try merge(Self.recipe(count: 0), base, catalog)
    #expect(small.views.first?.images == 23)
    let (fifty, t50) = try merge(Self.recipe(count: 50_000), base, catalog)
    let (twoHundred, t200) = try merge(Self.recipe(count: 200_000), base, catalog)
    // The same decisions whatever the lists' length: the extra classes hold no image.
    #expect(fifty.views.first?.classes == small.views.first?.classes)
    #expect(twoHundred.views.first?.classes == small.views.first?.classes)
    // The tie rule names the first classes of the order and counts the rest.
    #expect(twoHundred.tieRule.hasPrefix("class order incorrect, with_mask, without_mask, t0, t1"))
    #expect(twoHundred.tieRule.hasSuffix(" and 399953 more (tie_order)"))
    // 4× the entries: linear is ~4×, quadratic 16×; 8 leaves room for a loaded machine.
    #expect(t200 / max(t50, 0.05) < 8, "50 k: \(t50) s, 200 k: \(t200) s")
    #expect(t200 < 120, "200 k entries took \(t200) s")
  }

  @Test("a view listing a class twice is refused with the line and the name, not a database error")
  func duplicateViewClass() throws {
    let text = Self.recipe(count: 0).replacingOccurrences(
      of: "classes: [with_mask, without_mask, incorrect]", with: "classes: [with_mask, without_mask, with_mask]")
    #expect {
      try Recipe.parse(text, path: "r.yaml")
    } throws: { error in
      "\(error.localizedDescription)".contains("view v lists class with_mask twice")
    }
  }
}
