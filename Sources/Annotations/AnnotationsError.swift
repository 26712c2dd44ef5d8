import Foundation

/// Errors reading and writing annotation files. Messages name the file and, for XML, the line.
public enum AnnotationsError: LocalizedError, Equatable {
  /// The document declares a DTD; none is ever loaded (XXE, entity bombs, external fetches).
  case doctypeNotAllowed(file: String)
  /// The file is larger than the cap checked before parsing.
  case tooLarge(file: String, size: Int, limit: Int)
  /// libxml2 refused the document; `line` and `message` are its own.
  case malformedXML(file: String, line: Int, message: String)
  /// Well-formed XML that is not what was expected.
  case invalid(file: String, line: Int?, message: String)

  public var errorDescription: String? {
    switch self {
    case .doctypeNotAllowed(let file):
      return "\(file): DOCTYPE not allowed (annotation files never need one; entities are not loaded)"
    case .tooLarge(let file, let size, let limit):
      return "\(file): \(size) bytes is over the \(limit)-byte limit for an annotation file"
    case .malformedXML(let file, let line, let message):
      return "\(file):\(line): malformed XML: \(message)"
    case .invalid(let file, let line, let message):
      return "\(file)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
  }
}
