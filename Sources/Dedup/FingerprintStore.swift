import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Records of one fixed size, by image id, in a temporary file unlinked at once (so nothing is left behind however
/// the run ends): what a run needs again later but should not hold in memory. Memory holds only id → slot.
/// Written from one thread; once written, read from any number (`pread` at a slot's offset).
final class UnlinkedRecords: @unchecked Sendable {
  let recordSize: Int
  let descriptor: Int32
  private var slots: [Int64: Int32] = [:]

  /// A new file in `folder` (the workspace), or in the system's temporary folder when `folder` cannot be written.
  init(folder: String?, prefix: String, recordSize: Int) throws {
    self.recordSize = recordSize
    var descriptor: Int32 = -1
    var lastError: Int32 = 0
    for directory in [folder, NSTemporaryDirectory()].compactMap({ $0 }) {
      let path =
        (directory.hasSuffix("/") ? directory : directory + "/")
        + "\(prefix)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
      descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
      if descriptor >= 0 {
        unlink(path)
        break
      }
      lastError = errno
    }
    guard descriptor >= 0 else { throw DedupError.viewStore(String(cString: strerror(lastError))) }
    self.descriptor = descriptor
  }

  deinit { close(descriptor) }

  var count: Int { slots.count }

  func contains(_ id: Int64) -> Bool { slots[id] != nil }

  /// Stores `id`'s record (`recordSize` bytes; a second write of the same id replaces the first).
  func write(_ id: Int64, _ record: UnsafeRawBufferPointer) throws {
    guard record.count == recordSize, let base = record.baseAddress else {
      throw DedupError.viewStore("a record of \(record.count) bytes, not \(recordSize)")
    }
    let slot = slots[id] ?? Int32(slots.count)
    let offset = off_t(Int(slot) * recordSize)
    var written = 0
    while written < recordSize {
      let n = pwrite(descriptor, base + written, recordSize - written, offset + off_t(written))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { throw DedupError.viewStore(String(cString: strerror(errno))) }
      written += n
    }
    slots[id] = slot
  }

  /// Reads `id`'s record into `record` (`recordSize` bytes); false when there is none or it cannot be read.
  func read(_ id: Int64, into record: UnsafeMutableRawBufferPointer) -> Bool {
    guard let slot = slots[id], record.count == recordSize, let base = record.baseAddress else { return false }
    let offset = off_t(Int(slot) * recordSize)
    var done = 0
    while done < recordSize {
      let n = pread(descriptor, base + done, recordSize - done, offset + off_t(done))
      if n < 0 && errno == EINTR { continue }
      guard n > 0 else { return false }
      done += n
    }
    return true
  }
}

/// The fingerprints a relation search made, kept on disk (20 KB an image) so that an image whose pairs fall in
/// several rounds of `RelationCandidates.confirmed(views:…)` has its fingerprint made once and read back after.
final class FingerprintStore: @unchecked Sendable {
  let side: Int
  let records: UnlinkedRecords
  /// Floats of a record: the six views (whole, centre, upper, each plain and high-passed), then mean and flat.
  var floats: Int { 4 * side * side + 2 * side * (side / 2) + 2 }

  init(folder: String?, side: Int = ImageFingerprint.side) throws {
    self.side = side
    records = try UnlinkedRecords(
      folder: folder, prefix: ".fingerprints", recordSize: (4 * side * side + 2 * side * (side / 2) + 2) * 4)
  }

  func contains(_ id: Int64) -> Bool { records.contains(id) }

  /// Keeps `fingerprint` (of this store's side) for `id`.
  func append(_ id: Int64, _ fingerprint: ImageFingerprint) throws {
    guard fingerprint.side == side else {
      throw DedupError.viewStore("a fingerprint of side \(fingerprint.side), not \(side)")
    }
    let record =
      fingerprint.full + fingerprint.centre + fingerprint.upper + fingerprint.fullDetail + fingerprint.centreDetail
      + fingerprint.upperDetail + [fingerprint.mean, fingerprint.flat ? 1 : 0]
    guard record.count == floats else { throw DedupError.viewStore("a fingerprint of \(record.count) values") }
    try record.withUnsafeBytes { try records.write(id, $0) }
  }

  /// `id`'s fingerprint as kept, or nil (none kept, or unreadable).
  func fingerprint(of id: Int64) -> ImageFingerprint? {
    var record = [Float](repeating: 0, count: floats)
    guard record.withUnsafeMutableBytes({ records.read(id, into: $0) }) else { return nil }
    let area = side * side
    let half = side * (side / 2)
    var start = 0
    func next(_ count: Int) -> [Float] {
      defer { start += count }
      return Array(record[start..<(start + count)])
    }
    return ImageFingerprint(
      side: side, full: next(area), centre: next(area), upper: next(half), fullDetail: next(area),
      centreDetail: next(area), upperDetail: next(half), flat: record[floats - 1] != 0, mean: record[floats - 2])
  }
}

extension ImageFingerprint {
  /// A fingerprint from its parts as kept (`FingerprintStore`).
  init(
    side: Int, full: [Float], centre: [Float], upper: [Float], fullDetail: [Float], centreDetail: [Float],
    upperDetail: [Float], flat: Bool, mean: Float
  ) {
    self.side = side
    self.full = full
    self.centre = centre
    self.upper = upper
    self.fullDetail = fullDetail
    self.centreDetail = centreDetail
    self.upperDetail = upperDetail
    self.flat = flat
    self.mean = mean
  }
}
