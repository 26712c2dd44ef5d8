import Catalog

/// How many boxes of one class an image holds.
public struct ImageClassCount: Sendable, Hashable {
  public var imageID: Int64
  public var className: String
  public var boxes: Int
}

/// A box as one label file stored it: its class, its place and its image.
public struct FileBox: Sendable, Hashable {
  public var className: String
  public var box: Box
  public var imageID: Int64
}

extension BoxStore {
  /// How many boxes not rejected the annotation files of `origin` (`voc`, `yolo`) from source `sourceID`
  /// hold.
  public func liveBoxCount(origin: String, sourceID: Int64) throws -> Int {
    Int(
      try database.scalarInt(
        "SELECT COUNT(*) FROM boxes WHERE origin = ? AND origin_source_id = ? AND status != 'rejected'",
        [.text(origin), .int(sourceID)]) ?? 0)
  }

  /// The boxes not rejected of one YOLO label file of source `sourceID`, in the order they were stored.
  public func liveYOLOBoxes(sourceID: Int64, file: String) throws -> [FileBox] {
    try database.rows(
      """
      SELECT c.name, b.xmin, b.ymin, b.xmax, b.ymax, b.image_id FROM boxes b JOIN classes c ON c.id = b.class_id
      WHERE b.origin = 'yolo' AND b.origin_source_id = ? AND b.origin_file = ? AND b.status != 'rejected'
      ORDER BY b.id
      """, [.int(sourceID), .text(file)]
    ) { row in
      FileBox(
        className: row.text(0) ?? "",
        box: Box(xmin: row.double(1), ymin: row.double(2), xmax: row.double(3), ymax: row.double(4)),
        imageID: row.int64(5))
    }
  }

  /// Stores one box of a YOLO label file (accepted) on image `imageID` in class `classID`. Call inside a
  /// write transaction.
  public func addYOLOBox(_ box: Box, imageID: Int64, classID: Int64, sourceID: Int64, file: String, at time: String)
    throws
  {
    try database.run(
      """
      INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, origin, origin_source_id, origin_file, status,
        created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'yolo', ?, ?, 'accepted', ?)
      """,
      [
        .int(imageID), .int(classID), .real(box.xmin), .real(box.ymin), .real(box.xmax), .real(box.ymax),
        .int(sourceID), .text(file), .text(time),
      ])
  }
}
