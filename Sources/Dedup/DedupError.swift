import Foundation

/// Errors of hashing and deduplication. Per-image decode failures are not errors: they are reported
/// as skipped images and the run goes on.
public enum DedupError: LocalizedError, Equatable {
  /// A radius outside 0...32.
  case badRadius(Int)
  /// `--keep source-priority` named a source the catalog does not have.
  case unknownSource(String, known: [String])
  /// An image's bytes were requested but its object is missing from the store.
  case objectMissing(sha256: String, path: String)

  public var errorDescription: String? {
    switch self {
    case .badRadius(let radius):
      return "radius \(radius) is outside 0...32; near-duplicates of 64-bit hashes are usually within 4-12 bits"
    case .unknownSource(let name, let known):
      return
        "no source named \"\(name)\" in the catalog; sources are: \(known.joined(separator: ", ")) (see `datasetkit stats`)"
    case .objectMissing(let sha, let path):
      return "object \(sha) is missing (\(path)); run `datasetkit doctor`"
    }
  }
}
