import Foundation

/// What can go wrong while making a dataset card.
public enum ReportError: LocalizedError, Equatable {
  /// The card could not be written.
  case notWritten(path: String, reason: String)

  public var errorDescription: String? {
    switch self {
    case .notWritten(let path, let reason):
      return "could not write the dataset card to \(path): \(reason); choose a writable path with --out"
    }
  }
}
