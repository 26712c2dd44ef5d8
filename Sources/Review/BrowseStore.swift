import Catalog
import Foundation

/// Which images the browser shows. Every field comes from the page's URL, so a view can be bookmarked.
public struct BrowseFilter: Sendable, Codable, Equatable {
  /// The image's label in the view (`""`: the labels as found); `(none)` for images without one.
  public var label: String?
  /// A source the image came from (any of its origins).
  public var source: String?
  /// `photo` or `crop`.
  public var kind: String?
  /// active, rejected (excluded by a person), duplicate, quarantined.
  public var status: String?
  /// Members of this split …
  public var split: String?
  /// … in this subset.
  public var subset: String?
  /// The image and every image sharing a duplicate cluster or related group with it.
  public var group: Int64?
  /// Exactly these images (a leaking pair, a cluster from `dedup --report`).
  public var ids: [Int64]?
  /// true: images with a person's decision; false: without.
  public var decided: Bool?
  /// Only the suspects (`review suspects`), most suspect first.
  public var suspects = false
  /// Photos with a face detection scored at least / at most this, and crops cut from one (0…1).
  public var minScore: Double?
  public var maxScore: Double?
  /// Show the pairs that cross subsets of this split (`check leakage`) instead of a grid.
  public var leaks: String?

  public init() {}
}

/// One tile of the browser's grid.
public struct BrowseTile: Sendable, Codable, Equatable {
  public var image: Int64
  public var label: String?
  public var source: String?
  public var status: String
  public var kind: String
  public var width: Int
  public var height: Int
  public var decided: Bool
  /// The suspect score, when the image is one.
  public var suspect: Double?
}

/// A page of the grid.
public struct BrowsePage: Sendable, Codable, Equatable {
  public var tiles: [BrowseTile]
  public var total: Int
  public var page: Int
  public var perPage: Int
  /// The view whose labels are shown (`""`: as found).
  public var view: String
}

/// An origin of an image, as the browser shows it.
public struct BrowseOrigin: Sendable, Codable, Equatable {
  public var source: String
  public var path: String
  public var url: String?
  public var license: String?
  public var creator: String?
}

/// A label row of an image.
public struct BrowseLabel: Sendable, Codable, Equatable {
  public var view: String
  public var label: String
  public var source: String?
  public var how: String
}

/// An image related to another: a duplicate (same cluster) or a related image (same group).
public struct BrowseRelation: Sendable, Codable, Equatable {
  public var image: Int64
  public var relation: String
  public var method: String
  public var status: String
  public var label: String?
}

/// A split an image is a member of.
public struct BrowseMembership: Sendable, Codable, Equatable {
  public var split: String
  public var subset: String
}

/// The SQL behind the browser: filtered, paged image rows and everything known about one image.
struct BrowseStore {
  let catalog: Catalog
  var database: Database { catalog.database }

  /// The WHERE clause and its values for a filter (`label` is compared in the outer query).
  private func conditions(_ filter: BrowseFilter, view: String) -> (sql: String, values: [SQLValue]) {
    var parts: [String] = []
    var values: [SQLValue] = [.text(view)]
    if let status = filter.status {
      parts.append("i.status = ?")
      values.append(.text(status))
    }
    if let kind = filter.kind {
      parts.append(kind == "crop" ? "i.parent_image_id IS NOT NULL" : "i.parent_image_id IS NULL")
    }
    // Candidates by index (`IN` over the label, origin, split or review rows), not a subquery per image.
    if let label = filter.label {
      if label == "(none)" {
        parts.append("i.id NOT IN (SELECT l.image_id FROM image_labels l WHERE l.view = ?1)")
      } else {
        parts.append(
          "i.id IN (SELECT l.image_id FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.view = ?1 AND c.name = ?)"
        )
        values.append(.text(label))
      }
    }
    if let source = filter.source {
      parts.append(
        "i.id IN (SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE s.name = ?)")
      values.append(.text(source))
    }
    if let split = filter.split {
      parts.append(
        "i.id IN (SELECT a.image_id FROM split_assignments a JOIN splits sp ON sp.id = a.split_id WHERE sp.name = ?"
          + (filter.subset == nil ? ")" : " AND a.subset = ?)"))
      values.append(.text(split))
      if let subset = filter.subset { values.append(.text(subset)) }
    }
    if let group = filter.group {
      parts.append(
        """
        (i.id = ? OR i.id IN (SELECT d2.image_id FROM dup_clusters d1 JOIN dup_clusters d2 ON d2.method = d1.method
          AND d2.radius = d1.radius AND COALESCE(d2.group_id, d2.cluster_id) = COALESCE(d1.group_id, d1.cluster_id)
          WHERE d1.image_id = ?))
        """)
      values += [.int(group), .int(group)]
    }
    if let ids = filter.ids {
      parts.append(ids.isEmpty ? "0" : "i.id IN (\(ids.map { _ in "?" }.joined(separator: ",")))")
      values += ids.map { .int($0) }
    }
    if filter.minScore != nil || filter.maxScore != nil {
      let score = Self.scoreCondition(min: filter.minScore, max: filter.maxScore)
      parts.append(score.sql)
      values += score.values
    }
    if let decided = filter.decided {
      parts.append(
        "i.id " + (decided ? "" : "NOT ") + "IN (SELECT r.subject_id FROM reviews r WHERE r.subject = 'image')")
    }
    return (parts.isEmpty ? "1" : parts.joined(separator: " AND "), values)
  }

  private func select(_ filter: BrowseFilter, view: String) -> (sql: String, values: [SQLValue]) {
    let (whereSQL, values) = conditions(filter, view: view)
    var sql = """
      WITH base AS (
        SELECT i.id, i.status, i.width, i.height, i.parent_image_id IS NOT NULL AS crop,
          (SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = i.id AND l.view = ?1
           ORDER BY l.source_id IS NULL, l.source_id, c.name LIMIT 1) AS label,
          (SELECT s.name FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE o.image_id = i.id
           ORDER BY o.id LIMIT 1) AS source,
          EXISTS (SELECT 1 FROM reviews r WHERE r.subject = 'image' AND r.subject_id = i.id) AS decided
        FROM images i WHERE \(whereSQL))
      SELECT id, status, width, height, crop, label, source, decided FROM base
      """
    var all = values
    // An image with this class among its labels is shown only when it is the label it is credited with.
    if let label = filter.label, label != "(none)" {
      sql += " WHERE label = ?"
      all.append(.text(label))
    }
    return (sql, all)
  }

  /// The images a filter lets through, in id order (`limit` nil: all).
  func tiles(_ filter: BrowseFilter, view: String, limit: Int?, offset: Int) throws -> [BrowseTile] {
    var (sql, values) = select(filter, view: view)
    sql += " ORDER BY id"
    if let limit {
      sql += " LIMIT ? OFFSET ?"
      values += [.int(Int64(limit)), .int(Int64(offset))]
    }
    return try database.rows(sql, values) {
      BrowseTile(
        image: $0.int64(0), label: $0.text(5), source: $0.text(6), status: $0.text(1) ?? "",
        kind: $0.int(4) != 0 ? "crop" : "photo", width: $0.int(2), height: $0.int(3), decided: $0.int(7) != 0)
    }
  }

  /// How many images a filter lets through.
  func count(_ filter: BrowseFilter, view: String) throws -> Int {
    if filter.label == nil || filter.label == "(none)" {
      let (whereSQL, values) = conditions(filter, view: view)
      // ?1 (the view) is not used without a label filter; keep the numbering by naming it.
      return Int(
        try database.scalarInt("SELECT count(*) FROM images i WHERE ?1 IS NOT NULL AND \(whereSQL)", values) ?? 0)
    }
    let (sql, values) = select(filter, view: view)
    return Int(try database.scalarInt("SELECT count(*) FROM (\(sql))", values) ?? 0)
  }

  /// An image's facts: SHA-256, format, status and reason, parent.
  func facts(_ id: Int64) throws -> (sha256: String, format: String, status: String, reason: String?, parent: Int64?)? {
    try database.rows(
      "SELECT sha256, format, status, status_reason, parent_image_id FROM images WHERE id = ?", [.int(id)]
    ) { ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3), $0.isNull(4) ? nil : $0.int64(4)) }.first
  }

  func origins(_ id: Int64) throws -> [BrowseOrigin] {
    try database.rows(
      """
      SELECT s.name, o.rel_path, o.url, COALESCE(o.license, s.license), o.creator FROM image_origins o
      JOIN sources s ON s.id = o.source_id WHERE o.image_id = ? ORDER BY o.id
      """, [.int(id)]
    ) {
      BrowseOrigin(
        source: $0.text(0) ?? "", path: $0.text(1) ?? "", url: $0.text(2), license: $0.text(3), creator: $0.text(4))
    }
  }

  func labels(_ id: Int64) throws -> [BrowseLabel] {
    try database.rows(
      """
      SELECT l.view, c.name, s.name, l.how FROM image_labels l JOIN classes c ON c.id = l.class_id
      LEFT JOIN sources s ON s.id = l.source_id WHERE l.image_id = ? ORDER BY l.view, l.source_id
      """, [.int(id)]
    ) { BrowseLabel(view: $0.text(0) ?? "", label: $0.text(1) ?? "", source: $0.text(2), how: $0.text(3) ?? "") }
  }

  /// The image's duplicates (same cluster) and related images (same group, another cluster), each once.
  func relations(_ id: Int64, view: String) throws -> [BrowseRelation] {
    let rows = try database.rows(
      """
      SELECT d2.image_id, d2.cluster_id = d1.cluster_id, d1.method, i.status,
        (SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = d2.image_id
         AND l.view = ? ORDER BY l.source_id IS NULL, l.source_id, c.name LIMIT 1)
      FROM dup_clusters d1 JOIN dup_clusters d2 ON d2.method = d1.method AND d2.radius = d1.radius
        AND COALESCE(d2.group_id, d2.cluster_id) = COALESCE(d1.group_id, d1.cluster_id)
      JOIN images i ON i.id = d2.image_id
      WHERE d1.image_id = ? AND d2.image_id <> ? ORDER BY d2.cluster_id = d1.cluster_id DESC, d2.image_id
      """, [.text(view), .int(id), .int(id)]
    ) {
      BrowseRelation(
        image: $0.int64(0), relation: $0.int(1) != 0 ? "duplicate" : "related", method: $0.text(2) ?? "",
        status: $0.text(3) ?? "", label: $0.text(4))
    }
    var seen: Set<Int64> = []
    return rows.filter { seen.insert($0.image).inserted }
  }

  func memberships(_ id: Int64) throws -> [BrowseMembership] {
    try database.rows(
      "SELECT sp.name, a.subset FROM split_assignments a JOIN splits sp ON sp.id = a.split_id WHERE a.image_id = ? ORDER BY sp.name",
      [.int(id)]
    ) { BrowseMembership(split: $0.text(0) ?? "", subset: $0.text(1) ?? "") }
  }

  /// The filter's choices: source names, split names and subsets, and the classes labels use in the view.
  func choices(view: String) throws -> (sources: [String], splits: [String: [String]], labels: [String]) {
    let sources = try database.rows("SELECT DISTINCT name FROM sources ORDER BY name") { $0.text(0) ?? "" }
    var splits: [String: [String]] = [:]
    for (name, subset) in try database.rows(
      "SELECT DISTINCT sp.name, a.subset FROM split_assignments a JOIN splits sp ON sp.id = a.split_id ORDER BY 1, 2",
      [], { ($0.text(0) ?? "", $0.text(1) ?? "") })
    {
      splits[name, default: []].append(subset)
    }
    let labels = try database.rows(
      "SELECT DISTINCT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.view = ? ORDER BY 1",
      [.text(view)]
    ) { $0.text(0) ?? "" }
    return (sources, splits, labels)
  }

  /// The stored bytes' SHA-256 of an image and its format.
  func object(_ id: Int64) throws -> (sha256: String, format: String)? {
    try database.rows("SELECT sha256, format FROM images WHERE id = ?", [.int(id)]) {
      ($0.text(0) ?? "", $0.text(1) ?? "")
    }
    .first
  }
}
