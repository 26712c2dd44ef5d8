import Foundation
import TestSupport
import Testing

/// End-to-end: the built binary detects, evaluates, crops and reviews faces on the shared mask photos.
@Suite("CLI: faces detect/eval/crop, review sheet/accept/reject/relabel")
struct FacesCommandTests {
  static var testdata: String { TestSupport.testdata + "/voc-facemask" }

  /// A temporary folder with a workspace `ws` holding the imported voc-facemask set.
  func facemaskWorkspace(_ name: String) throws -> (folder: String, ws: String) {
    let folder = try TestSupport.temporaryFolder(name)
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", Self.testdata, "--layout", "voc"], in: ws).status == 0)
    return (folder, ws)
  }

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test(
    "voc-facemask: the default beats the seeds' Haar setting on with_mask; crops, sheets, decisions",
    .requiresBinary)
  func endToEnd() throws {
    let (folder, ws) = try facemaskWorkspace("dsk-faces")
    defer { try? FileManager.default.removeItem(atPath: folder) }

    // A missing model: a clear error naming the file, exit 1, nothing stored.
    let missing = try TestSupport.run(
      ["faces", "detect", "--detector", "yunet", "--model", folder + "/none.onnx"], in: ws)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains(folder + "/none.onnx") && missing.stderr.contains("libfacedetection.train"))
    let noModel = try TestSupport.run(["faces", "detect", "--detector", "res10"], in: ws)
    #expect(noModel.status == 1 && noModel.stderr.contains("--model"))

    let haar = try TestSupport.run(["faces", "detect", "--detector", "haar", "--json"], in: ws)
    #expect(haar.status == 0, "\(haar.stderr)")
    let haarResult = try #require(try json(haar.stdout)["result"] as? [String: Any])
    #expect(haarResult["processed"] as? Int == 23)
    let def = try TestSupport.run(["faces", "detect"], in: ws)
    #expect(def.status == 0 && def.stdout.contains("Detector default"), "\(def.stderr)")
    // Incremental: the same detector and parameters again does nothing.
    let again = try TestSupport.run(["faces", "detect"], in: ws)
    #expect(again.stdout.contains("0 images searched") && again.stdout.contains("23 images done before"))

    let eval = try TestSupport.run(["faces", "eval", "--truth", "voc-facemask", "--json"], in: ws)
    #expect(eval.status == 0, "\(eval.stderr)")
    let detectors = try #require((try json(eval.stdout)["result"] as? [String: Any])?["detectors"] as? [[String: Any]])
    func withMask(_ name: String) -> (recall: Double, precision: Double)? {
      guard let d = detectors.first(where: { $0["detector"] as? String == name }),
        let classes = d["classes"] as? [[String: Any]],
        let c = classes.first(where: { $0["label"] as? String == "with_mask" })
      else { return nil }
      return (c["recall"] as? Double ?? 0, d["precision"] as? Double ?? 0)
    }
    let seeds = try #require(withMask("haar"))
    let ours = try #require(withMask("default"))
    #expect(ours.recall >= 0.5)
    #expect(ours.recall > seeds.recall)
    // The seeds' Haar setting is precise on this sample (it finds few faces); YuNet's goal is 0.90.
    #expect(ours.precision >= 0.9)
    let text = try TestSupport.run(["faces", "eval", "--truth", "voc-facemask"], in: ws)
    #expect(text.stdout.contains("with_mask") && text.stdout.contains("mask_weared_incorrect"))
    #expect(
      try TestSupport.run(["faces", "eval", "--truth", "nope"], in: ws).stderr.contains("no source named 'nope'"))

    // Review: a contact sheet of the default's proposals, then decisions by box id.
    let sheet = try TestSupport.run(
      ["review", "sheet", "--origin", "default", "--out", folder + "/sheet.png", "--json"], in: ws)
    #expect(sheet.status == 0, "\(sheet.stderr)")
    let boxes = try #require((try json(sheet.stdout)["result"] as? [String: Any])?["boxes"] as? [Int])
    #expect(boxes.count >= 10)
    #expect(FileManager.default.fileExists(atPath: folder + "/sheet.png"))
    let accept = try TestSupport.run(["review", "accept", String(boxes[0]), String(boxes[1])], in: ws)
    #expect(accept.status == 0 && accept.stdout.contains("accept: 2 boxes"))
    #expect(try TestSupport.run(["review", "relabel", "--label", "with_mask", String(boxes[2])], in: ws).status == 0)
    #expect(try TestSupport.run(["review", "reject", String(boxes[3])], in: ws).status == 0)
    let unknown = try TestSupport.run(["review", "reject", "99999"], in: ws)
    #expect(unknown.status == 1 && unknown.stderr.contains("no box with id 99999"))

    // Crops of accepted boxes: the 116 imported ones and the 2 accepted + 1 relabelled proposals.
    let crop = try TestSupport.run(["faces", "crop", "--square", "--size", "64", "--json"], in: ws)
    #expect(crop.status == 0, "\(crop.stderr)")
    let cropResult = try #require(try json(crop.stdout)["result"] as? [String: Any])
    #expect(cropResult["cropped"] as? Int == 119)
    #expect((cropResult["labels"] as? [String: Int])?["with_mask"] == 91)

    // LabelImg round trip: export the default's proposals, draw a missed face in one file, import.
    let li = folder + "/labelimg"
    let export = try TestSupport.run(["review", "labelimg-export", "--origin", "default", "--out", li], in: ws)
    #expect(export.status == 0 && export.stdout.contains("review labelimg-import"), "\(export.stderr)")
    let xml = try #require(
      try FileManager.default.contentsOfDirectory(atPath: li).filter { $0.hasSuffix(".xml") }.sorted().first)
    var edited = try String(contentsOfFile: li + "/" + xml, encoding: .utf8)
    edited = edited.replacingOccurrences(
      of: "</annotation>",
      with: "\t<object>\n\t\t<name>with_mask</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>0</truncated>\n"
        + "\t\t<difficult>0</difficult>\n\t\t<bndbox>\n\t\t\t<xmin>2</xmin>\n\t\t\t<ymin>3</ymin>\n"
        + "\t\t\t<xmax>40</xmax>\n\t\t\t<ymax>44</ymax>\n\t\t</bndbox>\n\t</object>\n</annotation>")
    try edited.write(toFile: li + "/" + xml, atomically: true, encoding: .utf8)
    try "<annotation><object>".write(toFile: li + "/broken.xml", atomically: true, encoding: .utf8)
    let imported = try TestSupport.run(["review", "labelimg-import", li], in: ws)
    #expect(imported.status == 1 && imported.stdout.contains("1 drawn (missed faces)"))
    #expect(imported.stdout.contains("broken.xml: line"))
    let twice = try TestSupport.run(["review", "labelimg-import", li, "--json"], in: ws)
    let twiceResult = try #require(try json(twice.stdout)["result"] as? [String: Any])
    #expect(twiceResult["added"] as? Int == 0 && twiceResult["adjusted"] as? Int == 0)
    // faces eval now reports the share of faces reviewers added by hand, per class.
    let reviewed = try TestSupport.run(["faces", "eval", "--truth", "voc-facemask", "--json"], in: ws)
    let review = try #require((try json(reviewed.stdout)["result"] as? [String: Any])?["review"] as? [String: Any])
    let classes = try #require(review["classes"] as? [[String: Any]])
    #expect(classes.first { $0["label"] as? String == "with_mask" }?["addedByHand"] as? Int == 1)
    let reviewedText = try TestSupport.run(["faces", "eval", "--truth", "voc-facemask"], in: ws)
    #expect(reviewedText.stdout.contains("added by hand"))
  }

  @Test(
    "kill -9 during review decisions: every decision whose command returned is in the catalog",
    .requiresBinary)
  func killDuringReview() throws {
    let (folder, ws) = try facemaskWorkspace("dsk-review-kill")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // The 116 imported boxes are accepted; reject them in rounds, killing some commands mid-way.
    var confirmed: [Int] = []
    for round in 0..<24 {
      let ids = [round * 4 + 1, round * 4 + 2, round * 4 + 3, round * 4 + 4]
      let process = Process()
      process.executableURL = URL(fileURLWithPath: TestSupport.binary)
      process.arguments = ["review", "reject"] + ids.map(String.init)
      process.currentDirectoryURL = URL(fileURLWithPath: ws)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      if round % 2 == 1 {
        usleep(UInt32(5_000 + (round * 7_919) % 60_000))
        kill(process.processIdentifier, SIGKILL)
      }
      process.waitUntilExit()
      if process.terminationReason == .exit && process.terminationStatus == 0 { confirmed += ids }
    }
    #expect(!confirmed.isEmpty)
    let catalog = try TestSupport.run(["doctor", "--json"], in: ws)
    #expect(catalog.stdout.contains("integrity_check: ok"))
    // Every confirmed decision is logged and applied; decisions and box status agree for all.
    let sheet = try TestSupport.run(
      ["review", "sheet", "--status", "rejected", "--out", folder + "/r.png", "--json"], in: ws)
    let rejected = try #require((try json(sheet.stdout)["result"] as? [String: Any])?["boxes"] as? [Int])
    #expect(Set(confirmed).isSubset(of: Set(rejected)))
    // A box is rejected only as a whole transaction: groups of four are all in or all out.
    for round in 0..<24 {
      let group = Set([round * 4 + 1, round * 4 + 2, round * 4 + 3, round * 4 + 4])
      let inside = group.intersection(rejected)
      #expect(inside.isEmpty || inside == group, "round \(round)")
    }
  }
}
