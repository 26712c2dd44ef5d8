import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// Issue 23 end to end: a folder-per-class mask set with `N.jpg` / `N-with-mask.jpg` painted pairs and mirrored
/// `augmented_N.jpg` copies (as public Kaggle sets ship them), made from the voc-facemask photos.
@Suite("CLI: dedup's two relations reach split and check leakage")
struct RelationsCommandTests {
  static let names = ["0", "1", "142", "218", "231", "251", "373", "388", "403", "443", "482", "485"]

  /// The set: without_mask/N.jpg, with_mask/N-with-mask.jpg (a mask painted over the lower face) and, for the
  /// first six, without_mask/augmented_N.jpg (N mirrored).
  static func makeSet(_ folder: String) throws {
    for (index, name) in names.enumerated() {
      let url = URL(fileURLWithPath: "\(TestSupport.testdata)/voc-facemask/images/maksssksksss\(name).png")
      let image = try DecodedImage(bytes: Array(try Data(contentsOf: url)))
      try TestSupport.write(try image.encoded(.jpeg(quality: 90)), to: "\(folder)/without_mask/\(name).jpg")
      let masked = try ImageCanvas(copying: image)
      try masked.fillEllipse(
        centerX: image.width / 2, centerY: image.height * 2 / 3, radiusX: image.width / 5,
        radiusY: image.height / 8, blue: 230, green: 200, red: 150)
      try TestSupport.write(
        try masked.finished().encoded(.jpeg(quality: 90)), to: "\(folder)/with_mask/\(name)-with-mask.jpg")
      if index < 6 {
        try TestSupport.write(
          try image.adjusted(mirrored: true).encoded(.jpeg(quality: 90)),
          to: "\(folder)/without_mask/augmented_\(name).jpg")
      }
    }
  }

  @Test(
    "painted and mirrored copies are related: never marked, split together without --group-by, named by check leakage with both paths",
    .requiresBinary)
  func paintedAndMirroredCopies() throws {
    let folder = try TestSupport.temporaryFolder("dsk-relations")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Self.makeSet(folder + "/set")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)

    let dedup = try TestSupport.run(["dedup", "--json", "--report", folder + "/dups.html"], in: ws)
    #expect(dedup.status == 0, "\(dedup.stderr)")
    let result = try #require((try TestSupport.jsonResult(dedup.stdout) as? [String: Any])?["dedup"] as? [String: Any])
    // Nothing is marked: every image here is a real training example.
    #expect(result["markedDuplicate"] as? Int == 0, "\(dedup.stdout.prefix(2000))")
    #expect((result["relatedPairs"] as? Int ?? 0) >= Self.names.count + 6)
    let groups = try #require(result["relatedGroups"] as? [[String: Any]])
    #expect(groups.count == Self.names.count, "\(groups.map { ($0["members"] as? [Any])?.count ?? 0 })")
    let html = try String(contentsOfFile: folder + "/dups.html", encoding: .utf8)
    #expect(html.contains("Related groups") && html.contains("with_mask") && html.contains("<b>related</b>"))

    let catalog = try Catalog(workspace: Workspace(root: ws))
    func id(_ path: String) throws -> Int64 {
      try #require(
        try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = ?", [.text(path)]))
    }
    // A split without --group-by keeps every original with its painted and mirrored copies.
    #expect(try TestSupport.run(["split", "--name", "v1", "--ratios", "50/50", "--seed", "4"], in: ws).status == 0)
    let subsets = try SplitLeakageCommandTests.subsets(ws, "v1")
    #expect(Set(subsets.values) == ["train", "test"])
    for (index, name) in Self.names.enumerated() {
      let home = subsets[try id("without_mask/\(name).jpg")]
      #expect(subsets[try id("with_mask/\(name)-with-mask.jpg")] == home, "\(name)")
      if index < 6 { #expect(subsets[try id("without_mask/augmented_\(name).jpg")] == home, "\(name)") }
    }
    #expect(try TestSupport.run(["check", "leakage", "--split", "v1"], in: ws).status == 0)

    // Planted leaks: a painted copy and a mirrored copy of another photo, each moved to the other subset.
    for path in ["with_mask/142-with-mask.jpg", "without_mask/augmented_1.jpg"] {
      let image = try id(path)
      try SplitLeakageCommandTests.move(ws, "v1", image: image, to: subsets[image] == "train" ? "test" : "train")
    }
    let leak = try TestSupport.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(leak.status == 1)
    // The painted copy is related as painted, or as the same picture under another label (a small mask leaves the
    // whole image alike): related either way, never a duplicate.
    #expect(
      (leak.stdout.contains("related:painted") || leak.stdout.contains("related:labels"))
        && leak.stdout.contains("related:mirror") && !leak.stdout.contains("duplicate:"), "\(leak.stdout)")
    #expect(leak.stdout.contains("without_mask/142.jpg") && leak.stdout.contains("with_mask/142-with-mask.jpg"))
    #expect(leak.stdout.contains("without_mask/1.jpg") && leak.stdout.contains("without_mask/augmented_1.jpg"))
    let json = try TestSupport.run(["check", "leakage", "--split", "v1", "--json"], in: ws)
    let pairs = try #require((try TestSupport.jsonResult(json.stdout) as? [String: Any])?["pairs"] as? [[String: Any]])
    let painted = try #require(
      pairs.first {
        Set([$0["firstPath"] as? String, $0["secondPath"] as? String])
          == ["set/without_mask/142.jpg", "set/with_mask/142-with-mask.jpg"]
      })
    #expect(painted["relation"] as? String == "related", "\(painted)")
    #expect(painted["distance"] as? Int != nil)
  }
}
