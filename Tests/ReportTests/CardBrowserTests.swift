import Catalog
import Foundation
import Report
import TestSupport
import Testing

@Suite(
  "Dataset card in headless Chromium", .serialized,
  .requiresChromium)
struct CardBrowserTests {
  /// Labels on the page (chart labels, legend entries, headings) whose boxes overlap another's.
  static let overlapScript = """
    const els = [...document.querySelectorAll('.lbl, .legend li, h1, h2, h3, .warning, th')].filter(e => {
      const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; });
    const rs = els.map(e => e.getBoundingClientRect());
    const bad = [];
    for (let i = 0; i < els.length; i++) for (let j = i + 1; j < els.length; j++) {
      if (els[i].contains(els[j]) || els[j].contains(els[i])) continue;
      const w = Math.min(rs[i].right, rs[j].right) - Math.max(rs[i].left, rs[j].left);
      const h = Math.min(rs[i].bottom, rs[j].bottom) - Math.max(rs[i].top, rs[j].top);
      if (w > 1 && h > 1) bad.push(els[i].textContent.slice(0, 40) + ' ⟷ ' + els[j].textContent.slice(0, 40));
    }
    return JSON.stringify({count: els.length, bad: bad.slice(0, 10)});
    """

  @Test(
    "the card of a demo-like workspace: every section, no request leaves the page, no label overlaps another, the planted confound warns, a crop shows its photo on hover"
  )
  func card() async throws {
    let ws = try Workspaces.demoLike(plantConfound: true)
    let out = try TestSupport.temporaryFolder("card") + "/card.html"
    let written = try TestSupport.run(["report", "--split", "v1", "--out", out], in: ws)
    #expect(written.status == 0, "\(written.stderr)")
    #expect(written.stdout.contains("confound warning"))
    let page = try String(contentsOfFile: out, encoding: .utf8)
    #expect(!page.contains("<script") && !page.contains("src=\"http") && !page.contains("url("))

    let browser = try await WebDriver.start(logPerformance: true)
    do {
      _ = try await browser.performanceLog()
      try await browser.call("POST", "/url", ["url": "file://" + out])
      try await browser.wait("document.readyState === 'complete'")
      // Every section, with its heading and some height.
      for section in ["composition", "confounds", "samples", "quality", "provenance"] {
        let height =
          try await browser.script(
            "const s = document.getElementById('\(section)'); return s && s.querySelector('h2') ? s.offsetHeight : 0;")
          as? Int
        #expect((height ?? 0) > 40, "section \(section)")
      }
      // The planted confound, in plain language on the page.
      let warnings =
        try await browser.script(
          "return [...document.querySelectorAll('#confounds .warning')].map(w => w.dataset.kind + ': ' + w.textContent);"
        )
        as? [String] ?? []
      #expect(warnings.contains { $0.hasPrefix("source: ") && $0.contains("incorrect") && $0.contains("synthetic") })
      #expect(try await browser.script("return document.querySelectorAll('#confounds td.warn').length;") as? Int == 1)
      // Thumbnails decoded from the stored images, and every one of them drawn.
      let images =
        try await browser.script(
          "return [...document.images].filter(i => i.complete && i.naturalWidth > 0).length + '/' + document.images.length;"
        )
        as? String ?? ""
      let parts = images.split(separator: "/").compactMap { Int($0) }
      #expect(parts.count == 2 && parts[0] == parts[1] && parts[0] > 20, "\(images)")

      // No label overlaps another, at the default width and at a narrow one.
      for width in [1280, 760] {
        try await browser.call("POST", "/window/rect", ["width": width, "height": 900])
        let report = try await browser.script(Self.overlapScript) as? String ?? ""
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any])
        #expect((parsed["count"] as? Int ?? 0) > 50)
        #expect((parsed["bad"] as? [String]) == [], "at \(width) px: \(report)")
      }

      // A crop's parent photo appears on hover, with the box it was cut from.
      let crop = try await browser.element("#samples .t.crop")
      #expect(
        try await browser.script("return getComputedStyle(document.querySelector('#samples .t.crop .p')).display;")
          as? String == "none")
      try await browser.call("POST", "/element/\(crop)/click")
      try await browser.call(
        "POST", "/actions",
        [
          "actions": [
            [
              "type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"],
              "actions": [
                ["type": "pointerMove", "duration": 0, "origin": [WebDriver.elementKey: crop], "x": 0, "y": 0]
              ],
            ]
          ]
        ])
      #expect(
        try await browser.script(
          "const p = document.querySelector('#samples .t.crop .p'); return getComputedStyle(p).display + ' ' + p.querySelectorAll('img, .box').length;"
        )
          as? String == "block 2")

      // Nothing but the page itself was requested: every network event names the file or a data: URL.
      let events = try await browser.performanceLog()
      var requested: [String] = []
      for event in events {
        guard let text = event["message"] as? String,
          let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["message"]
            as? [String: Any],
          message["method"] as? String == "Network.requestWillBeSent",
          let params = message["params"] as? [String: Any], params["documentURL"] as? String == "file://" + out,
          let url = (params["request"] as? [String: Any])?["url"] as? String
        else { continue }
        requested.append(url)
      }
      // (Chromium's own pages, chrome://…, load beside it; only requests made for the card's document count.)
      #expect(requested.contains("file://" + out))
      #expect(
        requested.allSatisfy { $0 == "file://" + out || $0.hasPrefix("data:") },
        "\(requested.filter { !$0.hasPrefix("data:") })")
      #expect(
        try await browser.script(
          "return performance.getEntriesByType('resource').filter(e => !e.name.startsWith('data:')).length;")
          as? Int == 0)

      // The overlap check itself catches two labels drawn over each other (as the old stats --html legend was).
      _ = try await browser.script(
        "document.body.innerHTML = '<span class=\"lbl\" style=\"position:absolute;left:10px;top:10px\">with_mask</span>"
          + "<span class=\"lbl\" style=\"position:absolute;left:40px;top:12px\">mask_weared_incorrect</span>"
          + "<span class=\"lbl\" style=\"position:absolute;left:10px;top:60px\">alone</span>'; return 0;")
      let planted = try await browser.script(Self.overlapScript) as? String ?? ""
      #expect(planted.contains("with_mask ⟷ mask_weared_incorrect"), "\(planted)")
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}
