import Catalog

/// What one view does with one found class (a `view_class_map` row).
public struct ViewClassMapping: Sendable, Equatable {
  public var view: String
  public var foundClassID: Int64
  public var action: ViewDefinition.Action
}

extension BoxStore {
  /// Every found class's mapping in every view `merge` recorded, by view.
  public func viewClassMappings() throws -> [ViewClassMapping] {
    try database.rows(
      """
      SELECT m.found_class_id, m.view, m.action, c.name FROM view_class_map m
      LEFT JOIN classes c ON c.id = m.view_class_id ORDER BY m.view
      """
    ) {
      let action: ViewDefinition.Action =
        switch $0.text(2) ?? "" {
        case "map": .map($0.text(3) ?? "")
        case "ignore": .ignore
        default: .drop
        }
      return ViewClassMapping(view: $0.text(1) ?? "", foundClassID: $0.int64(0), action: action)
    }
  }
}
