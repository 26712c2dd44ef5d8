import Annotations
import Catalog
import Foundation

/// A review decision on boxes.
public enum ReviewAction: Sendable, Hashable {
  case accept
  case reject
  /// Give the box this class (and accept it).
  case relabel(String)

  var logAction: ReviewLogAction {
    switch self {
    case .accept: return .accept
    case .reject: return .reject
    case .relabel: return .relabel
    }
  }

  var name: String { logAction.rawValue }
}

extension Box {
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
  /// Unknown ids refuse the whole call; so does a relabel to a class `classes` does not allow
  /// (`AnnotationsError.unknownClass`, naming the nearest class there is).
  public func review(
    _ action: ReviewAction, boxes ids: [Int64], reviewer: String, classes: ClassPolicy = ClassPolicy()
  ) throws -> ReviewReport {
    let unique = Array(Set(ids)).sorted()
    try requireBoxes(unique)
    var value: String?
    if case .relabel(let label) = action {
      guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw LabelingError.noSuchLabel(label) }
      try checkClasses([label], classes)
      value = label
    }
    let log = ReviewLog(catalog: self)
    let reviewIDs: [Int64] = try log.durably {
      var reviewIDs: [Int64] = []
      for id in unique {
        let before = try log.boxState(id)
        switch action {
        case .accept: try log.setStatus(.accepted, box: id)
        case .reject: try log.setStatus(.rejected, box: id)
        case .relabel(let label): try log.relabel(box: id, classID: try classID(named: label))
        }
        reviewIDs.append(
          try log.append(box: id, action: action.logAction, value: value, before: before, reviewer: reviewer))
      }
      return reviewIDs
    }
    return ReviewReport(action: action.name, value: value, boxes: unique, reviewIDs: reviewIDs)
  }

  /// Adds a face the detector missed: a new accepted box with origin `review` on image `imageID`, logged as
  /// `add`. The rectangle is clamped to the image; an empty one is refused, and so is a class `classes` does
  /// not allow.
  public func addMissedFace(
    image imageID: Int64, rect: Box, label: String?, reviewer: String, classes: ClassPolicy = ClassPolicy()
  ) throws -> ReviewReport {
    let log = ReviewLog(catalog: self)
    guard let (width, height) = try log.imageSize(imageID) else { throw LabelingError.noSuchImage(imageID) }
    let r = try clamped(rect, width: width, height: height)
    if let label, label.trimmingCharacters(in: .whitespaces).isEmpty { throw LabelingError.noSuchLabel(label) }
    if let label { try checkClasses([label], classes) }
    let (boxID, reviewID): (Int64, Int64) = try log.durably {
      let labelID: Int64? = try label.map { try self.classID(named: $0) }
      let boxID = try log.addBox(image: imageID, classID: labelID, rect: r)
      let reviewID = try log.append(box: boxID, action: .add, value: r.logValue, before: nil, reviewer: reviewer)
      return (boxID, reviewID)
    }
    return ReviewReport(action: "add", value: r.logValue, boxes: [boxID], reviewIDs: [reviewID])
  }

  /// Moves a box to `rect` (clamped to its image) and accepts it, logged as `adjust`.
  public func adjustBox(_ id: Int64, to rect: Box, reviewer: String) throws -> ReviewReport {
    try requireBoxes([id])
    let log = ReviewLog(catalog: self)
    let (width, height) = try log.imageSize(ofBox: id) ?? (0, 0)
    let r = try clamped(rect, width: width, height: height)
    let reviewID: Int64 = try log.durably {
      let before = try log.boxState(id)
      try log.move(box: id, to: r)
      return try log.append(box: id, action: .adjust, value: r.logValue, before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "adjust", value: r.logValue, boxes: [id], reviewIDs: [reviewID])
  }

  /// Undoes one row of the review log by appending an `undo` row and putting the box back as it was before
  /// that row (an added box is rejected). Undoing an undo, or a row already undone, is refused.
  public func undoReview(_ reviewID: Int64, reviewer: String) throws -> ReviewReport {
    let log = ReviewLog(catalog: self)
    guard let row = try log.entry(reviewID) else { throw LabelingError.noSuchReview(reviewID) }
    if row.action == ReviewLogAction.undo.rawValue { throw LabelingError.cannotUndo(reviewID, "it is an undo itself") }
    if try log.isUndone(reviewID) {
      throw LabelingError.cannotUndo(reviewID, "it was undone already")
    }
    let id = row.box
    let undoID: Int64 = try log.durably {
      let before = try log.boxState(id)
      if let previous = row.previous, let state = BoxState(previous) {
        try log.restore(box: id, to: state)
      } else {
        try log.setStatus(.rejected, box: id)
      }
      return try log.append(box: id, action: .undo, value: String(reviewID), before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "undo", value: String(reviewID), boxes: [id], reviewIDs: [undoID])
  }

  private func requireBoxes(_ ids: [Int64]) throws {
    var missing: [Int64] = []
    let log = ReviewLog(catalog: self)
    for id in ids where try !log.boxExists(id) {
      missing.append(id)
    }
    guard missing.isEmpty else { throw LabelingError.noSuchBoxes(missing) }
  }

  private func clamped(_ rect: Box, width: Double, height: Double) throws -> Box {
    let values = [rect.xmin, rect.ymin, rect.xmax, rect.ymax]
    guard values.allSatisfy(\.isFinite) else { throw LabelingError.badRect("not a number") }
    let r = Box(
      xmin: max(0, min(rect.xmin, rect.xmax)).rounded(), ymin: max(0, min(rect.ymin, rect.ymax)).rounded(),
      xmax: min(width, max(rect.xmin, rect.xmax)).rounded(), ymax: min(height, max(rect.ymin, rect.ymax)).rounded())
    guard r.xmax - r.xmin >= 2, r.ymax - r.ymin >= 2 else {
      throw LabelingError.badRect("smaller than 2×2 pixels inside the \(Int(width))×\(Int(height)) image")
    }
    return r
  }
}

/// A box's reviewable state as kept in `reviews.previous`: `status|classID|xmin,ymin,xmax,ymax`.
struct BoxState {
  var status: BoxStatus
  var classID: Int64?
  var rect: Box

  init(status: BoxStatus, classID: Int64?, rect: Box) {
    self.status = status
    self.classID = classID
    self.rect = rect
  }

  init?(_ text: String) {
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    let numbers = parts[2].split(separator: ",").compactMap { Double($0) }
    guard numbers.count == 4, let status = BoxStatus(rawValue: String(parts[0])) else { return nil }
    self.status = status
    classID = Int64(parts[1])
    rect = Box(xmin: numbers[0], ymin: numbers[1], xmax: numbers[2], ymax: numbers[3])
  }

  var text: String {
    "\(status.rawValue)|\(classID.map(String.init) ?? "")|"
      + [rect.xmin, rect.ymin, rect.xmax, rect.ymax].map { "\($0)" }
      .joined(separator: ",")
  }
}
