import Foundation
import TestSupport
import ZIPFoundation

/// Image bytes of the kinds real face-mask trees hold, made in the test.
enum Fixtures {
  /// A palette (colour type 3) PNG, distinct per seed, as in chandrikadeb7's tree.
  static func palettePNG(seed: Int, side: Int = 8) -> [UInt8] {
    var raw: [UInt8] = []
    for y in 0..<side {
      raw.append(0)
      for x in 0..<side { raw.append(UInt8((x + y + seed) % 4)) }
    }
    var zlib: [UInt8] = [0x78, 0x01, 1, UInt8(raw.count & 0xFF), UInt8(raw.count >> 8)]
    zlib += [UInt8(~raw.count & 0xFF), UInt8((~raw.count >> 8) & 0xFF)] + raw
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in raw {
      a = (a + UInt32(byte)) % 65_521
      b = (b + a) % 65_521
    }
    zlib += be32((b << 16) | a)
    let palette: [UInt8] = [0, 0, 0, 255, 0, 0, 0, 255, 0, UInt8(seed & 0xFF), 0, 255]
    return [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
      + chunk("IHDR", be32(UInt32(side)) + be32(UInt32(side)) + [8, 3, 0, 0, 0])
      + chunk("PLTE", palette) + chunk("IDAT", zlib) + chunk("IEND", [])
  }

  /// A WebP (VP8L) whose header is complete, distinct per seed (never decoded at import).
  static func webp(seed: Int) -> [UInt8] {
    let bits = UInt32(15) | UInt32(15) << 14
    var body: [UInt8] = Array("VP8L".utf8) + le32(12) + [0x2F] + le32(bits) + [UInt8(seed & 0xFF), 0, 0, 0, 0, 0, 0]
    body = Array("WEBP".utf8) + body
    return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + data
    return be32(UInt32(data.count)) + typed + be32(Data(typed).crc32(checksum: 0))
  }

  static func be32(_ v: UInt32) -> [UInt8] {
    [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)]
  }
  static func le32(_ v: UInt32) -> [UInt8] {
    [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
  }

  /// Writes `files` (relative path → bytes) under `root`.
  static func tree(_ root: String, _ files: [(String, [UInt8])]) throws {
    for (path, bytes) in files { try TestSupport.write(bytes, to: root + "/" + path) }
  }

  /// Zips a folder (deflate), entries named relative to it.
  static func zip(folder: String, to path: String) throws {
    let archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .create)
    let enumerator = FileManager.default.enumerator(atPath: folder)
    var names: [String] = []
    while let name = enumerator?.nextObject() as? String {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder), !isFolder.boolValue {
        names.append(name)
      }
    }
    for name in names.sorted() {
      try archive.addEntry(with: name, relativeTo: URL(fileURLWithPath: folder), compressionMethod: .deflate)
    }
  }
}
