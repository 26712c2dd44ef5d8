import Foundation

/// A rectangle in image pixels (x, y of the top-left corner).
public struct PixelRect: Sendable, Hashable, Codable {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int

  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }
}

extension PixelRect {
  public var area: Double { Double(max(0, width)) * Double(max(0, height)) }

  /// Intersection over union.
  public func iou(_ other: PixelRect) -> Double {
    let x1 = max(x, other.x)
    let y1 = max(y, other.y)
    let x2 = min(x + width, other.x + other.width)
    let y2 = min(y + height, other.y + other.height)
    let inter = Double(max(0, x2 - x1)) * Double(max(0, y2 - y1))
    let union = area + other.area - inter
    return union > 0 ? inter / union : 0
  }

  package func scaled(by factor: Double) -> PixelRect {
    PixelRect(
      x: Int((Double(x) * factor).rounded()), y: Int((Double(y) * factor).rounded()),
      width: Int((Double(width) * factor).rounded()), height: Int((Double(height) * factor).rounded()))
  }
}

/// An image a detector could not read, and why.
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
