import Foundation
import ZIPFoundation

/// Writes zip archives byte by byte (stored entries), so tests can make the hostile ones that
/// ZIPFoundation refuses to write: lying sizes, wrong CRCs, encrypted flags, link entries, odd names.
struct ZipBytes {
  struct Item {
    var name: [UInt8]
    var data: [UInt8]
    var flags: UInt16 = 0x0800
    /// Unix (3) as the host, so the external attributes' upper half is a mode.
    var madeBy: UInt16 = 0x031E
    var mode: UInt32 = 0o100644
    var crc: UInt32?
    /// A central-directory record pointing at an earlier item's local header (overlapping entries).
    var sharesLocalOf: Int?

    init(_ name: String, _ data: [UInt8] = []) {
      self.name = Array(name.utf8)
      self.data = data
    }

    init(bytes name: [UInt8], _ data: [UInt8] = []) {
      self.name = name
      self.data = data
    }
  }

  static func crc32(_ data: [UInt8]) -> UInt32 { Data(data).crc32(checksum: 0) }

  static func build(_ items: [Item], declaredCount: Int? = nil) -> [UInt8] {
    var out: [UInt8] = []
    var directory: [UInt8] = []
    var offsets: [Int] = []
    for item in items {
      let crc = item.crc ?? crc32(item.data)
      let offset: Int
      if let shared = item.sharesLocalOf {
        offset = offsets[shared]
      } else {
        offset = out.count
        out += le32(0x0403_4b50) + le16(20) + le16(item.flags) + le16(0) + le16(0) + le16(0x5021)
        out += le32(crc) + le32(UInt32(item.data.count)) + le32(UInt32(item.data.count))
        out += le16(UInt16(item.name.count)) + le16(0) + item.name + item.data
      }
      offsets.append(offset)
      directory += le32(0x0201_4b50) + le16(item.madeBy) + le16(20) + le16(item.flags) + le16(0)
      directory += le16(0) + le16(0x5021) + le32(crc) + le32(UInt32(item.data.count)) + le32(UInt32(item.data.count))
      directory += le16(UInt16(item.name.count)) + le16(0) + le16(0) + le16(0) + le16(0)
      directory += le32(item.mode << 16) + le32(UInt32(offset)) + item.name
    }
    let directoryOffset = out.count
    out += directory
    let count = UInt16(declaredCount ?? items.count)
    out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(count) + le16(count)
    out += le32(UInt32(directory.count)) + le32(UInt32(directoryOffset)) + le16(0)
    return out
  }

  static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
  static func le32(_ value: UInt32) -> [UInt8] { le16(UInt16(value & 0xFFFF)) + le16(UInt16(value >> 16)) }
}
