import Foundation

extension TestSupport {
  /// The voc-facemask classes as a Spanish re-annotation of the Kaggle set names them.
  public static let spanishMaskClasses = [
    "with_mask": "con_mascarilla", "without_mask": "sin_mascarilla", "mask_weared_incorrect": "mascarilla_mal_puesta",
  ]

  /// Rewrites a VOC file as another annotator of the same photo would: every number in <tag> shifted, class
  /// names renamed, <filename> replaced.
  public static func rewriteVOC(
    _ xml: String, dx: Int = 0, dy: Int = 0, names: [String: String] = [:], filename: String? = nil
  ) -> String {
    var text = xml
    for (tag, delta) in [("xmin", dx), ("xmax", dx), ("ymin", dy), ("ymax", dy)] where delta != 0 {
      var out = ""
      var rest = Substring(text)
      while let open = rest.range(of: "<\(tag)>"), let close = rest[open.upperBound...].range(of: "</\(tag)>") {
        out += rest[..<open.upperBound]
        out += String((Int(rest[open.upperBound..<close.lowerBound]) ?? 0) + delta)
        rest = rest[close.lowerBound...]
      }
      text = out + rest
    }
    for (from, to) in names { text = text.replacingOccurrences(of: "<name>\(from)</name>", with: "<name>\(to)</name>") }
    if let filename, let open = text.range(of: "<filename>"), let close = text.range(of: "</filename>") {
      text.replaceSubrange(open.upperBound..<close.lowerBound, with: filename)
    }
    return text
  }
}
