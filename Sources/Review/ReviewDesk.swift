import Annotations
import Catalog
import Foundation
import Imaging
import Ingest
import Labeling

/// Which boxes the review page shows.
public struct ReviewFilter: Sendable, Hashable, Codable {
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
}

/// One tile of the grid: a box, where it sits, and how to show it.
public struct ReviewTile: Sendable, Codable, Equatable {
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

/// A page of tiles.
public struct ReviewPage: Sendable, Codable {
  public var tiles: [ReviewTile]
  public var total: Int
  public var page: Int
  public var perPage: Int
}

/// One image with all its boxes, for drawing a missed face or moving a box.
public struct ReviewImage: Sendable, Codable {
  public var image: Int64
  public var width: Int
  public var height: Int
  public var boxes: [ReviewTile]
}

/// The catalog side of the review page: queries and decisions, one at a time. Every decision is committed
/// (`synchronous=FULL`) before the call returns, so the page confirms only what is on disk.
public actor ReviewDesk {
  let catalog: Catalog
  let reviewer: String
  let maxPixels: Int

  /// Opens the catalog of `workspace`; decisions are logged with `reviewer` (e.g. `web:alice`).
  public init(workspace: Workspace, reviewer: String, maxPixels: Int = ImageHeader.defaultMaxPixels) throws {
    catalog = try Catalog(workspace: workspace)
    self.reviewer = reviewer
    self.maxPixels = maxPixels
  }

  /// The class names relabel keys 1–9 stand for: `preferred` first (in order), then the classes of the
  /// catalog's boxes, most used first.
  public func labels(preferred: [String]) throws -> [String] {
    let used = try catalog.database.rows(
      """
      SELECT c.name FROM classes c JOIN boxes b ON b.class_id = c.id
      GROUP BY c.id ORDER BY count(*) DESC, c.name
      """
    ) { $0.text(0) ?? "" }
    var seen = Set<String>()
    return (preferred + used).filter { !$0.isEmpty && seen.insert($0).inserted }.prefix(9).map { $0 }
  }

  /// One page of the boxes the filter lets through, in box id order.
  public func page(_ filter: ReviewFilter, page: Int, perPage: Int) throws -> ReviewPage {
    var (conditions, values) = Catalog.boxConditions(
      status: filter.status, origin: filter.origin, label: filter.label)
    if let minScore = filter.minScore {
      conditions += " AND (b.score IS NULL OR b.score >= ?)"
      values.append(.real(minScore))
    }
    if let maxScore = filter.maxScore {
      conditions += " AND (b.score IS NULL OR b.score <= ?)"
      values.append(.real(maxScore))
    }
    if let source = filter.source {
      conditions += """
         AND EXISTS (SELECT 1 FROM image_origins o JOIN sources s ON s.id = o.source_id
                     WHERE o.image_id = b.image_id AND s.name = ?)
        """
      values.append(.text(source))
    }
    let crops = filter.crops ? "JOIN crops k ON k.box_id = b.id" : ""
    let from = """
      FROM boxes b JOIN images i ON i.id = b.image_id LEFT JOIN classes c ON c.id = b.class_id \(crops)
      WHERE 1\(conditions)
      """
    let total = Int(try catalog.database.scalarInt("SELECT count(*) " + from, values) ?? 0)
    let per = max(1, min(perPage, 500))
    let current = max(0, page)
    let tiles = try catalog.database.rows(
      "SELECT \(Self.tileColumns), \(filter.crops ? "k.image_id" : "NULL") " + from
        + " ORDER BY b.id LIMIT ? OFFSET ?",
      values + [.int(Int64(per)), .int(Int64(Self.offset(page: current, perPage: per)))], Self.tile)
    return ReviewPage(tiles: tiles, total: total, page: current, perPage: per)
  }

  /// The row offset of a page; a page number from the URL so large the product wraps gives an empty page.
  static func offset(page: Int, perPage: Int) -> Int {
    let (offset, overflow) = page.multipliedReportingOverflow(by: perPage)
    return overflow ? Int.max : offset
  }

  /// An image and every box on it (rejected ones included, so a reviewer sees what was turned down).
  public func image(_ id: Int64) throws -> ReviewImage {
    guard
      let (width, height) = try catalog.database.rows(
        "SELECT width, height FROM images WHERE id = ?", [.int(id)], { ($0.int(0), $0.int(1)) }
      ).first
    else { throw ReviewError.notFound("image \(id)") }
    let boxes = try catalog.database.rows(
      """
      SELECT \(Self.tileColumns), NULL FROM boxes b JOIN images i ON i.id = b.image_id
      LEFT JOIN classes c ON c.id = b.class_id WHERE b.image_id = ? ORDER BY b.id
      """, [.int(id)], Self.tile)
    return ReviewImage(image: id, width: width, height: height, boxes: boxes)
  }

  /// The stored bytes of an image (by catalog id only; nothing from a request names a path) and its format.
  public func imageBytes(_ id: Int64) throws -> (bytes: [UInt8], format: String) {
    guard
      let (sha, format) = try catalog.database.rows(
        "SELECT sha256, format FROM images WHERE id = ?", [.int(id)], { ($0.text(0) ?? "", $0.text(1) ?? "") }
      ).first
    else { throw ReviewError.notFound("image \(id)") }
    return (try catalog.store.read(sha), format)
  }

  /// A JPEG thumbnail of a box with some context around it, `side` pixels on its longer edge. The catalog
  /// is read on the actor; decoding and resizing run outside it, so a page's thumbnails are cut in parallel.
  public nonisolated func thumbnail(box id: Int64, side: Int) async throws -> [UInt8] {
    let (bytes, rect) = try await boxSource(id)
    let image = try DecodedImage(bytes: bytes, maxPixels: maxPixels)
    return try image.thumbnail(of: rect, margin: 0.2, side: side).encoded(.jpeg(quality: 85))
  }

  /// The stored bytes of a box's image and the box.
  func boxSource(_ id: Int64) throws -> ([UInt8], Box) {
    guard
      let (sha, rect) = try catalog.database.rows(
        "SELECT i.sha256, b.xmin, b.ymin, b.xmax, b.ymax FROM boxes b JOIN images i ON i.id = b.image_id WHERE b.id = ?",
        [.int(id)],
        { ($0.text(0) ?? "", Box(xmin: $0.double(1), ymin: $0.double(2), xmax: $0.double(3), ymax: $0.double(4))) }
      ).first
    else { throw ReviewError.notFound("box \(id)") }
    return (try catalog.store.read(sha), rect)
  }

  public func decide(_ action: ReviewAction, boxes: [Int64]) throws -> ReviewReport {
    try catalog.review(action, boxes: boxes, reviewer: reviewer)
  }

  public func addMissedFace(image: Int64, rect: Box, label: String?) throws -> ReviewReport {
    try catalog.addMissedFace(image: image, rect: rect, label: label, reviewer: reviewer)
  }

  public func adjust(box: Int64, rect: Box) throws -> ReviewReport {
    try catalog.adjustBox(box, to: rect, reviewer: reviewer)
  }

  public func undo(review: Int64) throws -> ReviewReport {
    try catalog.undoReview(review, reviewer: reviewer)
  }

  static let tileColumns =
    "b.id, b.image_id, c.name, b.score, b.origin, b.status, b.xmin, b.ymin, b.xmax, b.ymax, i.width, i.height"

  static func tile(_ row: Statement) -> ReviewTile {
    ReviewTile(
      box: row.int64(0), image: row.int64(1), crop: row.isNull(12) ? nil : row.int64(12), label: row.text(2),
      score: row.isNull(3) ? nil : row.double(3), origin: row.text(4) ?? "",
      status: row.text(5).flatMap(BoxStatus.init(rawValue:)) ?? .proposed,
      rect: Box(xmin: row.double(6), ymin: row.double(7), xmax: row.double(8), ymax: row.double(9)),
      imageWidth: row.int(10), imageHeight: row.int(11))
  }
}
