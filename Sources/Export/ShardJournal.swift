import Catalog
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What decided where a finished WebDataset shard ends.
enum ShardBoundary: String, Codable {
  /// The next sample did not fit.
  case next
  /// Its one sample is over `--shard-size` alone.
  case alone
  /// Its subset ended.
  case end
}

/// The resume folder of a WebDataset export, `<out>.datasetkit-resume/` beside `--out`: the shards are written
/// there, and each finished one gets a line in `journal.jsonl` (name, bytes, SHA-256, samples, what ended it, and
/// `through`, a digest of everything that decided its bytes: the tool, the shard size, the resize, the classes,
/// and every sample from the export's first to the one that ended the shard). A re-run of the same export keeps a
/// journalled shard when its file has the size and SHA-256 recorded and the export about to be written agrees up
/// to `through`, and writes only the rest; the finished export takes the shards by hard link, and the folder is
/// removed once the export is in place. A torn last line (a kill mid-write) is ignored: that shard is rewritten.
final class ShardJournal {
  struct Entry: Codable {
    var shard: String
    var bytes: Int
    var sha256: String
    var samples: Int
    var closedBy: ShardBoundary
    var through: String
  }

  static let fileName = "journal.jsonl"
  let folder: String
  /// The journalled shards by name (a later line for a name replaces an earlier one).
  private(set) var entries: [String: Entry] = [:]
  private let descriptor: Int32

  /// The resume folder of an export to `output`.
  static func folder(forOutput output: String) -> String { output + ".datasetkit-resume" }

  /// Opens (or starts) the journal in `folder`, removing the shard a killed export was writing (`*.partial`).
  init(folder: String) throws {
    self.folder = folder
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    let path = folder + "/" + Self.fileName
    if let data = FileManager.default.contents(atPath: path) {
      for line in data.split(separator: UInt8(ascii: "\n")) {
        guard let entry = try? JSONDecoder().decode(Entry.self, from: Data(line)), entry.bytes >= TarShard.endSize,
          entry.samples >= 1, entry.shard.hasSuffix(".tar"), !entry.shard.contains("/"), !entry.shard.hasPrefix(".")
        else { continue }
        entries[entry.shard] = entry
      }
    }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasSuffix(".partial") {
      unlink(folder + "/" + name)
    }
    descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
    if descriptor < 0 { throw ExportError.io(path: path, errno: errno) }
  }

  deinit { close(descriptor) }

  /// Appends a finished shard's line.
  func record(_ entry: Entry) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let line = [UInt8](try encoder.encode(entry)) + [UInt8(ascii: "\n")]
    var done = 0
    while done < line.count {
      let n = line.withUnsafeBytes { raw in raw.baseAddress.map { write(descriptor, $0 + done, line.count - done) } ?? 0
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw ExportError.io(path: folder + "/" + Self.fileName, errno: errno)
      }
      done += n
    }
    entries[entry.shard] = entry
  }

  /// The digest every `through` starts from.
  static func seed(_ text: String) -> String { SHA256.hex(of: Array(text.utf8)) }

  /// The digest after `bytes`: SHA-256 of the previous digest and the bytes.
  static func link(_ digest: String, _ bytes: [UInt8]) -> String { SHA256.hex(of: Array(digest.utf8) + [10] + bytes) }

  /// What `link` takes at the end of a subset.
  static let endMark = Array("end of subset".utf8)

  /// A journalled shard's samples as its file holds them (each sample's key and its `.json` member), when the file
  /// is a regular file of the size and SHA-256 recorded and a tar of samples; nil otherwise (missing, truncated,
  /// changed), and the shard is written again.
  func verifiedSamples(_ entry: Entry) -> [(key: String, json: [UInt8])]? {
    let path = folder + "/" + entry.shard
    let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
    if fd < 0 { return nil }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG, Int(info.st_size) == entry.bytes else { return nil }
    let hasher = SHA256Stream()
    var total = 0
    func read(_ count: Int) -> [UInt8]? {
      guard count >= 0, total + count <= entry.bytes else { return nil }
      var buffer = [UInt8](repeating: 0, count: count)
      var done = 0
      while done < count {
        let n = buffer.withUnsafeMutableBytes { raw in
          raw.baseAddress.map { Glibc.read(fd, $0 + done, count - done) } ?? 0
        }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return nil }
        done += n
      }
      hasher.update(buffer)
      total += count
      return buffer
    }
    var samples: [(key: String, json: [UInt8])] = []
    var lastKey: String?
    while total < entry.bytes {
      guard let header = read(512) else { return nil }
      if header.allSatisfy({ $0 == 0 }) {
        // The end blocks: the rest of the file, all zeros.
        guard let rest = read(entry.bytes - total), rest.allSatisfy({ $0 == 0 }) else { return nil }
        break
      }
      let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
      let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
      // A tar size field is 11 octal digits: anything else (a sign, more digits) is not a shard this export wrote.
      guard sizeText.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x37 }), let size = Int(sizeText, radix: 8),
        let data = read((size + 511) / 512 * 512),
        let dot = name.firstIndex(of: ".")
      else { return nil }
      let key = String(name[..<dot])
      if key != lastKey {
        samples.append((key, []))
        lastKey = key
      }
      if name[dot...] == ".json" { samples[samples.count - 1].json = Array(data[0..<size]) }
    }
    guard total == entry.bytes, hasher.finish() == entry.sha256 else { return nil }
    return samples
  }
}
