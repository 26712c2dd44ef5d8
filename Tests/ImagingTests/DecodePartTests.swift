import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// `decodePart` (what `faces crop` decodes) gives the pixels of the whole decode at the same place, EXIF
/// orientation applied, for every kind of JPEG and PNG: it only keeps fewer rows.
@Suite struct DecodePartTests {
  static let names =
    [
      "jpeg-420.jpg", "jpeg-444.jpg", "jpeg-cmyk.jpg", "jpeg-gray.jpg", "jpeg-progressive.jpg", "jpeg-small-odd.jpg",
      "jpeg-warning-truncated.jpg", "png-exif-orientation6.png", "png-gray1-interlaced.png", "png-rgb8-interlaced.png",
      "png-rgba16-interlaced.png", "png-palette4.png", "png-rgb16.png",
    ] + (1...8).map { "jpeg-exif-orientation\($0).jpg" }

  @Test(arguments: names)
  func sameAsTheWholeDecode(name: String) throws {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: TestSupport.testdata + "/codecs/" + name)))
    let whole = try DecodedImage(bytes: bytes)
    let (w, h) = (whole.width, whole.height)
    let rects = [
      Box(x: 3, y: 5, width: w / 2, height: h / 3), Box(x: w - 7, y: h - 9, width: 50, height: 50),
      Box(x: 0, y: 0, width: w, height: h), Box(x: w / 3, y: 0, width: 1, height: h),
    ]
    for rect in rects {
      let decoded = try bytes.withUnsafeBytes { try DecodedImage.decodePart($0, rect: rect, maxPixels: 178_956_970) }
      #expect(decoded.width == w && decoded.height == h, "\(name)")
      let x = max(0, rect.x)
      let y = max(0, rect.y)
      let clipped = Box(x: x, y: y, width: min(w, rect.x + rect.width) - x, height: min(h, rect.y + rect.height) - y)
      let expected = try whole.cropped(to: clipped, width: clipped.width, height: clipped.height)
      let part = try #require(decoded.part, "\(name) \(rect)")
      #expect(part.width == clipped.width && part.height == clipped.height, "\(name) \(rect)")
      #expect(try part.pixels() == expected.pixels(), "\(name) \(rect): pixels differ")
    }
    let outside = try bytes.withUnsafeBytes {
      try DecodedImage.decodePart($0, rect: Box(x: w + 5, y: 0, width: 10, height: 10), maxPixels: 178_956_970)
    }
    #expect(outside.part == nil && outside.width == w)
  }
}
