import Annotations
import Catalog
import Foundation
import Imaging
import Ingest
import Labeling

/// Which boxes the review page shows.
public typealias ReviewFilter = BoxFilter

/// One tile of the grid: a box, where it sits, and how to show it.
public typealias ReviewTile = BoxTile

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
  /// The classes a relabel or a drawn face may be given (the view in force, or the catalog's classes).
  let classes: ClassPolicy
  /// The browser's suspects, ranked, and the catalog state they were ranked on (`suspectScores()`).
  var suspectCache: (state: String, scores: SuspectScores)?
  /// The ranking running now, if any, and the catalog state it ranks.
  var ranking: (state: String, task: Task<SuspectScores, any Error>)?
  /// The browser's `check leakage` runs, by split (`leakReport(_:)`).
  var leakRuns: [String: LeakRun] = [:]

  /// Opens the catalog of `workspace`; decisions are logged with `reviewer` (e.g. `web:alice`) and may give
  /// boxes only the classes `classes` allows (an unknown view throws).
  public init(
    workspace: Workspace, reviewer: String, maxPixels: Int = ImageHeader.defaultMaxPixels,
    classes: ClassPolicy = ClassPolicy()
  ) throws {
    catalog = try Catalog(workspace: workspace)
    self.reviewer = reviewer
    self.maxPixels = maxPixels
    self.classes = classes
    _ = try catalog.classVocabulary(classes)
  }

  /// The class names relabel keys 1–9 stand for: `preferred` first (in order), then the view's classes (a view
  /// in force), the classes of the catalog's boxes, most used first, and the other classes a decision may give;
  /// only classes a decision may give.
  public func labels(preferred: [String]) throws -> [String] {
    let vocabulary = try catalog.classVocabulary(classes)
    let used = try BoxStore(catalog: catalog).classesByUse()
    let view = vocabulary?.view == nil ? [] : vocabulary?.classes ?? []
    var seen = Set<String>()
    return (preferred + view + used + (vocabulary?.classes ?? [])).filter {
      !$0.isEmpty && (vocabulary?.contains($0) ?? true) && seen.insert($0).inserted
    }.prefix(9).map { $0 }
  }

  /// Checks names against the classes a decision may give (`ReviewDesk.init`'s `classes`), before any
  /// decision: throws `AnnotationsError.unknownClass` with the nearest class.
  public func checkClasses(_ names: [String]) throws {
    try catalog.checkClasses(names, classes)
  }

  /// One page of the boxes the filter lets through, in box id order.
  public func page(_ filter: ReviewFilter, page: Int, perPage: Int) throws -> ReviewPage {
    let boxes = BoxStore(catalog: catalog)
    let total = try boxes.tileCount(filter)
    let per = max(1, min(perPage, 500))
    let current = max(0, page)
    let tiles = try boxes.tiles(filter, limit: per, offset: Self.offset(page: current, perPage: per))
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
      let facts = try catalog.imageFacts(id: id)
    else { throw ReviewError.notFound("image \(id)") }
    let boxes = try BoxStore(catalog: catalog).tiles(onImage: id)
    return ReviewImage(image: id, width: facts.width, height: facts.height, boxes: boxes)
  }

  /// The stored bytes of an image (by catalog id only; nothing from a request names a path) and its format.
  public func imageBytes(_ id: Int64) throws -> (bytes: [UInt8], format: String) {
    guard
      let (sha, format) = try catalog.imageDigestAndFormat(id: id)
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
      let (sha, rect) = try BoxStore(catalog: catalog).boxOnImage(id)
    else { throw ReviewError.notFound("box \(id)") }
    return (try catalog.store.read(sha), rect)
  }

  public func decide(_ action: ReviewAction, boxes: [Int64]) throws -> ReviewReport {
    try catalog.review(action, boxes: boxes, reviewer: reviewer, classes: classes)
  }

  public func addMissedFace(image: Int64, rect: Box, label: String?) throws -> ReviewReport {
    try catalog.addMissedFace(image: image, rect: rect, label: label, reviewer: reviewer, classes: classes)
  }

  public func adjust(box: Int64, rect: Box) throws -> ReviewReport {
    try catalog.adjustBox(box, to: rect, reviewer: reviewer)
  }

  public func undo(review: Int64) throws -> ReviewReport {
    try catalog.undoReview(review, reviewer: reviewer)
  }
}
