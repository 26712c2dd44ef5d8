import Catalog

/// Export's tables behind one type: `export_class_indices` (class numbers that stay put across exports). Every SQL
/// statement on them lives in this store (and its `ExportStore+*.swift` extensions); the rest of the module, and
/// modules above it, call its methods.
public struct ExportStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}
