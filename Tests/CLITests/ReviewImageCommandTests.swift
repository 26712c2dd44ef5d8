import Catalog
import Foundation
import TestSupport
import Testing

/// `review image relabel|exclude|restore|undo|log` and `review suspects`, end to end on real photos.
@Suite("CLI: review image and review suspects")
struct ReviewImageCommandTests {
  /// A folder set: jpeg-420 and jpeg-gray (the same picture) under with_mask, jpeg-444 (the same picture,
  /// other chroma) under without_mask, and three distinct photos under without_mask.
  func workspace() throws -> (folder: String, ws: String) {
    let folder = try TestSupport.temporaryFolder("dsk-image")
    let codecs = TestSupport.testdata + "/codecs/"
    for (name, label) in [
      ("jpeg-420.jpg", "with_mask"), ("jpeg-gray.jpg", "with_mask"), ("jpeg-444.jpg", "without_mask"),
    ] {
      try TestSupport.write(
        Array(try Data(contentsOf: URL(fileURLWithPath: codecs + name))), to: "\(folder)/set/\(label)/\(name)")
    }
    for name in ["messi5.jpg", "home.jpg", "baboon.jpg"] {
      try TestSupport.write(try TestSupport.photo(name), to: "\(folder)/set/without_mask/\(name)")
    }
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try TestSupport.run(["import", folder + "/set"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    return (folder, ws)
  }

  func ids(_ ws: String, _ names: [String]) throws -> [Int64] {
    let catalog = try Catalog(workspace: Workspace(root: ws))
    return try names.map { name in
      try #require(
        try catalog.database.scalarInt("SELECT image_id FROM image_origins WHERE rel_path LIKE ?", [.text("%/" + name)])
      )
    }
  }

  func label(_ ws: String, _ id: Int64) throws -> [String] {
    try Catalog(workspace: Workspace(root: ws)).database.rows(
      "SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = ? AND l.view = ''",
      [.int(id)]
    ) { $0.text(0) ?? "" }
  }

  @Test(
    "relabel a range, refuse a class the catalog lacks, undo; a re-import keeps the person's label",
    .requiresBinary)
  func relabelAndUndo() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let photos = try ids(ws, ["messi5.jpg", "home.jpg", "baboon.jpg"])
    let range = photos.map(String.init).joined(separator: ",")
    let relabel = try TestSupport.run(
      ["review", "image", "relabel", "--label", "with_mask", "--reviewer", "alice", range], in: ws)
    #expect(relabel.status == 0, "\(relabel.stderr)")
    #expect(relabel.stdout.contains("relabel → with_mask: 3 images") && relabel.stdout.contains("by alice"))
    for id in photos { #expect(try label(ws, id) == ["with_mask"]) }
    let stats = try TestSupport.run(["stats", "--json"], in: ws)
    #expect(stats.stdout.contains("with_mask"))

    // A typo is refused with the nearest class, nothing changes (exit 64).
    let typo = try TestSupport.run(["review", "image", "relabel", "--label", "withmask", "\(photos[0])"], in: ws)
    #expect(typo.status == 64 && typo.stderr.contains("did you mean with_mask"), "\(typo.stderr)")
    // An id the catalog lacks refuses the whole call.
    let missing = try TestSupport.run(
      ["review", "image", "relabel", "--label", "with_mask", "\(photos[0]),9999"], in: ws)
    #expect(missing.status == 1 && missing.stderr.contains("9999"), "\(missing.stderr)")

    // Re-importing the folder does not bring the folder's label back next to the person's.
    #expect(try TestSupport.run(["import", folder + "/set"], in: ws).status == 0)
    for id in photos { #expect(try label(ws, id) == ["with_mask"]) }

    // Undo takes the relabel back: the folder's label again, logged with the reviewer.
    let undo = try TestSupport.run(["review", "image", "undo", "--reviewer", "bob", "\(photos[0])"], in: ws)
    #expect(undo.status == 0 && undo.stdout.contains("undo: 1 image"), "\(undo.stdout)")
    #expect(try label(ws, photos[0]) == ["without_mask"])
    #expect(try label(ws, photos[1]) == ["with_mask"])
    let log = try TestSupport.run(["review", "image", "log", "--json", "\(photos[0])"], in: ws)
    let entries = try #require(try TestSupport.jsonResult(log.stdout) as? [[String: Any]])
    #expect(entries.map { $0["action"] as? String } == ["undo", "relabel"])
    #expect(entries.map { $0["reviewer"] as? String } == ["bob", "alice"])
    #expect(entries.last?["undone"] as? Bool == true)
    let nothing = try TestSupport.run(["review", "image", "undo", "\(photos[0])"], in: ws)
    #expect(nothing.stdout.contains("no decision on it to undo"), "\(nothing.stdout)")
  }

  @Test(
    "exclude leaves new splits and is listed as excluded by an existing split; restore puts it back",
    .requiresBinary)
  func excludeAndRestore() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let photos = try ids(ws, ["messi5.jpg", "home.jpg"])
    #expect(try TestSupport.run(["split", "--name", "v1", "--ratios", "50/50"], in: ws).status == 0)
    let exclude = try TestSupport.run(
      ["review", "image", "exclude", "--reason", "not a face", "\(photos[0])"], in: ws)
    #expect(exclude.status == 0 && exclude.stdout.contains("exclude → not a face: 1 image"), "\(exclude.stdout)")
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(
      try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(photos[0])]) == "rejected")

    // The split made before lists it as excluded (split status's own kind), by id and path.
    let status = try TestSupport.run(["split", "status", "v1", "--json"], in: ws)
    let result = try #require(try TestSupport.jsonResult(status.stdout) as? [String: Any])
    let changes = try #require(result["changes"] as? [[String: Any]])
    #expect(changes.count == 1)
    #expect(changes.first?["kind"] as? String == "excluded")
    #expect((changes.first?["imageID"] as? Int).map(Int64.init) == photos[0])
    // A new split leaves it out.
    #expect(try TestSupport.run(["split", "--name", "v2", "--ratios", "50/50"], in: ws).status == 0)
    let members = try catalog.database.rows(
      "SELECT a.image_id FROM split_assignments a JOIN splits s ON s.id = a.split_id WHERE s.name = 'v2'"
    ) { $0.int64(0) }
    #expect(members.count == 5 && !members.contains(photos[0]))
    // And so does its export: five rows, none of them the excluded photo.
    let out = folder + "/v2-csv"
    let export = try TestSupport.run(["export", "--split", "v2", "--format", "csv", "--out", out], in: ws)
    #expect(export.status == 0, "\(export.stderr)")
    let excludedSHA = try #require(
      try catalog.database.scalarText("SELECT sha256 FROM images WHERE id = ?", [.int(photos[0])]))
    let rows = try String(contentsOfFile: out + "/data.csv", encoding: .utf8).split(separator: "\n").dropFirst()
    #expect(rows.count == 5 && !rows.contains { $0.contains(excludedSHA) }, "\(rows)")

    // Twice is a no-op, said so; an empty reason is a usage error.
    let again = try TestSupport.run(["review", "image", "exclude", "--reason", "x", "\(photos[0])"], in: ws)
    #expect(again.stdout.contains("already excluded"))
    let empty = try TestSupport.run(["review", "image", "exclude", "--reason", " ", "\(photos[1])"], in: ws)
    #expect(empty.status != 0 && empty.stderr.contains("reason"))

    // Restore: active again; a restore of an image not excluded changes nothing.
    let restore = try TestSupport.run(["review", "image", "restore", "\(photos[0]),\(photos[1])"], in: ws)
    #expect(restore.status == 0 && restore.stdout.contains("restore: 1 image"), "\(restore.stdout)")
    #expect(restore.stdout.contains("not excluded (status active)"))
    #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = ?", [.int(photos[0])]) == "active")
    let current = try TestSupport.run(["split", "status", "v1"], in: ws)
    #expect(!current.stdout.contains("rejected or quarantined since"), "\(current.stdout)")
  }

  @Test("suspects: the same picture under two labels after dedup, with paths and reasons", .requiresBinary)
  func suspects() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let none = try TestSupport.run(["review", "suspects"], in: ws)
    #expect(none.status == 0 && none.stdout.contains("no suspect image"), "\(none.stdout)")
    #expect(try TestSupport.run(["dedup"], in: ws).status == 0)
    let (a, c) = try (ids(ws, ["jpeg-420.jpg"])[0], ids(ws, ["jpeg-444.jpg"])[0])
    let run = try TestSupport.run(["review", "suspects", "--json", "--limit", "10"], in: ws)
    #expect(run.status == 0, "\(run.stderr)")
    let result = try #require(try TestSupport.jsonResult(run.stdout) as? [String: Any])
    let suspects = try #require(result["suspects"] as? [[String: Any]])
    let ids = suspects.compactMap { ($0["image"] as? Int).map(Int64.init) }
    #expect(Set(ids).isSuperset(of: [a, c]), "\(ids)")
    let third = try #require(suspects.first { ($0["image"] as? Int).map(Int64.init) == c })
    #expect(third["label"] as? String == "without_mask")
    #expect((third["path"] as? String)?.hasSuffix("without_mask/jpeg-444.jpg") == true)
    #expect(FileManager.default.fileExists(atPath: third["object"] as? String ?? ""))
    let reasons = try #require(third["reasons"] as? [[String: Any]])
    #expect(reasons.contains { ($0["detail"] as? String)?.contains("labelled with_mask") == true }, "\(reasons)")
    // The distinct photos are not suspect.
    let photos = try self.ids(ws, ["messi5.jpg", "home.jpg", "baboon.jpg"])
    #expect(Set(ids).isDisjoint(with: photos))

    // Fixing it (relabel to its neighbours' class) takes it off the list.
    #expect(
      try TestSupport.run(["review", "image", "relabel", "--label", "with_mask", "\(c)"], in: ws).status == 0)
    let after = try TestSupport.run(["review", "suspects"], in: ws)
    #expect(after.stdout.contains("no suspect image"), "\(after.stdout)")
    // --limit is range-checked.
    #expect(try TestSupport.run(["review", "suspects", "--limit", "-1"], in: ws).status == 64)
  }

  @Test("a relabel in a merge view survives the merge run again; the view's closed class list applies", .requiresBinary)
  func relabelInAViewSurvivesMerge() throws {
    let (folder, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let recipe = """
      name: two
      sources:
        - {name: set, path: set}
      views:
        - {name: two, classes: [with_mask, without_mask]}

      """
    try Data(recipe.utf8).write(to: URL(fileURLWithPath: folder + "/recipe.yaml"))
    let merged = try TestSupport.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(merged.status == 0, "\(merged.stderr)")
    let messi = try ids(ws, ["messi5.jpg"])[0]
    let catalog = try Catalog(workspace: Workspace(root: ws))
    func viewLabel() throws -> [String] {
      try catalog.database.rows(
        "SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = ? AND l.view = 'two'",
        [.int(messi)]
      ) { $0.text(0) ?? "" }
    }
    #expect(try viewLabel() == ["without_mask"])
    let refused = try TestSupport.run(
      ["review", "image", "relabel", "--view", "two", "--label", "mask_weared_incorrect", "\(messi)"], in: ws)
    #expect(refused.status == 64, "\(refused.stderr)")
    let relabel = try TestSupport.run(
      ["review", "image", "relabel", "--view", "two", "--label", "with_mask", "\(messi)"], in: ws)
    #expect(relabel.status == 0 && relabel.stdout.contains("(view two)"), "\(relabel.stdout)")
    #expect(try viewLabel() == ["with_mask"])
    // The labels as found are the folder's still.
    #expect(try label(ws, messi) == ["without_mask"])
    let again = try TestSupport.run(["merge", folder + "/recipe.yaml"], in: ws)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(try viewLabel() == ["with_mask"])
  }
}
