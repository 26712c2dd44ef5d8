import Catalog

/// Export's tables behind one type: `export_class_indices` (class numbers that stay put across exports). Every SQL
/// statement on them lives in this store (and its `ExportStore+*.swift` extensions); the rest of the module, and
/// modules above it, call its methods.
public struct ExportStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}

extension ExportStore {
  /// Every class's export index, assigning the next free index to classes that have none (in name
  /// order), so indices never change once given. Returns class names by index.
  public func frozenClassIndices() throws -> [String] {
    try database.writeTransaction {
      let missing = try database.rows(
        """
        SELECT c.id FROM classes c LEFT JOIN export_class_indices e ON e.class_id = c.id
        WHERE e.class_id IS NULL ORDER BY c.name
        """
      ) { $0.int64(0) }
      var next = Int64(try database.scalarInt("SELECT coalesce(max(idx) + 1, 0) FROM export_class_indices") ?? 0)
      let now = Timestamp.now()
      for classID in missing {
        try database.run(
          "INSERT INTO export_class_indices (class_id, idx, assigned_at) VALUES (?, ?, ?)",
          [.int(classID), .int(next), .text(now)])
        next += 1
      }
      return try database.rows(
        "SELECT c.name FROM export_class_indices e JOIN classes c ON c.id = e.class_id ORDER BY e.idx"
      ) { $0.text(0) ?? "" }
    }
  }
}
