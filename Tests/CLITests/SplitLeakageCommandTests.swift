import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// Lineage, names and near-duplicates end to end on real photos (Tests/Fixtures): crops stay with their parent photo, `--group-by`
/// says what it matched, `check leakage` sees lineage, synthetic pairs and near-duplicates, `--kind`.
@Suite("CLI: split and check leakage see lineage, names and near-duplicates")
struct SplitLeakageCommandTests {
  static var facemask: String { TestSupport.testdata + "/voc-facemask" }

  static func run(_ arguments: [String], in ws: String) throws -> TestSupport.ProcessResult {
    try TestSupport.run(arguments, in: ws)
  }

  static func subsets(_ ws: String, _ split: String) throws -> [Int64: String] {
    let catalog = try Catalog(workspace: Workspace(root: ws))
    var result: [Int64: String] = [:]
    for (id, subset) in try catalog.database.rows(
      "SELECT a.image_id, a.subset FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = ?",
      [.text(split)], { ($0.int64(0), $0.text(1) ?? "") })
    {
      result[id] = subset
    }
    return result
  }

  static func crops(_ ws: String) throws -> [(crop: Int64, parent: Int64)] {
    try Catalog(workspace: Workspace(root: ws)).database.rows("SELECT image_id, parent_image_id FROM crops ORDER BY id")
    {
      ($0.int64(0), $0.int64(1))
    }
  }

  /// Moves an image to another subset behind the splitter's back (a planted leak).
  static func move(_ ws: String, _ split: String, image: Int64, to subset: String) throws {
    try Catalog(workspace: Workspace(root: ws)).database.run(
      "UPDATE split_assignments SET subset = ? WHERE image_id = ? AND split_id = (SELECT id FROM splits WHERE name = ?)",
      [.text(subset), .int(image), .text(split)])
  }

  @Test(
    "crops never leave their parent's subset across re-splits after growth; a moved crop is a leak",
    .requiresBinary)
  func cropsStayWithTheirParent() throws {
    let folder = try TestSupport.temporaryFolder("dsk-lineage")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["import", Self.facemask, "--layout", "voc"], in: ws).status == 0)
    #expect(try Self.run(["dedup"], in: ws).status == 0)
    // No split yet: a named one is an error that says so.
    let none = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(none.status == 1 && none.stderr.contains("no split named \"v1\"; there is no split yet"), "\(none.stderr)")
    let first = try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--seed", "3"], in: ws)
    #expect(first.status == 0, "\(first.stderr)")
    let photosBefore = try Self.subsets(ws, "v1")
    #expect(photosBefore.count == 23 && Set(photosBefore.values) == ["train", "test"])

    // Growth: crops of every box, then the split again.
    let cut = try Self.run(["faces", "crop"], in: ws)
    #expect(cut.status == 0, "\(cut.stderr)")
    let crops = try Self.crops(ws)
    try #require(crops.count > 20)
    #expect(try Self.run(["dedup"], in: ws).status == 0)
    let second = try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--seed", "3"], in: ws)
    #expect(second.status == 0, "\(second.stderr)")
    #expect(second.stdout.contains("derived images (crops) kept in their parent's subset"), "\(second.stdout)")
    var subsets = try Self.subsets(ws, "v1")
    for (crop, parent) in crops { #expect(subsets[crop] != nil && subsets[crop] == subsets[parent]) }
    #expect(photosBefore.allSatisfy { subsets[$0.key] == $0.value }, "photos assigned before do not move")

    // More growth: another source with boxes, cut and split again.
    #expect(
      try Self.run(["import", TestSupport.testdata + "/labelimg-raccoon", "--layout", "voc"], in: ws).status == 0)
    #expect(try Self.run(["faces", "crop"], in: ws).status == 0)
    #expect(try Self.run(["split", "--name", "v1", "--ratios", "80/20", "--seed", "3"], in: ws).status == 0)
    let allCrops = try Self.crops(ws)
    #expect(allCrops.count > crops.count)
    subsets = try Self.subsets(ws, "v1")
    for (crop, parent) in allCrops { #expect(subsets[crop] != nil && subsets[crop] == subsets[parent]) }

    let clean = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(clean.status == 0, "\(clean.stdout)\(clean.stderr)")
    #expect(clean.stdout.contains("No pair crosses subsets") && clean.stdout.contains("crop → parent links"))

    // A crop planted in the other subset is a leak (exit 1, evidence lineage); moving it back fixes it.
    let (crop, parent) = allCrops[0]
    let home = try #require(subsets[parent])
    try Self.move(ws, "v1", image: crop, to: home == "train" ? "test" : "train")
    let leak = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(leak.status == 1)
    #expect(leak.stdout.contains("lineage"), "\(leak.stdout)")
    try Self.move(ws, "v1", image: crop, to: home)
    #expect(try Self.run(["check", "leakage", "--split", "v1"], in: ws).status == 0)

    // Crops only: a split and an export of face crops hold no whole photo.
    let cropsOnly = try Self.run(["split", "--name", "faces", "--kind", "crops", "--ratios", "80/10/10"], in: ws)
    #expect(cropsOnly.status == 0, "\(cropsOnly.stderr)")
    let cropIDs = Set(allCrops.map(\.crop))
    #expect(Set(try Self.subsets(ws, "faces").keys) == cropIDs)
    let export = try Self.run(
      ["export", "--split", "faces", "--kind", "crops", "--format", "csv", "--out", folder + "/faces-csv"], in: ws)
    #expect(export.status == 0, "\(export.stderr)")
    let csv = try String(contentsOfFile: folder + "/faces-csv/data.csv", encoding: .utf8)
    #expect(csv.split(separator: "\n").count == cropIDs.count + 1)
    // Each crop is credited to its photo's source (lineage), never to a source called crops.
    let sources = csv.split(separator: "\n").dropFirst().map {
      $0.split(separator: ",", omittingEmptySubsequences: false)[4]
    }
    #expect(sources.contains("voc-facemask") && sources.contains("labelimg-raccoon") && !sources.contains("crops"))
    // An unknown split: export, stats, report and check leakage exit 1 naming the splits that exist.
    for command in [
      ["export", "--format", "csv", "--out", folder + "/x"], ["stats"], ["report", "--out", folder + "/r.html"],
      ["check", "leakage"],
    ] {
      let result = try Self.run(command + ["--split", "nope"], in: ws)
      #expect(result.status == 1, "\(command)")
      #expect(result.stderr.contains("no split named \"nope\"; splits are: v1, faces"), "\(command): \(result.stderr)")
    }
    // The manifest records the selection (`--kind`, `--source`) it was made with.
    func selection(_ path: String) throws -> [String: Any]? {
      let object = try JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: path + "/manifest.json")))
      return (object as? [String: Any])?["selection"] as? [String: Any]
    }
    #expect(try selection(folder + "/faces-csv")?["kind"] as? String == "crops")
    #expect(try selection(folder + "/faces-csv")?["sources"] == nil)
    let photos = try Self.run(
      ["export", "--kind", "photos", "--source", "voc-facemask", "--format", "csv", "--out", folder + "/photos-csv"],
      in: ws)
    #expect(photos.status == 0, "\(photos.stderr)")
    let photoCSV = try String(contentsOfFile: folder + "/photos-csv/data.csv", encoding: .utf8)
    #expect(photoCSV.split(separator: "\n").count == 24 && !photoCSV.contains(",crops,"))
    #expect(try selection(folder + "/photos-csv")?["kind"] as? String == "photos")
    #expect(try selection(folder + "/photos-csv")?["sources"] as? [String] == ["voc-facemask"])
    let unknown = try Self.run(["export", "--source", "nope", "--format", "csv", "--out", folder + "/x"], in: ws)
    #expect(unknown.status == 1 && unknown.stderr.contains("--source nope: no such source"))
  }

  @Test(
    "--group-by matches file names and says so; check leakage catches a synthetic pair and a near-duplicate",
    .requiresBinary)
  func syntheticPairsAndNearDuplicates() throws {
    let folder = try TestSupport.temporaryFolder("dsk-pairs")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // N.jpg and N-with-mask.jpg: a real face photo and the same with a "mask" painted on the lower half.
    let names = ["0", "1", "142", "218", "231", "251", "373", "388", "403", "443"]
    for name in names {
      let url = URL(fileURLWithPath: "\(Self.facemask)/images/maksssksksss\(name).png")
      let image = try DecodedImage(bytes: Array(try Data(contentsOf: url)))
      try TestSupport.write(try image.encoded(.jpeg(quality: 90)), to: "\(folder)/set/faces/\(name).jpg")
      let masked = try ImageCanvas(copying: image)
      try masked.fillEllipse(
        centerX: image.width / 2, centerY: image.height * 2 / 3, radiusX: image.width / 6, radiusY: image.height / 10,
        blue: 230, green: 200, red: 150)
      try TestSupport.write(
        try masked.finished().encoded(.jpeg(quality: 90)), to: "\(folder)/set/faces/\(name)-with-mask.jpg")
    }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try Self.run(["import", folder + "/set"], in: ws).status == 0)

    // Nothing hashed yet: --no-hash refuses, saying what to do.
    #expect(try Self.run(["split", "--name", "plain", "--ratios", "50/50"], in: ws).status == 0)
    let refused = try Self.run(["check", "leakage", "--split", "plain", "--no-hash"], in: ws)
    #expect(refused.status == 1 && refused.stderr.contains("have no phash+centre hash"), "\(refused.stderr)")

    // The pattern is matched against the file name (a path would start with faces/), with counts.
    let grouped = try Self.run(["split", "--name", "v1", "--ratios", "50/50", "--group-by", #"^(\d+)"#], in: ws)
    #expect(grouped.status == 0, "\(grouped.stderr)")
    #expect(
      grouped.stdout.contains("on the file name: 20 of 20 files matched, 10 keys, 10 groups of two or more"),
      "\(grouped.stdout)")
    let onPath = try Self.run(
      ["split", "--name", "v2", "--ratios", "50/50", "--group-by", #"^(\d+)"#, "--group-by-path"], in: ws)
    #expect(onPath.status == 1 && onPath.stderr.contains("matches none of the 20 relative paths"), "\(onPath.stderr)")
    let json = try Self.run(["split", "--name", "v1", "--ratios", "50/50", "--group-by", #"^(\d+)"#, "--json"], in: ws)
    let report = try #require(try TestSupport.jsonResult(json.stdout) as? [String: Any])
    let groupBy = try #require(report["groupBy"] as? [String: Any])
    #expect(groupBy["filesMatched"] as? Int == 20 && groupBy["groups"] as? Int == 10)

    let catalog = try Catalog(workspace: Workspace(root: ws))
    func id(_ path: String) throws -> Int64 {
      try #require(
        try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path = ?", [.text(path)]))
    }
    var subsets = try Self.subsets(ws, "v1")
    for name in names {
      #expect(subsets[try id("faces/\(name).jpg")] == subsets[try id("faces/\(name)-with-mask.jpg")])
    }
    let clean = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(clean.status == 0, "\(clean.stdout)")
    #expect(clean.stdout.contains("images hashed now") && clean.stdout.contains("names by"), "\(clean.stdout)")

    // A synthetic pair split apart: caught by the split's own pattern (evidence name:<key>).
    let masked = try id("faces/142-with-mask.jpg")
    let home = try #require(subsets[masked])
    let away = home == "train" ? "test" : "train"
    try Self.move(ws, "v1", image: masked, to: away)
    let pairLeak = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(pairLeak.status == 1 && pairLeak.stdout.contains("name:142"), "\(pairLeak.stdout)")
    try Self.move(ws, "v1", image: masked, to: home)
    #expect(try Self.run(["check", "leakage", "--split", "v1"], in: ws).status == 0)

    // A re-encoded copy under an unrelated name, planted in the other subset: caught by its hash.
    let original = try DecodedImage(
      bytes: Array(try Data(contentsOf: URL(fileURLWithPath: "\(Self.facemask)/images/maksssksksss0.png"))))
    try TestSupport.write(try original.encoded(.jpeg(quality: 40)), to: "\(folder)/more/faces/copy.jpg")
    #expect(try Self.run(["import", folder + "/more"], in: ws).status == 0)
    #expect(try Self.run(["split", "--name", "v1", "--ratios", "50/50", "--group-by", #"^(\d+)"#], in: ws).status == 0)
    subsets = try Self.subsets(ws, "v1")
    let copy = try id("faces/copy.jpg")
    let ofOriginal = try #require(subsets[try id("faces/0.jpg")])
    try Self.move(ws, "v1", image: copy, to: ofOriginal == "train" ? "test" : "train")
    let copyLeak = try Self.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(copyLeak.status == 1 && copyLeak.stdout.contains("duplicate:same"), "\(copyLeak.stdout)")
    try Self.move(ws, "v1", image: copy, to: ofOriginal)
    #expect(try Self.run(["check", "leakage", "--split", "v1"], in: ws).status == 0)
  }

  @Test(
    "split refuses ratios and folds out of range in validation (exit 64), naming the range",
    .requiresBinary)
  func numericOptions() throws {
    let folder = try TestSupport.temporaryFolder("dsk-ratios")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for ratios in ["inf/1/1", "1e308/1e308/1e308", "80/30", "nan/50/50", "80//20", "100", "60/60/-20"] {
      let result = try Self.run(["split", "--name", "v", "--ratios", ratios], in: ws)
      #expect(result.status == 64, "\(ratios)")
      #expect(result.stderr.contains("from 0 to 100 that sum to 100"), "\(ratios): \(result.stderr)")
    }
    for folds in ["1", "1000000", "9223372036854775807", "0"] {
      let result = try Self.run(["split", "--name", "v", "--folds", folds], in: ws)
      #expect(result.status == 64, "\(folds)")
      #expect(result.stderr.contains("between 2 and 100"), "\(folds): \(result.stderr)")
    }
    // Valid numbers get past validation (and then find nothing to split in an empty workspace).
    for arguments in [["--ratios", "80/20"], ["--ratios", "70/15/15"], ["--folds", "5"]] {
      let result = try Self.run(["split", "--name", "v"] + arguments, in: ws)
      #expect(result.status == 1 && result.stderr.contains("no active images"), "\(arguments): \(result.stderr)")
    }
  }
}
