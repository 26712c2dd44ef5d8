import Catalog

/// A crop labelled by the box it was cut from: the crop image, the box's source and class now, the crop's
/// bytes' digest, and the box.
public struct CropLabel: Sendable, Hashable {
  public var imageID: Int64
  public var sourceID: Int64
  public var className: String
  public var sha256: String
  public var boxID: Int64
}

extension CropStore {
  /// The active crops of boxes not rejected from the sources `sourceIDs`, each with its box's class.
  public func cropLabels(sourceIDs: [Int64]) throws -> [CropLabel] {
    try database.rows(
      """
      SELECT cr.image_id, b.origin_source_id, c.name, i.sha256, cr.box_id FROM crops cr
      JOIN boxes b ON b.id = cr.box_id JOIN classes c ON c.id = b.class_id JOIN images i ON i.id = cr.image_id
      WHERE b.status != 'rejected' AND i.status = 'active'
        AND b.origin_source_id IN (\(sourceIDs.map { _ in "?" }.joined(separator: ", ")))
      """, sourceIDs.map { .int($0) }
    ) {
      CropLabel(
        imageID: $0.int64(0), sourceID: $0.int64(1), className: $0.text(2) ?? "", sha256: $0.text(3) ?? "",
        boxID: $0.int64(4))
    }
  }
}
