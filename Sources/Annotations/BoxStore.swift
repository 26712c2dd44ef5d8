import Catalog

/// Annotations' tables behind one type: `boxes`, `voc_documents` and the view tables (`view_classes`,
/// `view_class_map`, `view_sources`). Every SQL statement on them lives in this store (and its `BoxStore+*.swift`
/// extensions); the rest of the module, and modules above it, call its methods.
public struct BoxStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }
}

// MARK: Views

extension BoxStore {
  /// The names of the views `merge` recorded, and of any other label view, in name order.
  public func viewNames() throws -> [String] {
    try database.rows(
      "SELECT view FROM view_classes UNION SELECT DISTINCT view FROM image_labels WHERE view != '' ORDER BY 1"
    ) { $0.text(0) ?? "" }
  }

  /// The view `merge` recorded under `name`: its classes in order, what each found class becomes and the sources
  /// by rank; nil if none was recorded.
  public func viewDefinition(_ name: String) throws -> ViewDefinition? {
    let classes = try database.rows(
      "SELECT c.name FROM view_classes v JOIN classes c ON c.id = v.class_id WHERE v.view = ? ORDER BY v.position",
      [.text(name)]
    ) { $0.text(0) ?? "" }
    guard !classes.isEmpty else { return nil }
    var map: [String: ViewDefinition.Action] = [:]
    for (found, action, target) in try database.rows(
      """
      SELECT f.name, m.action, t.name FROM view_class_map m JOIN classes f ON f.id = m.found_class_id
      LEFT JOIN classes t ON t.id = m.view_class_id WHERE m.view = ?
      """, [.text(name)], { ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2)) })
    {
      switch (action, target) {
      case ("map", let target?): map[found] = .map(target)
      case ("ignore", _): map[found] = .ignore
      default: map[found] = .drop
      }
    }
    var rank: [Int64: Int] = [:]
    for (source, position) in try database.rows(
      "SELECT source_id, rank FROM view_sources WHERE view = ?", [.text(name)], { ($0.int64(0), $0.int(1)) })
    {
      rank[source] = position
    }
    return ViewDefinition(name: name, classes: classes, map: map, sourceRank: rank)
  }

  /// Records a view (call inside a write transaction), replacing what was recorded under its name.
  public func recordView(_ view: ViewDefinition) throws {
    for table in ["view_classes", "view_class_map", "view_sources"] {
      try database.run("DELETE FROM \(table) WHERE view = ?", [.text(view.name)])
    }
    for (position, name) in view.classes.enumerated() {
      try database.run(
        "INSERT INTO view_classes (view, position, class_id) VALUES (?, ?, ?)",
        [.text(view.name), .int(Int64(position)), .int(try catalog.classID(named: name))])
    }
    for (found, action) in view.map.sorted(by: { $0.key < $1.key }) {
      let (text, target): (String, SQLValue) =
        switch action {
        case .map(let name): ("map", .int(try catalog.classID(named: name)))
        case .drop: ("drop", .null)
        case .ignore: ("ignore", .null)
        }
      try database.run(
        "INSERT INTO view_class_map (view, found_class_id, action, view_class_id) VALUES (?, ?, ?, ?)",
        [.text(view.name), .int(try catalog.classID(named: found)), .text(text), target])
    }
    for (source, rank) in view.sourceRank.sorted(by: { $0.key < $1.key }) {
      try database.run(
        "INSERT INTO view_sources (view, source_id, rank) VALUES (?, ?, ?)",
        [.text(view.name), .int(source), .int(Int64(rank))])
    }
  }
}

// MARK: Boxes of annotation files

extension BoxStore {
  /// Every box that may count for its image: not rejected, on an active image, with its found class and the
  /// annotation file it came from (none for a detector's or a reviewer's box), in box id order.
  public func liveBoxes() throws -> [StoredBox] {
    try database.rows(
      """
      SELECT b.id, b.image_id, c.name, b.xmin, b.ymin, b.xmax, b.ymax, b.difficult, b.truncated, b.pose,
        b.extra_xml, b.origin, b.origin_source_id, b.origin_file
      FROM boxes b JOIN classes c ON c.id = b.class_id JOIN images i ON i.id = b.image_id
      WHERE b.status != 'rejected' AND i.status = 'active' ORDER BY b.id
      """
    ) { row -> StoredBox in
      let set: AnnotationSetKey? =
        row.isNull(12) || row.isNull(13) ? nil : AnnotationSetKey(sourceID: row.int64(12), file: row.text(13) ?? "")
      return StoredBox(
        imageID: row.int64(1), set: set,
        box: ExportBox(
          id: row.int64(0), className: row.text(2) ?? "",
          box: Box(xmin: row.double(3), ymin: row.double(4), xmax: row.double(5), ymax: row.double(6)),
          difficult: row.int(7) != 0, truncated: row.int(8) != 0, pose: row.text(9), extraXML: row.text(10),
          origin: row.text(11) ?? ""))
    }
  }

  /// The digest of the annotation file a source recorded at `xmlPath` and the image it describes; nil when the
  /// source recorded no file there.
  func recordedVOCDocument(sourceID: Int64, xmlPath: String) throws -> (sha256: String, imageID: Int64)? {
    try database.rows(
      "SELECT xml_sha256, image_id FROM voc_documents WHERE source_id = ? AND xml_path = ?",
      [.int(sourceID), .text(xmlPath)]
    ) { (sha256: $0.text(0) ?? "", imageID: $0.int64(1)) }.first
  }

  /// Records an annotation file (its skeleton: the document without its objects), replacing what the source
  /// recorded at the same path.
  func saveVOCDocument(_ record: VOCRecord, skeleton: VOCDocument, sourceID: Int64, at time: String) throws {
    try database.run(
      """
      INSERT INTO voc_documents (image_id, source_id, xml_path, xml_sha256, skeleton_xml, dialect, width, height,
        created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (source_id, xml_path) DO UPDATE SET image_id = excluded.image_id,
        xml_sha256 = excluded.xml_sha256, skeleton_xml = excluded.skeleton_xml, dialect = excluded.dialect,
        width = excluded.width, height = excluded.height, created_at = excluded.created_at
      """,
      [
        .int(record.imageID), .int(sourceID), .text(record.xmlPath), .text(record.sha256),
        .text(String(decoding: skeleton.bytes(), as: UTF8.self)), .text(record.dialect),
        .optional(record.document.size?.width), .optional(record.document.size?.height), .text(time),
      ])
  }

  /// Adds an accepted box (origin `voc`) for one object of an annotation file.
  func addVOCBox(
    _ object: VOCObject, classID: Int64, truncated: Bool, record: VOCRecord, sourceID: Int64, at time: String
  ) throws {
    try database.run(
      """
      INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, difficult, truncated, pose, extra_xml, origin,
        origin_source_id, origin_file, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'voc', ?, ?, 'accepted', ?)
      """,
      [
        .int(record.imageID), .int(classID), .real(object.box.xmin), .real(object.box.ymin),
        .real(object.box.xmax), .real(object.box.ymax), .int(object.isDifficult ? 1 : 0),
        .int(truncated ? 1 : 0), .optional(object.pose), .optional(object.extraXML), .int(sourceID),
        .text(record.xmlPath), .text(time),
      ])
  }

  /// Takes away the boxes an annotation file gave before it changed (call inside a write transaction):
  /// boxes a crop points at are kept but rejected; the others are deleted.
  public func retireBoxes(origin: String, sourceID: Int64, file: String) throws {
    try database.run(
      """
      DELETE FROM boxes WHERE origin = ? AND origin_source_id = ? AND origin_file = ?
        AND id NOT IN (SELECT box_id FROM crops WHERE box_id IS NOT NULL)
      """, [.text(origin), .int(sourceID), .text(file)])
    try database.run(
      "UPDATE boxes SET status = 'rejected' WHERE origin = ? AND origin_source_id = ? AND origin_file = ?",
      [.text(origin), .int(sourceID), .text(file)])
  }
}
