/// The EXIF orientation of a JPEG or PNG, found exactly as datasetkit's decoder finds it (the shim's
/// `ExifOrientation`, itself OpenCV 4.6's `ExifReader`), so the size a header reports and the pixels a decode gives
/// are always in one frame: the upright one a viewer (and LabelImg ≥ 1.8.4, which reads through `QImageReader` with
/// `autoTransform`) shows.
///
/// JPEG: the first APP1 segment before the first scan, its 6-byte "Exif\0\0" header skipped. PNG: the first eXIf
/// chunk whose byte order is "II" or "MM" (libpng drops the others). Other formats: 1 (the decoder applies none).
public enum ExifOrientation {
  /// 1–8 when the file carries one of those, else 1 (as stored). Values 5–8 swap width and height.
  public static func of(_ bytes: UnsafeRawBufferPointer) -> Int {
    let b = bytes.bindMemory(to: UInt8.self)
    let value: Int
    if b.count >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF {
      guard let (start, end) = jpegExif(b) else { return 1 }
      value = tiff(UnsafeBufferPointer(rebasing: b[start..<end]))
    } else if b.count >= 8 && b[0] == 0x89 && b[1] == 0x50 && b[2] == 0x4E && b[3] == 0x47 {
      guard let (start, end) = pngExif(b) else { return 1 }
      value = tiff(UnsafeBufferPointer(rebasing: b[start..<end]))
    } else {
      return 1
    }
    return (1...8).contains(value) ? value : 1
  }

  public static func of(_ bytes: [UInt8]) -> Int { bytes.withUnsafeBytes { of($0) } }

  /// True for the orientations whose upright image is the stored one turned a quarter (5–8).
  public static func swapsSides(_ orientation: Int) -> Bool { (5...8).contains(orientation) }

  /// The first APP1 payload after its 6-byte header, before the first scan (libjpeg's saved markers).
  static func jpegExif(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
    let n = b.count
    var i = 2
    while i + 3 < n {
      guard b[i] == 0xFF else { return nil }
      var marker = b[i + 1]
      while marker == 0xFF && i + 2 < n {
        i += 1
        marker = b[i + 1]
      }
      if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
        i += 2
        continue
      }
      if marker == 0xD9 || marker == 0xDA { return nil }
      guard i + 3 < n else { return nil }
      let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
      guard length >= 2 else { return nil }
      if marker == 0xE1 {
        let end = min(n, i + 2 + length)
        let start = i + 4 + 6
        return end > start ? (start, end) : nil
      }
      i += 2 + length
    }
    return nil
  }

  /// The first eXIf chunk before IEND that libpng keeps: whole, its CRC right, its data starting "II" or "MM".
  static func pngExif(_ b: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
    let n = b.count
    var position = 8
    while position + 8 <= n {
      let length = ImageHeader.be32(b, position)
      let start = position + 8
      if ImageHeader.ascii(b, position + 4, "IEND") { return nil }
      if ImageHeader.ascii(b, position + 4, "eXIf"), length >= 2, start + length + 4 <= n,
        CRC32.of(UnsafeBufferPointer(rebasing: b[(position + 4)..<(start + length)]))
          == UInt32(ImageHeader.be32(b, start + length)),
        b[start] == b[start + 1], b[start] == 0x49 || b[start] == 0x4D
      {
        return (start, start + length)
      }
      guard length <= n else { return nil }
      position = start + length + 4
    }
    return nil
  }

  /// IFD0's orientation tag (0x0112), read as OpenCV 4.6's ExifReader reads it: entries in order, the first of
  /// each known tag kept, a read past the end stopping the parse with what was read before it.
  static func tiff(_ d: UnsafeBufferPointer<UInt8>) -> Int {
    let size = d.count
    let intel = size >= 1 && !(size > 1 && d[0] != d[1]) && d[0] == 0x49
    func u16(_ at: Int) -> Int? {
      guard at >= 0, at + 1 < size else { return nil }
      return intel ? Int(d[at]) | Int(d[at + 1]) << 8 : Int(d[at]) << 8 | Int(d[at + 1])
    }
    func u32(_ at: Int) -> Int? {
      guard at >= 0, at + 3 < size else { return nil }
      let bytes = (0..<4).map { Int(d[at + $0]) }
      return intel
        ? bytes[0] | bytes[1] << 8 | bytes[2] << 16 | bytes[3] << 24
        : bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]
    }
    // Rationals and strings OpenCV reads are bounds-checked the same way, so a broken one before the
    // orientation stops the parse at the same place.
    func rationals(_ entry: Int, _ count: Int) -> Bool {
      guard var at = u32(entry + 8) else { return false }
      for _ in 0..<count {
        guard u32(at) != nil, u32(at + 4) != nil else { return false }
        at = (at + 8) & 0xFFFF_FFFF
      }
      return true
    }
    func string(_ entry: Int) -> Bool {
      guard let length = u32(entry + 4) else { return false }
      var at = 8  // (sic) as OpenCV: short strings at offset 8 of the data, not of the entry
      if length > 4 {
        guard let offset = u32(entry + 8) else { return false }
        at = offset
      }
      return at <= size && at + length <= size
    }
    guard u16(2) == 0x002A, var offset = u32(4), let entries = u16(offset) else { return 1 }
    offset += 2
    for _ in 0..<entries {
      guard let tag = u16(offset) else { return 1 }
      switch tag {
      case 0x010E, 0x010F, 0x0110, 0x0131, 0x0132, 0x8298:
        guard string(offset) else { return 1 }
      case 0x0112:
        return u16(offset + 8) ?? 1
      case 0x011A, 0x011B: guard rationals(offset, 1) else { return 1 }
      case 0x013E: guard rationals(offset, 2) else { return 1 }
      case 0x013F: guard rationals(offset, 6) else { return 1 }
      case 0x0211: guard rationals(offset, 3) else { return 1 }
      case 0x0214: guard rationals(offset, 6) else { return 1 }
      default: break
      }
      offset += 12
    }
    return 1
  }
}

/// CRC-32 (IEEE 802.3, as PNG chunks and zip entries use it), table-driven.
public enum CRC32 {
  static let table: [UInt32] = (0..<256).map { n in
    var c = UInt32(n)
    for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
    return c
  }

  public static func of<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return ~crc
  }
}
