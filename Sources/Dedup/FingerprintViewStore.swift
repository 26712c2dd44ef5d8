import Catalog
import Foundation

/// The fingerprint views of many images, kept on disk rather than in memory: a run's views are 2.5 KB an image
/// (250 MB for 100,000 images), so they go to an unlinked temporary file and come back a few thousand at a time
/// for the comparisons that need them. Memory holds only the image → slot numbers.
///
/// Appended from one thread; once filled, read from any number (`pread` at a slot's offset).
public final class FingerprintViewStore: @unchecked Sendable {
  public let side: Int
  /// Where the temporary file was asked for (the workspace): the fingerprints made from these views go there too.
  let folder: String?
  let records: UnlinkedRecords

  /// A store in a new temporary file in `folder` (the workspace), or in the system's temporary folder when
  /// `folder` cannot be written; the file is unlinked at once, so nothing is left behind however the run ends.
  public init(folder: String?, side: Int = ImageFingerprint.side) throws {
    self.side = side
    self.folder = folder
    records = try UnlinkedRecords(
      folder: folder, prefix: ".fingerprint-views", recordSize: side * side * 2 + side * (side / 2))
  }

  public var count: Int { records.count }

  public func contains(_ id: Int64) -> Bool { records.contains(id) }

  /// Stores an image's views (a second store of the same image replaces the first).
  public func append(_ id: Int64, _ views: FingerprintViews) throws {
    guard views.side == side, views.whole.count == side * side, views.centre.count == side * side,
      views.upper.count == side * (side / 2)
    else { throw DedupError.viewStore("views of side \(views.side), not \(side)") }
    let record = views.whole + views.centre + views.upper
    try record.withUnsafeBytes { try records.write(id, $0) }
  }

  /// An image's views, or nil when it has none here (or they cannot be read back).
  public func views(of id: Int64) -> FingerprintViews? {
    var record = [UInt8](repeating: 0, count: records.recordSize)
    guard record.withUnsafeMutableBytes({ records.read(id, into: $0) }) else { return nil }
    let area = side * side
    return FingerprintViews(
      side: side, whole: Array(record[0..<area]), centre: Array(record[area..<(2 * area)]),
      upper: Array(record[(2 * area)...]))
  }
}
