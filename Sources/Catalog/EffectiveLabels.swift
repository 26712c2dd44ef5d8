import Foundation

extension Catalog {
  /// Each image's effective label, as one comparable key: its labels as found mapped through every view
  /// `merge` recorded (`view_class_map`), as sorted `view=class` pairs, so `with_mask` and
  /// `con_mascarilla` mapped to one class are the same label and a class folded in one view but not in
  /// another still differs. Labels no view maps (or a catalog without views) count as found. This is the
  /// one notion of "the same label" that dedup's keep rule and the reports use.
  public func effectiveLabelKeys() throws -> [Int64: String] {
    var map: [Int64: [String]] = [:]
    for (found, view, action, target) in try database.rows(
      """
      SELECT m.found_class_id, m.view, m.action, c.name FROM view_class_map m
      LEFT JOIN classes c ON c.id = m.view_class_id ORDER BY m.view
      """, [], { ($0.int64(0), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3)) })
    {
      switch action {
      case "map": map[found, default: []].append("\(view)=\(target ?? "")")
      case "ignore": map[found, default: []].append("\(view)=(ignored)")
      default: map[found, default: []].append("\(view)=(dropped)")
      }
    }
    var parts: [Int64: Set<String>] = [:]
    for (image, classID, name) in try database.rows(
      """
      SELECT l.image_id, l.class_id, c.name FROM image_labels l JOIN classes c ON c.id = l.class_id
      WHERE l.view = ''
      """, [], { ($0.int64(0), $0.int64(1), $0.text(2) ?? "") })
    {
      if let mapped = map[classID] {
        parts[image, default: []].formUnion(mapped)
      } else {
        parts[image, default: []].insert(name)
      }
    }
    return parts.mapValues { $0.sorted().joined(separator: ",") }
  }
}
