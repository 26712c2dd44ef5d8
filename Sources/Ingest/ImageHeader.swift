import Foundation

/// The image formats datasetkit accepts (the magic-byte allow-list).
public enum ImageFormat: String, Sendable, Codable, CaseIterable {
  case jpeg, png, webp, bmp, gif

  /// The usual file extension, without the dot.
  public var fileExtension: String {
    switch self {
    case .jpeg: "jpg"
    case .png: "png"
    case .webp: "webp"
    case .bmp: "bmp"
    case .gif: "gif"
    }
  }
}

/// What the first bytes of a file say it is, read without decoding any pixels.
public enum SniffResult: Sendable, Equatable {
  /// An allow-listed image whose header gave its size, in the upright frame: a JPEG or PNG whose EXIF orientation
  /// is 5–8 has its width and height swapped (``ExifOrientation``), as the decoder turns its pixels, so every box,
  /// crop and export is in the frame a viewer and LabelImg show. `damage` says why it is not a clean file
  /// (truncated, no end marker, ...), or nil.
  case image(format: ImageFormat, width: Int, height: Int, damage: String?)
  /// An allow-listed signature with a header that cannot be read.
  case malformed(format: ImageFormat, reason: String)
  /// Not an image we accept: `kind` is what it looks like ("html", "svg", "ppm", "tiff", "pdf",
  /// "empty", "unknown").
  case notImage(kind: String)
}

/// Magic-byte sniffing and header parsing for JPEG, PNG, WebP, BMP and GIF.
///
/// It reads dimensions from the header only, so a file declaring 100000×100000 pixels is refused before
/// any decoder allocates, and it checks structure cheaply (the JPEG end-of-image marker after the scan,
/// the PNG `IEND` chunk, the RIFF length) so a truncated file is flagged without a full decode.
public enum ImageHeader {
  /// Pillow's hard decompression-bomb limit (2 × 89,478,485 pixels).
  public static let defaultMaxPixels = 178_956_970
  /// The largest side `sniff` reports (PNG's own limit, 2³¹ − 1; the other formats stay below it).
  public static let maxDimension = Int(Int32.max)

  /// `width × height`, saturating at `Int.max` instead of trapping: header fields come from outside.
  public static func pixelCount(width: Int, height: Int) -> Int {
    let (product, overflow) = max(0, width).multipliedReportingOverflow(by: max(0, height))
    return overflow ? Int.max : product
  }

  public static func sniff(_ bytes: UnsafeRawBufferPointer) -> SniffResult {
    let result = storedSniff(bytes)
    // The one place the EXIF orientation meets a size: everything after this is in the upright frame.
    if case .image(let format, let width, let height, let damage) = result, format == .jpeg || format == .png,
      ExifOrientation.swapsSides(ExifOrientation.of(bytes))
    {
      return .image(format: format, width: height, height: width, damage: damage)
    }
    return result
  }

  /// The size as stored in the file, before any EXIF orientation.
  static func storedSniff(_ bytes: UnsafeRawBufferPointer) -> SniffResult {
    let b = bytes.bindMemory(to: UInt8.self)
    let n = b.count
    if n == 0 { return .notImage(kind: "empty") }
    if n >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF { return jpeg(b) }
    if n >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 && b[4] == 0x0D
      && b[5] == 0x0A && b[6] == 0x1A && b[7] == 0x0A
    {
      return png(b)
    }
    if n >= 6 && b[0] == 0x47 && b[1] == 0x49 && b[2] == 0x46 && b[3] == 0x38
      && (b[4] == 0x37 || b[4] == 0x39) && b[5] == 0x61
    {
      return gif(b)
    }
    if n >= 12 && ascii(b, 0, "RIFF") && ascii(b, 8, "WEBP") { return webp(b) }
    if n >= 2 && b[0] == 0x42 && b[1] == 0x4D, let result = bmp(b) { return result }
    return .notImage(kind: otherKind(b))
  }

  public static func sniff(_ bytes: [UInt8]) -> SniffResult {
    bytes.withUnsafeBytes { sniff($0) }
  }

  // MARK: - Formats

  static func jpeg(_ b: UnsafeBufferPointer<UInt8>) -> SniffResult {
    let n = b.count
    var i = 2
    var size: (Int, Int)?
    while i + 1 < n {
      guard b[i] == 0xFF else {
        return .malformed(format: .jpeg, reason: "bad JPEG marker at byte \(i)")
      }
      var marker = b[i + 1]
      while marker == 0xFF && i + 2 < n {  // fill bytes
        i += 1
        marker = b[i + 1]
      }
      if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
        i += 2
        continue
      }
      if marker == 0xD9 {
        return .malformed(format: .jpeg, reason: "JPEG ends before its image data")
      }
      guard i + 3 < n else { break }
      let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
      guard length >= 2 else { return .malformed(format: .jpeg, reason: "bad JPEG segment length at byte \(i)") }
      let isFrame =
        (0xC0...0xCF).contains(marker) && marker != 0xC4 && marker != 0xC8 && marker != 0xCC
      if isFrame {
        guard i + 8 < n else { break }
        let height = Int(b[i + 5]) << 8 | Int(b[i + 6])
        let width = Int(b[i + 7]) << 8 | Int(b[i + 8])
        size = (width, height)
      }
      if marker == 0xDA {
        guard let (width, height) = size else {
          return .malformed(format: .jpeg, reason: "JPEG scan before any frame header")
        }
        if width == 0 || height == 0 {
          return .malformed(format: .jpeg, reason: "JPEG frame declares \(width)×\(height) pixels")
        }
        // Inside entropy-coded data 0xFF is always followed by 0x00 or a restart marker, so the first
        // FF D9 after the scan header is the real end of the image. Whether there is one is all that is asked,
        // so the search runs from the end, where it is (a forward scan reads every byte of the image data).
        let scanStart = i + 2 + length
        var j = n - 2
        var foundEnd = false
        while j >= scanStart {
          if b[j] == 0xFF && b[j + 1] == 0xD9 {
            foundEnd = true
            break
          }
          j -= 1
        }
        return .image(
          format: .jpeg, width: width, height: height,
          damage: foundEnd ? nil : "truncated JPEG (no end-of-image marker)")
      }
      i += 2 + length
    }
    if let (width, height) = size, width > 0, height > 0 {
      return .image(
        format: .jpeg, width: width, height: height, damage: "truncated JPEG (ends before its image data)")
    }
    return .malformed(format: .jpeg, reason: "truncated JPEG header")
  }

  static func png(_ b: UnsafeBufferPointer<UInt8>) -> SniffResult {
    let n = b.count
    guard n >= 24, ascii(b, 12, "IHDR") else {
      return .malformed(format: .png, reason: "PNG without an IHDR header")
    }
    let width = be32(b, 16)
    let height = be32(b, 20)
    guard width > 0, height > 0 else {
      return .malformed(format: .png, reason: "PNG declares \(width)×\(height) pixels")
    }
    // The PNG specification caps both at 2³¹ − 1; larger values are hostile, and refusing them keeps
    // every width × height product of a sniffed image inside 64 bits.
    guard width <= maxDimension, height <= maxDimension else {
      return .malformed(
        format: .png,
        reason: "PNG declares \(width)×\(height) pixels, over the format's limit of \(maxDimension) per side")
    }
    var position = 8
    while position + 8 <= n {
      let length = be32(b, position)
      let isEnd = ascii(b, position + 4, "IEND")
      position += 12 + length
      if isEnd {
        return .image(
          format: .png, width: width, height: height,
          damage: position <= n ? nil : "truncated PNG (IEND chunk cut short)")
      }
    }
    return .image(format: .png, width: width, height: height, damage: "truncated PNG (no IEND chunk)")
  }

  static func gif(_ b: UnsafeBufferPointer<UInt8>) -> SniffResult {
    guard b.count >= 10 else { return .malformed(format: .gif, reason: "truncated GIF header") }
    let width = Int(b[6]) | Int(b[7]) << 8
    let height = Int(b[8]) | Int(b[9]) << 8
    guard width > 0, height > 0 else {
      return .malformed(format: .gif, reason: "GIF declares \(width)×\(height) pixels")
    }
    var last = b.count - 1
    while last > 10 && b[last] == 0 { last -= 1 }
    let damage = b[last] == 0x3B ? nil : "truncated GIF (no trailer)"
    return .image(format: .gif, width: width, height: height, damage: damage)
  }

  static func webp(_ b: UnsafeBufferPointer<UInt8>) -> SniffResult {
    let n = b.count
    let riffSize = le32(b, 4)
    guard n >= 30 else { return .malformed(format: .webp, reason: "truncated WebP header") }
    var width = 0
    var height = 0
    if ascii(b, 12, "VP8X") {
      width = 1 + (Int(b[24]) | Int(b[25]) << 8 | Int(b[26]) << 16)
      height = 1 + (Int(b[27]) | Int(b[28]) << 8 | Int(b[29]) << 16)
    } else if ascii(b, 12, "VP8 ") {
      guard b[23] == 0x9D && b[24] == 0x01 && b[25] == 0x2A else {
        return .malformed(format: .webp, reason: "WebP VP8 frame without its start code")
      }
      width = (Int(b[26]) | Int(b[27]) << 8) & 0x3FFF
      height = (Int(b[28]) | Int(b[29]) << 8) & 0x3FFF
    } else if ascii(b, 12, "VP8L") {
      guard b[20] == 0x2F else { return .malformed(format: .webp, reason: "WebP VP8L without its signature") }
      let bits = Int(b[21]) | Int(b[22]) << 8 | Int(b[23]) << 16 | Int(b[24]) << 24
      width = 1 + (bits & 0x3FFF)
      height = 1 + ((bits >> 14) & 0x3FFF)
    } else {
      return .malformed(format: .webp, reason: "WebP with an unknown first chunk")
    }
    guard width > 0, height > 0 else {
      return .malformed(format: .webp, reason: "WebP declares \(width)×\(height) pixels")
    }
    let damage = n < riffSize + 8 ? "truncated WebP (\(n) of \(riffSize + 8) bytes)" : nil
    return .image(format: .webp, width: width, height: height, damage: damage)
  }

  /// nil when "BM" is followed by no known DIB header (then it is not a BMP at all).
  static func bmp(_ b: UnsafeBufferPointer<UInt8>) -> SniffResult? {
    let n = b.count
    guard n >= 26 else { return nil }
    let dibSize = le32(b, 14)
    guard [12, 40, 52, 56, 64, 108, 124].contains(dibSize) else { return nil }
    var width: Int
    var height: Int
    if dibSize == 12 {
      width = Int(b[18]) | Int(b[19]) << 8
      height = Int(b[20]) | Int(b[21]) << 8
    } else {
      width = Int(Int32(bitPattern: UInt32(le32(b, 18))))
      height = abs(Int(Int32(bitPattern: UInt32(le32(b, 22)))))
    }
    guard width > 0, height > 0, width <= maxDimension, height <= maxDimension else {
      return .malformed(format: .bmp, reason: "BMP declares \(width)×\(height) pixels")
    }
    let declared = le32(b, 2)
    var damage = declared > 0 && n < declared ? "truncated BMP (\(n) of \(declared) bytes)" : nil
    // An uncompressed bitmap needs its pixel rows whatever its file-size field says (often 0): a file cut short
    // is damaged, and OpenCV would print its own error about it on stderr.
    if damage == nil, let needed = bmpUncompressedSize(b, dibSize: dibSize, width: width, height: height),
      n < needed
    {
      damage = "truncated BMP (\(n) of \(needed) bytes)"
    }
    return .image(format: .bmp, width: width, height: height, damage: damage)
  }

  /// The bytes an uncompressed BMP needs (pixel offset + rows padded to 4 bytes), or nil for a compressed one
  /// (RLE, JPEG, PNG inside) whose size the header does not give. Past `Int.max` counts as `Int.max`.
  static func bmpUncompressedSize(_ b: UnsafeBufferPointer<UInt8>, dibSize: Int, width: Int, height: Int) -> Int? {
    guard b.count >= 30 else { return nil }
    let bits = Int(b[dibSize == 12 ? 24 : 28]) | Int(b[dibSize == 12 ? 25 : 29]) << 8
    if dibSize != 12 {
      guard b.count >= 34 else { return nil }
      let compression = le32(b, 30)
      guard compression == 0 || compression == 3 || compression == 6 else { return nil }
    }
    guard [1, 2, 4, 8, 16, 24, 32].contains(bits) else { return nil }
    let (rowBits, overflow1) = width.multipliedReportingOverflow(by: bits)
    let (rows, overflow2) = ((rowBits + 31) / 32 * 4).multipliedReportingOverflow(by: height)
    let (total, overflow3) = rows.addingReportingOverflow(le32(b, 10))
    return overflow1 || overflow2 || overflow3 ? Int.max : total
  }

  static func otherKind(_ b: UnsafeBufferPointer<UInt8>) -> String {
    let n = b.count
    if n >= 4
      && ((b[0] == 0x49 && b[1] == 0x49 && b[2] == 0x2A && b[3] == 0)
        || (b[0] == 0x4D && b[1] == 0x4D && b[2] == 0 && b[3] == 0x2A))
    {
      return "tiff"
    }
    if n >= 3 && b[0] == 0x50 && (0x31...0x37).contains(b[1])
      && [0x20, 0x0A, 0x0D, 0x09].contains(b[2])
    {
      return "ppm"
    }
    if ascii(b, 0, "%PDF") { return "pdf" }
    // Text: skip a UTF-8 BOM and white space, then look at the markup.
    var i = 0
    if n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF { i = 3 }
    while i < n && [0x20, 0x09, 0x0A, 0x0D].contains(b[i]) { i += 1 }
    let head = String(decoding: UnsafeBufferPointer(rebasing: b[i..<min(n, i + 512)]), as: UTF8.self)
      .lowercased()
    if head.hasPrefix("<svg") || (head.hasPrefix("<?xml") && head.contains("<svg")) { return "svg" }
    if head.hasPrefix("<!doctype html") || head.hasPrefix("<html") || head.hasPrefix("<head")
      || head.hasPrefix("<body") || (head.hasPrefix("<!--") && head.contains("<html"))
    {
      return "html"
    }
    if head.hasPrefix("<?xml") || head.hasPrefix("<") { return "xml" }
    return "unknown"
  }

  // MARK: - Byte helpers

  static func ascii(_ b: UnsafeBufferPointer<UInt8>, _ at: Int, _ text: StaticString) -> Bool {
    let count = text.utf8CodeUnitCount
    guard at + count <= b.count else { return false }
    let start = text.utf8Start
    for k in 0..<count where b[at + k] != start[k] { return false }
    return true
  }

  static func be32(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
    guard at + 4 <= b.count else { return 0 }
    return Int(b[at]) << 24 | Int(b[at + 1]) << 16 | Int(b[at + 2]) << 8 | Int(b[at + 3])
  }

  static func le32(_ b: UnsafeBufferPointer<UInt8>, _ at: Int) -> Int {
    guard at + 4 <= b.count else { return 0 }
    return Int(b[at]) | Int(b[at + 1]) << 8 | Int(b[at + 2]) << 16 | Int(b[at + 3]) << 24
  }
}
