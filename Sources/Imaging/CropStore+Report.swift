import Catalog

/// Where a crop was cut: its parent image and, when the box still exists, the box in the parent's pixels.
public struct CropSource: Sendable, Hashable {
  public var parentImageID: Int64
  public var box: Box?
}

extension CropStore {
  /// The parent image and box of crop image `id` (its first crop row), or nil when it is not a crop.
  public func cropSource(ofImage id: Int64) throws -> CropSource? {
    try database.rows(
      """
      SELECT c.parent_image_id, b.xmin, b.ymin, b.xmax, b.ymax, b.id IS NOT NULL FROM crops c
      LEFT JOIN boxes b ON b.id = c.box_id WHERE c.image_id = ? ORDER BY c.id LIMIT 1
      """, [.int(id)]
    ) {
      CropSource(
        parentImageID: $0.int64(0),
        box: $0.int(5) != 0
          ? Box(xmin: $0.double(1), ymin: $0.double(2), xmax: $0.double(3), ymax: $0.double(4)) : nil)
    }.first
  }
}
