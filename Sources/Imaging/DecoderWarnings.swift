import Catalog
import Foundation

/// A photo that decoded, but whose decoder warned (libjpeg's "Corrupt JPEG data: …", "Premature end of JPEG file",
/// libpng's "iCCP: …"): the per-file entry commands put in their report, since nothing of it reaches stderr.
public struct DecoderWarnings: Sendable, Codable, Hashable {
  /// The file as the command's report names it elsewhere (the origin "source/relative path", a path or a URL).
  public var file: String
  /// ``DecodedImage/warnings``: formatted, deduplicated, at most a few.
  public var warnings: [String]

  public init(file: String, warnings: [String]) {
    self.file = file
    self.warnings = warnings
  }

  /// One line for people, e.g. "2 photos decoded with warnings (first: x.jpg: Premature end of JPEG file)";
  /// nil when the list is empty. `printable` renders a file name for a terminal.
  public static func summary(_ list: [DecoderWarnings], printable: (String) -> String = { $0 }) -> String? {
    guard let first = list.first else { return nil }
    let noun = list.count == 1 ? "photo" : "photos"
    return
      "\(list.count) \(noun) decoded with warnings (first: \(printable(first.file)): \(first.warnings.first ?? "?"))"
  }

  /// Every file and its warnings, one line each ("  x.jpg: w1; w2"), for a verbose report.
  public static func lines(_ list: [DecoderWarnings], printable: (String) -> String = { $0 }) -> [String] {
    list.map { "  \(printable($0.file)): \($0.warnings.joined(separator: "; "))" }
  }
}

extension Catalog {
  /// Catalog images' decoder warnings named by their first origin ("source/relative path"), in the given order.
  public func decoderWarnings(_ images: [(imageID: Int64, warnings: [String])]) throws -> [DecoderWarnings] {
    try images.filter { !$0.warnings.isEmpty }.map {
      DecoderWarnings(file: try originName(imageID: $0.imageID) ?? "image \($0.imageID)", warnings: $0.warnings)
    }
  }
}
