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
  /// WebDataset: where shards are written and journalled so that a re-run after a kill keeps the finished ones
  /// (`ShardJournal`); nil: straight into the export.
  var resumeFolder: String?
  /// The tool's version: part of what decides a shard's bytes (a resumed export never mixes versions' shards).
  var toolVersion = ""
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
  /// The SHA-256 of the bytes written so far.
  private let hasher = SHA256Stream()

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

  /// Ends the archive and moves it to its final name; returns the SHA-256 of its bytes.
  @discardableResult
  func finish() throws -> String {
    try write([UInt8](repeating: 0, count: Self.endSize))
    let code = close(fd)
    fd = -1
    if code != 0 {
      let error = errno
      unlink(partial)
      throw ExportError.io(path: partial, errno: error)
    }
    guard rename(partial, path) == 0 else { throw ExportError.io(path: path, errno: errno) }
    return hasher.finish()
  }

  private func write(_ bytes: [UInt8]) throws {
    hasher.update(bytes)
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

/// One WebDataset sample as written: its tar members, what was written for its image, and its recipe (what decides
/// its bytes, known without reading the image: the `ShardJournal` digests chain the recipes).
struct WebDatasetSample {
  var members: [(name: String, bytes: [UInt8])]
  var placed: PlacedImage
  var recipe: [UInt8]
  /// Its bytes in a tar (headers and padding).
  var size: Int { members.reduce(0) { $0 + TarShard.entrySize($1.bytes.count) } }
}

/// A sample's fields but those of the bytes written (`sha256`, `original`), its image member's extension and its
/// `.cls` member.
struct WebDatasetFields {
  var object: [String: Any]
  var fileExtension: String
  var cls: [UInt8]?

  /// The `.json` member, with the written image's SHA-256 (and its original's, when resized).
  func json(_ placed: PlacedImage) throws -> [UInt8] {
    var object = object
    object["sha256"] = placed.sha256
    if let original = placed.original { object["original"] = original.jsonObject }
    return try Self.serialized(object)
  }

  /// What decides the sample's bytes: the fields, the stored image's SHA-256, the size it is resized from, the
  /// extension (the resize bound and quality are in the journal's seed).
  func recipe(_ item: ExportItem) throws -> [UInt8] {
    var object = object
    object["sha256"] = item.sha256
    if let from = item.resizedFrom { object["resizedFrom"] = [from.width, from.height] }
    return try Self.serialized(object) + Array(("\n" + fileExtension).utf8)
  }

  static func serialized(_ object: [String: Any]) throws -> [UInt8] {
    [UInt8](try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
  }
}

/// A journalled shard checked against the export about to be written.
enum ShardReuse {
  /// Kept: the samples it holds (image id, key, what was written), where the next shard starts, the digest and
  /// keys so far.
  case kept(
    samples: [(imageID: Int64, key: String, placed: PlacedImage)], end: Int, chain: String, usedKeys: Set<String>)
  /// Its file is missing or not as journalled: written again.
  case rewrite
  /// The export differs from the one that wrote it (catalog, split, flags or tool changed): it and every later shard
  /// are written again.
  case planChanged
}

extension ExportWriter {
  /// WebDataset: per subset, tar shards `<subset>-000000.tar`, … of at most `extras.shardSize` bytes, each
  /// sample `<key>.<ext>` (the image), `<key>.cls` (its label's class index, when it has a label of the export's
  /// classes) and `<key>.json` (label, boxes, size, SHA-256, license, origins, parent); and `<subset>-shards.txt`
  /// listing the subset's shards in order. A key is the first 16 hex digits of the image's SHA-256 (all 64 when
  /// two images share those 16): no dots, as WebDataset splits a member name at the first dot of its basename.
  /// A sample larger than the limit alone gets a shard of its own, and a note says so.
  ///
  /// With `extras.resumeFolder`, shards are written and journalled there (`ShardJournal`): the shards a killed run
  /// finished are kept when verified (size, SHA-256, and the same export up to their end), only the rest is
  /// written, and all join the export by hard link, so the result is byte-identical to an uninterrupted export.
  func webDataset(_ plan: ExportPlan) throws {
    let index = Dictionary(plan.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    let journal = try extras.resumeFolder.map { try ShardJournal(folder: $0) }
    let shardFolder = journal?.folder ?? root
    var resuming = journal?.entries.isEmpty == false
    var usedKeys: Set<String> = []
    var chain = ShardJournal.seed(
      "datasetkit \(extras.toolVersion)\nwebdataset\nshard-size \(extras.shardSize)\nresize \(extras.resize?.summary ?? "-")\nclasses \(String(decoding: try WebDatasetFields.serialized(["classes": plan.classes]), as: UTF8.self))"
    )
    for subset in plan.subsets {
      chain = ShardJournal.link(chain, Array("subset \(subset.name)".utf8))
      let items = subset.items
      var names: [String] = []
      var shard: TarShard?
      // The sample that ended the last shard, made once: it opens the next one.
      var pending: (index: Int, sample: WebDatasetSample)?
      func close(_ boundary: ShardBoundary, through: String) throws {
        guard let open = shard else { return }
        let digest = try open.finish()
        files += 1
        shard = nil
        try journal?.record(
          ShardJournal.Entry(
            shard: names.last ?? "", bytes: open.size, sha256: digest, samples: open.samples, closedBy: boundary,
            through: through))
      }
      var i = 0
      while i < items.count {
        let name = subset.name + "-" + String(format: "%06d", names.count) + ".tar"
        if shard == nil, resuming, let journal, let entry = journal.entries[name] {
          switch try reuse(
            entry, journal: journal, items: items, from: i, chain: chain, usedKeys: usedKeys,
            subset: subset.name, index: index)
          {
          case .kept(let samples, let end, let after, let keys):
            names.append(name)
            files += 1
            keptShards += 1
            for sample in samples {
              placed[sample.imageID] = name
              self.keys[sample.imageID] = sample.key
              written[sample.imageID] = sample.placed
            }
            if entry.closedBy == .alone, let only = samples.first {
              notes.append(oversized(only.key, subset: subset.name, bytes: entry.bytes, shard: name))
            }
            (chain, usedKeys, i, pending) = (after, keys, end, nil)
            continue
          case .rewrite: break
          case .planChanged: resuming = false
          }
        }
        let item = items[i]
        let key = Self.key(of: item, used: usedKeys)
        let sample: WebDatasetSample
        if let pending, pending.index == i {
          sample = pending.sample
        } else {
          sample = try self.sample(item, key: key, subset: subset.name, index: index)
        }
        let through = ShardJournal.link(chain, sample.recipe)
        if let open = shard, open.size + sample.size + TarShard.endSize > extras.shardSize {
          try close(.next, through: through)
          pending = (i, sample)
          continue
        }
        if shard == nil {
          names.append(name)
          shard = try TarShard(path: shardFolder + "/" + name)
        }
        try shard?.append(sample.members)
        usedKeys.insert(key)
        chain = through
        placed[item.imageID] = names.last
        keys[item.imageID] = key
        written[item.imageID] = sample.placed
        if sample.size + TarShard.endSize > extras.shardSize {
          notes.append(oversized(key, subset: subset.name, bytes: sample.size + TarShard.endSize, shard: name))
          try close(.alone, through: chain)
        }
        i += 1
      }
      try close(.end, through: ShardJournal.link(chain, ShardJournal.endMark))
      shardLists[subset.name] = names
      try file(subset.name + "-shards.txt", names.map { $0 + "\n" }.joined())
    }
    // The shards join the export as the very files written (hard links: inode and time kept); the resume folder
    // goes once the export is in place.
    if shardFolder != root {
      for name in plan.subsets.flatMap({ shardLists[$0.name] ?? [] }) {
        let from = shardFolder + "/" + name
        let to = root + "/" + name
        if Glibc.link(from, to) != 0 && rename(from, to) != 0 { throw ExportError.io(path: to, errno: errno) }
      }
    }
  }

  /// A sample's key: the first 16 hex digits of its SHA-256, all 64 when another sample has those 16.
  static func key(of item: ExportItem, used: Set<String>) -> String {
    let short = String(item.sha256.prefix(16))
    return used.contains(short) ? item.sha256 : short
  }

  func oversized(_ key: String, subset: String, bytes: Int, shard: String) -> String {
    "sample \(key) (\(subset)) is \(bytes) bytes as a shard, over --shard-size \(extras.shardSize): it has a shard of its own (\(shard))"
  }

  /// A sample's fields (label, class index, boxes, size, license, origins, parent) but the written bytes' SHA-256.
  func fields(_ item: ExportItem, key: String, subset: String, index: [String: Int]) -> WebDatasetFields {
    var ext = URL(fileURLWithPath: item.fileName).pathExtension.lowercased()
    if ext == "jpeg" || ext.isEmpty { ext = "jpg" }
    var object: [String: Any] = [
      "key": key, "subset": subset, "width": item.width, "height": item.height,
      "origins": extras.origins[item.imageID] ?? [],
      "boxes": item.boxes.map { box -> [String: Any] in
        var object: [String: Any] = [
          "label": box.className, "xmin": box.box.xmin, "ymin": box.box.ymin, "xmax": box.box.xmax,
          "ymax": box.box.ymax, "difficult": box.difficult, "truncated": box.truncated,
        ]
        if let classIndex = index[box.className] { object["classIndex"] = classIndex }
        return object
      },
    ]
    var cls: [UInt8]?
    if let label = item.label {
      object["label"] = label
      if let classIndex = index[label] {
        object["classIndex"] = classIndex
        cls = Array("\(classIndex)".utf8)
      }
    }
    if let license = item.license { object["license"] = license }
    if let parent = extras.parents[item.imageID] { object["parent"] = parent }
    return WebDatasetFields(object: object, fileExtension: ext, cls: cls)
  }

  /// A sample as written: the image read (and resized), its `.cls` and `.json`.
  func sample(_ item: ExportItem, key: String, subset: String, index: [String: Int]) throws -> WebDatasetSample {
    let fields = fields(item, key: key, subset: subset, index: index)
    let from = item.resizedFrom ?? (item.width, item.height)
    let (image, placedImage) = try placer.bytes(
      sha256: item.sha256, width: from.width, height: from.height,
      size: item.resizedFrom == nil ? nil : (item.width, item.height), fileExtension: fields.fileExtension)
    var members: [(name: String, bytes: [UInt8])] = [(key + "." + fields.fileExtension, image)]
    if let cls = fields.cls { members.append((key + ".cls", cls)) }
    members.append((key + ".json", try fields.json(placedImage)))
    return WebDatasetSample(members: members, placed: placedImage, recipe: try fields.recipe(item))
  }

  /// Whether journalled shard `entry` can stand for the next shard, which would start at `items[start]`: its file
  /// verified (`ShardJournal.verifiedSamples`), its samples those items with the same keys and `.json` bytes, and
  /// the digest of the export up to what ended it equal to the journal's.
  func reuse(
    _ entry: ShardJournal.Entry, journal: ShardJournal, items: [ExportItem], from start: Int, chain: String,
    usedKeys: Set<String>, subset: String, index: [String: Int]
  ) throws -> ShardReuse {
    guard let found = journal.verifiedSamples(entry), found.count == entry.samples else { return .rewrite }
    guard start + found.count <= items.count else { return .planChanged }
    var keys = usedKeys
    var digest = chain
    var samples: [(imageID: Int64, key: String, placed: PlacedImage)] = []
    for (offset, sample) in found.enumerated() {
      let item = items[start + offset]
      let key = Self.key(of: item, used: keys)
      guard key == sample.key,
        let object = try? JSONSerialization.jsonObject(with: Data(sample.json)) as? [String: Any],
        let sha256 = object["sha256"] as? String
      else { return .planChanged }
      var placedImage = PlacedImage(sha256: sha256)
      if let original = object["original"] as? [String: Any] {
        guard let sha = original["sha256"] as? String, let width = original["width"] as? Int,
          let height = original["height"] as? Int
        else { return .planChanged }
        placedImage.original = ManifestOriginal(sha256: sha, width: width, height: height)
      }
      let fields = fields(item, key: key, subset: subset, index: index)
      guard try fields.json(placedImage) == sample.json else { return .planChanged }
      digest = ShardJournal.link(digest, try fields.recipe(item))
      keys.insert(key)
      samples.append((item.imageID, key, placedImage))
    }
    let end = start + found.count
    var through: String?
    switch entry.closedBy {
    case .end: if end == items.count { through = ShardJournal.link(digest, ShardJournal.endMark) }
    case .alone: if found.count == 1 { through = digest }
    case .next:
      if end < items.count {
        let next = items[end]
        let nextFields = fields(next, key: Self.key(of: next, used: keys), subset: subset, index: index)
        through = ShardJournal.link(digest, try nextFields.recipe(next))
      }
    }
    guard through == entry.through else { return .planChanged }
    return .kept(samples: samples, end: end, chain: digest, usedKeys: keys)
  }
}
