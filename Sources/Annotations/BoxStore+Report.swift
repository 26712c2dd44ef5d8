import Catalog

/// A box's size and class, for counting: its image, width and height in pixels, and class name (`""` when
/// the class is gone).
public struct BoxExtent: Sendable, Hashable {
  public var imageID: Int64
  public var width: Double
  public var height: Double
  public var className: String
}

extension BoxStore {
  /// Every box not rejected, with its size and class, in no particular order.
  public func liveBoxExtents() throws -> [BoxExtent] {
    try database.rows(
      """
      SELECT b.image_id, b.xmax - b.xmin, b.ymax - b.ymin, COALESCE(c.name, '') FROM boxes b
      LEFT JOIN classes c ON c.id = b.class_id WHERE b.status != 'rejected'
      """
    ) { BoxExtent(imageID: $0.int64(0), width: $0.double(1), height: $0.double(2), className: $0.text(3) ?? "") }
  }
}
