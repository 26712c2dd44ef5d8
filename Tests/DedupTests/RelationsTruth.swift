import Catalog
import Foundation
import Imaging

/// The ground truth of the two relations, from real photos: face crops of different people (cut with the boxes
/// of Tests/Fixtures/voc-facemask, squared and enlarged like `faces crop`, all 96 × 96: aligned faces that hash
/// alike) and quadrant tiles of Debian's opencv-doc photos, each with copies that must be *duplicates* (resized,
/// JPEG q40, brightened, cropped 3 %) and copies that must be *related* (mirrored; for faces, a painted mask as
/// `sample-images faces` paints it).
///
/// Two halves that share nothing: `tuning` (even-numbered voc images, even-numbered photo tiles) chose the
/// thresholds of `RelationThresholds`; `measuring` (the odd ones) checks them.
enum RelationsTruth {
  enum Half: String, Sendable { case tuning, measuring }

  enum Edit: String, CaseIterable, Sendable {
    case original
    case resize50 = "resize 50%"
    case jpeg40 = "jpeg q40"
    case brighten10 = "brighten 10%"
    case crop3 = "crop 3%"
    case mirror
    case painted = "painted mask"

    /// The relation the copy must have with its original.
    var expected: String { [.mirror, .painted].contains(self) ? "related" : "duplicate" }
  }

  struct Item: Sendable {
    var name: String
    /// One original and its copies share a group; different groups are different people or pictures.
    var group: Int
    var isFace: Bool
    var edit: Edit
    var bytes: [UInt8]
  }

  static let faceSide = 96

  /// The face boxes of one VOC file (xmin, ymin, xmax, ymax).
  static func boxes(_ xml: String) -> [(Int, Int, Int, Int)] {
    func values(_ tag: String) -> [Int] {
      xml.components(separatedBy: "<\(tag)>").dropFirst().compactMap {
        Int($0.prefix { $0.isNumber })
      }
    }
    let (x0, y0, x1, y1) = (values("xmin"), values("ymin"), values("xmax"), values("ymax"))
    return (0..<min(x0.count, y0.count, x1.count, y1.count)).map { (x0[$0], y0[$0], x1[$0], y1[$0]) }
  }

  /// The face boxes of one half's voc images with their photo, named `stem#n`: every box at least 16 px on its short
  /// side.
  static func faceBoxes(_ half: Half) throws -> [(name: String, photo: DecodedImage, box: (Int, Int, Int, Int))] {
    var result: [(name: String, photo: DecodedImage, box: (Int, Int, Int, Int))] = []
    let images = TestPaths.files(in: TestPaths.vocImages)
    for (index, url) in images.enumerated() where (index % 2 == 0) == (half == .tuning) {
      let stem = url.deletingPathExtension().lastPathComponent
      let xmlURL = TestPaths.testdata.appendingPathComponent("voc-facemask/annotations/\(stem).xml")
      guard let xml = try? String(contentsOf: xmlURL, encoding: .utf8) else { continue }
      let photo = try DecodedImage(bytes: try TestPaths.bytes(url))
      for (n, box) in boxes(xml).enumerated() where min(box.2 - box.0, box.3 - box.1) >= 16 {
        result.append(("\(stem)#\(n)", photo, box))
      }
    }
    return result
  }

  /// Face crops of one half: every box squared around its centre at 1.3 × its long side, resized to 96 × 96.
  static func faces(_ half: Half) throws -> [(String, DecodedImage)] {
    var result: [(String, DecodedImage)] = []
    for (name, photo, (x0, y0, x1, y1)) in try faceBoxes(half) {
      let side = Int(Double(max(x1 - x0, y1 - y0)) * 1.3)
      let cx = (x0 + x1) / 2
      let cy = (y0 + y1) / 2
      let x = max(0, min(photo.width - side, cx - side / 2))
      let y = max(0, min(photo.height - side, cy - side / 2))
      guard side <= min(photo.width, photo.height) else { continue }
      result.append(
        (name, try photo.cropped(to: Box(x: x, y: y, width: side, height: side), width: faceSide, height: faceSide)))
    }
    return result
  }

  /// Photo tiles of one half (of GroundTruth's photos, every other tile).
  static func photos(_ half: Half) throws -> [(String, DecodedImage)] {
    try GroundTruth.originals(includeVOC: false).enumerated().filter { ($0.offset % 2 == 0) == (half == .tuning) }
      .map(\.element)
  }

  /// A copy of `image` under `edit`.
  static func copy(_ image: DecodedImage, _ edit: Edit, isFace: Bool) throws -> [UInt8] {
    switch edit {
    case .original: return try GroundTruth.copy(image, .original)
    case .resize50: return try GroundTruth.copy(image, .resize50)
    case .jpeg40: return try GroundTruth.copy(image, .jpeg40)
    case .brighten10: return try GroundTruth.copy(image, .brighten10)
    case .crop3: return try GroundTruth.copy(image, .crop3)
    case .mirror: return try image.adjusted(mirrored: true).encoded(.jpeg(quality: 90))
    case .painted:
      // As `sample-images faces` paints it: an ellipse over nose, mouth and chin of a face filling 1/1.3 of the crop.
      let size = image.width
      let faceSide = Double(size) / 1.3
      let canvas = try ImageCanvas(copying: image)
      try canvas.fillEllipse(
        centerX: size / 2, centerY: Int(Double(image.height) / 2 + faceSide * 0.28),
        radiusX: Int(faceSide * 0.42), radiusY: Int(faceSide * 0.26), blue: 230, green: 200, red: 150)
      return try canvas.finished().encoded(.jpeg(quality: 90))
    }
  }

  /// Every original of the half and its copies (painted masks for faces only).
  static func items(_ half: Half, faces includeFaces: Bool = true, photos includePhotos: Bool = true) throws
    -> [Item]
  {
    var originals: [(String, DecodedImage, Bool)] = []
    if includeFaces { originals += try faces(half).map { ($0.0, $0.1, true) } }
    if includePhotos { originals += try photos(half).map { ($0.0, $0.1, false) } }
    var items: [Item] = []
    for (group, (name, image, isFace)) in originals.enumerated() {
      for edit in Edit.allCases where edit != .painted || isFace {
        items.append(
          Item(name: name, group: group, isFace: isFace, edit: edit, bytes: try copy(image, edit, isFace: isFace)))
      }
    }
    return items
  }
}
