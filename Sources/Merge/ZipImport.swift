import Catalog
import Foundation
import Ingest
import ZIPFoundation

/// Limits that stop hostile archives. ZIPFoundation has none: they are counted here, on the bytes
/// its inflater actually produces, not on what the headers claim.
public struct ZipLimits: Sendable {
  /// More entries than this (declared in the end record) refuses the archive before reading them.
  public var maxEntries = 500_000
  /// Inflated bytes of the whole archive.
  public var maxTotalBytes: Int64 = 64 << 30
  /// Inflated ÷ compressed size of one entry, checked once it has produced `ratioFloorBytes`.
  public var maxRatio: Int64 = 200
  public var ratioFloorBytes: Int64 = 1 << 20
  /// Entries larger than this are streamed (to check their CRC) but not kept.
  public var maxEntryBytes: Int64 = 256 << 20

  public init() {}
}

/// What happened to the entries of an archive before any image was ingested.
public struct ZipEntryReport: Sendable, Codable {
  public var archive: String
  public var entries = 0
  public var folders = 0
  /// Files staged for the ingest (regular files with safe, unique names).
  public var files = 0
  /// `__MACOSX/…`, `.DS_Store`, `Thumbs.db`, `desktop.ini`: skipped and counted.
  public var junk: [String] = []
  /// Names that would leave the folder (`../x`, `/tmp/x`, `..\x`, `C:/x`, NUL): rejected, never written.
  public var unsafeNames: [FileIssue] = []
  /// Symbolic links, hard links and device entries: never followed nor created.
  public var links: [FileIssue] = []
  /// Later entries whose name repeats an earlier one exactly, by case only, or by Unicode
  /// normalization (NFC vs NFD): the first in central-directory order is kept.
  public var duplicates: [FileIssue] = []
  /// Zips inside the zip: not opened.
  public var nestedArchives: [FileIssue] = []
  /// Entries over the per-entry size limit: streamed to check their CRC, not kept.
  public var oversized: [FileIssue] = []
  public var bytesInflated: Int64 = 0
}

/// A verified archive whose kept entries sit as files in a staging folder.
public struct StagedArchive {
  /// One per kept entry: `path` is the staged file, `relativePath` the entry name bytes.
  public var files: [FoundFile]
  public var report: ZipEntryReport
  /// The staging folder; the caller removes it (`remove()`).
  public var folder: String

  public func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// Reading Kaggle-style zip archives safely: every entry is checked, streamed through counted limits
/// and staged; an archive is handed to the ingest only once all of it verified (CRC of every kept
/// entry), so a damaged or hostile archive adds no rows at all.
public enum ZipImport {
  /// Checks and stages `path` into a new folder under `stagingRoot`. Throws `MergeError.archive` for
  /// anything that makes the whole archive untrustworthy (truncated, CRC mismatch, encrypted, bomb),
  /// after removing what it staged.
  public static func stage(path: String, stagingRoot: String, limits: ZipLimits = ZipLimits()) throws
    -> StagedArchive
  {
    guard FileIO.exists(path) else { throw IngestError.pathNotFound(path) }
    let directory = try ZipDirectory.read(path: path, maxEntries: limits.maxEntries)
    var report = ZipEntryReport(archive: path)
    report.entries = directory.entries.count

    // 1. Decide, from the directory alone, which entries to keep.
    var kept: [ZipDirectoryEntry] = []
    var firstByKey: [[UInt8]: [UInt8]] = [:]
    var declaredTotal: UInt64 = 0
    for entry in directory.entries {
      let name = FileIO.display(entry.name)
      if entry.isEncrypted {
        throw MergeError.archive(
          path: path,
          reason: "entry \(name) is encrypted; datasetkit does not read encrypted archives (unpack it yourself)")
      }
      if let type = entry.unixFileType, type == 0o120000 {
        report.links.append(FileIssue(path: name, reason: "symbolic link: not followed, not created"))
        continue
      }
      if let type = entry.unixFileType, type != 0o100000, type != 0o040000 {
        report.links.append(FileIssue(path: name, reason: "not a regular file (hard link or device entry): skipped"))
        continue
      }
      if entry.isDirectory || entry.unixFileType == 0o040000 {
        report.folders += 1
        continue
      }
      if let reason = unsafeReason(entry.name) {
        report.unsafeNames.append(FileIssue(path: name, reason: reason))
        continue
      }
      if isJunk(entry.name) {
        report.junk.append(name)
        continue
      }
      if name.lowercased().hasSuffix(".zip") {
        report.nestedArchives.append(FileIssue(path: name, reason: "archive inside the archive: not opened"))
        continue
      }
      let key = duplicateKey(entry.name)
      if let first = firstByKey[key] {
        let how =
          first == entry.name
          ? "same name"
          : (normalized(first) == normalized(entry.name)
            ? "same name in another Unicode normalization (NFC/NFD)" : "same name up to case")
        report.duplicates.append(
          FileIssue(path: name, reason: "\(how) as \(FileIO.display(first)), which comes first and is kept"))
        continue
      }
      guard entry.method == 0 || entry.method == 8 else {
        throw MergeError.archive(
          path: path, reason: "entry \(name) uses compression method \(entry.method); only stored and deflate are read")
      }
      firstByKey[key] = entry.name
      // Saturating: many entries each declaring close to 2⁶³ bytes must not wrap the sum past the limit.
      let (sum, overflow) = declaredTotal.addingReportingOverflow(entry.uncompressedSize)
      declaredTotal = overflow ? UInt64.max : sum
      kept.append(entry)
    }
    if declaredTotal > UInt64(limits.maxTotalBytes) {
      throw MergeError.archive(
        path: path,
        reason: "entries declare \(declaredTotal) bytes in all, over the limit of \(limits.maxTotalBytes) (zip bomb?)")
    }

    // 2. Stream every kept entry through the counting consumer into the staging folder.
    let folder = stagingRoot + "/zip-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    do {
      let archive: Archive
      do {
        archive = try Archive(url: URL(fileURLWithPath: path), accessMode: .read)
      } catch {
        throw MergeError.archive(path: path, reason: "ZIPFoundation cannot open it (\(error))")
      }
      var byIndex: [Int: Entry] = [:]
      let wanted = Set(kept.map(\.index))
      for (index, entry) in archive.enumerated() where wanted.contains(index) { byIndex[index] = entry }
      var files: [FoundFile] = []
      var total: Int64 = 0
      for entry in kept {
        let name = FileIO.display(entry.name)
        guard let zipEntry = byIndex[entry.index] else {
          throw MergeError.archive(path: path, reason: "entry \(name) cannot be read: damaged archive")
        }
        let staged = folder + "/\(entry.index)"
        let counter = EntryCounter(
          path: path, name: name, compressed: Int64(entry.compressedSize), declared: Int64(entry.uncompressedSize),
          limits: limits, totalBefore: total, stagedPath: staged)
        do {
          // ZIPFoundation computes the CRC of what it inflates but, with a consumer, does not compare it.
          let crc = try archive.extract(zipEntry, bufferSize: 64 << 10, skipCRC32: false) { data in
            try counter.consume(data)
          }
          try counter.finish()
          if counter.produced != Int64(entry.uncompressedSize) {
            throw MergeError.archive(
              path: path,
              reason:
                "entry \(name) gives \(counter.produced) bytes, not the \(entry.uncompressedSize) its header declares: damaged or truncated archive"
            )
          }
          if crc != entry.crc32 { throw Archive.ArchiveError.invalidCRC32 }
        } catch let error as MergeError {
          throw error
        } catch let error as Archive.ArchiveError {
          switch error {
          case .invalidCRC32:
            throw MergeError.archive(path: path, reason: "entry \(name) fails its CRC-32 check: damaged archive")
          default:
            throw MergeError.archive(
              path: path, reason: "entry \(name) cannot be read (\(error)): damaged or truncated archive")
          }
        } catch {
          throw MergeError.archive(
            path: path, reason: "entry \(name) cannot be read (\(error)): damaged or truncated archive")
        }
        total += counter.produced
        if counter.produced > limits.maxEntryBytes {
          report.oversized.append(
            FileIssue(
              path: name, reason: "\(counter.produced) bytes, over the \(limits.maxEntryBytes)-byte limit for one file")
          )
          continue
        }
        files.append(
          FoundFile(
            path: Array(staged.utf8), relativePath: entry.name, size: counter.produced,
            modifiedNanoseconds: entry.modifiedNanoseconds))
      }
      report.files = files.count
      report.bytesInflated = total
      return StagedArchive(files: files, report: report, folder: folder)
    } catch {
      try? FileManager.default.removeItem(atPath: folder)
      throw error
    }
  }

  /// Checks, stages and ingests a folder-per-class archive (labels from the folder holding each
  /// entry). The source is of kind `zip`, keyed by the archive's absolute path.
  public static func run(
    path: String, catalog: Catalog, name: String? = nil, license: String? = nil,
    options: IngestOptions = IngestOptions(), limits: ZipLimits = ZipLimits(),
    progress: (IngestProgress) -> Void = { _ in }
  ) throws -> (entries: ZipEntryReport, images: IngestReport) {
    let staged = try stage(path: path, stagingRoot: catalog.workspace.root + "/tmp", limits: limits)
    defer { staged.remove() }
    let candidates = FolderImport.candidates(staged.files, license: license)
    let images = try Ingester(catalog: catalog, options: options).ingest(
      candidates, source: source(path: path, name: name, license: license), progress: progress)
    return (staged.report, images)
  }

  /// True for a regular file that starts like a zip (or is named `.zip`): `import` reads it as an archive.
  public static func looksLikeArchive(_ path: String) -> Bool {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue else {
      return false
    }
    if path.lowercased().hasSuffix(".zip") { return true }
    // Only the first four bytes, and never from a FIFO or device (reading one would wait forever).
    guard let file = try? ZipFile(path: path), let head = try? file.bytes(at: 0, count: min(4, Int(file.size))) else {
      return false
    }
    return head == [0x50, 0x4B, 0x03, 0x04] || head == [0x50, 0x4B, 0x05, 0x06]
  }

  /// The source row of an archive: kind `zip`, its absolute path as URI.
  public static func source(path: String, name: String?, license: String?) -> SourceSpec {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    return SourceSpec(
      kind: "zip", name: name ?? SourceSpec.defaultName(forPath: absolute), uri: absolute, license: license)
  }

  /// Why an entry name is unsafe to use as a path, or nil.
  static func unsafeReason(_ name: [UInt8]) -> String? {
    if name.isEmpty { return "empty name" }
    if name.contains(0) { return "NUL byte in the name" }
    if name.first == UInt8(ascii: "/") || name.first == UInt8(ascii: "\\") {
      return "absolute path: would be written outside the folder (zip slip)"
    }
    if name.count >= 2, name[1] == UInt8(ascii: ":"), (UInt8(ascii: "A")...UInt8(ascii: "z")).contains(name[0]) {
      return "Windows drive path: would be written outside the folder (zip slip)"
    }
    let parts = name.split(whereSeparator: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") })
    if parts.contains(where: { Array($0) == [0x2E, 0x2E] }) {
      return "\"..\" in the path: would be written outside the folder (zip slip)"
    }
    return nil
  }

  static func isJunk(_ name: [UInt8]) -> Bool {
    let parts = name.split(separator: UInt8(ascii: "/")).map { String(decoding: $0, as: UTF8.self) }
    if parts.contains("__MACOSX") { return true }
    guard let last = parts.last else { return false }
    return last == ".DS_Store" || last == "Thumbs.db" || last == "desktop.ini" || last.hasPrefix("._")
  }

  static func normalized(_ name: [UInt8]) -> [UInt8] {
    guard let text = String(validating: name, as: UTF8.self) else { return name }
    return Array(text.precomposedStringWithCanonicalMapping.utf8)
  }

  /// Names that collide when unpacked on a case-insensitive or normalizing file system collide here.
  static func duplicateKey(_ name: [UInt8]) -> [UInt8] {
    guard let text = String(validating: name, as: UTF8.self) else { return name }
    return Array(text.precomposedStringWithCanonicalMapping.lowercased().utf8)
  }
}

/// Counts the bytes ZIPFoundation inflates for one entry and writes them to the staging file, stopping
/// the moment a limit is passed.
final class EntryCounter {
  let path: String
  let name: String
  let compressed: Int64
  let declared: Int64
  let limits: ZipLimits
  let totalBefore: Int64
  let stagedPath: String
  var produced: Int64 = 0
  var handle: FileHandle?
  var failure: Error?

  init(
    path: String, name: String, compressed: Int64, declared: Int64, limits: ZipLimits, totalBefore: Int64,
    stagedPath: String
  ) {
    self.path = path
    self.name = name
    self.compressed = compressed
    self.declared = declared
    self.limits = limits
    self.totalBefore = totalBefore
    self.stagedPath = stagedPath
  }

  func consume(_ data: Data) throws {
    produced += Int64(data.count)
    if produced > declared {
      throw MergeError.archive(
        path: path,
        reason: "entry \(name) inflates past the \(declared) bytes its header declares (zip bomb or damaged archive)")
    }
    if totalBefore + produced > limits.maxTotalBytes {
      throw MergeError.archive(
        path: path,
        reason: "the archive inflates past \(limits.maxTotalBytes) bytes in all (zip bomb?); stopped at entry \(name)")
    }
    if produced > limits.ratioFloorBytes, produced > max(1, compressed) * limits.maxRatio {
      throw MergeError.archive(
        path: path,
        reason:
          "entry \(name) inflates more than \(limits.maxRatio)× its compressed size of \(compressed) bytes (zip bomb?)")
    }
    if produced > limits.maxEntryBytes {
      // Too big to keep: go on counting (the CRC is still checked) but write nothing more.
      if let handle {
        try? handle.close()
        self.handle = nil
        try? FileManager.default.removeItem(atPath: stagedPath)
      }
      return
    }
    if handle == nil {
      guard FileManager.default.createFile(atPath: stagedPath, contents: nil),
        let opened = FileHandle(forWritingAtPath: stagedPath)
      else {
        throw MergeError.archive(path: path, reason: "cannot write the staging file \(stagedPath)")
      }
      handle = opened
    }
    try handle?.write(contentsOf: data)
  }

  func finish() throws {
    if produced <= limits.maxEntryBytes && handle == nil {
      // An empty entry: stage an empty file so the ingest reports it like any other.
      FileManager.default.createFile(atPath: stagedPath, contents: nil)
    }
    try handle?.close()
    handle = nil
  }
}
