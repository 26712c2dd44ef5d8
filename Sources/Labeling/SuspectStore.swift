import Catalog
import Foundation

/// A `dup_clusters` row as the suspects ranking reads it.
struct RelationRow {
  var image: Int64
  var method: String
  var radius: Int
  var cluster: Int64
  var group: Int64
}

/// A `dedup_relations` row: a pair a confirming dedup run found and what confirmed it.
struct PairRelationRow {
  var method: String
  var radius: Int
  var first: Int64
  var second: Int64
  var evidence: String
}

/// An image as a suspect names it: SHA-256, status, first origin (`source/relative path`), source name.
struct ImageNaming {
  var sha256: String
  var status: String
  var path: String
  var source: String
}

/// What the suspects ranking reads: relations, crops and their boxes, names of images.
struct SuspectStore {
  let catalog: Catalog
  var database: Database { catalog.database }

  /// Every stored relation row (duplicate cluster and related group) of images that are active or duplicate.
  func relations() throws -> [RelationRow] {
    try database.rows(
      """
      SELECT d.image_id, d.method, d.radius, d.cluster_id, COALESCE(d.group_id, d.cluster_id) FROM dup_clusters d
      JOIN images i ON i.id = d.image_id WHERE i.status IN ('active', 'duplicate')
      """
    ) {
      RelationRow(
        image: $0.int64(0), method: $0.text(1) ?? "", radius: $0.int(2), cluster: $0.int64(3), group: $0.int64(4))
    }
  }

  /// Every pair the last confirming dedup of each method and radius stored (`dedup_relations`), of two images
  /// that are active or duplicate.
  func pairs() throws -> [PairRelationRow] {
    try database.rows(
      """
      SELECT p.method, p.radius, p.first_image_id, p.second_image_id, p.evidence FROM dedup_relations p
      JOIN images a ON a.id = p.first_image_id JOIN images b ON b.id = p.second_image_id
      WHERE a.status IN ('active', 'duplicate') AND b.status IN ('active', 'duplicate')
      ORDER BY p.method, p.radius, p.first_image_id, p.second_image_id
      """
    ) {
      PairRelationRow(
        method: $0.text(0) ?? "", radius: $0.int(1), first: $0.int64(2), second: $0.int64(3), evidence: $0.text(4) ?? ""
      )
    }
  }

  /// Active crops with the box they were cut from: the crop, its parent, the box and the box's class id.
  func cropsWithBoxes() throws -> [(crop: Int64, parent: Int64, box: Int64, classID: Int64?)] {
    try database.rows(
      """
      SELECT c.image_id, c.parent_image_id, c.box_id, b.class_id FROM crops c JOIN boxes b ON b.id = c.box_id
      JOIN images i ON i.id = c.image_id WHERE i.status = 'active' ORDER BY c.image_id
      """
    ) { (crop: $0.int64(0), parent: $0.int64(1), box: $0.int64(2), classID: $0.isNull(3) ? nil : $0.int64(3)) }
  }

  /// Class names by id.
  func classNames() throws -> [Int64: String] {
    var names: [Int64: String] = [:]
    for (id, name) in try database.rows("SELECT id, name FROM classes", [], { ($0.int64(0), $0.text(1) ?? "") }) {
      names[id] = name
    }
    return names
  }

  /// Source names by id.
  func sourceNames() throws -> [Int64: String] {
    var names: [Int64: String] = [:]
    for (id, name) in try database.rows("SELECT id, name FROM sources", [], { ($0.int64(0), $0.text(1) ?? "") }) {
      names[id] = name
    }
    return names
  }

  /// An image's SHA-256, status, first origin and its source's name (nil: no such image).
  func naming(_ id: Int64) throws -> ImageNaming? {
    try database.rows(
      """
      SELECT i.sha256, i.status,
        COALESCE((SELECT s.name || '/' || o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE o.image_id = i.id ORDER BY o.id LIMIT 1), ''),
        COALESCE((SELECT s.name FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE o.image_id = i.id ORDER BY o.id LIMIT 1), '')
      FROM images i WHERE i.id = ?
      """, [.int(id)]
    ) {
      ImageNaming(sha256: $0.text(0) ?? "", status: $0.text(1) ?? "", path: $0.text(2) ?? "", source: $0.text(3) ?? "")
    }
    .first
  }
}
