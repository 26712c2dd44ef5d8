import Catalog
import Foundation
import TestSupport
import Testing

@testable import Review

@Suite("Browser page in headless Chromium", .serialized, .requiresChromium)
struct BrowseBrowserTests {
  @Test("filter by label from the URL, exclude, restore and relabel with keys: the catalog shows exactly those")
  func filterAndDecide() async throws {
    let (workspace, _) = try reviewWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)
    let home = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'home.jpg'"))
    let browser = try await WebDriver.start()
    do {
      // The filter comes from the URL: only the with_mask image.
      try await browser.call(
        "POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)&label=with_mask"])
      try await browser.wait("window.dsk && window.dsk.loads >= 1 && window.dsk.tiles.length > 0")
      #expect(try await browser.script("return window.dsk.tiles.map(t => t.image);") as? [Int] == [Int(home)])
      #expect(try await browser.script("return document.getElementById('f-label').value;") as? String == "with_mask")
      #expect(try await browser.script("return window.dsk.total;") as? Int == 1)

      // x excludes it with the reason field's text; r restores it.
      try await browser.press("x")
      try await browser.wait("window.dsk.saved === 1 && window.dsk.pending === 0")
      #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(home)]) == "rejected")
      #expect(
        try catalog.database.scalarText("SELECT status_reason FROM images WHERE id = ?", [.int(home)])
          == "excluded: excluded in the browser")
      try await browser.wait("document.getElementById('tile-\(home)').className.includes('rejected')")
      try await browser.press("r")
      try await browser.wait("window.dsk.saved === 2 && window.dsk.pending === 0")
      #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(home)]) == "active")

      // A digit relabels to the view's classes in order; the tile leaves the with_mask filter.
      let classes = try #require(try await browser.script("return window.dsk.config.classes;") as? [String])
      let target = try #require(classes.first { $0 != "with_mask" })
      let key = String(try #require(classes.firstIndex(of: target)) + 1)
      try await browser.press(key)
      try await browser.wait("window.dsk.saved === 3 && window.dsk.pending === 0 && window.dsk.tiles.length === 0")
      let labels = try catalog.database.rows(
        "SELECT c.name, l.how FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = ? AND l.view = ''",
        [.int(home)]
      ) { "\($0.text(0) ?? "") \($0.text(1) ?? "")" }
      #expect(labels == ["\(target) review"])

      // Another filter, set on the page: decided images; the URL follows.
      _ = try await browser.script(
        """
        const l = document.getElementById('f-label'); l.value = ''; l.dispatchEvent(new Event('change'));
        const d = document.getElementById('f-decided'); d.value = '1'; d.dispatchEvent(new Event('change'));
        """)
      try await browser.wait("window.dsk.tiles.length === 1 && window.dsk.tiles[0].image === \(home)")
      #expect((try await browser.script("return location.search;") as? String)?.contains("decided=1") == true)
      // Enter opens it: its decisions, newest first, by the page's reviewer.
      try await browser.press("\u{E007}")
      try await browser.wait("window.dsk.detail && window.dsk.detail.decisions.length === 3")
      #expect(
        try await browser.script("return window.dsk.detail.decisions.map(d => d.action + ' ' + d.reviewer);")
          as? [String] == ["relabel test", "restore test", "exclude test"])
      #expect(try await browser.script("return window.dsk.errors;") as? Int == 0)
      let log = try catalog.database.rows(
        "SELECT action, reviewer FROM reviews WHERE subject = 'image' ORDER BY id"
      ) { "\($0.text(0) ?? "") \($0.text(1) ?? "")" }
      #expect(log == ["exclude test", "restore test", "relabel test"])
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}
