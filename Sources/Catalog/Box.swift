import Foundation

/// A box in image pixels: `xmin ≤ xmax`, `ymin ≤ ymax` (LabelImg's convention: min ≥ 1 when LabelImg drew it,
/// max ≤ the image size), with its class when it has one. The one box type of every module: annotation files,
/// detectors, the review log, crops and exports all use it.
public struct Box: Sendable, Hashable, Codable {
  public var xmin: Double
  public var ymin: Double
  public var xmax: Double
  public var ymax: Double
  /// The class (a VOC `<name>`, a YOLO class, a review's label); nil when it has none.
  public var label: String?

  public init(xmin: Double, ymin: Double, xmax: Double, ymax: Double, label: String? = nil) {
    self.xmin = xmin
    self.ymin = ymin
    self.xmax = xmax
    self.ymax = ymax
    self.label = label
  }

  /// A box of whole pixels from its top-left corner and size (OpenCV's `Rect`).
  public init(x: Int, y: Int, width: Int, height: Int, label: String? = nil) {
    self.init(
      xmin: Double(x), ymin: Double(y), xmax: Double(x) + Double(width), ymax: Double(y) + Double(height), label: label)
  }

  /// The left edge in whole pixels (truncated).
  public var x: Int { Int(xmin) }
  /// The top edge in whole pixels (truncated).
  public var y: Int { Int(ymin) }
  /// The width in whole pixels (truncated).
  public var width: Int { Int(xmax - xmin) }
  /// The height in whole pixels (truncated).
  public var height: Int { Int(ymax - ymin) }

  /// The same box with another class.
  public func labeled(_ label: String?) -> Box {
    var copy = self
    copy.label = label
    return copy
  }

  /// The box as LabelImg would save it for an image of this size: clamped to the image, integer
  /// coordinates by truncation, mins at least 1 (`LabelFile.convert_points_to_bnd_box`).
  public func labelImgIntegers(width: Int, height: Int) -> Box {
    func fit(_ value: Double, _ limit: Int) -> Double {
      Double(Int(max(0, min(Double(limit), value))))
    }
    return Box(
      xmin: max(1, fit(xmin, width)), ymin: max(1, fit(ymin, height)),
      xmax: fit(xmax, width), ymax: fit(ymax, height), label: label)
  }

  /// The area in whole pixels (`width × height`, 0 for an empty box).
  public var area: Double { Double(max(0, width)) * Double(max(0, height)) }

  /// Intersection over union, in whole pixels.
  public func iou(_ other: Box) -> Double {
    let x1 = max(x, other.x)
    let y1 = max(y, other.y)
    let x2 = min(x + width, other.x + other.width)
    let y2 = min(y + height, other.y + other.height)
    let inter = Double(max(0, x2 - x1)) * Double(max(0, y2 - y1))
    let union = area + other.area - inter
    return union > 0 ? inter / union : 0
  }

  /// Every coordinate times `factor`, rounded to whole pixels.
  package func scaled(by factor: Double) -> Box {
    Box(
      x: Int((Double(x) * factor).rounded()), y: Int((Double(y) * factor).rounded()),
      width: Int((Double(width) * factor).rounded()), height: Int((Double(height) * factor).rounded()), label: label)
  }
}

/// An image a job could not read, and why.
public struct FaceImageIssue: Sendable, Codable, Hashable {
  public var imageID: Int64
  public var sha256: String
  public var reason: String

  public init(imageID: Int64, sha256: String, reason: String) {
    self.imageID = imageID
    self.sha256 = sha256
    self.reason = reason
  }
}
