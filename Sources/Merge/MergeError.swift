import Foundation

/// Errors of archive import, label layouts and merge recipes. Messages name the file (and the line
/// where there is one), what is wrong and what to do.
public enum MergeError: LocalizedError, Equatable {
  /// The archive as a whole cannot be trusted; nothing from it was recorded.
  case archive(path: String, reason: String)
  /// A label file or layout option that cannot be used.
  case layout(path: String, reason: String)
  /// A recipe problem, with the line of the recipe it is about when known.
  case recipe(path: String, line: Int?, reason: String)

  public var errorDescription: String? {
    switch self {
    case .archive(let path, let reason):
      return "\(path): \(reason); nothing from this archive was imported"
    case .layout(let path, let reason):
      return "\(path): \(reason)"
    case .recipe(let path, let line, let reason):
      return "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)"
    }
  }
}
