import Foundation
import Imaging
import Ingest

// `sample-images orientations`: one photo written in the eight EXIF orientations, as JPEG (an APP1 segment) and
// as PNG (an eXIf chunk), every file displaying the same upright picture: the pixels are stored turned or mirrored
// and the tag says how to turn them back.

/// Where displayed pixel (x, y) of a `width`×`height` upright image is stored under `orientation`, as a decoder
/// (OpenCV's ApplyExifOrientation) turns stored pixels into displayed ones.
func storedPosition(_ orientation: Int, x: Int, y: Int, width: Int, height: Int) -> (x: Int, y: Int) {
  switch orientation {
  case 2: (width - 1 - x, y)
  case 3: (width - 1 - x, height - 1 - y)
  case 4: (x, height - 1 - y)
  case 5: (y, x)
  case 6: (y, width - 1 - x)
  case 7: (height - 1 - y, width - 1 - x)
  case 8: (height - 1 - y, x)
  default: (x, y)
  }
}

func bigEndian(_ value: Int) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) } }

func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
  let body = Array(type.utf8) + data
  return bigEndian(data.count) + body + bigEndian(Int(CRC32.of(body)))
}

/// An 8-bit RGB PNG of BGR `pixels` (stored deflate blocks), with an eXIf chunk before IDAT when `exif` is given.
func orientedPNG(bgr pixels: [UInt8], width: Int, height: Int, exif: [UInt8]?) -> [UInt8] {
  var raw: [UInt8] = []
  raw.reserveCapacity((width * 3 + 1) * height)
  for y in 0..<height {
    raw.append(0)
    for x in 0..<width {
      let i = (y * width + x) * 3
      raw.append(pixels[i + 2])
      raw.append(pixels[i + 1])
      raw.append(pixels[i])
    }
  }
  var zlib: [UInt8] = [0x78, 0x01]
  var start = 0
  repeat {
    let end = min(raw.count, start + 65_535)
    let length = end - start
    zlib += [end == raw.count ? 1 : 0, UInt8(length & 0xFF), UInt8(length >> 8)]
    zlib += [UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
    zlib += raw[start..<end]
    start = end
  } while start < raw.count
  var (a, b) = (1, 0)
  for byte in raw {
    a = (a + Int(byte)) % 65_521
    b = (b + a) % 65_521
  }
  zlib += bigEndian(b << 16 | a)
  let header = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
  return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + pngChunk("IHDR", header)
    + (exif.map { pngChunk("eXIf", $0) } ?? []) + pngChunk("IDAT", zlib) + pngChunk("IEND", [])
}

/// A TIFF header and IFD0 holding only the orientation tag, little-endian ("II") or big-endian ("MM").
func orientationTIFF(_ orientation: Int, intel: Bool) -> [UInt8] {
  func u16(_ v: Int) -> [UInt8] { intel ? [UInt8(v & 0xFF), UInt8(v >> 8)] : [UInt8(v >> 8), UInt8(v & 0xFF)] }
  func u32(_ v: Int) -> [UInt8] { intel ? u16(v & 0xFFFF) + u16(v >> 16) : u16(v >> 16) + u16(v & 0xFFFF) }
  return (intel ? [0x49, 0x49] : [0x4D, 0x4D]) + u16(42) + u32(8) + u16(1)
    + u16(0x0112) + u16(3) + u32(1) + u16(orientation) + u16(0) + u32(0)
}

/// `jpeg` with an APP1 Exif segment holding `tiff` right after its SOI marker.
func withExif(_ jpeg: [UInt8], _ tiff: [UInt8]) -> [UInt8] {
  let payload = Array("Exif".utf8) + [0, 0] + tiff
  let length = payload.count + 2
  return Array(jpeg[0..<2]) + [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload + Array(jpeg[2...])
}

/// `o1.jpg`…`o8.jpg` (quality `quality`) and `p1.png`…`p8.png` of `photo`, each displaying it upright; the TIFF
/// byte order alternates ("MM" for odd orientations, "II" for even).
func orientedCopies(of photo: DecodedImage, quality: Int) throws -> [(name: String, bytes: [UInt8])] {
  let (width, height) = (photo.width, photo.height)
  let pixels = try photo.pixels()
  var files: [(name: String, bytes: [UInt8])] = []
  for orientation in 1...8 {
    let (storedWidth, storedHeight) = orientation >= 5 ? (height, width) : (width, height)
    var stored = [UInt8](repeating: 0, count: pixels.count)
    for y in 0..<height {
      for x in 0..<width {
        let s = storedPosition(orientation, x: x, y: y, width: width, height: height)
        for c in 0..<3 { stored[(s.y * storedWidth + s.x) * 3 + c] = pixels[(y * width + x) * 3 + c] }
      }
    }
    let tiff = orientationTIFF(orientation, intel: orientation % 2 == 0)
    let plain = orientedPNG(bgr: stored, width: storedWidth, height: storedHeight, exif: nil)
    let jpeg = try DecodedImage(bytes: plain).encoded(.jpeg(quality: quality))
    files.append(("o\(orientation).jpg", withExif(jpeg, tiff)))
    files.append(
      ("p\(orientation).png", orientedPNG(bgr: stored, width: storedWidth, height: storedHeight, exif: tiff)))
  }
  return files
}
