import Annotations
import Catalog
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// What `Exporter` hands the writer besides the plan: resizing, the shard size, and each image's provenance
/// (WebDataset writes it into every sample).
struct WriterExtras {
  var resize: ExportResize?
  var shardSize = ShardSize.defaultBytes
  /// Each image's origins, as the manifest writes them.
  var origins: [Int64: [[String: Any]]] = [:]
  /// Each derived image's parent, as the manifest writes it.
  var parents: [Int64: [String: Any]] = [:]
}

/// `--shard-size`: a hard maximum of a WebDataset shard's bytes.
public enum ShardSize {
  /// 500 MB, as img2dataset and WebDataset's `ShardWriter` suggest.
  public static let defaultBytes = 500_000_000
  /// 10 KB to 1 TB.
  public static let bytes = 10_000...1_000_000_000_000

  /// `500MB`, `1GB`, `64KiB`, `2000000` (bytes): K, M, G, T are powers of 1000, KiB, MiB, GiB, TiB of 1024;
  /// a `B` suffix is optional, case is ignored. Nil for anything else or outside `bytes`.
  public static func parse(_ text: String) -> Int? {
    let lowered = text.trimmingCharacters(in: .whitespaces).lowercased()
    let units: [(String, Int)] = [
      ("tib", 1 << 40), ("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
      ("tb", 1_000_000_000_000), ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1000),
      ("t", 1_000_000_000_000), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1),
    ]
    var number = lowered
    var factor = 1
    for (suffix, value) in units where lowered.hasSuffix(suffix) {
      number = String(lowered.dropLast(suffix.count)).trimmingCharacters(in: .whitespaces)
      factor = value
      break
    }
    guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
      let value = Double(number), value.isFinite
    else { return nil }
    let total = (value * Double(factor)).rounded(.down)
    guard total >= Double(bytes.lowerBound), total <= Double(bytes.upperBound) else { return nil }
    return Int(total)
  }
}

/// One tar file written front to back (POSIX ustar: 512-byte headers, data padded to 512 bytes, two zero
/// blocks at the end), under `<name>.partial` until `finish()` renames it, so a file under its final name is
/// always complete. Every header is the same but for name, size and checksum (mode 0644, owner 0, time 0),
/// so the same samples give the same bytes.
final class TarShard {
  let path: String
  let partial: String
  private var fd: Int32
  /// Bytes written so far (headers and padding included, end blocks not).
  private(set) var size = 0
  private(set) var samples = 0

  /// A tar member's bytes in the file: header and data padded to the block.
  static func entrySize(_ count: Int) -> Int { 512 + (count + 511) / 512 * 512 }
  /// The two zero blocks that end a tar file.
  static let endSize = 1024

  init(path: String) throws {
    self.path = path
    partial = path + ".partial"
    fd = open(partial, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    if fd < 0 { throw ExportError.io(path: partial, errno: errno) }
  }

  deinit {
    // Never finished (an error on the way): nothing is left that looks like a shard.
    if fd >= 0 {
      close(fd)
      unlink(partial)
    }
  }

  /// Appends one sample: its members in order, each `key.extension`.
  func append(_ members: [(name: String, bytes: [UInt8])]) throws {
    for member in members {
      try write(Self.header(name: member.name, size: member.bytes.count))
      try write(member.bytes)
      let padding = (512 - member.bytes.count % 512) % 512
      if padding > 0 { try write([UInt8](repeating: 0, count: padding)) }
    }
    samples += 1
  }

  /// Ends the archive and moves it to its final name.
  func finish() throws {
    try write([UInt8](repeating: 0, count: Self.endSize))
    let code = close(fd)
    fd = -1
    if code != 0 {
      let error = errno
      unlink(partial)
      throw ExportError.io(path: partial, errno: error)
    }
    guard rename(partial, path) == 0 else { throw ExportError.io(path: path, errno: errno) }
  }

  private func write(_ bytes: [UInt8]) throws {
    var done = 0
    while done < bytes.count {
      let n = bytes.withUnsafeBytes { raw in
        raw.baseAddress.map { Glibc.write(fd, $0 + done, bytes.count - done) } ?? 0
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw ExportError.io(path: partial, errno: errno)
      }
      done += n
    }
    size += bytes.count
  }

  /// A ustar header: `name` (at most 100 bytes: callers' names are keys of at most 64 hex digits and an
  /// extension), `size` in octal.
  static func header(name: String, size: Int) throws -> [UInt8] {
    let nameBytes = Array(name.utf8)
    guard nameBytes.count <= 100, size < 0o77777777777 else {
      throw ExportError.exportFailed(path: name, message: "a tar member name over 100 bytes or over 8 GiB")
    }
    var header = [UInt8](repeating: 0, count: 512)
    func put(_ text: String, at offset: Int) {
      for (index, byte) in text.utf8.enumerated() { header[offset + index] = byte }
    }
    put(name, at: 0)
    put("0000644", at: 100)  // mode
    put("0000000", at: 108)  // uid
    put("0000000", at: 116)  // gid
    put(String(format: "%011o", size), at: 124)
    put("00000000000", at: 136)  // mtime
    put("        ", at: 148)  // checksum, as spaces while summing
    put("0", at: 156)  // regular file
    put("ustar", at: 257)
    put("00", at: 263)
    let sum = header.reduce(0) { $0 + Int($1) }
    put(String(format: "%06o", sum), at: 148)
    header[154] = 0
    header[155] = 0x20
    return header
  }
}

extension ExportWriter {
  /// WebDataset: per subset, tar shards `<subset>-000000.tar`, … of at most `extras.shardSize` bytes, each
  /// sample `<key>.<ext>` (the image), `<key>.cls` (its label's class index, when it has a label of the export's
  /// classes) and `<key>.json` (label, boxes, size, SHA-256, license, origins, parent); and `<subset>-shards.txt`
  /// listing the subset's shards in order. A key is the first 16 hex digits of the image's SHA-256 (all 64 when
  /// two images share those 16): no dots, as WebDataset splits a member name at the first dot of its basename.
  /// A sample larger than the limit alone gets a shard of its own, and a note says so.
  func webDataset(_ plan: ExportPlan) throws {
    let index = Dictionary(plan.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    var usedKeys: Set<String> = []
    for subset in plan.subsets {
      var names: [String] = []
      var shard: TarShard?
      func close() throws {
        try shard?.finish()
        if shard != nil { files += 1 }
        shard = nil
      }
      for item in subset.items {
        var key = String(item.sha256.prefix(16))
        if usedKeys.contains(key) { key = item.sha256 }
        usedKeys.insert(key)
        var ext = URL(fileURLWithPath: item.fileName).pathExtension.lowercased()
        if ext == "jpeg" || ext.isEmpty { ext = "jpg" }
        let from = item.resizedFrom ?? (item.width, item.height)
        let (image, placedImage) = try placer.bytes(
          sha256: item.sha256, width: from.width, height: from.height,
          size: item.resizedFrom == nil ? nil : (item.width, item.height), fileExtension: ext)
        var sample: [String: Any] = [
          "key": key, "subset": subset.name, "width": item.width, "height": item.height,
          "sha256": placedImage.sha256, "origins": extras.origins[item.imageID] ?? [],
          "boxes": item.boxes.map { box -> [String: Any] in
            var object: [String: Any] = [
              "label": box.className, "xmin": box.box.xmin, "ymin": box.box.ymin, "xmax": box.box.xmax,
              "ymax": box.box.ymax, "difficult": box.difficult, "truncated": box.truncated,
            ]
            if let classIndex = index[box.className] { object["classIndex"] = classIndex }
            return object
          },
        ]
        var members: [(name: String, bytes: [UInt8])] = [(key + "." + ext, image)]
        if let label = item.label {
          sample["label"] = label
          if let classIndex = index[label] {
            sample["classIndex"] = classIndex
            members.append((key + ".cls", Array("\(classIndex)".utf8)))
          }
        }
        if let license = item.license { sample["license"] = license }
        if let original = placedImage.original { sample["original"] = original.jsonObject }
        if let parent = extras.parents[item.imageID] { sample["parent"] = parent }
        members.append(
          (
            key + ".json",
            [UInt8](
              try JSONSerialization.data(withJSONObject: sample, options: [.sortedKeys, .withoutEscapingSlashes]))
          ))
        let bytes = members.reduce(0) { $0 + TarShard.entrySize($1.bytes.count) }
        if let open = shard, open.size + bytes + TarShard.endSize > extras.shardSize { try close() }
        if shard == nil {
          let name = subset.name + "-" + String(format: "%06d", names.count) + ".tar"
          names.append(name)
          shard = try TarShard(path: root + "/" + name)
        }
        try shard?.append(members)
        placed[item.imageID] = names.last
        keys[item.imageID] = key
        written[item.imageID] = placedImage
        if bytes + TarShard.endSize > extras.shardSize {
          notes.append(
            "sample \(key) (\(subset.name)) is \(bytes + TarShard.endSize) bytes as a shard, over --shard-size \(extras.shardSize): it has a shard of its own (\(names.last ?? ""))"
          )
          try close()
        }
      }
      try close()
      shardLists[subset.name] = names
      try file(subset.name + "-shards.txt", names.map { $0 + "\n" }.joined())
    }
  }
}
