import Annotations
import Catalog
import Foundation

/// An action of the review log, as `reviews.action` stores it (see `Catalog.review(_:boxes:reviewer:)`).
public enum ReviewLogAction: String, Sendable, Codable, CaseIterable {
  case accept
  case reject
  case relabel
  case add
  case adjust
  case undo
}

/// The review log's tables: `reviews` (append-only: one row per decision on a box, with the box's state
/// before it) and the box rows those decisions change.
struct ReviewLog {
  let catalog: Catalog
  var database: Database { catalog.database }

  /// Whether a box with this id exists.
  func boxExists(_ id: Int64) throws -> Bool {
    try database.scalarInt("SELECT id FROM boxes WHERE id = ?", [.int(id)]) != nil
  }

  /// A box's reviewable state (nil: no such box).
  func boxState(_ id: Int64) throws -> BoxState? {
    try database.rows(
      "SELECT status, class_id, xmin, ymin, xmax, ymax FROM boxes WHERE id = ?", [.int(id)]
    ) {
      BoxState(
        status: $0.text(0).flatMap(BoxStatus.init(rawValue:)) ?? .proposed, classID: $0.isNull(1) ? nil : $0.int64(1),
        rect: Box(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5)))
    }.first
  }

  /// An image's size in pixels (nil: no such image).
  func imageSize(_ imageID: Int64) throws -> (width: Double, height: Double)? {
    try database.rows(
      "SELECT width, height FROM images WHERE id = ?", [.int(imageID)], { ($0.double(0), $0.double(1)) }
    )
    .first
  }

  /// The size of the image a box is on (nil: no such box).
  func imageSize(ofBox id: Int64) throws -> (width: Double, height: Double)? {
    try database.rows(
      "SELECT i.width, i.height FROM boxes b JOIN images i ON i.id = b.image_id WHERE b.id = ?", [.int(id)]
    ) { ($0.double(0), $0.double(1)) }.first
  }

  func setStatus(_ status: BoxStatus, box id: Int64) throws {
    try database.run("UPDATE boxes SET status = ? WHERE id = ?", [.text(status.rawValue), .int(id)])
  }

  /// Gives a box a class and accepts it.
  func relabel(box id: Int64, classID: Int64) throws {
    try database.run(
      "UPDATE boxes SET class_id = ?, status = ? WHERE id = ?",
      [.int(classID), .text(BoxStatus.accepted.rawValue), .int(id)])
  }

  /// A new accepted box drawn by a reviewer (origin `review`); returns its id.
  func addBox(image imageID: Int64, classID: Int64?, rect r: Box) throws -> Int64 {
    try database.run(
      """
      INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, origin, status, created_at)
      VALUES (?, ?, ?, ?, ?, ?, 'review', ?, ?)
      """,
      [
        .int(imageID), .optional(classID), .real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax),
        .text(BoxStatus.accepted.rawValue), .text(Timestamp.now()),
      ])
    return database.lastInsertRowID
  }

  /// Moves a box and accepts it.
  func move(box id: Int64, to r: Box) throws {
    try database.run(
      "UPDATE boxes SET xmin = ?, ymin = ?, xmax = ?, ymax = ?, status = ? WHERE id = ?",
      [.real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax), .text(BoxStatus.accepted.rawValue), .int(id)])
  }

  /// Puts a box back in a state it had.
  func restore(box id: Int64, to state: BoxState) throws {
    try database.run(
      "UPDATE boxes SET status = ?, class_id = ?, xmin = ?, ymin = ?, xmax = ?, ymax = ? WHERE id = ?",
      [
        .text(state.status.rawValue), .optional(state.classID), .real(state.rect.xmin), .real(state.rect.ymin),
        .real(state.rect.xmax), .real(state.rect.ymax), .int(id),
      ])
  }

  /// Appends a row to the log; returns its id.
  func append(box: Int64, action: ReviewLogAction, value: String?, before: BoxState?, reviewer: String) throws -> Int64
  {
    try database.run(
      """
      INSERT INTO reviews (subject, subject_id, action, value, previous, reviewer, created_at)
      VALUES ('box', ?, ?, ?, ?, ?, ?)
      """,
      [
        .int(box), .text(action.rawValue), .optional(value), .optional(before?.text), .text(reviewer),
        .text(Timestamp.now()),
      ])
    return database.lastInsertRowID
  }

  /// A row of the log about a box: the box, the action and the box's state before it (nil: no such row).
  func entry(_ reviewID: Int64) throws -> (box: Int64, action: String, previous: String?)? {
    try database.rows(
      "SELECT subject_id, action, previous FROM reviews WHERE id = ? AND subject = 'box'", [.int(reviewID)],
      { (box: $0.int64(0), action: $0.text(1) ?? "", previous: $0.text(2)) }
    ).first
  }

  /// Whether an `undo` row undid this row.
  func isUndone(_ reviewID: Int64) throws -> Bool {
    try database.scalarInt(
      "SELECT id FROM reviews WHERE action = ? AND value = ?",
      [.text(ReviewLogAction.undo.rawValue), .text(String(reviewID))]) != nil
  }

  /// The boxes whose `add` rows were logged by a reviewer matching the `LIKE` pattern on an image, in log order.
  func boxesAdded(byReviewerLike pattern: String, onImage imageID: Int64) throws -> [Int64] {
    try database.rows(
      """
      SELECT r.subject_id FROM reviews r JOIN boxes b ON b.id = r.subject_id
      WHERE r.subject = 'box' AND r.action = 'add' AND r.reviewer LIKE ? AND b.image_id = ? ORDER BY r.id
      """, [.text(pattern), .int(imageID)]
    ) { $0.int64(0) }
  }

  /// The accepted faces (boxes not imported from annotation files) on the images with a review decision on any
  /// box, counted by class and by whether a reviewer added them by hand.
  func reviewedFaceCounts() throws -> [ReviewedFaceCount] {
    try database.rows(
      """
      WITH reviewed AS (
        SELECT DISTINCT b.image_id FROM reviews r JOIN boxes b ON b.id = r.subject_id WHERE r.subject = 'box')
      SELECT COALESCE(c.name, ''), b.origin = 'review' AND EXISTS (
          SELECT 1 FROM reviews r WHERE r.subject = 'box' AND r.subject_id = b.id AND r.action = 'add'), COUNT(*)
      FROM boxes b JOIN reviewed ON reviewed.image_id = b.image_id LEFT JOIN classes c ON c.id = b.class_id
      WHERE b.status = 'accepted' AND b.origin NOT IN ('voc', 'yolo', 'coco')
      GROUP BY 1, 2
      """
    ) { ReviewedFaceCount(label: $0.text(0) ?? "", addedByHand: $0.int64(1) != 0, count: Int($0.int64(2))) }
  }

  /// How many images have a review decision on any of their boxes.
  func reviewedImageCount() throws -> Int {
    Int(
      try database.scalarInt(
        "SELECT COUNT(DISTINCT b.image_id) FROM reviews r JOIN boxes b ON b.id = r.subject_id WHERE r.subject = 'box'"
      ) ?? 0)
  }

  /// Runs `body` in one write transaction committed with `synchronous=FULL`.
  func durably<T>(_ body: () throws -> T) throws -> T {
    try database.execute("PRAGMA synchronous = FULL")
    defer { try? database.execute("PRAGMA synchronous = NORMAL") }
    return try database.writeTransaction(body)
  }
}

/// How many accepted faces of a class there are on reviewed images, of those added by hand or of the others.
struct ReviewedFaceCount {
  /// The class; "" for boxes without one.
  var label: String
  /// Drawn by a reviewer (origin `review`, logged as `add`).
  var addedByHand: Bool
  var count: Int
}
