import Foundation

/// Errors of hashing and deduplication. Per-image decode failures are not errors: they are reported
/// as skipped images and the run goes on.
public enum DedupError: LocalizedError, Equatable {
  /// A radius outside 0...32.
  case badRadius(Int)
  /// `--keep source-priority` named a source the catalog does not have.
  case unknownSource(String, known: [String])
  /// The HTML report could not be written.
  case reportNotWritten(path: String, reason: String)
  /// `dedup keep|unmark` named an image id the catalog does not have.
  case unknownImage(Int64)
  /// `dedup keep|unmark` named a rejected or quarantined image.
  case notDeduplicable(Int64, status: String)
  /// The temporary file that holds a run's fingerprint views could not be made or written.
  case viewStore(String)

  public var errorDescription: String? {
    switch self {
    case .badRadius(let radius):
      return "radius \(radius) is outside 0...32; near-duplicates of 64-bit hashes are usually within 4-12 bits"
    case .unknownSource(let name, let known):
      return
        "no source named \"\(name)\" in the catalog; sources are: \(known.joined(separator: ", ")) (see `datasetkit stats`)"
    case .reportNotWritten(let path, let reason):
      return "cannot write the report \(path): \(reason); check the folder exists and is writable"
    case .unknownImage(let id):
      return "no image \(id) in the catalog; the ids are in `datasetkit dedup --json` and the dedup report"
    case .notDeduplicable(let id, let status):
      return "image \(id) is \(status), not active or duplicate; dedup decisions apply to those only"
    case .viewStore(let reason):
      return
        "cannot keep the fingerprint views in a temporary file (\(reason)); free disk space in the workspace or TMPDIR"
    }
  }
}
