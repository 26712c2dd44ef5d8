import Catalog

/// Which boxes a listing shows (the review page, a contact sheet, a LabelImg export).
public struct BoxFilter: Sendable, Hashable, Codable {
  /// Box status: proposed, accepted, rejected, or nil for all.
  public var status: BoxStatus? = .proposed
  /// Only boxes of this class.
  public var label: String?
  /// Only boxes on images that came from this source (by name).
  public var source: String?
  /// Only boxes from this origin: a detector name (`default`, `haar`, …), `voc`, or `review`.
  public var origin: String?
  /// Only boxes scored at least this (boxes without a score pass).
  public var minScore: Double?
  /// Only boxes scored at most this.
  public var maxScore: Double?
  /// Show the stored crop objects (`faces crop`) instead of cutting thumbnails from the parent image.
  public var crops = false
  public init() {}

  /// Boxes of this status (nil: any), origin and class.
  public init(status: BoxStatus?, origin: String?, label: String?) {
    self.status = status
    self.origin = origin
    self.label = label
  }

  /// ` AND …` conditions choosing boxes `b` (with classes `c` joined) by status, origin, class, score and source.
  var conditions: (String, [SQLValue]) {
    var sql = ""
    var values: [SQLValue] = []
    for (column, value) in [("b.status", status?.rawValue), ("b.origin", origin), ("c.name", label)] {
      guard let value else { continue }
      sql += " AND \(column) = ?"
      values.append(.text(value))
    }
    if let minScore {
      sql += " AND (b.score IS NULL OR b.score >= ?)"
      values.append(.real(minScore))
    }
    if let maxScore {
      sql += " AND (b.score IS NULL OR b.score <= ?)"
      values.append(.real(maxScore))
    }
    if let source {
      sql += """
         AND EXISTS (SELECT 1 FROM image_origins o JOIN sources s ON s.id = o.source_id
                     WHERE o.image_id = b.image_id AND s.name = ?)
        """
      values.append(.text(source))
    }
    return (sql, values)
  }
}

/// One tile of the review grid: a box, where it sits, and how to show it.
public struct BoxTile: Sendable, Codable, Equatable {
  public var box: Int64
  public var image: Int64
  /// The crop object shown instead of a cut-out thumbnail (crops mode).
  public var crop: Int64?
  public var label: String?
  public var score: Double?
  public var origin: String
  public var status: BoxStatus
  public var rect: Box
  public var imageWidth: Int
  public var imageHeight: Int
}

/// A box as a reviewer sees it: its status, its class (nil: none) and where it is.
public struct ReviewableBox: Sendable, Hashable {
  public var id: Int64
  public var status: BoxStatus
  public var label: String?
  public var rect: Box
}

extension BoxStore {
  /// The class names of the catalog's boxes, most used first (then by name).
  public func classesByUse() throws -> [String] {
    try database.rows(
      """
      SELECT c.name FROM classes c JOIN boxes b ON b.class_id = c.id
      GROUP BY c.id ORDER BY count(*) DESC, c.name
      """
    ) { $0.text(0) ?? "" }
  }

  /// `FROM …` of the boxes the filter lets through, with their images, classes and (crops mode) crops.
  private func tileSource(_ filter: BoxFilter) -> (String, [SQLValue]) {
    let (conditions, values) = filter.conditions
    let crops = filter.crops ? "JOIN crops k ON k.box_id = b.id" : ""
    let from = """
      FROM boxes b JOIN images i ON i.id = b.image_id LEFT JOIN classes c ON c.id = b.class_id \(crops)
      WHERE 1\(conditions)
      """
    return (from, values)
  }

  /// How many boxes the filter lets through.
  public func tileCount(_ filter: BoxFilter) throws -> Int {
    let (from, values) = tileSource(filter)
    return Int(try database.scalarInt("SELECT count(*) " + from, values) ?? 0)
  }

  /// The tiles of the boxes the filter lets through, in box id order: `limit` of them after the first `offset`.
  public func tiles(_ filter: BoxFilter, limit: Int, offset: Int) throws -> [BoxTile] {
    let (from, values) = tileSource(filter)
    return try database.rows(
      "SELECT \(Self.tileColumns), \(filter.crops ? "k.image_id" : "NULL") " + from
        + " ORDER BY b.id LIMIT ? OFFSET ?",
      values + [.int(Int64(limit)), .int(Int64(offset))], Self.tile)
  }

  /// The tiles of every box on an image (rejected ones included), in box id order.
  public func tiles(onImage id: Int64) throws -> [BoxTile] {
    try database.rows(
      """
      SELECT \(Self.tileColumns), NULL FROM boxes b JOIN images i ON i.id = b.image_id
      LEFT JOIN classes c ON c.id = b.class_id WHERE b.image_id = ? ORDER BY b.id
      """, [.int(id)], Self.tile)
  }

  /// The stored bytes' digest of a box's image, and the box (nil: no such box).
  public func boxOnImage(_ id: Int64) throws -> (sha256: String, rect: Box)? {
    try database.rows(
      "SELECT i.sha256, b.xmin, b.ymin, b.xmax, b.ymax FROM boxes b JOIN images i ON i.id = b.image_id WHERE b.id = ?",
      [.int(id)],
      {
        (
          sha256: $0.text(0) ?? "",
          rect: Box(xmin: $0.double(1), ymin: $0.double(2), xmax: $0.double(3), ymax: $0.double(4))
        )
      }
    ).first
  }

  static let tileColumns =
    "b.id, b.image_id, c.name, b.score, b.origin, b.status, b.xmin, b.ymin, b.xmax, b.ymax, i.width, i.height"

  static func tile(_ row: Statement) -> BoxTile {
    BoxTile(
      box: row.int64(0), image: row.int64(1), crop: row.isNull(12) ? nil : row.int64(12), label: row.text(2),
      score: row.isNull(3) ? nil : row.double(3), origin: row.text(4) ?? "",
      status: row.text(5).flatMap(BoxStatus.init(rawValue:)) ?? .proposed,
      rect: Box(xmin: row.double(6), ymin: row.double(7), xmax: row.double(8), ymax: row.double(9)),
      imageWidth: row.int(10), imageHeight: row.int(11))
  }
}

// MARK: LabelImg round trip

extension BoxStore {
  /// The proposed and accepted boxes the filter lets through, by image, each image's in id order.
  public func openBoxIDsByImage(_ filter: BoxFilter) throws -> [Int64: [Int64]] {
    var sql = """
      SELECT b.image_id, b.id FROM boxes b LEFT JOIN classes c ON c.id = b.class_id
      WHERE b.status IN ('proposed', 'accepted')
      """
    let (conditions, values) = filter.conditions
    sql += conditions
    var chosen: [Int64: [Int64]] = [:]
    _ = try database.rows(sql + " ORDER BY b.image_id, b.id", values) {
      chosen[$0.int64(0), default: []].append($0.int64(1))
    }
    return chosen
  }

  /// The proposed and accepted boxes of an image, in id order.
  public func openBoxIDs(onImage id: Int64) throws -> [Int64] {
    try database.rows(
      "SELECT id FROM boxes WHERE image_id = ? AND status IN ('proposed', 'accepted') ORDER BY id", [.int(id)]
    ) { $0.int64(0) }
  }

  /// The active images a detector searched without an error: any detector, or those named `origin` (the
  /// origin of the boxes it proposes). The runs are AutoFace's `detection_runs`; they are read here because
  /// the LabelImg export, below AutoFace, needs them.
  public func imagesSearched(byDetector origin: String?) throws -> [Int64] {
    var searched = """
      SELECT DISTINCT r.image_id FROM detection_runs r JOIN images i ON i.id = r.image_id
      WHERE r.error IS NULL AND i.status = 'active'
      """
    var values: [SQLValue] = []
    if let origin {
      searched += " AND substr(r.detector_key, 1, length(?) + 1) = ? || ' '"
      values += [.text(origin), .text(origin)]
    }
    return try database.rows(searched, values) { $0.int64(0) }
  }

  /// A box as a reviewer sees it now (nil: no such box).
  public func reviewableBox(_ id: Int64) throws -> ReviewableBox? {
    try database.rows(
      """
      SELECT b.id, b.status, c.name, b.xmin, b.ymin, b.xmax, b.ymax FROM boxes b
      LEFT JOIN classes c ON c.id = b.class_id WHERE b.id = ?
      """, [.int(id)]
    ) {
      ReviewableBox(
        id: $0.int64(0), status: $0.text(1).flatMap(BoxStatus.init(rawValue:)) ?? .proposed, label: $0.text(2),
        rect: Box(xmin: $0.double(3), ymin: $0.double(4), xmax: $0.double(5), ymax: $0.double(6)))
    }.first
  }
}
