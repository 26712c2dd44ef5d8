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
  /// The file has no bytes, or only white space.
  case empty(file: String)
  /// The file is gzip- or zip-compressed, not XML text.
  case compressed(file: String, format: String)
  /// The text is not UTF-8 (a UTF-16/32 byte-order mark, or an encoding declaration naming another one).
  case unsupportedEncoding(file: String, encoding: String)
  /// A NUL byte, which XML text never holds.
  case nulByte(file: String, offset: Int, line: Int)
  /// Elements nested deeper than libxml2's limit (256 levels).
  case tooDeep(file: String, line: Int, message: String)
  /// One text node larger than libxml2's limit (10 MB).
  case textTooLong(file: String, line: Int, message: String)
  /// The document stops before its root element is closed.
  case truncated(file: String, line: Int, message: String)
  /// An annotation file whose content cannot be used (every problem listed, with lines).
  case rejectedAnnotation(file: String, problems: [String])
  /// `export --view` names a view no merge recorded.
  case unknownView(String, known: [String])
  /// A class name a decision may not give (not in the view in force, nor among the catalog's classes): the
  /// name, the nearest allowed class (nil: none near), the classes allowed, and the view (nil: the catalog's).
  case unknownClass(String, suggestion: String?, known: [String], view: String?)

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
    case .empty(let file):
      return "\(file): empty file, not an annotation; remove it or write the annotation again"
    case .compressed(let file, let format):
      return "\(file): \(format)-compressed data, not XML text; decompress it first"
    case .unsupportedEncoding(let file, let encoding):
      return
        "\(file): text in \(encoding); annotation files are read as UTF-8 only (convert with `iconv -t UTF-8` and drop the encoding declaration)"
    case .nulByte(let file, let offset, let line):
      return "\(file):\(line): NUL byte at offset \(offset); the file is damaged or not text"
    case .tooDeep(let file, let line, let message):
      return "\(file):\(line): elements nested too deeply (\(message)); not an annotation file"
    case .textTooLong(let file, let line, let message):
      return "\(file):\(line): a text node is too large (\(message)); not an annotation file"
    case .truncated(let file, let line, let message):
      return "\(file):\(line): the document is cut short (\(message)); the file is incomplete"
    case .rejectedAnnotation(let file, let problems):
      return "\(file): no boxes read: " + problems.joined(separator: "; ")
    case .unknownView(let name, let known):
      return "no view named \(name) was recorded by `merge`; "
        + (known.isEmpty
          ? "there are no views yet (run `datasetkit merge RECIPE`)"
          : "views: \(known.joined(separator: ", ")) (a view merged before this version needs the merge run again)")
    case .unknownClass(let name, let suggestion, let known, let view):
      let hint = suggestion.map { "did you mean \($0)? " } ?? ""
      let listed = known.isEmpty ? "(none yet)" : known.joined(separator: ", ")
      let scope = view.map { "view \($0)" } ?? "the catalog"
      return
        "'\(name)' is not a class of \(scope); \(hint)classes: \(listed) (--new-class adds a new class on purpose)"
    }
  }
}
