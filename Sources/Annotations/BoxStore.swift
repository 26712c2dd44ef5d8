import Catalog

/// Annotations' tables behind one type: `boxes`, `voc_documents` and the view tables (`view_classes`,
/// `view_class_map`, `view_sources`). Every SQL statement on them lives in this store (and its `BoxStore+*.swift`
/// extensions); the rest of the module, and modules above it, call its methods.
public struct BoxStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}
