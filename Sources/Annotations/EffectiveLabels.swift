import Catalog

extension Catalog {
  /// Each image's effective label, as one comparable key: its labels as found mapped through every view
  /// `merge` recorded (`view_class_map`), as sorted `view=class` pairs, so `with_mask` and
  /// `con_mascarilla` mapped to one class are the same label and a class folded in one view but not in
  /// another still differs. Labels no view maps (or a catalog without views) count as found. This is the
  /// one notion of "the same label" that dedup's keep rule and the reports use. `images`: only these images'
  /// keys (nil: every image's).
  public func effectiveLabelKeys(of images: Set<Int64>? = nil) throws -> [Int64: String] {
    var map: [Int64: [String]] = [:]
    for mapping in try BoxStore(catalog: self).viewClassMappings() {
      switch mapping.action {
      case .map(let target): map[mapping.foundClassID, default: []].append("\(mapping.view)=\(target)")
      case .ignore: map[mapping.foundClassID, default: []].append("\(mapping.view)=(ignored)")
      case .drop: map[mapping.foundClassID, default: []].append("\(mapping.view)=(dropped)")
      }
    }
    var parts: [Int64: Set<String>] = [:]
    for label in try foundLabelClasses() {
      if let images, !images.contains(label.imageID) { continue }
      if let mapped = map[label.classID] {
        parts[label.imageID, default: []].formUnion(mapped)
      } else {
        parts[label.imageID, default: []].insert(label.className)
      }
    }
    return parts.mapValues { $0.sorted().joined(separator: ",") }
  }
}
