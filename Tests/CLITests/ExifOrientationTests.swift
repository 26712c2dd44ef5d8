import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// RELIABILITY.md case 48 (issue #25 item 12): one real face photo written in all eight EXIF orientations, as JPEG
/// (APP1) and as PNG (eXIf), each file displaying the same upright picture. Import, detection, crops and the VOC,
/// YOLO and COCO exports must all be in that upright frame, the same for all sixteen files.
@Suite("CLI: EXIF orientation 1-8 (boxes, crops, exports in the upright frame)")
struct ExifOrientationTests {
  /// A real photo (voc-facemask, CC0): 600×399, one face right of centre, so a quarter turn or a mirror moves it.
  static let photo = TestSupport.testdata + "/voc-facemask/images/maksssksksss525.png"

  /// Where displayed pixel (x, y) of a `width`×`height` upright image is stored under `orientation`, as the decoder
  /// (OpenCV's ApplyExifOrientation) turns stored pixels into displayed ones.
  static func stored(_ orientation: Int, x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
    switch orientation {
    case 2: (width - 1 - x, y)
    case 3: (width - 1 - x, height - 1 - y)
    case 4: (x, height - 1 - y)
    case 5: (y, x)
    case 6: (y, width - 1 - x)
    case 7: (height - 1 - y, width - 1 - x)
    case 8: (height - 1 - y, x)
    default: (x, y)
    }
  }

  /// An 8-bit RGB PNG of BGR `pixels` (stored deflate blocks), with an eXIf chunk before IDAT when `exif` is given.
  static func png(bgr pixels: [UInt8], width: Int, height: Int, exif: [UInt8]?) -> [UInt8] {
    var raw: [UInt8] = []
    raw.reserveCapacity((width * 3 + 1) * height)
    for y in 0..<height {
      raw.append(0)
      for x in 0..<width {
        let i = (y * width + x) * 3
        raw += [pixels[i + 2], pixels[i + 1], pixels[i]]
      }
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var start = 0
    repeat {
      let end = min(raw.count, start + 65_535)
      let length = end - start
      zlib += [end == raw.count ? 1 : 0, UInt8(length & 0xFF), UInt8(length >> 8)]
      zlib += [UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
      zlib += raw[start..<end]
      start = end
    } while start < raw.count
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in raw {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    zlib += TestSupport.bigEndian32(b << 16 | a)
    let header =
      TestSupport.bigEndian32(UInt32(width)) + TestSupport.bigEndian32(UInt32(height)) + [8, 2, 0, 0, 0]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + TestSupport.pngChunk("IHDR", header)
      + (exif.map { TestSupport.pngChunk("eXIf", $0) } ?? []) + TestSupport.pngChunk("IDAT", zlib)
      + TestSupport.pngChunk("IEND", [])
  }

  /// A TIFF header and IFD0 holding only the orientation tag, little-endian ("II") or big-endian ("MM").
  static func tiff(orientation: Int, intel: Bool) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { intel ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
    func u32(_ v: Int) -> [UInt8] { intel ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
    return (intel ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(1)
      + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
  }

  /// `jpeg` with an APP1 Exif segment right after its SOI marker.
  static func withExif(_ jpeg: [UInt8], _ tiff: [UInt8]) -> [UInt8] {
    let payload = Array("Exif".utf8) + [0, 0] + tiff
    let length = payload.count + 2
    return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
      + Array(jpeg[2...])
  }

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
    let pixels = try upright.pixels()
    #expect(width == 600 && height == 399 && pixels.count == width * height * 3)
    let photos = folder + "/photos"
    for orientation in 1...8 {
      let (sw, sh) = orientation >= 5 ? (height, width) : (width, height)
      var stored = [UInt8](repeating: 0, count: pixels.count)
      for y in 0..<height {
        for x in 0..<width {
          let s = Self.stored(orientation, x: x, y: y, width: width, height: height)
          for c in 0..<3 { stored[(s.y * sw + s.x) * 3 + c] = pixels[(y * width + x) * 3 + c] }
        }
      }
      let tiff = Self.tiff(orientation: orientation, intel: orientation % 2 == 0)
      let plain = Self.png(bgr: stored, width: sw, height: sh, exif: nil)
      let jpeg = try DecodedImage(bytes: plain).encoded(.jpeg(quality: 95))
      try TestSupport.write(Self.withExif(jpeg, tiff), to: photos + "/o\(orientation).jpg")
      try TestSupport.write(
        Self.png(bgr: stored, width: sw, height: sh, exif: tiff), to: photos + "/p\(orientation).png")
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
  }

  /// The text of the first `<name>` element of `xml`.
  static func field(_ xml: String, _ name: String) -> String? {
    guard let start = xml.range(of: "<\(name)>"),
      let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex)
    else { return nil }
    return String(xml[start.upperBound..<end.lowerBound])
  }
}
