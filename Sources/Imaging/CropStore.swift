import Catalog

/// Imaging's tables behind one type: `crops` (each face crop with its parent image and box). Every SQL statement on
/// them lives in this store (and its `CropStore+*.swift` extensions); the rest of the module, and modules above it,
/// call its methods.
public struct CropStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}
