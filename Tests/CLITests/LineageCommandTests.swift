import Catalog
import Foundation
import TestSupport
import Testing

/// End-to-end, issue 22: a typo never becomes a class, and crops keep where they came from — the Kaggle face-mask
/// sample (CC0) imported, its boxes cut into crops, split with `--kind crops`, exported as folders and CSV.
@Suite("CLI: closed class vocabulary in review; crop lineage through split and export")
struct LineageCommandTests {
  static var testdata: String { TestSupport.testdata + "/voc-facemask" }

  /// A workspace holding the voc-facemask sample imported as source `andrewmvd`, license CC0-1.0.
  func workspace(_ name: String) throws -> (folder: String, ws: String) {
    let folder = try TestSupport.temporaryFolder(name)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try TestSupport.run(
      ["import", Self.testdata, "--layout", "voc", "--name", "andrewmvd", "--license", "CC0-1.0"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    return (folder, ws)
  }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// The class of box `id`, read from a fresh connection to the workspace's catalog.
  func boxClass(_ id: Int64, ws: String) throws -> String? {
    let catalog = try Catalog(workspace: try Workspace.find(from: ws))
    return try catalog.database.scalarText(
      "SELECT c.name FROM boxes b JOIN classes c ON c.id = b.class_id WHERE b.id = ?", [.int(id)])
  }

  @Test(
    "issue 22 reproducer 4: review relabel --label withmask is refused with 'did you mean with_mask' (exit 64)",
    .requiresBinary)
  func relabelTypo() throws {
    let (folder, ws) = try workspace("dsk-vocabulary")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let typo = try TestSupport.run(["review", "relabel", "--label", "withmask", "6"], in: ws)
    #expect(typo.status == 64, "\(typo.stdout) \(typo.stderr)")
    #expect(typo.stderr.contains("'withmask' is not a class of the catalog; did you mean with_mask?"), "\(typo.stderr)")
    #expect(typo.stderr.contains("--new-class"))
    let asJSON = try TestSupport.run(["review", "relabel", "--label", "withmask", "6", "--json"], in: ws)
    #expect(asJSON.status == 64)
    #expect(((try json(asJSON.stdout)["result"] as? [String: Any])?["error"] as? String)?.contains("with_mask") == true)
    // Nothing was written: box 6 keeps its imported class, no review row, no class named withmask.
    #expect(try ["with_mask", "without_mask", "mask_weared_incorrect"].contains(boxClass(6, ws: ws) ?? ""))
    let catalog = try Catalog(workspace: try Workspace.find(from: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM reviews") == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM classes WHERE name = 'withmask'") == 0)

    // The class it meant works; a new class works only on purpose; a view in force narrows the choice.
    #expect(try TestSupport.run(["review", "relabel", "--label", "with_mask", "6"], in: ws).status == 0)
    #expect(try boxClass(6, ws: ws) == "with_mask")
    #expect(try TestSupport.run(["review", "relabel", "--label", "hat", "7"], in: ws).status == 64)
    let added = try TestSupport.run(["review", "relabel", "--label", "hat", "--new-class", "7"], in: ws)
    #expect(added.status == 0 && added.stdout.contains("relabel → hat: 1 boxes (7)"), "\(added.stderr)")
    // Relabelled back, the class is gone from the vocabulary again: no class lives on after its last box.
    #expect(try TestSupport.run(["review", "relabel", "--label", "with_mask", "7"], in: ws).status == 0)
    #expect(try TestSupport.run(["review", "relabel", "--label", "hat", "8"], in: ws).status == 64)
    let noView = try TestSupport.run(["review", "relabel", "--label", "with_mask", "--view", "nope", "8"], in: ws)
    #expect(noView.status == 1 && noView.stderr.contains("no view named nope"))

    // LabelImg: a file renaming a box to a typo is left out whole, with the suggestion; --new-class lets it in.
    let li = folder + "/li"
    let export = try TestSupport.run(
      ["review", "labelimg-export", "--status", "accepted", "--origin", "voc", "--out", li], in: ws)
    #expect(export.status == 0, "\(export.stderr)")
    let xml = try #require(
      try FileManager.default.contentsOfDirectory(atPath: li).filter { $0.hasSuffix(".xml") }.sorted().first)
    let original = try String(contentsOfFile: li + "/" + xml, encoding: .utf8)
    let edited = try #require(
      original.range(of: "<name>without_mask</name>") ?? original.range(of: "<name>with_mask</name>"))
    try original.replacingCharacters(in: edited, with: "<name>without_mask_</name>").write(
      toFile: li + "/" + xml, atomically: true, encoding: .utf8)
    let refused = try TestSupport.run(["review", "labelimg-import", li], in: ws)
    #expect(refused.status == 1 && refused.stdout.contains("0 relabelled"), "\(refused.stdout)")
    #expect(refused.stdout.contains("\(xml): box "), "\(refused.stdout)")
    #expect(refused.stdout.contains("did you mean without_mask?"), "\(refused.stdout)")
    let allowed = try TestSupport.run(["review", "labelimg-import", li, "--new-class"], in: ws)
    #expect(allowed.status == 0 && allowed.stdout.contains("1 relabelled"), "\(allowed.stdout) \(allowed.stderr)")
  }

  @Test(
    "issue 22 reproducer 5 end to end: crops of a CC0 set carry its license and their parent through split and export",
    .requiresBinary)
  func cropLineage() throws {
    let (folder, ws) = try workspace("dsk-lineage")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let crop = try TestSupport.run(["faces", "crop", "--square", "--size", "64", "--json"], in: ws)
    #expect(crop.status == 0, "\(crop.stderr)")
    #expect((try json(crop.stdout)["result"] as? [String: Any])?["cropped"] as? Int == 116)
    let split = try TestSupport.run(
      ["split", "--name", "v1", "--kind", "crops", "--ratios", "70/15/15", "--seed", "3"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")

    // The photos' digests, by file name, to check each crop's parent.
    var photos: [String: String] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: Self.testdata + "/images") {
      let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.testdata + "/images/" + name)))
      photos[SHA256.hex(of: bytes)] = "images/" + name
    }
    let out = folder + "/folders"
    let folders = try TestSupport.run(["export", "--split", "v1", "--format", "folders", "--out", out], in: ws)
    #expect(folders.status == 0, "\(folders.stderr)")
    let manifestBytes = try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json"))
    let manifest = try #require(try JSONSerialization.jsonObject(with: manifestBytes) as? [String: Any])
    let files = try #require(manifest["files"] as? [[String: Any]])
    #expect(files.count == 116)
    var subsetsOfPhoto: [String: Set<String>] = [:]
    for file in files {
      let parent = try #require(file["parent"] as? [String: Any], "\(file["path"] ?? "")")
      let sha = try #require(parent["sha256"] as? String)
      let path = try #require(photos[sha], "the parent \(sha) is not one of the sample's photos")
      let box = try #require(parent["box"] as? [String: Double])
      #expect(Set(box.keys) == ["xmin", "ymin", "xmax", "ymax"])
      #expect((box["xmin"] ?? 0) < (box["xmax"] ?? 0) && (box["ymin"] ?? 0) < (box["ymax"] ?? 0))
      let parentOrigins = try #require(parent["origins"] as? [[String: Any]])
      #expect(parentOrigins.map { $0["path"] as? String } == [path])
      // The crop itself is credited to the photo's source and license, never to a source called crops.
      let origins = try #require(file["origins"] as? [[String: Any]])
      #expect(!origins.isEmpty)
      for origin in origins + parentOrigins {
        #expect(origin["source"] as? String == "andrewmvd" && origin["license"] as? String == "CC0-1.0")
      }
      subsetsOfPhoto[sha, default: []].insert(try #require(file["subset"] as? String))
    }
    // Every crop is in its parent's subset: the crops of one photo together.
    #expect(subsetsOfPhoto.count == 23)
    #expect(subsetsOfPhoto.values.allSatisfy { $0.count == 1 }, "\(subsetsOfPhoto)")
    #expect(Set(subsetsOfPhoto.values.map { $0.first ?? "" }).count >= 2)

    let csvOut = folder + "/csv"
    let csv = try TestSupport.run(["export", "--split", "v1", "--format", "csv", "--out", csvOut], in: ws)
    #expect(csv.status == 0, "\(csv.stderr)")
    let rows = try String(contentsOfFile: csvOut + "/data.csv", encoding: .utf8).split(separator: "\n").map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    #expect(rows.first == ["path", "label", "subset", "sha256", "source", "license", "url", "caption"])
    #expect(rows.count == 117)
    #expect(rows.dropFirst().allSatisfy { $0.count == 8 && $0[4] == "andrewmvd" && $0[5] == "CC0-1.0" })
    // A second export of the same split gives the same manifest, byte for byte.
    let again = try TestSupport.run(["export", "--split", "v1", "--format", "folders", "--out", out], in: ws)
    #expect(again.status == 0)
    #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")) == manifestBytes)

    // The card credits the crops to the photos' source: no column for a source called crops.
    let card = try TestSupport.run(["report", "--split", "v1", "--json", "--out", folder + "/card.html"], in: ws)
    #expect(card.status == 0, "\(card.stderr)")
    let result = try #require(try json(card.stdout)["result"] as? [String: Any])
    let confounds = try #require(result["confounds"] as? [String: Any])
    #expect(confounds["sources"] as? [String] == ["andrewmvd"])
    let provenance = try #require(result["provenance"] as? [String: Any])
    let sources = try #require(provenance["sources"] as? [[String: Any]])
    #expect(sources.map { $0["name"] as? String } == ["andrewmvd"])
    #expect(sources.first?["images"] as? Int == 116)
    let licenses = try #require(provenance["licenses"] as? [[String: Any]])
    #expect(licenses.map { $0["license"] as? String } == ["CC0-1.0"])
  }
}
