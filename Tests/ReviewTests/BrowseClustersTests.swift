import AutoFace
import Catalog
import Dedup
import Foundation
import Imaging
import Ingest
import Leakage
import Splitter
import TestSupport
import Testing

@testable import Review

/// Real photographs in a `train` / `test` folder split, deduplicated: messi5.jpg (train), a smaller copy of it and
/// a mirrored copy (both test: a duplicate and a related image crossing subsets), home.jpg (train) and baboon.jpg
/// (test). Returns the workspace and the ids of the original, the smaller copy and the mirror.
func clusterWorkspace() throws -> (Workspace, original: Int64, copy: Int64, mirror: Int64) {
  let folder = try TestSupport.temporaryFolder("clusters")
  let catalog = try Workspace.create(at: folder)
  let messi = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
  let (w, h) = (messi.width, messi.height)
  let files: [(String, String, [UInt8], String)] = [
    ("train", "messi.jpg", try messi.encoded(.jpeg(quality: 92)), "without_mask"),
    (
      "test", "messi-small.jpg",
      try messi.cropped(to: Box(x: 0, y: 0, width: w, height: h), width: w * 3 / 4, height: h * 3 / 4)
        .encoded(.jpeg(quality: 90)), "without_mask"
    ),
    ("test", "messi-mirror.jpg", try messi.adjusted(mirrored: true).encoded(.jpeg(quality: 90)), "without_mask"),
    ("train", "home.jpg", try TestSupport.photo("home.jpg"), "with_mask"),
    ("test", "baboon.jpg", try TestSupport.photo("baboon.jpg"), "mask_weared_incorrect"),
  ]
  _ = try Ingester(catalog: catalog).ingest(
    files.map { subset, name, bytes, label in
      IngestCandidate(
        content: .bytes(bytes),
        origin: OriginFacts(relativePath: Array("\(subset)/\(name)".utf8), originalSplit: subset), label: label)
    }, source: SourceSpec(kind: "folder", name: "photos", uri: folder))
  _ = try SplitCatalog.fromOriginal(catalog: catalog, name: "orig")
  _ = try catalog.deduplicate(DedupOptions())
  func id(_ name: String) throws -> Int64 {
    try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path LIKE ?", [.text("%/" + name)]))
  }
  return (catalog.workspace, try id("messi.jpg"), try id("messi-small.jpg"), try id("messi-mirror.jpg"))
}

/// The kept members of an image's stored cluster.
func keptOfCluster(_ catalog: Catalog, _ image: Int64) throws -> [Int64] {
  try catalog.database.rows(
    """
    SELECT d2.image_id FROM dup_clusters d1 JOIN dup_clusters d2 ON d2.method = d1.method AND d2.radius = d1.radius
      AND d2.cluster_id = d1.cluster_id WHERE d1.image_id = ? AND d2.kept = 1 ORDER BY d2.image_id
    """, [.int(image)]
  ) { $0.int64(0) }
}

@Suite("Browser: clusters, leaks and detection scores (routes)")
struct BrowseClustersServerTests {
  @Test("a group lists its members with relation, distance and label; the leaks of a split are check leakage's pairs")
  func groupAndLeaks() async throws {
    let (workspace, original, copy, mirror) = try clusterWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)
    let reply = try await server.get("/api/browse/group/\(copy)")
    #expect(reply.status == 200, "\(reply.text)")
    let group = try JSONDecoder().decode(BrowseGroup.self, from: Data(reply.body))
    #expect(group.kept == [original])
    let byImage = Dictionary(group.members.map { ($0.image, $0) }, uniquingKeysWith: { a, _ in a })
    #expect(group.members.first?.image == original && byImage[original]?.relation == "kept")
    #expect(byImage[original]?.distance == 0)
    #expect(byImage[copy]?.relation == "duplicate" && byImage[copy]?.evidence == "same")
    #expect(byImage[mirror]?.relation == "related" && byImage[mirror]?.evidence == "mirror")
    #expect(byImage[copy]?.label == "without_mask" && byImage[mirror]?.label == "without_mask")
    // The copy's distance is the hash distance dedup measured to the kept image.
    let hashes = try catalog.storedHashes(DedupMethod.phashCentre.algorithms)
    let expected = NearDuplicateSearch.distance(hashes[copy] ?? [:], hashes[original] ?? [:], method: .phashCentre)
    #expect(expected != nil && byImage[copy]?.distance == expected)
    #expect(byImage[mirror]?.distance != nil)

    // The leaks of the split: exactly check leakage's pairs, with both images' tiles.
    let leakReply = try await server.get("/api/browse/leaks?leaks=orig")
    #expect(leakReply.status == 200, "\(leakReply.text)")
    let leaks = try JSONDecoder().decode(BrowseLeaks.self, from: Data(leakReply.body))
    let report = try LeakageCheck.run(catalog: catalog, split: "orig")
    #expect(!report.pairs.isEmpty)
    #expect(
      leaks.pairs.map { [$0.first.image, $0.second.image] } == report.pairs.map { [$0.first, $0.second] })
    #expect(
      leaks.pairs.map { "\($0.firstSubset) \($0.secondSubset) \($0.relation ?? "-") \($0.distance ?? -1)" }
        == report.pairs.map { "\($0.firstSubset) \($0.secondSubset) \($0.relation ?? "-") \($0.distance ?? -1)" })
    #expect(Set(leaks.pairs.flatMap { [$0.first.image, $0.second.image] }) == [original, copy, mirror])
    #expect(leaks.total == report.pairs.count)
    // Combined with another filter: a pair passes when either image does; none is labelled with_mask.
    let none = try await server.get("/api/browse/leaks?leaks=orig&label=with_mask")
    #expect(try JSONDecoder().decode(BrowseLeaks.self, from: Data(none.body)).total == 0)
    let mirrorOnly = try await server.get("/api/browse/leaks?leaks=orig&ids=\(mirror)")
    let mirrored = try JSONDecoder().decode(BrowseLeaks.self, from: Data(mirrorOnly.body))
    #expect(
      mirrored.pairs.allSatisfy { $0.first.image == mirror || $0.second.image == mirror } && mirrored.total >= 1
        && mirrored.total < leaks.total)
  }

  @Test("bad scores, unknown splits, groups and images are clear 4xx; a dedup decision needs the page's Origin")
  func badInput() async throws {
    let (workspace, original, copy, _) = try clusterWorkspace()
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let catalog = try Catalog(workspace: workspace)
    for query in [
      "minScore=abc", "minScore=nan", "maxScore=inf", "minScore=-0.1", "maxScore=1.5", "minScore=0.8&maxScore=0.2",
      "minScore=1e309", "maxScore=0x",
    ] {
      let reply = try await server.get("/api/browse/tiles?" + query)
      #expect(reply.status == 400, "\(query): \(reply.status)")
      #expect(reply.text.contains("Score"), "\(query): \(reply.text)")
      #expect(try await server.get("/api/browse/leaks?leaks=orig&" + query).status == 400, "\(query)")
    }
    #expect(try await server.get("/api/browse/tiles?minScore=0.2&maxScore=0.8").status == 200)
    #expect(try await server.get("/api/browse/tiles?minScore=0&maxScore=1").status == 200)
    #expect(try await server.get("/api/browse/leaks?leaks=nosuch").status == 404)
    #expect(try await server.get("/api/browse/leaks").status == 400)
    #expect(try await server.get("/api/browse/group/999999").status == 404)
    #expect(try await server.get("/api/browse/group/abc").status == 404)
    let home = try #require(
      try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = 'train/home.jpg'"))
    // home.jpg is in no cluster.
    #expect(try await server.get("/api/browse/group/\(home)").status == 404)

    func post(_ body: String, origin: String?, token: Bool = true) async throws -> RawHTTP.Reply {
      var headers = ["Content-Type": "application/json"]
      if token { headers["X-Review-Token"] = server.token }
      if let origin { headers["Origin"] = origin }
      return try await RawHTTP.fetch(
        port: server.port, method: "POST", target: "/api/browse/dedup", headers: headers, body: Array(body.utf8))
    }
    let own = "http://127.0.0.1:\(server.port)"
    let keep = #"{"action":"keep","image":\#(copy)}"#
    #expect(try await post(keep, origin: "http://attacker.example").status == 403)
    #expect(try await post(keep, origin: own, token: false).status == 403)
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM dedup_decisions") == 0)
    #expect(try await post(#"{"action":"delete","image":\#(copy)}"#, origin: own).status == 400)
    #expect(try await post("not json", origin: own).status == 400)
    #expect(try await post(#"{"action":"keep","image":999999}"#, origin: own).status == 404)
    #expect(try await post(#"{"action":"keep","image":-3}"#, origin: own).status == 404)
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM dedup_decisions") == 0)
    // An excluded image cannot be kept: 400 with dedup's reason.
    try catalog.database.run("UPDATE images SET status = 'rejected' WHERE id = ?", [.int(original)])
    let refused = try await post(#"{"action":"keep","image":\#(original)}"#, origin: own)
    #expect(refused.status == 400 && refused.text.contains("\(original)"))
    let done = try await post(keep, origin: own)
    #expect(done.status == 200, "\(done.text)")
    #expect(
      try catalog.database.scalarText("SELECT decision FROM dedup_decisions WHERE image_id = ?", [.int(copy)]) == "keep"
    )
  }
}

@Suite("Browser page in headless Chromium: clusters, leaks, scores", .serialized, .requiresChromium)
struct BrowseClustersBrowserTests {
  @Test("K keeps a cluster's member (the next dedup run keeps it), U unmarks one: the catalog shows exactly those")
  func keepAndUnmark() async throws {
    let (workspace, original, copy, mirror) = try clusterWorkspace()
    let catalog = try Catalog(workspace: workspace)
    #expect(try keptOfCluster(catalog, copy) == [original])
    #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(copy)]) == "duplicate")
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      try await browser.call(
        "POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)&group=\(copy)"])
      try await browser.wait("window.dsk && window.dsk.loads >= 1 && window.dsk.group && window.dsk.tiles.length === 3")
      // Kept first, then the duplicate, then the related image; each tile says how it is tied and how far.
      #expect(
        try await browser.script("return window.dsk.tiles.map(t => t.image);") as? [Int] == [
          Int(original), Int(copy), Int(mirror),
        ])
      let captions = try #require(
        try await browser.script("return [...document.querySelectorAll('#grid .tile .rel')].map(e => e.textContent);")
          as? [String])
      #expect(captions.count == 3)
      #expect(captions[0].hasPrefix("kept · d 0"))
      #expect(captions[1].hasPrefix("duplicate: same · d "))
      #expect(captions[2].hasPrefix("related: mirror · d ") && captions[2].contains("to #"))
      #expect(
        (try await browser.script("return document.getElementById('side').textContent;") as? String)?.contains(
          "kept #\(original)") == true)

      // l moves to the duplicate; K keeps it: `dedup keep`, applied now and in every later dedup run.
      try await browser.press("l")
      try await browser.press("K")
      try await browser.wait("window.dsk.saved === 1 && window.dsk.pending === 0")
      #expect(
        try catalog.database.scalarText("SELECT decision FROM dedup_decisions WHERE image_id = ?", [.int(copy)])
          == "keep")
      #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(copy)]) == "active")
      #expect(try keptOfCluster(catalog, copy).contains(copy))
      // Logged with the page's reviewer and the time, as the page's other decisions are.
      #expect(
        try catalog.database.scalarText("SELECT reviewer FROM dedup_decisions WHERE image_id = ?", [.int(copy)])
          == "test")
      #expect(
        try catalog.database.scalarText("SELECT created_at FROM dedup_decisions WHERE image_id = ?", [.int(copy)])?
          .isEmpty == false)
      _ = try catalog.deduplicate(DedupOptions())
      #expect(try keptOfCluster(catalog, copy) == [copy])
      #expect(
        try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(original)]) == "duplicate")

      // The page again: the copy is the kept image now; U on the original unmarks it (active again).
      try await browser.call("POST", "/refresh", [:])
      try await browser.wait(
        "window.dsk && window.dsk.loads >= 1 && window.dsk.group && window.dsk.tiles.length === 3 && window.dsk.tiles[0].image === \(copy)"
      )
      #expect(try await browser.script("return window.dsk.group.kept;") as? [Int] == [Int(copy)])
      try await browser.press("l")
      #expect(try await browser.script("return window.dsk.tiles[window.dsk.focus].image;") as? Int == Int(original))
      try await browser.press("U")
      try await browser.wait("window.dsk.saved === 1 && window.dsk.pending === 0")
      #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(original)]) == "active")
      #expect(
        try catalog.database.scalarText("SELECT decision FROM dedup_decisions WHERE image_id = ?", [.int(original)])
          == "unmark")
      try await browser.wait(
        "window.dsk.group && window.dsk.group.members.some(m => m.decision === 'unmark' && m.reviewer === 'test')")
      #expect(
        (try await browser.script("return document.querySelector('#tile-\(original) .rel').textContent;")
          as? String)?.hasSuffix("unmark by test") == true)
      #expect(try await browser.script("return window.dsk.errors;") as? Int == 0)
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }

  @Test("leaks=SPLIT shows check leakage's pairs side by side with their subsets; x on one excludes it")
  func leakingPairs() async throws {
    let (workspace, _, _, _) = try clusterWorkspace()
    let catalog = try Catalog(workspace: workspace)
    let report = try LeakageCheck.run(catalog: catalog, split: "orig")
    try #require(!report.pairs.isEmpty)
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      try await browser.call("POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)"])
      try await browser.wait("window.dsk && window.dsk.loads >= 1")
      // Chosen on the page; the URL holds it.
      _ = try await browser.script(
        "const l = document.getElementById('f-leaks'); l.value = 'orig'; l.dispatchEvent(new Event('change'));")
      try await browser.wait("window.dsk.leaks && window.dsk.leaks.split === 'orig'")
      #expect((try await browser.script("return location.search;") as? String)?.contains("leaks=orig") == true)
      let shown = try #require(
        try await browser.script(
          "return window.dsk.leaks.pairs.map(p => [p.first.image, p.second.image, p.firstSubset, p.secondSubset]);")
          as? [[Any]])
      #expect(
        shown.map { "\($0[0]) \($0[1]) \($0[2]) \($0[3])" }
          == report.pairs.map { "\($0.first) \($0.second) \($0.firstSubset) \($0.secondSubset)" })
      // Each pair a row: two thumbnails, their subsets, the relation and distance between them.
      let rows = try #require(
        try await browser.script(
          "return [...document.querySelectorAll('#grid .pair')].map(r => [r.querySelectorAll('img').length, r.textContent]);"
        ) as? [[Any]])
      #expect(rows.count == report.pairs.count)
      for (row, pair) in zip(rows, report.pairs) {
        let text = row[1] as? String ?? ""
        #expect(row[0] as? Int == 2)
        #expect(text.contains("subset \(pair.firstSubset)") && text.contains("subset \(pair.secondSubset)"))
        #expect(text.contains(pair.evidence))
        if let distance = pair.distance { #expect(text.contains("distance \(distance)")) }
      }
      // The keys work on the pairs' images: x excludes the focused (first) one.
      let first = report.pairs[0].first
      try await browser.press("x")
      try await browser.wait("window.dsk.saved === 1 && window.dsk.pending === 0")
      #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(first)]) == "rejected")
      #expect(try await browser.script("return window.dsk.errors;") as? Int == 0)
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }

  @Test("minScore / maxScore keep the photos and crops whose face detection scored in the range")
  func detectionScores() async throws {
    let (workspace, _) = try scoredWorkspace()
    let catalog = try Catalog(workspace: workspace)
    let scores = try catalog.database.rows("SELECT DISTINCT score FROM boxes WHERE score IS NOT NULL ORDER BY 1") {
      $0.double(0)
    }
    try #require(scores.count >= 2, "the detector scored \(scores)")
    let (low, high) = (scores[0], scores[scores.count - 1])
    let middle = (low + high) / 2
    /// The photos with a box scored in the range and the crops cut from one, as the catalog has them.
    func expected(_ min: Double, _ max: Double, crops: Bool? = nil) throws -> [Int] {
      try catalog.database.rows(
        """
        SELECT DISTINCT i.id FROM images i LEFT JOIN crops c ON c.image_id = i.id
        JOIN boxes b ON b.id = c.box_id OR (c.id IS NULL AND b.image_id = i.id)
        WHERE b.score BETWEEN ? AND ? ORDER BY i.id
        """, [.real(min), .real(max)]
      ) { $0.int(0) }.filter { id in
        guard let crops else { return true }
        let isCrop =
          (try? catalog.database.scalarInt("SELECT count(*) FROM crops WHERE image_id = ?", [.int(Int64(id))]))
          .map { $0 > 0 }
        return isCrop == crops
      }
    }
    let above = try expected(middle, 1)
    let below = try expected(0, middle)
    try #require(!above.isEmpty && !below.isEmpty && above != below)
    let server = try await RunningServer.start(workspace)
    defer { server.task.cancel() }
    let browser = try await WebDriver.start()
    do {
      try await browser.call(
        "POST", "/url", ["url": "http://127.0.0.1:\(server.port)/browse?token=\(server.token)&minScore=\(middle)"])
      try await browser.wait("window.dsk && window.dsk.loads >= 1")
      #expect(try await browser.script("return window.dsk.tiles.map(t => t.image);") as? [Int] == above)
      #expect(try await browser.script("return document.getElementById('f-minScore').value;") as? String == "\(middle)")
      // Set on the page: at most the middle, crops only; the URL follows.
      _ = try await browser.script(
        """
        const a = document.getElementById('f-minScore'); a.value = ''; a.dispatchEvent(new Event('change'));
        const b = document.getElementById('f-maxScore'); b.value = '\(middle)'; b.dispatchEvent(new Event('change'));
        const k = document.getElementById('f-kind'); k.value = 'crop'; k.dispatchEvent(new Event('change'));
        """)
      let crops = try expected(0, middle, crops: true)
      try await browser.wait(
        "location.search.includes('kind=crop') && window.dsk.tiles.map(t => t.image).join(',') === '\(crops.map(String.init).joined(separator: ","))'"
      )
      #expect((try await browser.script("return location.search;") as? String)?.contains("maxScore=") == true)
      #expect(!crops.isEmpty)
      // A range that is not one: the page says why, and counts the error.
      _ = try await browser.script(
        "const a = document.getElementById('f-minScore'); a.value = '0.9'; const b = document.getElementById('f-maxScore'); b.value = '0.1'; b.dispatchEvent(new Event('change'));"
      )
      try await browser.wait("document.getElementById('status').textContent.includes('above maxScore')")
      #expect(try await browser.script("return window.dsk.errors;") as? Int == 1)
    } catch {
      await browser.quit()
      throw error
    }
    await browser.quit()
  }
}

/// messi5.jpg, home.jpg and baboon.jpg with the built-in YuNet's proposals at a low threshold (scores 0…1, several
/// of them) and a crop of every box.
func scoredWorkspace() throws -> (Workspace, [Int64]) {
  let folder = try TestSupport.temporaryFolder("scores")
  let catalog = try Workspace.create(at: folder)
  _ = try Ingester(catalog: catalog).ingest(
    try ["messi5.jpg", "home.jpg", "baboon.jpg"].map {
      IngestCandidate(content: .bytes(try TestSupport.photo($0)), origin: OriginFacts(relativePath: Array($0.utf8)))
    }, source: SourceSpec(kind: "folder", name: "photos", uri: folder))
  var detector = DetectorSpec(kind: .default)
  detector.yunet.scoreThreshold = 0.3
  _ = try catalog.detectFaces(FaceDetectOptions(detector: detector))
  var crop = FaceCropOptions()
  crop.all = true
  _ = try catalog.cropFaces(crop)
  return (catalog.workspace, try catalog.database.rows("SELECT id FROM boxes ORDER BY id") { $0.int64(0) })
}
