import Annotations
import Catalog
import Foundation

/// A review decision on boxes.
public enum ReviewAction: Sendable, Hashable {
  case accept
  case reject
  /// Give the box this class (and accept it).
  case relabel(String)

  var name: String {
    switch self {
    case .accept: return "accept"
    case .reject: return "reject"
    case .relabel: return "relabel"
    }
  }
}

extension VOCBox {
  /// The `reviews.value` text of an `add` or `adjust`: `xmin,ymin,xmax,ymax`.
  var logValue: String { [xmin, ymin, xmax, ymax].map { String(format: "%.1f", $0) }.joined(separator: ",") }
}

/// What a review command changed.
public struct ReviewReport: Sendable, Codable {
  public var action: String
  public var value: String?
  public var boxes: [Int64]
  /// The ids of the rows appended to the `reviews` log.
  public var reviewIDs: [Int64]
}

/// The review log's actions on boxes, as written in `reviews.action`:
/// - `accept`, `reject`, `relabel` (value: the class): decisions on a box;
/// - `add` (value: `xmin,ymin,xmax,ymax`): a face the detector missed, drawn by a reviewer; the box has
///   origin `review`, so `faces eval` can count the faces reviewers had to add;
/// - `adjust` (value: the new rectangle; the old one is in the row's `previous`): a moved box, accepted;
/// - `undo` (value: the id of the reviews row undone): the box is back as it was before that row.
/// Every row also keeps the box's state before it (`status|class|xmin,ymin,xmax,ymax`) so any decision can be
/// undone by appending, never by deleting.
extension Catalog {
  /// Applies one decision to boxes: appends one `reviews` row per box and updates the box, in one
  /// transaction committed with `synchronous=FULL` (a decision whose call returned survives power loss).
  /// Unknown ids refuse the whole call.
  public func review(_ action: ReviewAction, boxes ids: [Int64], reviewer: String) throws -> ReviewReport {
    let unique = Array(Set(ids)).sorted()
    try requireBoxes(unique)
    var value: String?
    if case .relabel(let label) = action {
      guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw LabelingError.noSuchLabel(label) }
      value = label
    }
    let reviewIDs: [Int64] = try durably {
      var reviewIDs: [Int64] = []
      for id in unique {
        let before = try boxState(id)
        switch action {
        case .accept: try database.run("UPDATE boxes SET status = 'accepted' WHERE id = ?", [.int(id)])
        case .reject: try database.run("UPDATE boxes SET status = 'rejected' WHERE id = ?", [.int(id)])
        case .relabel(let label):
          let classID = try classID(named: label)
          try database.run(
            "UPDATE boxes SET class_id = ?, status = 'accepted' WHERE id = ?", [.int(classID), .int(id)])
        }
        reviewIDs.append(try logReview(box: id, action: action.name, value: value, before: before, reviewer: reviewer))
      }
      return reviewIDs
    }
    return ReviewReport(action: action.name, value: value, boxes: unique, reviewIDs: reviewIDs)
  }

  /// Adds a face the detector missed: a new accepted box with origin `review` on image `imageID`, logged as
  /// `add`. The rectangle is clamped to the image; an empty one is refused.
  public func addMissedFace(
    image imageID: Int64, rect: VOCBox, label: String?, reviewer: String
  ) throws -> ReviewReport {
    guard
      let (width, height) = try database.rows(
        "SELECT width, height FROM images WHERE id = ?", [.int(imageID)], { ($0.double(0), $0.double(1)) }
      ).first
    else { throw LabelingError.noSuchImage(imageID) }
    let r = try clamped(rect, width: width, height: height)
    if let label, label.trimmingCharacters(in: .whitespaces).isEmpty { throw LabelingError.noSuchLabel(label) }
    let (boxID, reviewID): (Int64, Int64) = try durably {
      let labelID: Int64? = try label.map { try self.classID(named: $0) }
      try database.run(
        """
        INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, origin, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'review', 'accepted', ?)
        """,
        [.int(imageID), .optional(labelID), .real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax),
         .text(Timestamp.now())])
      let boxID = database.lastInsertRowID
      let reviewID = try logReview(box: boxID, action: "add", value: r.logValue, before: nil, reviewer: reviewer)
      return (boxID, reviewID)
    }
    return ReviewReport(action: "add", value: r.logValue, boxes: [boxID], reviewIDs: [reviewID])
  }

  /// Moves a box to `rect` (clamped to its image) and accepts it, logged as `adjust`.
  public func adjustBox(_ id: Int64, to rect: VOCBox, reviewer: String) throws -> ReviewReport {
    try requireBoxes([id])
    let (width, height) = try database.rows(
      "SELECT i.width, i.height FROM boxes b JOIN images i ON i.id = b.image_id WHERE b.id = ?", [.int(id)]
    ) { ($0.double(0), $0.double(1)) }.first ?? (0, 0)
    let r = try clamped(rect, width: width, height: height)
    let reviewID: Int64 = try durably {
      let before = try boxState(id)
      try database.run(
        "UPDATE boxes SET xmin = ?, ymin = ?, xmax = ?, ymax = ?, status = 'accepted' WHERE id = ?",
        [.real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax), .int(id)])
      return try logReview(box: id, action: "adjust", value: r.logValue, before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "adjust", value: r.logValue, boxes: [id], reviewIDs: [reviewID])
  }

  /// Undoes one row of the review log by appending an `undo` row and putting the box back as it was before
  /// that row (an added box is rejected). Undoing an undo, or a row already undone, is refused.
  public func undoReview(_ reviewID: Int64, reviewer: String) throws -> ReviewReport {
    guard
      let row = try database.rows(
        "SELECT subject_id, action, previous FROM reviews WHERE id = ? AND subject = 'box'", [.int(reviewID)],
        { (box: $0.int64(0), action: $0.text(1) ?? "", previous: $0.text(2)) }
      ).first
    else { throw LabelingError.noSuchReview(reviewID) }
    if row.action == "undo" { throw LabelingError.cannotUndo(reviewID, "it is an undo itself") }
    if try database.scalarInt(
      "SELECT id FROM reviews WHERE action = 'undo' AND value = ?", [.text(String(reviewID))]) != nil
    {
      throw LabelingError.cannotUndo(reviewID, "it was undone already")
    }
    let id = row.box
    let undoID: Int64 = try durably {
      let before = try boxState(id)
      if let previous = row.previous, let state = BoxState(previous) {
        try database.run(
          "UPDATE boxes SET status = ?, class_id = ?, xmin = ?, ymin = ?, xmax = ?, ymax = ? WHERE id = ?",
          [.text(state.status), .optional(state.classID), .real(state.rect.xmin), .real(state.rect.ymin),
           .real(state.rect.xmax), .real(state.rect.ymax), .int(id)])
      } else {
        try database.run("UPDATE boxes SET status = 'rejected' WHERE id = ?", [.int(id)])
      }
      return try logReview(box: id, action: "undo", value: String(reviewID), before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "undo", value: String(reviewID), boxes: [id], reviewIDs: [undoID])
  }

  private func requireBoxes(_ ids: [Int64]) throws {
    var missing: [Int64] = []
    for id in ids where try database.scalarInt("SELECT id FROM boxes WHERE id = ?", [.int(id)]) == nil {
      missing.append(id)
    }
    guard missing.isEmpty else { throw LabelingError.noSuchBoxes(missing) }
  }

  private func clamped(_ rect: VOCBox, width: Double, height: Double) throws -> VOCBox {
    let values = [rect.xmin, rect.ymin, rect.xmax, rect.ymax]
    guard values.allSatisfy(\.isFinite) else { throw LabelingError.badRect("not a number") }
    let r = VOCBox(
      xmin: max(0, min(rect.xmin, rect.xmax)).rounded(), ymin: max(0, min(rect.ymin, rect.ymax)).rounded(),
      xmax: min(width, max(rect.xmin, rect.xmax)).rounded(), ymax: min(height, max(rect.ymin, rect.ymax)).rounded())
    guard r.xmax - r.xmin >= 2, r.ymax - r.ymin >= 2 else {
      throw LabelingError.badRect("smaller than 2×2 pixels inside the \(Int(width))×\(Int(height)) image")
    }
    return r
  }

  /// Runs `body` in one write transaction committed with `synchronous=FULL`.
  private func durably<T>(_ body: () throws -> T) throws -> T {
    try database.execute("PRAGMA synchronous = FULL")
    defer { try? database.execute("PRAGMA synchronous = NORMAL") }
    return try database.writeTransaction(body)
  }

  private func boxState(_ id: Int64) throws -> String? {
    try database.rows(
      "SELECT status, class_id, xmin, ymin, xmax, ymax FROM boxes WHERE id = ?", [.int(id)]
    ) {
      BoxState(
        status: $0.text(0) ?? "proposed", classID: $0.isNull(1) ? nil : $0.int64(1),
        rect: VOCBox(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5))
      ).text
    }.first
  }

  private func logReview(
    box: Int64, action: String, value: String?, before: String?, reviewer: String
  ) throws -> Int64 {
    try database.run(
      """
      INSERT INTO reviews (subject, subject_id, action, value, previous, reviewer, created_at)
      VALUES ('box', ?, ?, ?, ?, ?, ?)
      """,
      [.int(box), .text(action), .optional(value), .optional(before), .text(reviewer), .text(Timestamp.now())])
    return database.lastInsertRowID
  }
}

/// A box's reviewable state as kept in `reviews.previous`: `status|classID|xmin,ymin,xmax,ymax`.
struct BoxState {
  var status: String
  var classID: Int64?
  var rect: VOCBox

  init(status: String, classID: Int64?, rect: VOCBox) {
    self.status = status
    self.classID = classID
    self.rect = rect
  }

  init?(_ text: String) {
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    let numbers = parts[2].split(separator: ",").compactMap { Double($0) }
    guard numbers.count == 4, ["proposed", "accepted", "rejected"].contains(String(parts[0])) else { return nil }
    status = String(parts[0])
    classID = Int64(parts[1])
    rect = VOCBox(xmin: numbers[0], ymin: numbers[1], xmax: numbers[2], ymax: numbers[3])
  }

  var text: String {
    "\(status)|\(classID.map(String.init) ?? "")|" + [rect.xmin, rect.ymin, rect.xmax, rect.ymax].map { "\($0)" }
      .joined(separator: ",")
  }
}

extension Catalog {
  /// ` AND …` conditions choosing boxes `b` (with classes `c` joined) by status, origin and class.
  public static func boxConditions(status: String?, origin: String?, label: String?) -> (String, [SQLValue]) {
    var sql = ""
    var values: [SQLValue] = []
    for (column, value) in [("b.status", status), ("b.origin", origin), ("c.name", label)] {
      guard let value else { continue }
      sql += " AND \(column) = ?"
      values.append(.text(value))
    }
    return (sql, values)
  }
}
