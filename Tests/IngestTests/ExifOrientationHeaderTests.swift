import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

@testable import Ingest

/// The header's size and the decoder's pixels must be in one frame for every way an EXIF orientation can be
/// written, kept or ignored (RELIABILITY.md case 48): `ImageHeader.sniff` finds the orientation as the decoder does.
@Suite("Image headers: EXIF orientation found exactly as the decoder finds it")
struct ExifOrientationHeaderTests {
  /// A TIFF block with IFD0 holding `entries` (tag, type, count, 4-byte value) in big-endian order.
  static func tiff(_ entries: [(tag: Int, type: Int, count: Int, value: [UInt8])], cut: Int = 0) -> [UInt8] {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    var bytes: [UInt8] = Array("MM".utf8) + u16(42) + TestSupport.bigEndian32(8) + u16(entries.count)
    for entry in entries {
      bytes += u16(entry.tag) + u16(entry.type) + TestSupport.bigEndian32(UInt32(entry.count)) + entry.value
    }
    bytes += TestSupport.bigEndian32(0)
    return Array(bytes.dropLast(cut))
  }

  static func orientation(_ value: Int) -> (tag: Int, type: Int, count: Int, value: [UInt8]) {
    (0x0112, 3, 1, [UInt8(value >> 8), UInt8(value & 0xFF), 0, 0])
  }

  /// `jpeg` with APP1 segments (each `payload` after the marker and length) right after SOI.
  static func jpeg(_ jpeg: [UInt8], app1 payloads: [[UInt8]]) -> [UInt8] {
    var segments: [UInt8] = []
    for payload in payloads {
      segments += [0xFF, 0xE1, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }
    return Array(jpeg[0..<2]) + segments + Array(jpeg[2...])
  }

  /// `png` with `chunk` after IHDR (`beforePixels`) or before IEND.
  static func png(_ png: [UInt8], _ chunk: [UInt8], beforePixels: Bool = true) -> [UInt8] {
    beforePixels ? Array(png[0..<33]) + chunk + Array(png[33...]) : Array(png.dropLast(12)) + chunk + png.suffix(12)
  }

  @Test("JPEG and PNG, kept or dropped orientation tags: the sniffed size is the decoded size")
  func sniffMatchesDecoder() throws {
    let photo = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
    let base = try photo.cropped(to: Box(x: 0, y: 0, width: 300, height: 200), width: 300, height: 200)
    let jpeg = try base.encoded(.jpeg(quality: 80))
    let png = try base.encoded(.png)
    let exif = Array("Exif".utf8) + [0, 0]
    let xmp = Array("http://ns.adobe.com/xap/1.0/\0<x/>".utf8)
    let six = Self.tiff([Self.orientation(6)])
    let eXIf = TestSupport.pngChunk("eXIf", six)
    var badCRC = eXIf
    badCRC[badCRC.count - 1] ^= 0xFF
    var mixedOrder = six
    mixedOrder[1] = UInt8(ascii: "I")
    let cases: [(name: String, bytes: [UInt8], swapped: Bool)] = [
      ("JPEG orientation 6", Self.jpeg(jpeg, app1: [exif + six]), true),
      ("JPEG orientation 3", Self.jpeg(jpeg, app1: [exif + Self.tiff([Self.orientation(3)])]), false),
      ("JPEG orientation 9 (not one)", Self.jpeg(jpeg, app1: [exif + Self.tiff([Self.orientation(9)])]), false),
      // libjpeg keeps the first APP1: an XMP packet before the Exif one hides it.
      ("JPEG XMP before Exif", Self.jpeg(jpeg, app1: [xmp, exif + six]), false),
      ("JPEG Exif before XMP", Self.jpeg(jpeg, app1: [exif + six, xmp]), true),
      // A string tag whose value lies past the end stops the parse before the orientation.
      (
        "JPEG broken string before the orientation",
        Self.jpeg(jpeg, app1: [exif + Self.tiff([(0x010F, 2, 40, [0, 0, 0x10, 0]), Self.orientation(6)])]), false
      ),
      (
        "JPEG orientation entry cut short", Self.jpeg(jpeg, app1: [exif + Self.tiff([Self.orientation(6)], cut: 8)]),
        false
      ),
      ("PNG eXIf before the pixels", Self.png(png, eXIf), true),
      ("PNG eXIf after the pixels", Self.png(png, eXIf, beforePixels: false), true),
      ("PNG eXIf with a wrong CRC (libpng drops it)", Self.png(png, badCRC), false),
      ("PNG eXIf with byte order MI (libpng drops it)", Self.png(png, TestSupport.pngChunk("eXIf", mixedOrder)), false),
    ]
    for item in cases {
      let decoded = try DecodedImage(bytes: item.bytes)
      guard case .image(_, let width, let height, _) = ImageHeader.sniff(item.bytes) else {
        Issue.record("\(item.name): not sniffed as an image")
        continue
      }
      #expect((width, height) == (decoded.width, decoded.height), "\(item.name)")
      #expect((width, height) == (item.swapped ? (200, 300) : (300, 200)), "\(item.name)")
    }
  }
}
