import Catalog
import Foundation
import Labeling
import TestSupport
import Testing

@testable import Review

/// Every filter of the browser, chosen with the page's own controls in headless Chromium, against what the
/// catalog holds; each view's URL, opened again, shows the same tiles.
@Suite("Browser filters in headless Chromium", .serialized, .requiresChromium, .requiresBinary)
struct BrowseFilterBrowserTests {
  /// Real photos from two folder sources, made by the binary: `set` holds jpeg-420 and jpeg-gray (one picture)
  /// under with_mask, jpeg-444 (the same picture) and home, messi5 under without_mask; `more` holds baboon under
  /// with_mask and building, fruits under without_mask. Then dedup (jpeg-gray becomes a duplicate; jpeg-444 is
  /// related under another label: suspects), a crop of the face Haar finds, a split v1, and one exclusion.
  func workspace() throws -> String {
    let folder = try TestSupport.temporaryFolder("dsk-browse-filters")
    let codecs = TestSupport.testdata + "/codecs/"
    let files: [(String, String, [UInt8])] = [
      ("set/with_mask", "jpeg-420.jpg", Array(try Data(contentsOf: URL(fileURLWithPath: codecs + "jpeg-420.jpg")))),
      ("set/with_mask", "jpeg-gray.jpg", Array(try Data(contentsOf: URL(fileURLWithPath: codecs + "jpeg-gray.jpg")))),
      (
        "set/without_mask", "jpeg-444.jpg",
        Array(try Data(contentsOf: URL(fileURLWithPath: codecs + "jpeg-444.jpg")))
      ),
      ("set/without_mask", "home.jpg", try TestSupport.photo("home.jpg")),
      ("set/without_mask", "messi5.jpg", try TestSupport.photo("messi5.jpg")),
      ("more/with_mask", "baboon.jpg", try TestSupport.photo("baboon.jpg")),
      ("more/without_mask", "building.jpg", try TestSupport.photo("building.jpg")),
      ("more/without_mask", "fruits.jpg", try TestSupport.photo("fruits.jpg")),
    ]
    for (path, name, bytes) in files { try TestSupport.write(bytes, to: "\(folder)/\(path)/\(name)") }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for step in [
      ["import", folder + "/set"], ["import", folder + "/more"], ["dedup"], ["faces", "detect", "--detector", "haar"],
      ["faces", "crop", "--all"], ["split", "--name", "v1", "--ratios", "50/50", "--seed", "1"],
    ] {
      let run = try TestSupport.run(step, in: ws)
      try #require(run.status == 0, "\(step): \(run.stderr)")
    }
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let building = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path LIKE '%/building.jpg'"))
    let exclude = try TestSupport.run(["review", "image", "exclude", "--reason", "blurred", "\(building)"], in: ws)
    try #require(exclude.status == 0, "\(exclude.stderr)")
    return ws
  }

  /// Image ids a query of the catalog gives, in its order.
  func ids(_ catalog: Catalog, _ sql: String, _ values: [SQLValue] = []) throws -> [Int] {
    try catalog.database.rows(sql, values) { Int($0.int64(0)) }
  }

  /// The page's tiles and total, once its latest load is shown.
  func shown(_ browser: WebDriver) async throws -> (tiles: [Int], total: Int) {
    let tiles = try #require(try await browser.script("return window.dsk.tiles.map(t => t.image);") as? [Int])
    let total = try #require(try await browser.script("return window.dsk.total;") as? Int)
    return (tiles, total)
  }

  /// Opens a fresh page (no filter) and waits for its first load.
  func open(_ browser: WebDriver, _ server: RunningServer, query: String = "") async throws {
    try await browser.call(
      "POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)\(query)"])
    try await browser.wait("window.dsk && window.dsk.config && window.dsk.loads >= 1")
  }

  /// The number of loads the page has shown, to wait for the next one.
  func loads(_ browser: WebDriver) async throws -> Int {
    try #require(try await browser.script("return window.dsk.loads || 0;") as? Int)
  }

  /// Chooses `value` in the select `#f-name` by clicking its option, as a person does, and waits for the page
  /// to show that choice's tiles.
  func choose(_ browser: WebDriver, _ name: String, _ value: String) async throws {
    let before = try await loads(browser)
    let option = try #require(
      try await browser.script(
        "return [...document.getElementById('f-\(name)').options].find(o => o.value === \(Self.quoted(value)));")
        as? [String: Any])
    let element = try #require(option[WebDriver.elementKey] as? String, "no option \(value) in f-\(name)")
    try await browser.call("POST", "/element/\(element)/click")
    try await browser.wait(
      "document.getElementById('f-\(name)').value === \(Self.quoted(value)) && window.dsk.loads > \(before)")
  }

  /// Types `text` into the input `#f-name` and presses Enter.
  func type(_ browser: WebDriver, _ name: String, _ text: String) async throws {
    let before = try await loads(browser)
    let field = try await browser.element("#f-\(name)")
    try await browser.call("POST", "/element/\(field)/value", ["text": text + "\u{E007}"])
    try await browser.wait("window.dsk.loads > \(before)")
  }

  /// Ticks the checkbox `#f-name`.
  func tick(_ browser: WebDriver, _ name: String) async throws {
    let before = try await loads(browser)
    let box = try await browser.element("#f-\(name)")
    try await browser.call("POST", "/element/\(box)/click")
    try await browser.wait("document.getElementById('f-\(name)').checked && window.dsk.loads > \(before)")
  }

  static func quoted(_ text: String) -> String {
    "'" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
  }

  /// The page shows exactly `expected` (in that order, or in any order when `anyOrder`: the cluster view orders
  /// its members by relation, tested in BrowseClustersTests), its URL holds `parameters`, and that URL opened
  /// again shows the same tiles with the same controls set.
  func check(
    _ browser: WebDriver, _ server: RunningServer, expected: [Int], parameters: [String], controls: [String: String],
    anyOrder: Bool = false, _ what: String
  ) async throws {
    var first = try await shown(browser)
    if anyOrder { first.tiles.sort() }
    #expect(first.tiles == expected, "\(what): tiles")
    #expect(first.total == expected.count, "\(what): total")
    let url = try #require(try await browser.script("return location.href;") as? String)
    for parameter in parameters { #expect(url.contains(parameter), "\(what): \(url) holds \(parameter)") }
    try await browser.call("POST", "/url", ["url": url])
    try await browser.wait("window.dsk && window.dsk.config && window.dsk.loads >= 1")
    var again = try await shown(browser)
    if anyOrder { again.tiles.sort() }
    #expect(again.tiles == expected && again.total == expected.count, "\(what): the URL opened again")
    for (name, value) in controls {
      let set = try await browser.script(
        "const e = document.getElementById('f-\(name)'); return e.type === 'checkbox' ? String(e.checked) : e.value;")
      #expect(set as? String == value, "\(what): control \(name) after reload")
    }
    #expect(try await browser.script("return window.dsk.errors;") as? Int == 0, "\(what): errors")
  }

  @Test("source, kind, split and subset, status, group, decided and suspects, chosen on the page, as the catalog says")
  func everyFilter() async throws {
    let ws = try workspace()
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let server = try await RunningServer.start(Workspace(root: ws))
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      // Source: the three photos of `more`, whatever their status.
      try await open(browser, server)
      #expect(try await shown(browser).total == ids(catalog, "SELECT id FROM images").count)
      try await choose(browser, "source", "more")
      let more = try ids(
        catalog,
        "SELECT DISTINCT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE s.name = 'more' ORDER BY 1"
      )
      #expect(
        try catalog.database.rows(
          "SELECT rel_path FROM image_origins WHERE image_id IN (\(more.map(String.init).joined(separator: ","))) ORDER BY 1"
        ) { $0.text(0) ?? "" } == ["with_mask/baboon.jpg", "without_mask/building.jpg", "without_mask/fruits.jpg"])
      try await check(
        browser, server, expected: more, parameters: ["source=more"], controls: ["source": "more"], "source")

      // Kind: the crop `faces crop` cut, then the photos.
      try await open(browser, server)
      try await choose(browser, "kind", "crop")
      let crops = try ids(catalog, "SELECT id FROM images WHERE parent_image_id IS NOT NULL ORDER BY id")
      try #require(!crops.isEmpty)
      try await check(browser, server, expected: crops, parameters: ["kind=crop"], controls: ["kind": "crop"], "crop")
      try await choose(browser, "kind", "photo")
      let photos = try ids(catalog, "SELECT id FROM images WHERE parent_image_id IS NULL ORDER BY id")
      try await check(
        browser, server, expected: photos, parameters: ["kind=photo"], controls: ["kind": "photo"], "photo")

      // Split, then one of its subsets (the smaller one: the filter narrows).
      try await open(browser, server)
      try await choose(browser, "split", "v1")
      let members = try ids(
        catalog,
        "SELECT a.image_id FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = 'v1' ORDER BY 1")
      try await check(browser, server, expected: members, parameters: ["split=v1"], controls: ["split": "v1"], "split")
      let subset = try #require(
        try catalog.database.scalarText(
          "SELECT subset FROM split_assignments GROUP BY subset ORDER BY count(*), subset LIMIT 1"))
      try await choose(browser, "subset", subset)
      let inSubset = try ids(
        catalog,
        "SELECT a.image_id FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = 'v1' AND a.subset = ? ORDER BY 1",
        [.text(subset)])
      #expect(!inSubset.isEmpty && inSubset.count < members.count)
      try await check(
        browser, server, expected: inSubset, parameters: ["split=v1", "subset=\(subset)"],
        controls: ["split": "v1", "subset": subset], "subset")

      // Status: the duplicate dedup marked (jpeg-gray), the excluded photo (building).
      let gray = try ids(catalog, "SELECT image_id FROM image_origins WHERE rel_path LIKE '%/jpeg-gray.jpg'")
      let building = try ids(catalog, "SELECT image_id FROM image_origins WHERE rel_path LIKE '%/building.jpg'")
      try await open(browser, server)
      try await choose(browser, "status", "duplicate")
      #expect(try ids(catalog, "SELECT id FROM images WHERE status = 'duplicate' ORDER BY id") == gray)
      try await check(
        browser, server, expected: gray, parameters: ["status=duplicate"], controls: ["status": "duplicate"],
        "duplicate")
      try await choose(browser, "status", "rejected")
      #expect(try ids(catalog, "SELECT id FROM images WHERE status = 'rejected' ORDER BY id") == building)
      try await check(
        browser, server, expected: building, parameters: ["status=rejected"], controls: ["status": "rejected"],
        "excluded")

      // Decided (the exclusion) and undecided (every other image).
      try await open(browser, server)
      try await choose(browser, "decided", "1")
      let decided = try ids(
        catalog, "SELECT DISTINCT subject_id FROM reviews WHERE subject = 'image' ORDER BY 1")
      #expect(decided == building)
      try await check(
        browser, server, expected: decided, parameters: ["decided=1"], controls: ["decided": "1"], "decided")
      try await choose(browser, "decided", "0")
      let undecided = try ids(
        catalog,
        "SELECT id FROM images WHERE id NOT IN (SELECT subject_id FROM reviews WHERE subject = 'image') ORDER BY id")
      try await check(
        browser, server, expected: undecided, parameters: ["decided=0"], controls: ["decided": "0"], "undecided")

      // Group of jpeg-444: the picture's three copies (its related group), typed into the field.
      let copies = try ids(
        catalog,
        "SELECT image_id FROM image_origins WHERE rel_path LIKE '%/jpeg-420.jpg' OR rel_path LIKE '%/jpeg-gray.jpg' OR rel_path LIKE '%/jpeg-444.jpg' ORDER BY 1"
      )
      let j444 = try ids(catalog, "SELECT image_id FROM image_origins WHERE rel_path LIKE '%/jpeg-444.jpg'")[0]
      let group = try ids(
        catalog,
        """
        SELECT DISTINCT d2.image_id FROM dup_clusters d1 JOIN dup_clusters d2 ON d2.method = d1.method
          AND d2.radius = d1.radius AND COALESCE(d2.group_id, d2.cluster_id) = COALESCE(d1.group_id, d1.cluster_id)
        WHERE d1.image_id = ? ORDER BY 1
        """, [.int(Int64(j444))])
      #expect(group == copies)
      try await open(browser, server)
      try await type(browser, "group", String(j444))
      try await check(
        browser, server, expected: group, parameters: ["group=\(j444)"], controls: ["group": String(j444)],
        anyOrder: true, "group")

      // Suspects first: the ranking `review suspects` gives, in its order (jpeg-420 and jpeg-444 disagree).
      let ranked = try catalog.suspects(SuspectOptions(limit: 0)).suspects.map { Int($0.image) }
      #expect(Set(ranked).isSuperset(of: [copies[0], j444]), "\(ranked)")
      try await open(browser, server)
      try await tick(browser, "suspects")
      try await check(
        browser, server, expected: ranked, parameters: ["suspects=1"], controls: ["suspects": "true"], "suspects")
      // Combined with a source: no photo of `more` is suspect, so the view empties.
      try await choose(browser, "source", "more")
      try await check(
        browser, server, expected: ranked.filter(more.contains), parameters: ["suspects=1", "source=more"],
        controls: ["suspects": "true", "source": "more"], "suspects of more")
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}
