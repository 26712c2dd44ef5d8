import Foundation
import Ingest

extension DecodedImage {
  /// A small JPEG of encoded image bytes, its longer side at most `side` pixels, or nil when the bytes
  /// cannot be decoded. JPEGs are decoded DCT-scaled (1/2, 1/4, 1/8) when that still covers `side`, so a
  /// thumbnail of a large photograph costs a fraction of its full decode; the header is checked first, and
  /// an image whose decode would exceed `maxDecodedPixels` (a 13000×13000 PNG is 507 MB decoded) gives nil,
  /// so thumbnails made in parallel stay within bounded memory.
  public static func thumbnailJPEG(
    of bytes: UnsafeRawBufferPointer, side: Int, quality: Int = 75, maxPixels: Int = ImageHeader.defaultMaxPixels,
    maxDecodedPixels: Int = 40_000_000
  ) -> [UInt8]? {
    thumbnail(of: bytes, side: side, quality: quality, maxPixels: maxPixels, maxDecodedPixels: maxDecodedPixels)?.jpeg
  }

  /// ``thumbnailJPEG(of:side:quality:maxPixels:maxDecodedPixels:)`` and the decoder's warnings
  /// (``DecodedImage/warnings``), for a report.
  public static func thumbnail(
    of bytes: UnsafeRawBufferPointer, side: Int, quality: Int = 75, maxPixels: Int = ImageHeader.defaultMaxPixels,
    maxDecodedPixels: Int = 40_000_000
  ) -> (jpeg: [UInt8], warnings: [String])? {
    guard side > 0, let header = try? checkHeader(bytes, maxPixels: maxPixels) else { return nil }
    var reduction = 1
    if header.format == .jpeg {
      while reduction < 8 && max(header.width, header.height) / (reduction * 2) >= side { reduction *= 2 }
    }
    guard (header.width / reduction) * (header.height / reduction) <= maxDecodedPixels else { return nil }
    guard let image = try? DecodedImage(bytes: bytes, grayscale: false, reduction: reduction, maxPixels: maxPixels)
    else { return nil }
    let scale = min(1, Double(side) / Double(max(image.width, image.height)))
    let w = max(1, Int(Double(image.width) * scale))
    let h = max(1, Int(Double(image.height) * scale))
    guard let small = try? image.resized(width: w, height: h, interpolation: .area) else { return nil }
    guard let jpeg = try? small.encoded(.jpeg(quality: quality)) else { return nil }
    return (jpeg, image.warnings)
  }
}
