import Catalog

/// Imaging's tables behind one type: `crops` (each face crop with its parent image and box). Every SQL statement on
/// them lives in this store (and its `CropStore+*.swift` extensions); the rest of the module, and modules above it,
/// call its methods.
public struct CropStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}

extension CropStore {
  /// The boxes cut into crops so far.
  public func croppedBoxIDs() throws -> Set<Int64> {
    Set(try database.rows("SELECT box_id FROM crops WHERE box_id IS NOT NULL") { $0.int64(0) })
  }

  /// Records that image `id` is the crop of box `box` on image `parent`, cut with `margin` to `width`×`height`.
  public func recordCrop(
    _ id: Int64, parent: Int64, box: Int64, margin: Double, width: Int, height: Int, at time: String
  ) throws {
    try database.run(
      "INSERT INTO crops (image_id, parent_image_id, box_id, margin, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
      [.int(id), .int(parent), .int(box), .real(margin), .int(Int64(width)), .int(Int64(height)), .text(time)])
  }
}
