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

  /// How a filter's conditions on other tables are written: `list` builds each condition's list of images
  /// first (cheap when it is short), `probe` looks each image up in id order (cheap when most images pass,
  /// since a page stops after its tiles).
  enum Form { case list, probe }

  /// The WHERE clause and its values for a filter. Each condition reads one index holding the image id
  /// (migration 022). ?1 is the view.
  private func conditions(_ filter: BrowseFilter, view: String, form: Form) -> (sql: String, values: [SQLValue]) {
    var parts: [String] = []
    var values: [SQLValue] = [.text(view)]
    /// `body` is `FROM … WHERE …` over a table whose `column` is the image id.
    func member(_ column: String, _ body: String, negated: Bool = false) {
      switch form {
      case .list: parts.append("i.id \(negated ? "NOT " : "")IN (SELECT \(column) \(body))")
      case .probe: parts.append("\(negated ? "NOT " : "")EXISTS (SELECT 1 \(body) AND \(column) = i.id)")
      }
    }
    if let status = filter.status {
      parts.append("i.status = ?")
      values.append(.text(status))
    }
    if let kind = filter.kind {
      parts.append(kind == "crop" ? "i.parent_image_id IS NOT NULL" : "i.parent_image_id IS NULL")
    }
    if let label = filter.label {
      if label == "(none)" {
        member("l.image_id", "FROM image_labels l WHERE l.view = ?1", negated: true)
      } else {
        // The label the image is credited with (the first by source, then class name, as `tiles` shows it):
        // one of its labels is this class and no label of another class comes before it.
        member(
          "l.image_id",
          """
          FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.view = ?1 AND c.name = ?
            AND NOT EXISTS (SELECT 1 FROM image_labels l2 JOIN classes c2 ON c2.id = l2.class_id
              WHERE l2.image_id = l.image_id AND l2.view = ?1 AND l2.class_id <> l.class_id
              AND ((l2.source_id IS NOT NULL AND l.source_id IS NULL) OR l2.source_id < l.source_id
                OR (l2.source_id IS l.source_id AND c2.name < c.name)))
          """)
        values.append(.text(label))
      }
    }
    if let source = filter.source {
      member("o.image_id", "FROM image_origins o WHERE o.source_id IN (SELECT s.id FROM sources s WHERE s.name = ?)")
      values.append(.text(source))
    }
    if let split = filter.split {
      member(
        "a.image_id",
        "FROM split_assignments a WHERE a.split_id IN (SELECT sp.id FROM splits sp WHERE sp.name = ?)"
          + (filter.subset == nil ? "" : " AND a.subset = ?"))
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
      // One JSON value, however many ids (a statement takes at most 32,766 values).
      parts.append("i.id IN (SELECT value FROM json_each(?))")
      values.append(.text("[" + ids.map(String.init).joined(separator: ",") + "]"))
    }
    if filter.minScore != nil || filter.maxScore != nil {
      let score = Self.scoreCondition(min: filter.minScore, max: filter.maxScore)
      parts.append(score.sql)
      values += score.values
    }
    if let decided = filter.decided {
      member("r.subject_id", "FROM reviews r WHERE r.subject = 'image'", negated: !decided)
    }
    // ?1 (the view) is used by the label filter only; naming it keeps the numbering.
    return ("?1 IS NOT NULL" + parts.map { " AND " + $0 }.joined(), values)
  }

  /// The tiles of the images a filter lets through, in id order, read in `form` (`count` tells which is
  /// cheaper; `limit` nil: all).
  func tiles(_ filter: BrowseFilter, view: String, limit: Int?, offset: Int, form: Form = .list) throws
    -> [BrowseTile]
  {
    let (whereSQL, values) = conditions(filter, view: view, form: form)
    var sql = """
      SELECT i.id, i.status, i.width, i.height, i.parent_image_id IS NOT NULL,
        (SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = i.id AND l.view = ?1
         ORDER BY l.source_id IS NULL, l.source_id, c.name LIMIT 1),
        (SELECT s.name FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE o.image_id = i.id
         ORDER BY o.id LIMIT 1),
        EXISTS (SELECT 1 FROM reviews r WHERE r.subject = 'image' AND r.subject_id = i.id)
      FROM images i WHERE \(whereSQL) ORDER BY i.id
      """
    var all = values
    if let limit {
      sql += " LIMIT ? OFFSET ?"
      all += [.int(Int64(limit)), .int(Int64(offset))]
    }
    return try database.rows(sql, all) {
      BrowseTile(
        image: $0.int64(0), label: $0.text(5), source: $0.text(6), status: $0.text(1) ?? "",
        kind: $0.int(4) != 0 ? "crop" : "photo", width: $0.int(2), height: $0.int(3), decided: $0.int(7) != 0)
    }
  }

  /// The ids of the images a filter lets through, in id order (`probe` when `ids` holds the candidates).
  func ids(_ filter: BrowseFilter, view: String, form: Form = .list) throws -> [Int64] {
    let (whereSQL, values) = conditions(filter, view: view, form: form)
    return try database.rows("SELECT i.id FROM images i WHERE \(whereSQL) ORDER BY i.id", values) { $0.int64(0) }
  }

  /// How many images a filter lets through, and the form its pages are cheaper read in: `probe` when they are
  /// at least 1 in 20 of the catalog's images (a page of 48 is then found within about the first 1,000).
  func count(_ filter: BrowseFilter, view: String) throws -> (count: Int, form: Form) {
    let (whereSQL, values) = conditions(filter, view: view, form: .list)
    let count = Int(try database.scalarInt("SELECT count(*) FROM images i WHERE \(whereSQL)", values) ?? 0)
    let all = Int(try database.scalarInt("SELECT count(*) FROM images") ?? 0)
    return (count, count * 20 >= all ? .probe : .list)
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
  /// Subsets and classes are found by one index seek each (a loose index scan), not by reading every row.
  func choices(view: String) throws -> (sources: [String], splits: [String: [String]], labels: [String]) {
    let sources = try database.rows("SELECT DISTINCT name FROM sources ORDER BY name") { $0.text(0) ?? "" }
    var splits: [String: [String]] = [:]
    for (name, subset) in try database.rows(
      """
      WITH RECURSIVE sub(split, subset) AS (
        SELECT sp.id, (SELECT min(a.subset) FROM split_assignments a WHERE a.split_id = sp.id) FROM splits sp
        UNION ALL
        SELECT split, (SELECT min(a.subset) FROM split_assignments a WHERE a.split_id = sub.split AND a.subset > sub.subset)
        FROM sub WHERE subset IS NOT NULL)
      SELECT sp.name, sub.subset FROM sub JOIN splits sp ON sp.id = sub.split WHERE sub.subset IS NOT NULL ORDER BY 1, 2
      """,
      [], { ($0.text(0) ?? "", $0.text(1) ?? "") })
    {
      splits[name, default: []].append(subset)
    }
    let labels = try database.rows(
      "SELECT c.name FROM classes c WHERE EXISTS (SELECT 1 FROM image_labels l WHERE l.view = ? AND l.class_id = c.id) ORDER BY 1",
      [.text(view)]
    ) { $0.text(0) ?? "" }
    return (sources, splits, labels)
  }

  /// The catalog's state as this connection sees it: it changes with every commit by another connection
  /// (`data_version`) and every row this one changes (`total_changes()`).
  func state() throws -> String {
    try database.scalarText("SELECT (SELECT data_version FROM pragma_data_version) || '|' || total_changes()") ?? ""
  }

  /// The stored bytes' SHA-256 of an image and its format.
  func object(_ id: Int64) throws -> (sha256: String, format: String)? {
    try database.rows("SELECT sha256, format FROM images WHERE id = ?", [.int(id)]) {
      ($0.text(0) ?? "", $0.text(1) ?? "")
    }
    .first
  }
}
