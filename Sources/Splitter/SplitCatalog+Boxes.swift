import Annotations
import Catalog

extension SplitCatalog {
  /// Freezes the box set of every member of split `splitID` as a box export of `view` writes it (its boxes,
  /// VOC skeleton and `verified`), replacing what was frozen before. Call inside a write transaction, after
  /// the members are stored. A catalog without boxes or VOC files reads no member and writes no row.
  static func freezeBoxes(catalog: Catalog, splitID: Int64, view: String) throws {
    let db = catalog.database
    try db.run("DELETE FROM split_boxes WHERE split_id = ?", [.int(splitID)])
    try db.run("DELETE FROM split_box_documents WHERE split_id = ?", [.int(splitID)])
    try db.run("UPDATE splits SET boxes_frozen = 1 WHERE id = ?", [.int(splitID)])
    guard let inView = try boxesNow(catalog: catalog, view: view) else { return }
    let candidates = inView.imageIDs
    if candidates.isEmpty { return }
    var members: Set<Int64> = []
    try scan(db, "SELECT image_id FROM split_assignments WHERE split_id = ?", [.int(splitID)]) {
      members.insert($0.int64(0))
    }
    let box = try db.prepare(
      """
      INSERT INTO split_boxes (split_id, image_id, position, box_id, class_name, xmin, ymin, xmax, ymax, difficult,
        truncated, pose, extra_xml, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      """)
    let document = try db.prepare(
      "INSERT INTO split_box_documents (split_id, image_id, skeleton_xml, verified) VALUES (?, ?, ?, ?)")
    defer { for statement in [box, document] { statement.reset() } }
    for id in candidates.sorted() where members.contains(id) {
      let set = inView.set(of: id)
      for (position, frozen) in set.boxes.enumerated() {
        try box.bind([
          .int(splitID), .int(id), .int(Int64(position)), .int(frozen.id), .text(frozen.className),
          .real(frozen.box.xmin), .real(frozen.box.ymin), .real(frozen.box.xmax), .real(frozen.box.ymax),
          .int(frozen.difficult ? 1 : 0), .int(frozen.truncated ? 1 : 0), .optional(frozen.pose),
          .optional(frozen.extraXML), .text(frozen.origin),
        ])
        while try box.step() {}
        box.rewind()
      }
      if set.vocSkeleton != nil || set.verified != nil {
        try document.bind([
          .int(splitID), .int(id), .optional(set.vocSkeleton), set.verified.map { .int($0 ? 1 : 0) } ?? .null,
        ])
        while try document.step() {}
        document.rewind()
      }
    }
  }

  /// Every image's box set in `view` now; nil for a view with no recorded definition (a label view a box
  /// export cannot write).
  static func boxesNow(catalog: Catalog, view: String) throws -> ViewBoxes? {
    if !view.isEmpty, try catalog.viewDefinition(view) == nil { return nil }
    return try catalog.viewBoxes(view: view)
  }

  /// A split made before boxes were frozen (schema 017) freezes its members' boxes of now, once (as 012 froze
  /// their labels).
  /// `inTransaction`: the caller holds a write transaction.
  static func freezeBoxesIfNeeded(
    catalog: Catalog, splitID: Int64, view: String, inTransaction: Bool = false
  ) throws {
    let db = catalog.database
    func needed() throws -> Bool {
      try db.scalarInt("SELECT boxes_frozen FROM splits WHERE id = ?", [.int(splitID)]) == 0
    }
    guard try needed() else { return }
    if inTransaction {
      try freezeBoxes(catalog: catalog, splitID: splitID, view: view)
      return
    }
    try db.writeTransaction {
      if try needed() { try freezeBoxes(catalog: catalog, splitID: splitID, view: view) }
    }
  }

  /// Each member's box set as frozen in split `splitID` (members without one are absent: no box). A split
  /// made before boxes were frozen freezes today's first.
  public static func frozenBoxSets(catalog: Catalog, splitID: Int64, view: String) throws -> [Int64: ImageBoxSet] {
    try freezeBoxesIfNeeded(catalog: catalog, splitID: splitID, view: view)
    return try storedBoxSets(catalog: catalog, splitID: splitID)
  }

  /// The box sets stored for split `splitID` (no freezing).
  static func storedBoxSets(catalog: Catalog, splitID: Int64) throws -> [Int64: ImageBoxSet] {
    let db = catalog.database
    var sets: [Int64: ImageBoxSet] = [:]
    try scan(
      db,
      """
      SELECT image_id, box_id, class_name, xmin, ymin, xmax, ymax, difficult, truncated, pose, extra_xml, origin
      FROM split_boxes WHERE split_id = ? ORDER BY image_id, position
      """, [.int(splitID)]
    ) { row in
      sets[row.int64(0), default: ImageBoxSet()].boxes.append(
        ExportBox(
          id: row.int64(1), className: row.text(2) ?? "",
          box: Box(xmin: row.double(3), ymin: row.double(4), xmax: row.double(5), ymax: row.double(6)),
          difficult: row.int64(7) != 0, truncated: row.int64(8) != 0, pose: row.text(9), extraXML: row.text(10),
          origin: row.text(11) ?? ""))
    }
    try scan(
      db, "SELECT image_id, skeleton_xml, verified FROM split_box_documents WHERE split_id = ?", [.int(splitID)]
    ) { row in
      let id = row.int64(0)
      sets[id, default: ImageBoxSet()].vocSkeleton = row.text(1)
      sets[id, default: ImageBoxSet()].verified = row.isNull(2) ? nil : row.int64(2) != 0
    }
    return sets
  }

  /// Members of split `splitID` whose box set in `view` differs from the one frozen (a box relabelled,
  /// rejected, added or moved in review, another class map, another VOC file), except `leaving` (members
  /// that leave on update anyway). Reads only; call `freezeBoxesIfNeeded` first.
  static func boxChanges(catalog: Catalog, splitID: Int64, view: String, leaving: Set<Int64>) throws
    -> [SplitChange]
  {
    let frozen = try storedBoxSets(catalog: catalog, splitID: splitID)
    let now = try boxesNow(catalog: catalog, view: view)
    let candidates = Set(frozen.keys).union(now?.imageIDs ?? [])
    if candidates.isEmpty { return [] }
    var changes: [SplitChange] = []
    try scan(
      catalog.database, "SELECT image_id, subset, label FROM split_assignments WHERE split_id = ?", [.int(splitID)]
    ) { row in
      let id = row.int64(0)
      guard candidates.contains(id), !leaving.contains(id) else { return }
      let before = frozen[id] ?? ImageBoxSet()
      let after = now?.set(of: id) ?? ImageBoxSet()
      guard before != after else { return }
      var change = SplitChange(kind: .boxesChanged, imageID: id, subset: row.text(1), label: row.text(2))
      change.boxesBefore = before.boxes.count
      change.boxesAfter = after.boxes.count
      changes.append(change)
    }
    return changes
  }
}
