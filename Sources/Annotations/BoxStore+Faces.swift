import Catalog

/// A box to cut into a crop: the box, its image (id and stored bytes' digest), its class and the annotation file
/// it came from.
public struct CroppableBox: Sendable {
  public var id: Int64
  public var imageID: Int64
  public var sha256: String
  public var rect: Box
  public var label: String?
  /// The annotation file the box came from (nil: a detector's or a review's box).
  public var set: AnnotationSetKey?
}

/// A box on an image, with its class as the box's label.
public struct ImageBox: Sendable, Hashable {
  public var imageID: Int64
  public var box: Box
}

/// A box as a contact sheet shows it: the box, its image (id and stored bytes' digest), its score and class.
public struct SheetBox: Sendable, Hashable {
  public var id: Int64
  public var imageID: Int64
  public var sha256: String
  public var rect: Box
  public var score: Double?
  public var label: String?
}

extension BoxStore {
  /// The accepted boxes (with `proposed`, the proposed ones too) on active images, in id order; only those whose
  /// origin is the source `originSourceID` when one is given.
  public func croppableBoxes(proposed: Bool, originSourceID: Int64?) throws -> [CroppableBox] {
    let statuses = proposed ? "('accepted', 'proposed')" : "('accepted')"
    let origin = originSourceID.map { "AND b.origin_source_id = \($0)" } ?? ""
    return try database.rows(
      """
      SELECT b.id, b.image_id, i.sha256, b.xmin, b.ymin, b.xmax, b.ymax, c.name, b.origin_source_id, b.origin_file
      FROM boxes b
      JOIN images i ON i.id = b.image_id LEFT JOIN classes c ON c.id = b.class_id
      WHERE b.status IN \(statuses) AND i.status = 'active' \(origin) ORDER BY b.id
      """
    ) {
      CroppableBox(
        id: $0.int64(0), imageID: $0.int64(1), sha256: $0.text(2) ?? "",
        rect: Box(xmin: $0.double(3), ymin: $0.double(4), xmax: $0.double(5), ymax: $0.double(6)),
        label: $0.text(7),
        set: $0.isNull(8) || $0.isNull(9) ? nil : AnnotationSetKey(sourceID: $0.int64(8), file: $0.text(9) ?? ""))
    }
  }

  /// The boxes imported from annotation files of a source (origin `voc`, `yolo` or `coco`), whatever their status, in id
  /// order; each box's label is its class ("" for none).
  public func importedBoxes(sourceID: Int64) throws -> [ImageBox] {
    try database.rows(
      """
      SELECT b.image_id, COALESCE(c.name, ''), b.xmin, b.ymin, b.xmax, b.ymax FROM boxes b
      LEFT JOIN classes c ON c.id = b.class_id
      WHERE b.origin IN ('voc', 'yolo', 'coco') AND b.origin_source_id = ? ORDER BY b.id
      """, [.int(sourceID)]
    ) {
      ImageBox(
        imageID: $0.int64(0),
        box: Box(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5), label: $0.text(1)))
    }
  }

  /// The boxes the filter lets through (status, origin, class), in id order.
  public func sheetBoxes(_ filter: BoxFilter) throws -> [SheetBox] {
    var sql = """
      SELECT b.id, i.sha256, b.xmin, b.ymin, b.xmax, b.ymax, b.score, c.name, b.image_id FROM boxes b
      JOIN images i ON i.id = b.image_id LEFT JOIN classes c ON c.id = b.class_id WHERE 1
      """
    let (conditions, values) = filter.conditions
    sql += conditions + " ORDER BY b.id"
    return try database.rows(sql, values) {
      SheetBox(
        id: $0.int64(0), imageID: $0.int64(8), sha256: $0.text(1) ?? "",
        rect: Box(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5)),
        score: $0.isNull(6) ? nil : $0.double(6), label: $0.text(7))
    }
  }
}
