import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// RELIABILITY.md case 48 (issue #25 item 12): one real face photo written in all eight EXIF orientations, as JPEG
/// (APP1) and as PNG (eXIf), each file displaying the same upright picture (`sample-images orientations`). Import, detection, crops and the VOC,
/// YOLO and COCO exports must all be in that upright frame, the same for all sixteen files.
@Suite("CLI: EXIF orientation 1-8 (boxes, crops, exports in the upright frame)")
struct ExifOrientationTests {
  /// A real photo (voc-facemask, CC0): 600×399, one face right of centre, so a quarter turn or a mirror moves it.
  static let photo = TestSupport.testdata + "/voc-facemask/images/maksssksksss525.png"

  func json(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  /// The mean absolute difference of two images' gray values, each shrunk to 24×24.
  static func difference(_ a: DecodedImage, _ b: DecodedImage) throws -> Double {
    func small(_ image: DecodedImage) throws -> [UInt8] {
      try image.grayscale().resized(width: 24, height: 24, interpolation: .area).pixels()
    }
    let (x, y) = (try small(a), try small(b))
    return Double(zip(x, y).map { abs(Int($0) - Int($1)) }.reduce(0, +)) / Double(x.count)
  }

  @Test("all eight orientations, JPEG and PNG: the same box, crop and VOC/YOLO/COCO size", .requiresBinary)
  func eightOrientations() throws {
    let folder = try TestSupport.temporaryFolder("dsk-exif")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let upright = try DecodedImage(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: Self.photo))))
    let (width, height) = (upright.width, upright.height)
    #expect(width == 600 && height == 399)
    let photos = folder + "/photos"
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestSupport.repositoryRoot + "/.build/debug/sample-images")
    process.arguments = ["orientations", "--from", Self.photo, "--out", photos, "--quality", "95"]
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "sample-images orientations failed")
    for orientation in 1...8 {
      // The fixture itself: every file decodes to the upright picture.
      for name in ["o\(orientation).jpg", "p\(orientation).png"] {
        let decoded = try DecodedImage(bytes: Array(try Data(contentsOf: URL(fileURLWithPath: photos + "/" + name))))
        #expect(decoded.width == width && decoded.height == height, "\(name)")
        #expect(try Self.difference(decoded, upright) < 3, "\(name) does not display the upright photo")
      }
    }

    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try TestSupport.run(["import", photos], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let detect = try TestSupport.run(["faces", "detect", "--json"], in: ws)
    #expect(detect.status == 0, "\(detect.stderr)")
    let faces = try #require((try json(detect.stdout)["result"] as? [String: Any])?["faces"] as? Int)
    // One face in each of the sixteen files (none lost, none doubled by a wrong frame).
    #expect(faces == 16)
    let accepted = try TestSupport.run(["review", "relabel", "--label", "face", "--new-class", "1-\(faces)"], in: ws)
    #expect(accepted.status == 0, "\(accepted.stderr)")

    // COCO: every image is 600×399 and its one box is the same within a few pixels.
    let coco = folder + "/coco"
    let cocoRun = try TestSupport.run(["export", "--format", "coco", "--kind", "photos", "--out", coco], in: ws)
    #expect(cocoRun.status == 0, "\(cocoRun.stderr)")
    let instances = try json(try String(contentsOfFile: coco + "/annotations/instances_all.json", encoding: .utf8))
    let images = try #require(instances["images"] as? [[String: Any]])
    let annotations = try #require(instances["annotations"] as? [[String: Any]])
    #expect(images.count == 16 && annotations.count == 16)
    var boxes: [String: [Double]] = [:]
    for image in images {
      let name = try #require(image["file_name"] as? String)
      #expect(image["width"] as? Int == width && image["height"] as? Int == height, "\(name)")
      let id = try #require(image["id"] as? Int)
      let bbox = annotations.filter { $0["image_id"] as? Int == id }.compactMap { $0["bbox"] as? [Double] }
      #expect(bbox.count == 1, "\(name)")
      boxes[name] = bbox.first
    }
    let reference = try #require(boxes["o1.jpg"])
    // The face is right of centre in the upright photo (the annotation says 319–486 × 128–307).
    #expect(reference[0] > 280 && reference[0] + reference[2] < 520 && reference[1] > 50)
    for (name, box) in boxes.sorted(by: { $0.key < $1.key }) {
      #expect(zip(box, reference).allSatisfy { abs($0 - $1) <= 6 }, "\(name): \(box) vs o1.jpg \(reference)")
    }

    // VOC: <size> is the upright size, as LabelImg (QImageReader with autoTransform) writes it.
    let voc = folder + "/voc"
    #expect(try TestSupport.run(["export", "--format", "voc", "--kind", "photos", "--out", voc], in: ws).status == 0)
    for orientation in 1...8 {
      for stem in ["o\(orientation)", "p\(orientation)"] {
        let xml = try String(contentsOfFile: voc + "/Annotations/\(stem).xml", encoding: .utf8)
        #expect(
          xml.contains("<width>\(width)</width>") && xml.contains("<height>\(height)</height>"), "\(stem).xml")
        let xmin = Self.field(xml, "xmin").flatMap(Double.init)
        #expect(xmin.map { abs($0 - reference[0]) <= 5 } == true, "\(stem).xml xmin \(String(describing: xmin))")
      }
    }

    // YOLO: centres normalised by the upright size agree too.
    let yolo = folder + "/yolo"
    #expect(try TestSupport.run(["export", "--format", "yolo", "--kind", "photos", "--out", yolo], in: ws).status == 0)
    let centre = (reference[0] + reference[2] / 2) / Double(width)
    for orientation in 1...8 {
      for stem in ["o\(orientation)", "p\(orientation)"] {
        let line = try String(contentsOfFile: yolo + "/labels/all/\(stem).txt", encoding: .utf8)
        let fields = line.split(separator: " ").compactMap {
          Double($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect(fields.count == 5 && abs(fields[1] - centre) < 0.01, "\(stem).txt: \(line)")
      }
    }

    // Crops: each of the sixteen shows the face the upright photo has in the reference box.
    let crop = try TestSupport.run(["faces", "crop", "--margin", "0", "--json"], in: ws)
    #expect(crop.status == 0, "\(crop.stderr)")
    #expect((try json(crop.stdout)["result"] as? [String: Any])?["cropped"] as? Int == 16)
    let crops = folder + "/crops"
    let cropExport = try TestSupport.run(["export", "--format", "csv", "--kind", "crops", "--out", crops], in: ws)
    #expect(cropExport.status == 0, "\(cropExport.stderr)")
    let face = try upright.cropped(
      to: Box(x: Int(reference[0]), y: Int(reference[1]), width: Int(reference[2]), height: Int(reference[3])),
      width: Int(reference[2]), height: Int(reference[3]))
    // Crops of equal pixels (the PNGs') are one object: at least one file, each the face.
    let files = try FileManager.default.contentsOfDirectory(atPath: crops + "/images/all")
    #expect(!files.isEmpty)
    for file in files {
      let image = try DecodedImage(
        bytes: Array(try Data(contentsOf: URL(fileURLWithPath: crops + "/images/all/" + file))))
      #expect(try Self.difference(image, face) < 12, "\(file) is not the face")
    }

    // A VOC file written by a tool that read the pixels unturned (LabelImg before 1.8.4): its <size> is the stored
    // one, and the import's warning says the sides are swapped.
    let old = folder + "/old-labelimg"
    try FileManager.default.createDirectory(atPath: old, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: photos + "/o6.jpg", toPath: old + "/o6.jpg")
    let xml =
      "<annotation><folder>old-labelimg</folder><filename>o6.jpg</filename><size><width>\(height)</width>"
      + "<height>\(width)</height><depth>3</depth></size><object><name>face</name><bndbox><xmin>89</xmin>"
      + "<ymin>110</ymin><xmax>310</xmax><ymax>272</ymax></bndbox></object></annotation>\n"
    try xml.write(toFile: old + "/o6.xml", atomically: true, encoding: .utf8)
    let vocImport = try TestSupport.run(["import", old, "--layout", "voc", "--json"], in: ws)
    #expect(vocImport.status == 0, "\(vocImport.stderr)")
    #expect(
      vocImport.stdout.contains("says \(height)×\(width) but o6.jpg is \(width)×\(height) (width and height swapped"),
      "\(vocImport.stdout)")
  }

  /// The text of the first `<name>` element of `xml`.
  static func field(_ xml: String, _ name: String) -> String? {
    guard let start = xml.range(of: "<\(name)>"),
      let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
    else { return nil }
    return String(xml[start.upperBound..<end.lowerBound])
  }
}
