import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One central-directory record of a zip archive, with the name as raw bytes.
struct ZipDirectoryEntry: Sendable {
  var index: Int
  var name: [UInt8]
  var versionMadeBy: UInt16
  var flags: UInt16
  var method: UInt16
  var dosTime: UInt16
  var dosDate: UInt16
  var crc32: UInt32
  var compressedSize: UInt64
  var uncompressedSize: UInt64
  var externalAttributes: UInt32
  var localHeaderOffset: UInt64
  /// Where the entry's data starts (after its local header), filled by `ZipDirectory.read`.
  var dataOffset: UInt64 = 0

  var isEncrypted: Bool { flags & 1 != 0 }
  var isDirectory: Bool { name.last == UInt8(ascii: "/") }

  /// The Unix file type in the upper half of the external attributes, when made on Unix / macOS.
  var unixFileType: UInt32? {
    let host = versionMadeBy >> 8
    guard host == 3 || host == 19 else { return nil }
    let mode = (externalAttributes >> 16) & 0o170000
    return mode == 0 ? nil : mode
  }

  /// The DOS date and time as nanoseconds since 1970 (UTC, as zip stores local time without a zone).
  var modifiedNanoseconds: Int64 {
    var parts = DateComponents()
    parts.year = 1980 + Int(dosDate >> 9)
    parts.month = max(1, Int((dosDate >> 5) & 0xF))
    parts.day = max(1, Int(dosDate & 0x1F))
    parts.hour = Int(dosTime >> 11)
    parts.minute = Int((dosTime >> 5) & 0x3F)
    parts.second = Int(dosTime & 0x1F) * 2
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
    let seconds = calendar.date(from: parts)?.timeIntervalSince1970 ?? 0
    return Int64(seconds) * 1_000_000_000
  }
}

/// The central directory of a zip archive, read and checked by hand: ZIPFoundation's iterator stops
/// quietly at a damaged record and exposes neither raw names nor offsets.
///
/// Checks: the end record exists; the directory holds as many records as it declares, each with its
/// signature; every local header is where its record says; no two entries' data overlap and none runs
/// into the central directory (overlapping entries are a known zip-bomb construction).
struct ZipDirectory {
  var entries: [ZipDirectoryEntry]
  var centralDirectoryOffset: UInt64

  static func read(path: String, maxEntries: Int) throws -> ZipDirectory {
    try read(file: try ZipFile(path: path), maxEntries: maxEntries)
  }

  /// Every offset, size and count below comes from the archive: each is range-checked against the
  /// file's size before it is added to anything, so fields near 2⁶⁴ (ZIP64) are refused, never trap.
  static func read(file: ZipFile, maxEntries: Int) throws -> ZipDirectory {
    let path = file.path
    let size = file.size
    let tailLength = Int(min(size, 22 + 65_535))
    let tail = try file.bytes(at: size - UInt64(tailLength), count: tailLength)
    guard tailLength >= 22,
      let eocd = stride(from: tailLength - 22, through: 0, by: -1).first(where: {
        tail.u32($0) == 0x0605_4b50
      })
    else {
      throw MergeError.archive(
        path: path,
        reason: "no end-of-central-directory record: not a zip archive, or a truncated download (fetch it again)")
    }
    var count = UInt64(tail.u16(eocd + 10))
    var directorySize = UInt64(tail.u32(eocd + 12))
    var directoryOffset = UInt64(tail.u32(eocd + 16))
    if count == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF {
      // ZIP64: the locator sits just before the end record.
      let recordAt = size - UInt64(tailLength - eocd)
      guard recordAt >= 20 else {
        throw MergeError.archive(
          path: path, reason: "ZIP64 end-of-central-directory locator missing (truncated or damaged archive)")
      }
      let locatorAt = recordAt - 20
      let locator = try file.bytes(at: locatorAt, count: 20)
      guard locator.u32(0) == 0x0706_4b50 else {
        throw MergeError.archive(
          path: path, reason: "ZIP64 end-of-central-directory locator missing (truncated or damaged archive)")
      }
      let record = try file.bytes(at: locator.u64(8), count: 56)
      guard record.u32(0) == 0x0606_4b50 else {
        throw MergeError.archive(
          path: path, reason: "ZIP64 end-of-central-directory record missing (truncated or damaged archive)")
      }
      count = record.u64(32)
      directorySize = record.u64(40)
      directoryOffset = record.u64(48)
    }
    if count > UInt64(max(0, maxEntries)) {
      throw MergeError.archive(
        path: path,
        reason:
          "the archive declares \(count) entries, over the limit of \(maxEntries) (zip bomb?); raise --max-entries if it is genuine"
      )
    }
    guard directoryOffset <= size, directorySize <= size - directoryOffset, directorySize / 46 >= count else {
      throw MergeError.archive(
        path: path,
        reason:
          "central directory (\(count) entries, \(directorySize) bytes at offset \(directoryOffset)) runs past the end of the \(size)-byte file: truncated"
      )
    }
    let directory = try file.bytes(at: directoryOffset, count: Int(directorySize))
    var entries: [ZipDirectoryEntry] = []
    entries.reserveCapacity(Int(count))
    var at = 0
    for index in 0..<Int(count) {
      guard at + 46 <= directory.count, directory.u32(at) == 0x0201_4b50 else {
        throw MergeError.archive(
          path: path,
          reason: "central directory record \(index + 1) of \(count) is missing or damaged: truncated central directory"
        )
      }
      let nameLength = Int(directory.u16(at + 28))
      let extraLength = Int(directory.u16(at + 30))
      let commentLength = Int(directory.u16(at + 32))
      guard at + 46 + nameLength + extraLength + commentLength <= directory.count else {
        throw MergeError.archive(
          path: path,
          reason: "central directory record \(index + 1) of \(count) is cut short: truncated central directory")
      }
      var entry = ZipDirectoryEntry(
        index: index, name: Array(directory[(at + 46)..<(at + 46 + nameLength)]),
        versionMadeBy: directory.u16(at + 4), flags: directory.u16(at + 8), method: directory.u16(at + 10),
        dosTime: directory.u16(at + 12), dosDate: directory.u16(at + 14), crc32: directory.u32(at + 16),
        compressedSize: UInt64(directory.u32(at + 20)), uncompressedSize: UInt64(directory.u32(at + 24)),
        externalAttributes: directory.u32(at + 38), localHeaderOffset: UInt64(directory.u32(at + 42)))
      // ZIP64 extended information: only the fields whose 32-bit value is saturated, in this order.
      var extra = at + 46 + nameLength
      let extraEnd = extra + extraLength
      while extra + 4 <= extraEnd {
        let id = directory.u16(extra)
        let length = Int(directory.u16(extra + 2))
        if id == 0x0001 {
          var field = extra + 4
          let end = min(extraEnd, field + length)
          if entry.uncompressedSize == 0xFFFF_FFFF, field + 8 <= end {
            entry.uncompressedSize = directory.u64(field)
            field += 8
          }
          if entry.compressedSize == 0xFFFF_FFFF, field + 8 <= end {
            entry.compressedSize = directory.u64(field)
            field += 8
          }
          if entry.localHeaderOffset == 0xFFFF_FFFF, field + 8 <= end {
            entry.localHeaderOffset = directory.u64(field)
          }
        }
        extra += 4 + length
      }
      // Sizes past 2⁶³ fit no file system (and no Int64 further on): a forged field.
      guard entry.uncompressedSize <= UInt64(Int64.max), entry.compressedSize <= size,
        entry.localHeaderOffset <= size
      else {
        throw MergeError.archive(
          path: path,
          reason:
            "entry \(display(entry.name)) declares sizes or an offset past the end of the \(size)-byte file (\(entry.compressedSize) compressed, \(entry.uncompressedSize) uncompressed, at \(entry.localHeaderOffset)): damaged or forged archive"
        )
      }
      entries.append(entry)
      at += 46 + nameLength + extraLength + commentLength
    }
    // Local headers, and the space each entry's data takes.
    for position in entries.indices where !entries[position].isDirectory || entries[position].compressedSize > 0 {
      let entry = entries[position]
      guard entry.localHeaderOffset <= directoryOffset, directoryOffset - entry.localHeaderOffset >= 30 else {
        throw MergeError.archive(
          path: path, reason: "entry \(display(entry.name)) points past the data area: damaged or truncated archive")
      }
      let header = try file.bytes(at: entry.localHeaderOffset, count: 30)
      guard header.u32(0) == 0x0403_4b50 else {
        throw MergeError.archive(
          path: path,
          reason: "entry \(display(entry.name)) has no local header where the directory says: damaged archive")
      }
      entries[position].dataOffset =
        entry.localHeaderOffset + 30 + UInt64(header.u16(26)) + UInt64(header.u16(28))
    }
    let spans = entries.filter { $0.dataOffset > 0 }.sorted { $0.localHeaderOffset < $1.localHeaderOffset }
    for (position, entry) in spans.enumerated() {
      // Both terms are at most the file size (checked above), so the sum cannot wrap.
      let end = entry.dataOffset + entry.compressedSize
      let limit = position + 1 < spans.count ? spans[position + 1].localHeaderOffset : directoryOffset
      if end > limit {
        let other = position + 1 < spans.count ? "entry \(display(spans[position + 1].name))" : "the central directory"
        throw MergeError.archive(
          path: path,
          reason:
            "entry \(display(entry.name)) overlaps \(other) (overlapping entries are a zip-bomb construction, or the file is truncated)"
        )
      }
    }
    return ZipDirectory(entries: entries, centralDirectoryOffset: directoryOffset)
  }

  static func display(_ name: [UInt8]) -> String { String(decoding: name, as: UTF8.self) }
}

/// Positioned reads of a regular file (or of bytes in memory: the fuzz harness and tests).
final class ZipFile {
  let descriptor: Int32
  let size: UInt64
  let path: String
  let memory: [UInt8]?

  init(path: String) throws {
    self.path = path
    memory = nil
    // O_NONBLOCK: opening a FIFO must not wait for a writer; anything but a regular file is refused.
    descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    guard descriptor >= 0 else {
      throw MergeError.archive(path: path, reason: "cannot open: \(String(cString: strerror(errno)))")
    }
    var info = stat()
    guard fstat(descriptor, &info) == 0, info.st_mode & S_IFMT == S_IFREG else {
      close(descriptor)
      throw MergeError.archive(path: path, reason: "not a regular file (a FIFO, device or socket); pass a zip file")
    }
    size = UInt64(info.st_size)
  }

  init(bytes: [UInt8], name: String) {
    path = name
    memory = bytes
    descriptor = -1
    size = UInt64(bytes.count)
  }

  deinit { if descriptor >= 0 { close(descriptor) } }

  func bytes(at offset: UInt64, count: Int) throws -> [UInt8] {
    guard count > 0 else { return [] }
    guard offset <= size, UInt64(count) <= size - offset else {
      throw MergeError.archive(path: path, reason: "a record runs past the end of the file: truncated archive")
    }
    if let memory { return Array(memory[Int(offset)..<(Int(offset) + count)]) }
    var buffer = [UInt8](repeating: 0, count: count)
    var done = 0
    while done < count {
      let got = buffer.withUnsafeMutableBytes { raw -> Int in
        guard let base = raw.baseAddress else { return -1 }
        return pread(descriptor, base + done, count - done, off_t(offset) + off_t(done))
      }
      if got <= 0 {
        throw MergeError.archive(path: path, reason: "read failed: \(String(cString: strerror(errno)))")
      }
      done += got
    }
    return buffer
  }
}

extension Array where Element == UInt8 {
  func u16(_ at: Int) -> UInt16 { UInt16(self[at]) | UInt16(self[at + 1]) << 8 }
  func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
  func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
}
