import Catalog
import Foundation
import Imaging

/// A labelled near-duplicate set made from real photographs: originals (quadrant tiles of Debian's
/// opencv-doc photos, and the voc-facemask images in Tests/Fixtures) and, of each, four
/// copies: resized to 50 %, re-encoded at JPEG quality 40, cropped 3 % at each edge, brightened 10 %.
/// Tiles of one photo show different parts of it and count as unrelated to each other.
enum GroundTruth {
  enum Transform: String, CaseIterable, Sendable {
    case original
    case resize50 = "resize 50%"
    case jpeg40 = "jpeg q40"
    case crop3 = "crop 3%"
    case brighten10 = "brighten 10%"
  }

  struct Item: Sendable {
    var name: String
    var group: Int
    var transform: Transform
    var bytes: [UInt8]
  }

  /// Photos with no near-duplicate among them (of stereo pairs and sequences, one).
  static let photoNames = [
    "aero1.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg", "basketball1.png", "board.jpg", "building.jpg",
    "butterfly.jpg", "cards.png", "chicky_512.png", "ela_original.jpg", "fruits.jpg", "graf1.png",
    "HappyFish.jpg", "home.jpg", "leuvenA.jpg", "licenseplate_motion.jpg", "messi5.jpg", "orange.jpg",
    "rubberwhale1.png", "smarties.png", "squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg", "left01.jpg",
    "pca_test1.jpg", "Blender_Suzanne1.jpg", "box_in_scene.png", "sudoku.png",
  ]

  static func originals(includeVOC: Bool = true) throws -> [(String, DecodedImage)] {
    var result: [(String, DecodedImage)] = []
    for name in photoNames {
      let url = TestPaths.opencvPhotos.appendingPathComponent(name)
      guard let bytes = try? TestPaths.bytes(url) else { continue }
      let photo = try DecodedImage(bytes: bytes)
      let w = photo.width / 2
      let h = photo.height / 2
      if min(w, h) >= 120 {
        for (i, (x, y)) in [(0, 0), (w, 0), (0, h), (w, h)].enumerated() {
          result.append(
            ("\(name)#\(i)", try photo.cropped(to: Box(x: x, y: y, width: w, height: h), width: w, height: h)))
        }
      } else {
        result.append((name, photo))
      }
    }
    if includeVOC {
      for url in TestPaths.files(in: TestPaths.vocImages) {
        result.append((url.lastPathComponent, try DecodedImage(bytes: try TestPaths.bytes(url))))
      }
    }
    return result
  }

  static func copy(_ image: DecodedImage, _ transform: Transform) throws -> [UInt8] {
    let w = image.width
    let h = image.height
    switch transform {
    case .original: return try image.encoded(.jpeg(quality: 90))
    case .resize50:
      return try image.cropped(to: Box(x: 0, y: 0, width: w, height: h), width: w / 2, height: h / 2)
        .encoded(.jpeg(quality: 90))
    case .jpeg40: return try image.encoded(.jpeg(quality: 40))
    case .crop3:
      let dx = Int((Double(w) * 0.03).rounded())
      let dy = Int((Double(h) * 0.03).rounded())
      return try image.cropped(
        to: Box(x: dx, y: dy, width: w - 2 * dx, height: h - 2 * dy), width: w - 2 * dx, height: h - 2 * dy
      ).encoded(.jpeg(quality: 90))
    case .brighten10: return try image.adjusted(contrast: 1.1).encoded(.jpeg(quality: 90))
    }
  }

  static func items(includeVOC: Bool = true) throws -> [Item] {
    var items: [Item] = []
    for (group, (name, image)) in try originals(includeVOC: includeVOC).enumerated() {
      for transform in Transform.allCases {
        items.append(Item(name: name, group: group, transform: transform, bytes: try copy(image, transform)))
      }
    }
    return items
  }
}
