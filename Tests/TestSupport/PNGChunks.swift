/// Hand-made PNG and zip fields for tests that craft files byte by byte (a header bomb, a huge blank PNG).
extension TestSupport {
  /// `value` as four big-endian bytes (PNG's integers).
  public static func bigEndian32(_ value: UInt32) -> [UInt8] {
    [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> $0) }
  }

  /// CRC-32 (IEEE 802.3, as PNG chunks and zip entries use it).
  public static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  /// One PNG chunk: length, type, data, CRC of type and data.
  public static func pngChunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let body = Array(type.utf8) + data
    return bigEndian32(UInt32(data.count)) + body + bigEndian32(crc32(body))
  }
}
