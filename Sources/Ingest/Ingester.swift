import Catalog
import Foundation
import Parallel

/// Limits and tuning for an ingest run.
public struct IngestOptions: Sendable {
  /// Images whose header declares more pixels than this are rejected before any decode.
  public var maxPixels: Int = ImageHeader.defaultMaxPixels
  /// Files larger than this are rejected without being read.
  public var maxFileBytes: Int = 256 << 20
  /// Images committed per catalog transaction.
  public var batchSize: Int = 512
  /// Worker threads for reading, sniffing, hashing and staging. More than the cores: much of the
  /// work is waiting on file creation in the store, which overlaps well.
  public var workers: Int = max(4, ProcessInfo.processInfo.activeProcessorCount * 4)

  public init() {}
}

/// One file or buffer offered to the catalog.
public struct IngestCandidate: Sendable {
  public enum Content: Sendable {
    /// A file to read, by absolute path bytes.
    case file([UInt8])
    /// Bytes already in memory (a download, a zip entry).
    case bytes([UInt8])
  }

  public var content: Content
  public var origin: OriginFacts
  public var label: String?
  public var labelHow: String

  public init(content: Content, origin: OriginFacts, label: String? = nil, labelHow: String = "folder") {
    self.content = content
    self.origin = origin
    self.label = label
    self.labelHow = labelHow
  }
}

/// A file that was not imported as a clean image, and why.
public struct FileIssue: Sendable, Codable, Hashable {
  public var path: String
  public var reason: String

  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
}

/// What an ingest run did. Every file offered ends in exactly one of the counted outcomes.
public struct IngestReport: Sendable, Codable {
  public var sourceID: Int64 = 0
  public var sourceName: String = ""
  public var sourceCreated = false
  public var filesSeen = 0
  /// New images in the catalog.
  public var added = 0
  /// Files whose bytes were already in the catalog (from another source or path): one more origin.
  public var knownBytes = 0
  /// Files this source had recorded before with the same bytes: nothing to do.
  public var unchanged = 0
  /// Stored, but flagged: damaged files (truncated JPEG, ...), status `quarantined`.
  public var quarantined: [FileIssue] = []
  /// Refused: header bombs, unreadable headers, files over the size limit.
  public var rejected: [FileIssue] = []
  /// Skipped by magic bytes: not an allow-listed image (the reason names what it looks like).
  public var notImages: [FileIssue] = []
  /// Files that could not be read.
  public var errors: [FileIssue] = []
  /// Things the folder walk did not follow (symbolic links out of the root, ...).
  public var walkSkipped: [WalkSkip] = []
  /// Names that are not plain UTF-8 text (bytes like 0xFF, control characters such as newline).
  public var oddNames: [String] = []
  /// Labels of the images recorded in this run (added, known bytes or unchanged), with counts, as the catalog
  /// stores them (`Catalog.className`: NFC, control characters as spaces, trimmed).
  public var labels: [String: Int] = [:]
  /// Labels that several distinct names (folder names, table values) became under that rule, each with the
  /// names, sorted (`x` and `x `; `a b`, `a<TAB>b` and `a<LF>b`).
  public var mergedNames: [String: [String]] = [:]
  public var bytesRead: Int64 = 0
}

/// Progress of an ingest run, reported after each committed batch.
public struct IngestProgress: Sendable {
  public var processed: Int
  public var total: Int
  public var bytes: Int64
}

/// The single ingest path: sniff type, read the header's dimensions (header bombs refused before any
/// decode), hash, store, and record image + origin + label. Reading and hashing run on all cores; the
/// catalog is written from the calling thread in one transaction per batch, after the batch's objects
/// are durable in the store.
public final class Ingester {
  let catalog: Catalog
  let options: IngestOptions

  public init(catalog: Catalog, options: IngestOptions = IngestOptions()) {
    self.catalog = catalog
    self.options = options
  }

  /// Ingests `candidates` as coming from `source`. One bad file never stops the run; only a failing
  /// store or catalog write does (`IngestError.storeFailed`), keeping the batches committed before it.
  public func ingest(
    _ candidates: [IngestCandidate], source: SourceSpec,
    progress: (IngestProgress) -> Void = { _ in }
  ) throws -> IngestReport {
    var report = IngestReport()
    let (sourceID, created) = try catalog.sourceID(for: source)
    report.sourceID = sourceID
    report.sourceName = try catalog.sourceName(id: sourceID)
    report.sourceCreated = created
    report.filesSeen = candidates.count
    let known = try catalog.knownOrigins(sourceID: sourceID)

    for candidate in candidates where Self.isOdd(candidate.origin.relativePath) {
      report.oddNames.append(FileIO.display(candidate.origin.relativePath))
    }
    // Labels as the catalog stores them, so counts and collisions are those of the stored labels; a label
    // over the length limit refuses its files.
    var spellings: [String: Set<String>] = [:]
    var candidates = candidates
    var refused: Set<Int> = []
    for index in candidates.indices {
      guard let raw = candidates[index].label else { continue }
      do {
        let name = try Catalog.checkedClassName(raw)
        spellings[name, default: []].insert(raw)
        candidates[index].label = name
      } catch {
        refused.insert(index)
        report.rejected.append(
          FileIssue(
            path: FileIO.display(candidates[index].origin.relativePath), reason: error.localizedDescription))
      }
    }
    if !refused.isEmpty {
      candidates = candidates.enumerated().filter { !refused.contains($0.offset) }.map(\.element)
    }
    report.mergedNames = spellings.filter { $0.value.count > 1 }.mapValues { $0.sorted() }
    // Files recorded before with the same size and modification time are not read again.
    var pending: [IngestCandidate] = []
    pending.reserveCapacity(candidates.count)
    for candidate in candidates {
      if case .file = candidate.content, let previous = known[candidate.origin.relativePath],
        previous.fileSize != nil, previous.fileSize == candidate.origin.fileSize,
        previous.modifiedNanoseconds == candidate.origin.modifiedNanoseconds,
        catalog.store.contains(previous.sha256, size: Int(previous.size))
      {
        report.unchanged += 1
        if let label = candidate.label { report.labels[label, default: 0] += 1 }
      } else {
        pending.append(candidate)
      }
    }

    var processed = report.unchanged
    progress(IngestProgress(processed: processed, total: candidates.count, bytes: 0))
    var start = 0
    while start < pending.count {
      let end = min(pending.count, start + options.batchSize)
      let batch = Array(pending[start..<end])
      let results = examine(batch)
      try commit(batch, results, sourceID: sourceID, report: &report)
      processed += batch.count
      start = end
      progress(IngestProgress(processed: processed, total: candidates.count, bytes: report.bytesRead))
    }
    return report
  }

  /// The outcome of reading, sniffing, hashing and staging one candidate.
  enum Examined: Sendable {
    case image(ImageFacts, staged: StagedObject?, bytes: Int)
    case issue(Issue, FileIssue, bytes: Int)
    case storeFailure(String)

    enum Issue: Sendable { case rejected, notImage, error }
  }

  func examine(_ batch: [IngestCandidate]) -> [Examined] {
    let store = catalog.store
    let options = self.options
    return concurrentMap(batch, workers: options.workers) { Self.examine($0, store: store, options: options) }
  }

  static func examine(_ candidate: IngestCandidate, store: ObjectStore, options: IngestOptions)
    -> Examined
  {
    let name = FileIO.display(candidate.origin.relativePath)
    let bytes: [UInt8]
    switch candidate.content {
    case .bytes(let data):
      bytes = data
    case .file(let path):
      if let size = candidate.origin.fileSize, size > options.maxFileBytes {
        return .issue(
          .rejected,
          FileIssue(path: name, reason: "file of \(size) bytes is over the \(options.maxFileBytes)-byte limit"),
          bytes: 0)
      }
      do {
        bytes = try FileIO.read(path: path, limit: options.maxFileBytes)
      } catch {
        return .issue(.error, FileIssue(path: name, reason: error.localizedDescription), bytes: 0)
      }
    }
    return bytes.withUnsafeBytes { raw -> Examined in
      switch ImageHeader.sniff(raw) {
      case .notImage(let kind):
        return .issue(.notImage, FileIssue(path: name, reason: "not an image (\(kind))"), bytes: raw.count)
      case .malformed(let format, let reason):
        return .issue(.rejected, FileIssue(path: name, reason: "\(format.rawValue): \(reason)"), bytes: raw.count)
      case .image(.gif, _, _, _):
        // OpenCV 4.6 (Debian 12) has no GIF decoder: a GIF stored would fail in dedup, faces and thumbnails.
        return .issue(
          .rejected,
          FileIssue(
            path: name,
            reason: "gif: datasetkit cannot decode GIF images (OpenCV has no GIF decoder); convert it to PNG"),
          bytes: raw.count)
      case .image(let format, let width, let height, let damage):
        if ImageHeader.pixelCount(width: width, height: height) > options.maxPixels {
          return .issue(
            .rejected,
            FileIssue(
              path: name,
              reason:
                "\(format.rawValue) header declares \(width)×\(height) pixels, over the limit of \(options.maxPixels) (decompression bomb?)"
            ),
            bytes: raw.count)
        }
        let digest = SHA256.hex(of: raw)
        var facts = ImageFacts(
          sha256: digest, size: raw.count, width: width, height: height, format: format.rawValue,
          fileExtension: Self.fileExtension(candidate.origin.relativePath, format: format))
        if let damage {
          facts.status = .quarantined
          facts.statusReason = damage
        }
        if store.contains(digest, size: raw.count) { return .image(facts, staged: nil, bytes: raw.count) }
        do {
          let staged = try store.stage(raw, sha256: digest)
          return .image(facts, staged: staged, bytes: raw.count)
        } catch {
          return .storeFailure(error.localizedDescription)
        }
      }
    }
  }

  func commit(
    _ batch: [IngestCandidate], _ results: [Examined], sourceID: Int64, report: inout IngestReport
  ) throws {
    var staged: [StagedObject] = []
    var arrivals: [ArrivingImage] = []
    var failure: String?
    for (candidate, result) in zip(batch, results) {
      switch result {
      case .image(let facts, let object, let bytes):
        if let object { staged.append(object) }
        arrivals.append(
          ArrivingImage(image: facts, origin: candidate.origin, label: candidate.label, labelHow: candidate.labelHow))
        if facts.status == .quarantined {
          report.quarantined.append(
            FileIssue(path: FileIO.display(candidate.origin.relativePath), reason: facts.statusReason ?? "damaged"))
        }
        report.bytesRead += Int64(bytes)
      case .issue(let kind, let issue, let bytes):
        report.bytesRead += Int64(bytes)
        switch kind {
        case .rejected: report.rejected.append(issue)
        case .notImage: report.notImages.append(issue)
        case .error: report.errors.append(issue)
        }
      case .storeFailure(let message):
        failure = failure ?? message
      }
    }
    let committedBefore = report.added
    if let failure {
      catalog.store.discard(staged)
      throw IngestError.storeFailed(message: failure, committedImages: committedBefore)
    }
    do {
      try catalog.store.publish(staged)
      let outcomes = try catalog.database.writeTransaction {
        try catalog.record(arrivals, sourceID: sourceID)
      }
      for (arrival, outcome) in zip(arrivals, outcomes) {
        switch outcome {
        case .added: report.added += 1
        case .knownBytes: report.knownBytes += 1
        case .unchanged: report.unchanged += 1
        }
        if let label = arrival.label { report.labels[label, default: 0] += 1 }
      }
    } catch {
      catalog.store.discard(staged)
      throw IngestError.storeFailed(message: error.localizedDescription, committedImages: committedBefore)
    }
  }

  /// The file's own extension when it names the same format (".JPG", ".jpeg"), else the format's.
  static func fileExtension(_ relativePath: [UInt8], format: ImageFormat) -> String {
    let name = FileIO.display(relativePath)
    if let dot = name.lastIndex(of: "."), !name[dot...].contains("/") {
      let ext = name[name.index(after: dot)...].lowercased()
      let aliases: [ImageFormat: Set<String>] = [
        .jpeg: ["jpg", "jpeg", "jpe", "jfif"], .png: ["png"], .webp: ["webp"], .bmp: ["bmp", "dib"],
        .gif: ["gif"],
      ]
      if aliases[format]?.contains(ext) == true { return ext }
    }
    return format.fileExtension
  }

  static func isOdd(_ path: [UInt8]) -> Bool {
    if String(validating: path, as: UTF8.self) == nil { return true }
    return path.contains { $0 < 0x20 || $0 == 0x7F }
  }
}
