import Catalog
import Foundation
import Ingest
import TestSupport
import Testing

@testable import Review

@Suite("Browser page: an image opened large", .serialized, .requiresChromium)
struct BrowseDetailBrowserTests {
  @Test("a 96 px face crop opens at least 320 px wide; a photo still fits the window")
  func smallImagesOpenLarge() async throws {
    let folder = try TestSupport.temporaryFolder("browse-detail")
    let catalog = try Workspace.create(at: folder)
    let small = try TestSupport.distinctJPEGs(count: 1, width: 96)[0]
    _ = try Ingester(catalog: catalog).ingest(
      [
        IngestCandidate(
          content: .bytes(small), origin: OriginFacts(relativePath: Array("crop.jpg".utf8)), label: "with_mask"),
        IngestCandidate(
          content: .bytes(try TestSupport.photo("messi5.jpg")),
          origin: OriginFacts(relativePath: Array("messi5.jpg".utf8)),
          label: "without_mask"),
      ], source: SourceSpec(kind: "folder", name: "photos", uri: folder))
    let server = try await RunningServer.start(catalog.workspace)
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      try await browser.call(
        "POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)"])
      try await browser.wait("window.dsk && window.dsk.loads >= 1 && window.dsk.tiles.length === 2")
      var widths: [String: [Int]] = [:]
      for index in 0..<2 {
        _ = try await browser.script("window.dsk.focus = \(index);")
        try await browser.press("\u{E007}")
        try await browser.wait(
          "window.dsk.detail && window.dsk.detail.image === window.dsk.tiles[\(index)].image"
            + " && document.getElementById('full').complete && document.getElementById('full').naturalWidth > 0")
        let label = try #require(try await browser.script("return window.dsk.detail.label;") as? String)
        widths[label] = try #require(
          try await browser.script(
            "const i = document.getElementById('full'); return [i.naturalWidth, i.clientWidth, i.clientHeight, innerWidth];"
          )
            as? [Int])
        try await browser.press("\u{E00C}")
      }
      // The crop: 96 × 72 shown at least 320 px wide, its aspect kept.
      let crop = try #require(widths["with_mask"])
      #expect(crop[0] == 96 && crop[1] >= 320, "\(crop)")
      #expect(abs(Double(crop[2]) / Double(crop[1]) - 0.75) < 0.02, "\(crop)")
      // The photo: no wider than 70 % of the window.
      let photo = try #require(widths["without_mask"])
      #expect(photo[1] <= photo[3] * 7 / 10 + 1, "\(photo)")
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}
