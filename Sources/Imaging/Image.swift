import Catalog
import Foundation
import Ingest
import OpenCVShim

/// OpenCV's version string, e.g. "4.6.0".
public var openCVVersion: String { String(cString: afs_opencv_version()) }

/// Opens OpenCV's image codecs, which are loaded on the first encode or decode of a format other than JPEG and PNG
/// rather than at start-up (`doctor` checks them); throws with the dynamic linker's reason when they cannot be.
public func checkImageCodecs() throws {
  var error = afs_error()
  try check(afs_image_codecs(&error), error)
}

/// A decoded image held by OpenCV (BGR or grayscale). Freed when the value goes away.
///
/// Immutable: every operation returns a new image and nothing writes the pixels after `init`, so one
/// image can be read from several threads. Drawing happens on an ``ImageCanvas``.
public final class DecodedImage: @unchecked Sendable {
  package let handle: OpaquePointer
  /// What the decoder warned about while decoding (libjpeg's "Corrupt JPEG data: 2 extraneous bytes before marker
  /// 0xd9", libpng's "iCCP: known incorrect sRGB profile", ...): formatted, deduplicated, at most a few. Empty for
  /// a clean decode and for images not made by decoding. Nothing of it is printed; callers put it in their report.
  public let warnings: [String]

  package init(handle: OpaquePointer, warnings: [String] = []) {
    self.handle = handle
    self.warnings = warnings
  }

  deinit { afs_image_free(handle) }

  /// Decodes encoded bytes after checking the header: only allow-listed formats, and never more than
  /// `maxPixels` (so a header bomb is refused before OpenCV allocates).
  public convenience init(
    bytes: [UInt8], grayscale: Bool = false, maxPixels: Int = ImageHeader.defaultMaxPixels
  ) throws {
    try self.init(
      decoding: bytes.withUnsafeBytes { try Self.decode($0, grayscale: grayscale, reduction: 1, maxPixels: maxPixels) })
  }

  convenience init(decoding result: (handle: OpaquePointer, warnings: [String])) {
    self.init(handle: result.handle, warnings: result.warnings)
  }

  /// The one decode: header checked (allow-list, `maxPixels`), then the shim within its work budget (JPEG scans,
  /// passes and memory; PNG text chunks skipped); the decoder's warnings returned with the image. A fatal decoder
  /// error throws with the decoder's message and the warnings before it; a file over the budget, `overBudget`.
  static func decode(
    _ bytes: UnsafeRawBufferPointer, grayscale: Bool, reduction: Int, maxPixels: Int, decoder: ImageDecoder = .builtIn
  ) throws -> (handle: OpaquePointer, warnings: [String]) {
    try checkHeader(bytes, maxPixels: maxPixels)
    let (out, warnings) = try shimDecode { out, text, error in
      afs_image_decode(
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count, grayscale ? 0 : 1, Int32(reduction),
        decoder.rawValue, &out, &text, &error)
    }
    return (try made(out), warnings)
  }

  /// The part inside `rect` of the image as shown (EXIF orientation applied), in colour, and the shown image's
  /// size; nil part when `rect` lies outside it. Only the rows the part spans are held (JPEG, PNG; other formats
  /// are decoded whole), so a crop of a huge photo costs its band, not the photo. Header check and work budget as
  /// `decode`'s.
  public static func decodePart(_ bytes: UnsafeRawBufferPointer, rect: Box, maxPixels: Int) throws -> (
    part: DecodedImage?, width: Int, height: Int
  ) {
    try checkHeader(bytes, maxPixels: maxPixels)
    func int32(_ value: Int) -> Int32 { Int32(clamping: value) }
    var width: Int32 = 0
    var height: Int32 = 0
    let (out, warnings) = try shimDecode { out, text, error in
      afs_image_decode_region(
        bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count,
        afs_rect(x: int32(rect.x), y: int32(rect.y), width: int32(rect.width), height: int32(rect.height)), &out,
        &width, &height, &text, &error)
    }
    return (out.map { DecodedImage(handle: $0, warnings: warnings) }, Int(width), Int(height))
  }

  /// Runs one of the shim's decodes and returns its image (nil when it made none) and the decoder's warnings; a
  /// fatal decoder error throws `undecodable` with the decoder's message and the warnings before it, a file over
  /// the work budget `overBudget`.
  private static func shimDecode(
    _ call: (inout OpaquePointer?, inout UnsafeMutablePointer<CChar>?, inout afs_error) -> Int32
  ) throws -> (OpaquePointer?, [String]) {
    var error = afs_error()
    var out: OpaquePointer?
    var text: UnsafeMutablePointer<CChar>?
    let rc = call(&out, &text, &error)
    defer { afs_buffer_free(text) }
    let warnings = text.map { String(cString: $0).split(separator: "\n").map(String.init) } ?? []
    if rc != 0, let made = out {
      afs_image_free(made)
      out = nil
    }
    do {
      try check(rc, error)
    } catch ImagingError.opencv(let code, let message) where code == Int32(AFS_ERR_DECODE) {
      throw ImagingError.undecodable(([message] + warnings).joined(separator: "; "))
    } catch ImagingError.opencv(let code, let message) where code == Int32(AFS_ERR_BUDGET) {
      throw ImagingError.overBudget(message)
    }
    return (out, warnings)
  }

  public var width: Int { size.width }
  public var height: Int { size.height }
  public var channels: Int { size.channels }

  var size: (width: Int, height: Int, channels: Int) {
    var w: Int32 = 0
    var h: Int32 = 0
    var c: Int32 = 0
    afs_image_size(handle, &w, &h, &c)
    return (Int(w), Int(h), Int(c))
  }

  /// The part inside `rect` (clamped to the image), resized to `width`×`height`.
  public func cropped(to rect: Box, width: Int, height: Int) throws -> DecodedImage {
    var error = afs_error()
    var out: OpaquePointer?
    let rc = afs_image_crop_resize(
      handle, afs_rect(x: Int32(rect.x), y: Int32(rect.y), width: Int32(rect.width), height: Int32(rect.height)),
      Int32(width), Int32(height), &out, &error)
    try check(rc, error)
    return DecodedImage(handle: try made(out))
  }

  /// A copy with every value mapped to `contrast * v + brightness`, optionally mirrored.
  public func adjusted(contrast: Double = 1, brightness: Double = 0, mirrored: Bool = false) throws
    -> DecodedImage
  {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_adjust(handle, contrast, brightness, mirrored ? 1 : 0, &out, &error), error)
    return DecodedImage(handle: try made(out))
  }

  public enum Encoding: Sendable {
    case jpeg(quality: Int)
    case png
  }

  /// The image encoded as JPEG or PNG.
  public func encoded(_ encoding: Encoding) throws -> [UInt8] {
    var error = afs_error()
    var out: UnsafeMutablePointer<UInt8>?
    var length = 0
    let rc: Int32
    switch encoding {
    case .jpeg(let quality): rc = afs_image_encode(handle, ".jpg", Int32(quality), &out, &length, &error)
    case .png: rc = afs_image_encode(handle, ".png", 0, &out, &length, &error)
    }
    try check(rc, error)
    defer { afs_buffer_free(out) }
    return Array(UnsafeBufferPointer(start: out, count: length))
  }
}

/// An image being drawn on: the one form of image whose pixels change. Not `Sendable` (one thread draws);
/// ``finished()`` hands the pixels over as an immutable ``DecodedImage`` without copying them.
public final class ImageCanvas {
  /// Nil once `finished()` has handed the pixels over.
  private var pixels: OpaquePointer?

  /// A canvas holding a copy of `image`.
  public init(copying image: DecodedImage) throws {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_adjust(image.handle, 1, 0, 0, &out, &error), error)
    guard let out else { throw ImagingError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    pixels = out
  }

  /// A BGR canvas of one gray level.
  public convenience init(width: Int, height: Int, gray: Int) throws {
    try self.init(copying: try DecodedImage.blank(width: width, height: height, gray: gray))
  }

  deinit { if let pixels { afs_image_free(pixels) } }

  var handle: OpaquePointer {
    guard let pixels else { preconditionFailure("ImageCanvas used after finished()") }
    return pixels
  }

  /// The drawing as an immutable image; the canvas cannot be drawn on afterwards.
  public func finished() -> DecodedImage {
    let image = DecodedImage(handle: handle)
    pixels = nil
    return image
  }

  /// Paints a filled, rotated ellipse (BGR colour).
  public func fillEllipse(
    centerX: Int, centerY: Int, radiusX: Int, radiusY: Int, angle: Double = 0,
    blue: Int, green: Int, red: Int
  ) throws {
    var error = afs_error()
    try check(
      afs_image_fill_ellipse(
        handle, Int32(centerX), Int32(centerY), Int32(radiusX), Int32(radiusY), angle, Int32(blue),
        Int32(green), Int32(red), &error), error)
  }
}

@available(*, unavailable)
extension ImageCanvas: Sendable {}

/// Which decoder reads JPEG and PNG.
public enum ImageDecoder: Int32, Sendable {
  /// libjpeg(-turbo) and libpng called directly, with the pixels cv::imdecode gives and the warnings returned in
  /// ``DecodedImage/warnings``; other formats through OpenCV's imgcodecs.
  case builtIn = 0
  /// Everything through cv::imdecode (whose libjpeg/libpng warnings go to stderr): the reference the tests compare
  /// with, and a fallback.
  case openCV = 1
}

/// Throws `ImagingError.opencv` with the shim's message when `rc` is not 0.
package func check(_ rc: Int32, _ error: afs_error) throws {
  guard rc != 0 else { return }
  var copy = error
  let message = withUnsafeBytes(of: &copy.message) { raw in
    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
  }
  throw ImagingError.opencv(code: rc, message: message)
}

/// Turns OpenCV's own worker threads on or off (0 = off: callers run one image per task).
public func setOpenCVThreads(_ count: Int) {
  afs_set_num_threads(Int32(count))
}

/// The image a shim call that succeeded handed back; a success without one is an OpenCV error too.
func made(_ out: OpaquePointer?) throws -> OpaquePointer {
  guard let out else { throw ImagingError.opencv(code: -1, message: "the image operation returned no image") }
  return out
}
