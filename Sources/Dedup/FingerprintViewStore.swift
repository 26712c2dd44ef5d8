import Catalog
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The fingerprint views of many images, kept on disk rather than in memory: a run's views are 2.5 KB an image
/// (250 MB for 100,000 images), so they go to an unlinked temporary file and come back a few thousand at a time
/// for the comparisons that need them. Memory holds only the image → slot numbers.
///
/// Appended from one thread; once filled, read from any number (`pread` at a slot's offset).
public final class FingerprintViewStore: @unchecked Sendable {
  public let side: Int
  let recordSize: Int
  let descriptor: Int32
  private var slots: [Int64: Int32] = [:]

  /// A store in a new temporary file in `folder` (the workspace), or in the system's temporary folder when
  /// `folder` cannot be written; the file is unlinked at once, so nothing is left behind however the run ends.
  public init(folder: String?, side: Int = ImageFingerprint.side) throws {
    self.side = side
    recordSize = side * side * 2 + side * (side / 2)
    var descriptor: Int32 = -1
    var lastError: Int32 = 0
    for directory in [folder, NSTemporaryDirectory()].compactMap({ $0 }) {
      let path =
        (directory.hasSuffix("/") ? directory : directory + "/")
        + ".fingerprint-views-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
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

  public var count: Int { slots.count }

  public func contains(_ id: Int64) -> Bool { slots[id] != nil }

  /// Stores an image's views (a second store of the same image replaces the first).
  public func append(_ id: Int64, _ views: FingerprintViews) throws {
    guard views.side == side, views.whole.count == side * side, views.centre.count == side * side,
      views.upper.count == side * (side / 2)
    else { throw DedupError.viewStore("views of side \(views.side), not \(side)") }
    let slot = slots[id] ?? Int32(slots.count)
    let record = views.whole + views.centre + views.upper
    let offset = off_t(Int(slot) * recordSize)
    var written = 0
    try record.withUnsafeBytes { bytes in
      guard let base = bytes.baseAddress else { return }
      while written < recordSize {
        let n = pwrite(descriptor, base + written, recordSize - written, offset + off_t(written))
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw DedupError.viewStore(String(cString: strerror(errno))) }
        written += n
      }
    }
    slots[id] = slot
  }

  /// An image's views, or nil when it has none here (or they cannot be read back).
  public func views(of id: Int64) -> FingerprintViews? {
    guard let slot = slots[id] else { return nil }
    var record = [UInt8](repeating: 0, count: recordSize)
    let offset = off_t(Int(slot) * recordSize)
    let complete = record.withUnsafeMutableBytes { bytes -> Bool in
      guard let base = bytes.baseAddress else { return false }
      var read = 0
      while read < recordSize {
        let n = pread(descriptor, base + read, recordSize - read, offset + off_t(read))
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { return false }
        read += n
      }
      return true
    }
    guard complete else { return nil }
    let area = side * side
    return FingerprintViews(
      side: side, whole: Array(record[0..<area]), centre: Array(record[area..<(2 * area)]),
      upper: Array(record[(2 * area)...]))
  }
}
