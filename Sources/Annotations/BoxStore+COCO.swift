import Catalog

/// One COCO annotation ready for the catalog: what the file said, and the box it gives (nil for a crowd
/// region).
public struct COCORow: Sendable, Equatable {
  public var annotationID: Int
  public var cocoImageID: Int
  public var category: String
  /// `bbox` as written, JSON text.
  public var bbox: String
  public var isCrowd: Bool
  public var area: Double?
  public var segmentation: String?
  public var box: Box?

  public init(
    annotationID: Int, cocoImageID: Int, category: String, bbox: String, isCrowd: Bool, area: Double?,
    segmentation: String?, box: Box?
  ) {
    self.annotationID = annotationID
    self.cocoImageID = cocoImageID
    self.category = category
    self.bbox = bbox
    self.isCrowd = isCrowd
    self.area = area
    self.segmentation = segmentation
    self.box = box
  }
}

extension BoxStore {
  /// The annotations a source recorded for one COCO image entry (`set` = `<json>#<file_name>`), with their
  /// boxes as stored (nil: a crowd region, or a box taken away since), in annotation order.
  public func recordedCOCORows(sourceID: Int64, set: String) throws -> [(row: COCORow, imageID: Int64)] {
    try database.rows(
      """
      SELECT a.annotation_id, a.coco_image_id, a.category, a.bbox, a.iscrowd, a.area, a.segmentation,
        b.xmin, b.ymin, b.xmax, b.ymax, a.image_id, b.status
      FROM coco_annotations a LEFT JOIN boxes b ON b.id = a.box_id
      WHERE a.source_id = ? AND a.set_file = ? ORDER BY a.id
      """, [.int(sourceID), .text(set)]
    ) { row in
      let box =
        row.isNull(7) || row.text(12) == "rejected"
        ? nil : Box(xmin: row.double(7), ymin: row.double(8), xmax: row.double(9), ymax: row.double(10))
      return (
        COCORow(
          annotationID: row.int(0), cocoImageID: row.int(1), category: row.text(2) ?? "", bbox: row.text(3) ?? "",
          isCrowd: row.int(4) != 0, area: row.isNull(5) ? nil : row.double(5), segmentation: row.text(6), box: box),
        row.int64(11)
      )
    }
  }

  /// Replaces what a source recorded for one COCO image entry (call inside a write transaction): the old
  /// annotation rows go, the old boxes are retired (`retireBoxes`), the new rows and boxes (origin `coco`,
  /// accepted, `origin_file` = `set`) are stored. Returns the boxes stored.
  public func replaceCOCOSet(
    _ rows: [COCORow], set: String, imageID: Int64, sourceID: Int64, at time: String
  ) throws -> Int {
    try database.run(
      "DELETE FROM coco_annotations WHERE source_id = ? AND set_file = ?", [.int(sourceID), .text(set)])
    try retireBoxes(origin: "coco", sourceID: sourceID, file: set)
    var boxes = 0
    for row in rows {
      var boxID: SQLValue = .null
      if let box = row.box {
        try database.run(
          """
          INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, origin, origin_source_id, origin_file, status,
            created_at)
          VALUES (?, ?, ?, ?, ?, ?, 'coco', ?, ?, 'accepted', ?)
          """,
          [
            .int(imageID), .int(try catalog.classID(named: row.category)), .real(box.xmin), .real(box.ymin),
            .real(box.xmax), .real(box.ymax), .int(sourceID), .text(set), .text(time),
          ])
        boxID = .int(database.lastInsertRowID)
        boxes += 1
      }
      try database.run(
        """
        INSERT INTO coco_annotations (source_id, set_file, annotation_id, coco_image_id, image_id, category, bbox,
          iscrowd, area, segmentation, box_id, created_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          .int(sourceID), .text(set), .int(Int64(row.annotationID)), .int(Int64(row.cocoImageID)), .int(imageID),
          .text(row.category), .text(row.bbox), .int(row.isCrowd ? 1 : 0), row.area.map { .real($0) } ?? .null,
          row.segmentation.map { .text($0) } ?? .null, boxID, .text(time),
        ])
    }
    return boxes
  }

  /// Per image and class, the boxes not rejected that annotation files of `origin` (`voc`, `coco`) from
  /// source `sourceID` gave, by image then class name.
  public func boxClassCounts(origin: String, sourceID: Int64) throws -> [ImageClassCount] {
    try database.rows(
      """
      SELECT b.image_id, c.name, COUNT(*) FROM boxes b JOIN classes c ON c.id = b.class_id
      WHERE b.origin = ? AND b.origin_source_id = ? AND b.status != 'rejected'
      GROUP BY b.image_id, c.name ORDER BY b.image_id, c.name
      """, [.text(origin), .int(sourceID)]
    ) { ImageClassCount(imageID: $0.int64(0), className: $0.text(1) ?? "", boxes: $0.int(2)) }
  }

  /// How many crowd regions (iscrowd 1, kept as provenance, not boxes) a source's COCO files hold.
  public func cocoCrowdRegions(sourceID: Int64) throws -> Int {
    Int(
      try database.scalarInt(
        "SELECT COUNT(*) FROM coco_annotations WHERE source_id = ? AND iscrowd = 1", [.int(sourceID)]) ?? 0)
  }
}
