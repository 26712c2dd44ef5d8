import Catalog
import Foundation
import Ingest
import OpenCVShim

/// How `DecodedImage.resized(_:width:height:interpolation:)` samples pixels (OpenCV's INTER_*).
public enum Interpolation: Int32, Sendable {
  case nearest = 0
  case linear = 1
  case cubic = 2
  /// Pixel-area averaging: the right choice for shrinking.
  case area = 3
  case lanczos4 = 4
}

extension DecodedImage {
  /// Decodes at 1/`reduction` of the header's size (1, 2, 4 or 8): JPEG is decoded DCT-scaled by
  /// libjpeg, which skips most of the work; other formats are decoded whole and then shrunk. The header
  /// is checked first, like `init(bytes:grayscale:maxPixels:)`.
  public convenience init(
    bytes: UnsafeRawBufferPointer, grayscale: Bool, reduction: Int,
    maxPixels: Int = ImageHeader.defaultMaxPixels, decoder: ImageDecoder = .builtIn
  ) throws {
    self.init(
      decoding: try Self.decode(
        bytes, grayscale: grayscale, reduction: reduction, maxPixels: maxPixels, decoder: decoder))
  }

  /// The header's format, width and height, refusing non-images and header bombs before any decode.
  @discardableResult
  public static func checkHeader(_ bytes: UnsafeRawBufferPointer, maxPixels: Int) throws -> (
    format: ImageFormat, width: Int, height: Int
  ) {
    switch ImageHeader.sniff(bytes) {
    case .notImage(let kind): throw ImagingError.notAnImage("looks like \(kind)")
    case .malformed(_, let reason): throw ImagingError.notAnImage(reason)
    case .image(let format, let width, let height, _):
      if width * height > maxPixels {
        throw ImagingError.tooManyPixels(width: width, height: height, limit: maxPixels)
      }
      return (format, width, height)
    }
  }

  /// A grayscale copy (OpenCV's weights 0.299 R + 0.587 G + 0.114 B).
  public func grayscale() throws -> DecodedImage {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_grayscale(handle, &out, &error), error)
    guard let out else { throw ImagingError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    return DecodedImage(handle: out)
  }

  /// The part inside `region` (clamped to the image) resized to `width`×`height`.
  public func resized(
    _ region: Box? = nil, width: Int, height: Int, interpolation: Interpolation
  ) throws -> DecodedImage {
    let rect = region ?? Box(x: 0, y: 0, width: self.width, height: self.height)
    var error = afs_error()
    var out: OpaquePointer?
    let rc = afs_image_resize(
      handle, afs_rect(x: Int32(rect.x), y: Int32(rect.y), width: Int32(rect.width), height: Int32(rect.height)),
      Int32(width), Int32(height), interpolation.rawValue, &out, &error)
    try check(rc, error)
    guard let out else { throw ImagingError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    return DecodedImage(handle: out)
  }

  /// The 8-bit pixels, rows top to bottom, channels interleaved in BGR order.
  public func pixels() throws -> [UInt8] {
    let (w, h, c) = size
    let count = w * h * c
    var error = afs_error()
    var rc: Int32 = 0
    let values = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
      rc = afs_image_copy_pixels(handle, buffer.baseAddress, count, &error)
      initialized = count
    }
    try check(rc, error)
    return values
  }
}

/// The discrete cosine transform, through OpenCV.
public enum DiscreteCosineTransform {
  /// The 2-D DCT-II of a `rows`×`cols` row-major matrix with orthonormal scaling (as `cv::dct`):
  /// coefficient (0, 0) is the sum divided by √(rows·cols). Sizes must be even.
  public static func forward2D(_ values: [Double], rows: Int, cols: Int) throws -> [Double] {
    precondition(values.count == rows * cols, "matrix size mismatch")
    var error = afs_error()
    var rc: Int32 = 0
    let out = [Double](unsafeUninitializedCapacity: values.count) { buffer, initialized in
      rc = values.withUnsafeBufferPointer {
        afs_dct2($0.baseAddress, Int32(rows), Int32(cols), buffer.baseAddress, &error)
      }
      initialized = values.count
    }
    try check(rc, error)
    return out
  }
}
