import Catalog

/// AutoFace's tables behind one type: `detection_runs` and the boxes a detector proposes. Every SQL statement on
/// them lives in this store (and its `DetectionStore+*.swift` extensions); the rest of the module, and modules
/// above it, call its methods.
public struct DetectionStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}
