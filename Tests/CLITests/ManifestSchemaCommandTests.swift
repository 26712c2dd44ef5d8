import Foundation
import TestSupport
import Testing

/// Issue 22, reproducer 8: one manifest schema for every format (`files`, schemaVersion 2,
/// schemas/manifest.schema.json), the VOC export's left-out count of the selection only, and LabelImg's
/// `verified="yes"` through the round trip.
@Suite(.requiresBinary)
struct ManifestSchemaCommandTests {
  static let raccoon = TestSupport.testdata + "/labelimg-raccoon"

  /// A workspace with the 7 LabelImg raccoon photos (8 boxes), 2 photos without a box (`plain/misc`) and
  /// the 8 crops of the raccoon boxes.
  func workspace(_ name: String) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", Self.raccoon, "--layout", "voc"], in: ws).status == 0)
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 2, width: 64).enumerated() {
      try TestSupport.write(jpeg, to: base + "/plain/misc/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", base + "/plain"], in: ws).status == 0)
    let crop = try TestSupport.run(["faces", "crop", "--size", "64"], in: ws)
    #expect(crop.stdout.contains("8 crops made from 8 boxes"), "\(crop.stdout)\(crop.stderr)")
    return (base, ws)
  }

  func json(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
  }

  @Test("every format's manifest.json lists its images under `files` and validates against manifest.schema.json")
  func oneManifestSchema() throws {
    let (base, ws) = try workspace("dsk-manifest-schema")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let schema = try json(TestSupport.repositoryRoot + "/schemas/manifest.schema.json")
    #expect(try TestSupport.run(["split", "--name", "v1"], in: ws).status == 0)
    for format in ["folders", "csv", "voc", "yolo", "coco", "createml", "webdataset"] {
      for split in [[], ["--split", "v1"]] {
        let out = base + "/\(format)\(split.isEmpty ? "" : "-v1")"
        let run = try TestSupport.run(["export", "--format", format, "--out", out] + split, in: ws)
        #expect(run.status == 0, "\(format): \(run.stderr)")
        let manifest = try json(out + "/manifest.json")
        let problems = JSONSchemaSubset.validate(manifest, against: schema)
        #expect(problems.isEmpty, "\(format) \(split): \(problems.prefix(5))")
        #expect(manifest["schemaVersion"] as? Int == 2, "\(format)")
        #expect(manifest["images"] == nil, "\(format) still writes `images`")
        let files = try #require(manifest["files"] as? [[String: Any]], "\(format)")
        #expect(!files.isEmpty, "\(format)")
        for file in files {
          let path = try #require(file["path"] as? String)
          #expect(FileManager.default.fileExists(atPath: out + "/" + path), "\(format): \(path) is not in the export")
          #expect((file["origins"] as? [Any])?.isEmpty == false, "\(format): \(path) has no origin")
        }
        #expect((manifest["split"] as? [String: Any])?["name"] as? String == (split.isEmpty ? nil : "v1"))
      }
    }
    // The validator is not a rubber stamp: the old box-format shape fails it.
    var old = try json(base + "/voc/manifest.json")
    old["images"] = old["files"]
    old["files"] = nil
    old["schemaVersion"] = 1
    let problems = JSONSchemaSubset.validate(old, against: schema)
    #expect(problems.contains("$: missing required \"files\""), "\(problems)")
    #expect(problems.contains { $0.hasPrefix("$.schemaVersion: 1") }, "\(problems)")
    var crop = try json(base + "/folders/manifest.json")
    var entries = try #require(crop["files"] as? [[String: Any]])
    entries[0]["parent"] = ["sha256": "xyz", "box": ["xmin": 1]]
    crop["files"] = entries
    #expect(JSONSchemaSubset.validate(crop, against: schema).count >= 3)
  }

  @Test("VOC export --kind photos: the images-without-a-box count is of the photos only (2), not the crops")
  func vocLeftOutCountsTheSelection() throws {
    let (base, ws) = try workspace("dsk-manifest-leftout")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let photos = try TestSupport.run(["export", "--format", "voc", "--kind", "photos", "--out", base + "/p"], in: ws)
    #expect(photos.status == 0, "\(photos.stderr)")
    #expect(photos.stdout.contains("Exported 7 images and 8 boxes as voc"), "\(photos.stdout)")
    #expect(photos.stdout.contains("2 images without a box left out"), "\(photos.stdout)")
    let json = try TestSupport.run(
      ["export", "--format", "voc", "--kind", "photos", "--out", base + "/p", "--json"], in: ws)
    #expect((try TestSupport.jsonResult(json.stdout) as? [String: Any])?["unlabeled"] as? Int == 2)
    let all = try TestSupport.run(["export", "--format", "voc", "--out", base + "/a"], in: ws)
    #expect(all.stdout.contains("10 images without a box left out"), "\(all.stdout)")
  }

  @Test("LabelImg verified=\"yes\": kept by labelimg-export, a file verified in LabelImg comes back verified in VOC")
  func verifiedRoundTrip() throws {
    let (base, ws) = try workspace("dsk-manifest-verified")
    defer { try? FileManager.default.removeItem(atPath: base) }
    func annotation(_ path: String) throws -> String {
      String(try String(contentsOfFile: path, encoding: .utf8).prefix { $0 != "\n" })
    }
    let lab = base + "/lab"
    let exported = try TestSupport.run(
      ["review", "labelimg-export", "--out", lab, "--origin", "voc", "--status", "accepted"], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    let names = try FileManager.default.contentsOfDirectory(atPath: lab).filter { $0.hasSuffix(".xml") }.sorted()
    #expect(names.count == 7)
    for name in names {
      // Six raccoon files are verified="yes"; raccoon-37 is verified="no" (older LabelImg).
      let expected = name.contains("raccoon-37") ? "<annotation>" : "<annotation verified=\"yes\">"
      #expect(try annotation(lab + "/" + name) == expected, "\(name)")
    }
    // In LabelImg: "Verify Image" on raccoon-37, and raccoon-1 un-verified.
    for (name, from, to) in [
      ("raccoon-37", "<annotation>", "<annotation verified=\"yes\">"),
      ("raccoon-1", "<annotation verified=\"yes\">", "<annotation>"),
    ] {
      let file = lab + "/" + (try #require(names.first { $0.hasSuffix("-\(name).xml") }))
      let text = try String(contentsOfFile: file, encoding: .utf8)
      try Data(text.replacingOccurrences(of: from, with: to).utf8).write(to: URL(fileURLWithPath: file))
    }
    let imported = try TestSupport.run(["review", "labelimg-import", lab], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stdout.contains("1 file marked verified, 1 no longer verified"), "\(imported.stdout)")

    let voc = base + "/voc"
    #expect(try TestSupport.run(["export", "--format", "voc", "--kind", "photos", "--out", voc], in: ws).status == 0)
    #expect(try annotation(voc + "/Annotations/raccoon-37.xml") == "<annotation verified=\"yes\">")
    #expect(try annotation(voc + "/Annotations/raccoon-1.xml") == "<annotation>")
    // The rest of raccoon-37 is the file as LabelImg wrote it, byte for byte; untouched files are identical.
    let original37 = try String(contentsOfFile: Self.raccoon + "/annotations/raccoon-37.xml", encoding: .utf8)
    let written37 = try String(contentsOfFile: voc + "/Annotations/raccoon-37.xml", encoding: .utf8)
    #expect(
      written37
        == original37.replacingOccurrences(of: "<annotation verified=\"no\">", with: "<annotation verified=\"yes\">"))
    for name in ["raccoon-2", "raccoon-12"] {
      #expect(
        try Data(contentsOf: URL(fileURLWithPath: voc + "/Annotations/\(name).xml"))
          == Data(contentsOf: URL(fileURLWithPath: Self.raccoon + "/annotations/\(name).xml")), "\(name)")
    }
    let again = base + "/lab2"
    #expect(
      try TestSupport.run(
        ["review", "labelimg-export", "--out", again, "--origin", "voc", "--status", "accepted"], in: ws
      ).status == 0)
    let file37 = try #require(
      try FileManager.default.contentsOfDirectory(atPath: again).first { $0.hasSuffix("raccoon-37.xml") })
    #expect(try annotation(again + "/" + file37) == "<annotation verified=\"yes\">")
  }
}
