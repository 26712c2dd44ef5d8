import Catalog
import Dedup
import Foundation
import Imaging
import TestSupport

/// Painted-mask pairs as the public painted-mask sets make them (`N.jpg` and `N-with-mask.jpg`): a photo in which
/// a face is framed loosely and off-centre, and a copy with a mask pasted over the nose, mouth and chin at the face,
/// wherever it is in the frame. Unlike the aligned crops of `RelationsTruth`, the mask is not always in the lower
/// half of the image, so the whole-image hash and the upper-part hash both see some of it; what the two share is the
/// unpainted rest (eyes, hair, background).
///
/// Faces come from the boxes of Tests/Fixtures/voc-facemask, split into the same halves as `RelationsTruth`
/// (even-numbered images tune, odd-numbered measure). Framing is drawn from a seeded generator: the face's side is
/// 40–70 % of the frame's width, its centre anywhere from 30 % to 70 % across and 25 % to 55 % down; the frame is
/// 160 × 200 (portrait).
enum PaintedPortraits {
  struct Pair: Sendable {
    var name: String
    var original: [UInt8]
    var painted: [UInt8]
  }

  static let width = 160
  static let height = 200

  static func pairs(_ half: RelationsTruth.Half) throws -> [Pair] {
    var random = SeededGenerator(seed: half == .tuning ? 11 : 12)
    var result: [Pair] = []
    for (name, photo, (x0, y0, x1, y1)) in try RelationsTruth.faceBoxes(half) {
      let face = Double(max(x1 - x0, y1 - y0))
      let frameWidth = face / Double.random(in: 0.4...0.7, using: &random)
      let frameHeight = frameWidth * Double(height) / Double(width)
      let cx = Double(x0 + x1) / 2
      let cy = Double(y0 + y1) / 2
      let left = cx - frameWidth * Double.random(in: 0.3...0.7, using: &random)
      let top = cy - frameHeight * Double.random(in: 0.25...0.55, using: &random)
      let frame = Box(
        x: Int(left.rounded()), y: Int(top.rounded()), width: Int(frameWidth.rounded()),
        height: Int(frameHeight.rounded()))
      guard frame.x >= 0, frame.y >= 0, frame.x + frame.width <= photo.width,
        frame.y + frame.height <= photo.height
      else { continue }
      let image = try photo.cropped(to: frame, width: width, height: height)
      // The mask: nose to chin, most of the face's width (as MaskTheFace-style tools paste it), in frame pixels.
      let scale = Double(width) / frameWidth
      let canvas = try ImageCanvas(copying: image)
      try canvas.fillEllipse(
        centerX: Int(((cx - left) * scale).rounded()),
        centerY: Int(((Double(y0) + face * 0.72 - top) * scale).rounded()),
        radiusX: Int((face * 0.45 * scale).rounded()), radiusY: Int((face * 0.28 * scale).rounded()),
        blue: 230, green: 200, red: 150)
      result.append(
        Pair(
          name: name, original: try image.encoded(.jpeg(quality: 90)),
          painted: try canvas.finished().encoded(.jpeg(quality: 90))))
    }
    return result
  }

  /// The pairs as relation items: each original and its painted copy share a group.
  static func items(_ half: RelationsTruth.Half) throws -> [RelationsTruth.Item] {
    try pairs(half).enumerated().flatMap { group, pair in
      [
        RelationsTruth.Item(name: pair.name, group: group, isFace: true, edit: .original, bytes: pair.original),
        RelationsTruth.Item(name: pair.name, group: group, isFace: true, edit: .painted, bytes: pair.painted),
      ]
    }
  }
}
