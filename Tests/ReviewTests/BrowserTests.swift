import Catalog
import Foundation
import TestSupport
import Testing

@testable import Review

@Suite(
  "Review page in headless Chromium", .serialized,
  .requiresChromium)
struct BrowserTests {
  @Test("accept and reject with the keyboard, draw a missed face: the catalog shows exactly those decisions")
  func keyboardAndDrawing() async throws {
    let (workspace, ids) = try reviewWorkspace()
    try #require(ids.count >= 3)
    var options = ReviewServerOptions()
    options.labels = ["with_mask", "without_mask", "mask_weared_incorrect"]
    let server = try await RunningServer.start(workspace, options: options)
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      try await browser.call("POST", "/url", ["url": "http://127.0.0.1:\(server.port)/?token=\(server.token)"])
      try await browser.wait("window.dsk && window.dsk.tiles.length > 0")
      #expect(
        try await browser.script("return window.dsk.tiles.map(t => t.box);") as? [Int] == ids.prefix(48).map { Int($0) }
      )

      // a on the first tile, x on the second (focus moves on after each decision), 2 relabels the third.
      try await browser.press("a")
      try await browser.wait("window.dsk.saved === 1 && window.dsk.pending === 0")
      try await browser.press("x")
      try await browser.wait("window.dsk.saved === 2 && window.dsk.pending === 0")
      try await browser.press("2")
      try await browser.wait("window.dsk.saved === 3 && window.dsk.pending === 0")
      #expect(
        try await browser.script("return document.getElementById('tile-\(ids[0])').className;") as? String
          == "tile accepted")

      // Enter opens the full image of the focused (fourth) tile; a drag draws a missed face.
      try await browser.press("\u{E007}")
      try await browser.wait(
        "window.dsk.viewer && window.dsk.viewer.data && document.querySelectorAll('#stage .box').length > 0")
      let stage = try await browser.element("#stage")
      try await browser.drag(on: stage, x: -60, y: -50, dx: 80, dy: 90)
      try await browser.wait("window.dsk.saved === 4 && window.dsk.pending === 0")
      let scale = try #require(try await browser.script("return window.dsk.viewer.scale;") as? Double)
      #expect(try await browser.script("return window.dsk.errors;") as? Int == 0)

      let catalog = try Catalog(workspace: workspace)
      let log = try catalog.database.rows("SELECT action, subject_id, value, reviewer FROM reviews ORDER BY id") {
        "\($0.text(0)!) \($0.int64(1)) \($0.text(2) ?? "-") \($0.text(3)!)"
      }
      let added = try #require(try catalog.database.scalarInt("SELECT max(id) FROM boxes WHERE origin = 'review'"))
      let image = try #require(
        try catalog.database.scalarInt("SELECT image_id FROM boxes WHERE id = ?", [.int(ids[3])]))
      #expect(log.count == 4)
      #expect(
        log.prefix(3) == ["accept \(ids[0]) - test", "reject \(ids[1]) - test", "relabel \(ids[2]) without_mask test"])
      #expect(log.last?.hasPrefix("add \(added) ") == true)
      #expect(try catalog.database.scalarInt("SELECT image_id FROM boxes WHERE id = ?", [.int(added)]) == image)
      let size = try #require(
        try catalog.database.rows("SELECT xmax - xmin, ymax - ymin FROM boxes WHERE id = ?", [.int(added)]) {
          ($0.double(0), $0.double(1))
        }.first)
      #expect(abs(size.0 - 80 / scale) <= 2 / scale + 1 && abs(size.1 - 90 / scale) <= 2 / scale + 1)
      let statuses = try catalog.database.rows(
        "SELECT status FROM boxes WHERE id IN (\(ids[0]), \(ids[1]), \(ids[2]), \(ids[3])) ORDER BY id"
      ) { $0.text(0)! }
      #expect(statuses == ["accepted", "rejected", "accepted", "proposed"])

      // u undoes the drawn face (it is rejected by an appended undo row); nothing else moves.
      try await browser.press("u")
      try await browser.wait("window.dsk.saved === 5 && window.dsk.pending === 0")
      #expect(try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(added)]) == "rejected")
      #expect(try catalog.database.scalarInt("SELECT count(*) FROM reviews") == 5)
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}
