import Catalog
import Foundation
import OpenCVShim

extension DecodedImage {
  /// The box grown by `margin` and made square, clamped to the image, scaled so
  /// its longer side is `side` pixels: a contact-sheet or review-page thumbnail.
  public func thumbnail(of box: Box, margin: Double, side: Int) throws -> DecodedImage {
    let rect = Catalog.cropRect(box, margin: margin, square: true, width: width, height: height)
    guard rect.width > 0, rect.height > 0 else { throw ImagingError.notAnImage("box outside its image") }
    let scale = Double(side) / Double(max(rect.width, rect.height))
    return try cropped(
      to: rect, width: max(1, Int(Double(rect.width) * scale)), height: max(1, Int(Double(rect.height) * scale)))
  }

  /// A new BGR image of one gray level.
  public static func blank(width: Int, height: Int, gray: Int) throws -> DecodedImage {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_blank(Int32(width), Int32(height), Int32(gray), Int32(gray), Int32(gray), &out, &error), error)
    guard let out else { throw ImagingError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    return DecodedImage(handle: out)
  }
}

extension ImageCanvas {
  /// Copies `image` in with its top-left corner at (x, y), clipped.
  public func paste(_ image: DecodedImage, x: Int, y: Int) throws {
    var error = afs_error()
    try check(afs_image_paste(handle, image.handle, Int32(x), Int32(y), &error), error)
  }

  /// Draws text with its baseline at (x, y).
  public func drawText(_ text: String, x: Int, y: Int, scale: Double, blue: Int, green: Int, red: Int) throws {
    var error = afs_error()
    try check(
      afs_image_draw_text(handle, text, Int32(x), Int32(y), scale, Int32(blue), Int32(green), Int32(red), 1, &error),
      error)
  }
}
