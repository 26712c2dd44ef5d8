import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

@testable import Ingest

@Suite("Image headers: magic bytes, dimensions, damage — without decoding")
struct ImageHeaderTests {
  @Test("real JPEG and PNG encodings give their size and no damage")
  func realEncodings() throws {
    let image = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
    let crop = try image.cropped(to: Box(x: 0, y: 0, width: 300, height: 200), width: 321, height: 123)
    #expect(
      ImageHeader.sniff(try crop.encoded(.jpeg(quality: 80)))
        == .image(format: .jpeg, width: 321, height: 123, damage: nil))
    #expect(ImageHeader.sniff(try crop.encoded(.png)) == .image(format: .png, width: 321, height: 123, damage: nil))
    let original = try TestSupport.photo("messi5.jpg")
    #expect(ImageHeader.sniff(original) == .image(format: .jpeg, width: image.width, height: image.height, damage: nil))
  }

  @Test("a truncated JPEG or PNG is flagged as damaged, keeping its size")
  func truncated() throws {
    let jpeg = try TestSupport.photo("messi5.jpg")
    guard case .image(.jpeg, _, _, let damage?) = ImageHeader.sniff(Array(jpeg.prefix(jpeg.count / 2))) else {
      Issue.record("truncated JPEG not flagged")
      return
    }
    #expect(damage.contains("truncated JPEG"))
    // Only the final FF D9 missing: still flagged.
    guard case .image(.jpeg, _, _, .some) = ImageHeader.sniff(Array(jpeg.dropLast(2))) else {
      Issue.record("JPEG without its end marker not flagged")
      return
    }
    let png = try DecodedImage(bytes: jpeg).encoded(.png)
    guard case .image(.png, _, _, .some) = ImageHeader.sniff(Array(png.prefix(png.count - 20))) else {
      Issue.record("truncated PNG not flagged")
      return
    }
  }

  @Test("header bombs are read from the header: PNG 100000×100000 and JPEG SOF 65500×65500")
  func headerBombs() throws {
    // A PNG signature, an IHDR declaring 100000×100000, and nothing else.
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
    png += Array("IHDR".utf8) + be32(100_000) + be32(100_000) + [8, 2, 0, 0, 0] + [0, 0, 0, 0]
    png += [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
    #expect(ImageHeader.sniff(png) == .image(format: .png, width: 100_000, height: 100_000, damage: nil))
    // A real JPEG whose SOF0 is rewritten to 65500×65500.
    var jpeg = try TestSupport.photo("messi5.jpg")
    let sof = try #require(jpeg.indices.first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 })
    jpeg[sof + 5] = 0xFF
    jpeg[sof + 6] = 0xDC
    jpeg[sof + 7] = 0xFF
    jpeg[sof + 8] = 0xDC
    #expect(ImageHeader.sniff(jpeg) == .image(format: .jpeg, width: 65_500, height: 65_500, damage: nil))
    // Decoding refuses both before OpenCV allocates.
    #expect(throws: ImagingError.tooManyPixels(width: 65_500, height: 65_500, limit: ImageHeader.defaultMaxPixels)) {
      try DecodedImage(bytes: jpeg)
    }
  }

  @Test(
    "GIF, BMP and WebP headers",
    arguments: [
      (gif(3, 2), ImageFormat.gif, 3, 2),
      (bmp(5, -4), ImageFormat.bmp, 5, 4),
      (webpLossless(17, 9), ImageFormat.webp, 17, 9),
    ])
  func otherFormats(bytes: [UInt8], format: ImageFormat, width: Int, height: Int) {
    #expect(ImageHeader.sniff(bytes) == .image(format: format, width: width, height: height, damage: nil))
  }

  @Test(
    "HTML, SVG, PPM, TIFF, PDF and text named .jpg are not images",
    arguments: [
      ("<!DOCTYPE html><html><body>blocked</body></html>", "html"),
      ("\n  <html><head></head></html>", "html"),
      ("<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"/>", "svg"),
      ("<svg width=\"10\" height=\"10\"></svg>", "svg"),
      ("P6\n2 2\n255\n............", "ppm"),
      ("II*\u{0}\u{8}\u{0}\u{0}\u{0}", "tiff"),
      ("%PDF-1.4\n", "pdf"),
      ("just some words", "unknown"),
      ("", "empty"),
    ])
  func notImages(text: String, kind: String) {
    #expect(ImageHeader.sniff(Array(text.utf8)) == .notImage(kind: kind))
  }

  @Test("a JPEG signature with garbage after it is malformed, not an image")
  func malformed() {
    guard case .malformed(.jpeg, _) = ImageHeader.sniff([0xFF, 0xD8, 0xFF, 0xE0, 0x00]) else {
      Issue.record("expected malformed")
      return
    }
  }
}

func be32(_ value: Int) -> [UInt8] {
  [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
}

func le32(_ value: Int) -> [UInt8] {
  [UInt8(value & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 24 & 0xFF)]
}

/// A complete 1-colour GIF89a.
func gif(_ width: Int, _ height: Int) -> [UInt8] {
  Array("GIF89a".utf8) + [UInt8(width), 0, UInt8(height), 0, 0x80, 0, 0, 0, 0, 0, 255, 255, 255]
    + [0x2C, 0, 0, 0, 0, UInt8(width), 0, UInt8(height), 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B]
}

/// A 24-bit BMP (negative height = top-down rows).
func bmp(_ width: Int, _ height: Int) -> [UInt8] {
  let rowBytes = (width * 3 + 3) / 4 * 4
  let size = 54 + rowBytes * abs(height)
  var bytes: [UInt8] = Array("BM".utf8) + le32(size) + [0, 0, 0, 0] + le32(54) + le32(40)
  bytes += le32(width) + le32(height & 0xFFFF_FFFF) + [1, 0, 24, 0] + le32(0) + le32(rowBytes * abs(height))
  bytes += le32(2835) + le32(2835) + le32(0) + le32(0)
  return bytes + [UInt8](repeating: 0x7F, count: rowBytes * abs(height))
}

/// A VP8L (lossless) WebP header of the given size.
func webpLossless(_ width: Int, _ height: Int) -> [UInt8] {
  let bits = (width - 1) | (height - 1) << 14
  let payload: [UInt8] = [0x2F] + le32(bits) + [0, 0, 0, 0, 0]
  let chunk = Array("VP8L".utf8) + le32(payload.count) + payload
  return Array("RIFF".utf8) + le32(4 + chunk.count) + Array("WEBP".utf8) + chunk
}
