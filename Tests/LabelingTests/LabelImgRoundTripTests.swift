import Annotations
import Catalog
import Foundation
import Ingest
import TestSupport
import Testing

@testable import Labeling

@Suite("LabelImg round trip of proposals: export, edit as LabelImg does, import as review decisions")
struct LabelImgRoundTripTests {
  /// A catalog of Debian's photographs with proposals on them (four on the first, one on each other; one
  /// with fractional coordinates, one touching the edge).
  func catalogWithProposals() throws -> (Catalog, String, [Int64]) {
    let folder = try TestSupport.temporaryFolder("dsk-labelimg")
    let catalog = try Workspace.create(at: folder + "/ws")
    // Labelled with the mask classes, so the catalog's class list holds the names the edits give boxes.
    let labelled = zip(["home.jpg", "messi5.jpg", "baboon.jpg"], ["with_mask", "without_mask", "with_mask"])
    let candidates = try labelled.map { name, label in
      IngestCandidate(
        content: .bytes(try TestSupport.photo(name)), origin: OriginFacts(relativePath: Array(name.utf8)),
        label: label)
    }
    _ = try Ingester(catalog: catalog).ingest(
      candidates, source: SourceSpec(kind: "folder", name: "photos", uri: folder))
    let images = try catalog.database.rows("SELECT id FROM images ORDER BY id") { $0.int64(0) }
    let boxes: [(Int, [Double])] = [
      (0, [20, 30, 80, 95]), (0, [100.4, 40.6, 160.2, 101.9]), (0, [200, 50, 250, 110]), (0, [0, 0, 40, 44]),
      (1, [60, 60, 120, 125]), (2, [300, 100, 380, 180]),
    ]
    for (image, r) in boxes {
      try catalog.database.run(
        """
        INSERT INTO boxes (image_id, xmin, ymin, xmax, ymax, origin, detector, detector_params, score, status, created_at)
        VALUES (?, ?, ?, ?, ?, 'haar', 'haar test', '{}', 5, 'proposed', '2026-01-01T00:00:00Z')
        """, [.int(images[image]), .real(r[0]), .real(r[1]), .real(r[2]), .real(r[3])])
    }
    let ids = try catalog.database.rows("SELECT id FROM boxes ORDER BY id") { $0.int64(0) }
    return (catalog, folder, ids)
  }

  func rect(_ catalog: Catalog, _ id: Int64) throws -> [Double] {
    try catalog.database.rows("SELECT xmin, ymin, xmax, ymax FROM boxes WHERE id = ?", [.int(id)]) {
      [$0.double(0), $0.double(1), $0.double(2), $0.double(3)]
    }.first ?? []
  }

  @Test("moved, deleted, added and relabelled boxes become adjust, reject, add and relabel; twice is a no-op")
  func roundTrip() throws {
    let (catalog, folder, ids) = try catalogWithProposals()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try #require(ids.count >= 4)
    let out = folder + "/labelimg"
    let export = try catalog.exportLabelImg(LabelImgExportOptions(), folder: out)
    #expect(export.boxes == ids.count && export.failed.isEmpty)
    let manifest = try JSONDecoder().decode(
      LabelImgManifest.self, from: Data(contentsOf: URL(fileURLWithPath: out + "/" + LabelImgManifest.fileName)))
    #expect(manifest.images.count == export.images && manifest.images.flatMap(\.boxes).sorted() == ids)
    // Byte-exact LabelImg files: read and written back, the same bytes; images copied beside them.
    for entry in manifest.images {
      let xml = out + "/" + (entry.file as NSString).deletingPathExtension + ".xml"
      let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: xml)))
      #expect(String(decoding: bytes.prefix(13), as: UTF8.self) == "<annotation>\n")
      #expect(try VOCReader.document(bytes, file: xml).bytes() == bytes)
      #expect(FileManager.default.fileExists(atPath: out + "/" + entry.file))
    }

    // Edit as LabelImg would: read, change the shapes, write the file again.
    func edit(_ entry: LabelImgManifest.Entry, _ change: (inout VOCDocument) -> Void) throws {
      let path = out + "/" + (entry.file as NSString).deletingPathExtension + ".xml"
      var document = try VOCReader.document(Array(Data(contentsOf: URL(fileURLWithPath: path))), file: path)
      change(&document)
      try Data(document.bytes()).write(to: URL(fileURLWithPath: path))
    }
    // The entry with the most boxes takes a move, a deletion and a rename; another one gets a new face.
    let sorted = manifest.images.sorted { $0.boxes.count > $1.boxes.count }
    let busy = sorted[0]
    try #require(busy.boxes.count >= 3)
    let (moved, deleted, renamed) = (busy.boxes[0], busy.boxes[1], busy.boxes[2])
    let before = try rect(catalog, moved)
    try edit(busy) { document in
      document.objects[0].box.xmin += 6
      document.objects[0].box.xmax += 6
      document.objects[0].box.ymax += 3
      document.objects[2].name = "with_mask"
      document.objects.remove(at: 1)
    }
    let other = sorted.count > 1 ? sorted[1] : busy
    try edit(other) { document in
      document.objects.append(
        VOCObject(name: "without_mask", box: Box(xmin: 5, ymin: 6, xmax: 45, ymax: 52)))
    }
    // Hostile files beside them: malformed XML, a box outside its image, an image this export did not write.
    try Data("<annotation><object><name>x</name>".utf8).write(to: URL(fileURLWithPath: out + "/broken.xml"))
    let otherXML = out + "/" + (other.file as NSString).deletingPathExtension + ".xml"
    let unknown = try Data(contentsOf: URL(fileURLWithPath: otherXML))
    try unknown.write(to: URL(fileURLWithPath: out + "/not-exported.xml"))
    if let third = sorted.dropFirst(2).first {
      try edit(third) { document in
        document.objects.append(VOCObject(name: "with_mask", box: Box(xmin: 10, ymin: 10, xmax: 9000, ymax: 40)))
        document.size?.width = 10_000  // the catalog knows the real size
      }
    }

    let report = try catalog.importLabelImg(folder: out, reviewer: "t")
    #expect(report.adjusted == 1 && report.rejected == 1 && report.added == 1 && report.relabelled == 1)
    let errors = report.files.compactMap(\.error)
    #expect(errors.contains { $0.hasPrefix("broken.xml:") })
    #expect(errors.contains { $0.hasPrefix("not-exported.xml:") && $0.contains("did not write") })
    if sorted.count > 2 { #expect(errors.contains { $0.contains("not inside the") }) }
    #expect(report.failed == errors.count)

    let after = try rect(catalog, moved)
    let exported = Box(xmin: before[0], ymin: before[1], xmax: before[2], ymax: before[3])
      .labelImgIntegers(width: busy.width, height: busy.height)
    #expect(after == [exported.xmin + 6, exported.ymin, exported.xmax + 6, exported.ymax + 3])
    let status = { (id: Int64) in try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(id)]) }
    #expect(try status(moved) == "accepted" && status(deleted) == "rejected" && status(renamed) == "accepted")
    #expect(
      try catalog.database.scalarText(
        "SELECT c.name FROM boxes b JOIN classes c ON c.id = b.class_id WHERE b.id = ?", [.int(renamed)]) == "with_mask"
    )
    let addedID = try #require(report.files.flatMap(\.added).first)
    #expect(
      try catalog.database.rows(
        "SELECT b.origin, b.status, c.name, b.image_id FROM boxes b JOIN classes c ON c.id = b.class_id WHERE b.id = ?",
        [.int(addedID)]
      ) { "\($0.text(0) ?? "") \($0.text(1) ?? "") \($0.text(2) ?? "") \($0.int64(3))" } == [
        "review accepted without_mask \(other.imageID)"
      ])
    let actions = try catalog.database.rows("SELECT action FROM reviews ORDER BY action") { $0.text(0) ?? "" }
    #expect(actions == ["add", "adjust", "reject", "relabel"])
    // Boxes not touched in LabelImg are untouched in the catalog.
    let untouched = ids.filter { ![moved, deleted, renamed].contains($0) }
    #expect(try untouched.allSatisfy { try status($0) == "proposed" })

    // The same folder again: nothing changes, nothing is logged.
    let again = try catalog.importLabelImg(folder: out, reviewer: "t")
    #expect(again.adjusted == 0 && again.rejected == 0 && again.added == 0 && again.relabelled == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM reviews") == 4)

    // After review, the share of faces added by hand, per class.
    let reviewed = try #require(try catalog.reviewedFaces())
    #expect(reviewed.classes.first { $0.label == "without_mask" }?.addedByHand == 1)
    #expect(reviewed.classes.first { $0.label == "with_mask" }.map { [$0.faces, $0.addedByHand] } == [1, 0])
  }

  @Test("export refuses a folder that is not empty; import refuses a folder without a manifest")
  func folders() throws {
    let (catalog, folder, _) = try catalogWithProposals()
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try Data("x".utf8).write(to: URL(fileURLWithPath: folder + "/note.txt"))
    #expect(throws: LabelingError.self) { try catalog.exportLabelImg(LabelImgExportOptions(), folder: folder) }
    do {
      _ = try catalog.importLabelImg(folder: folder, reviewer: "t")
      Issue.record("imported a folder without a manifest")
    } catch let error as LabelingError {
      #expect(error.localizedDescription.contains("review labelimg-export"))
    }
  }
}
