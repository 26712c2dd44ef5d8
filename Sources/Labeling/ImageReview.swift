import Annotations
import Catalog
import Foundation

/// A person's decision on whole images (`review image …`, the browser's keys).
public enum ImageAction: Sendable, Hashable {
  /// Give the image this class in the view in force (its labels in that view are replaced by this one).
  case relabel(String)
  /// Take the image out of the dataset (status `rejected`) for this reason: new splits and exports leave it
  /// out; an existing split lists it as `excluded` in `split status`.
  case exclude(reason: String)
  /// Put an excluded image back with the status it had before it was excluded.
  case restore
  /// Undo the image's latest decision still standing (relabel, exclude or restore).
  case undo

  var name: String {
    switch self {
    case .relabel: return "relabel"
    case .exclude: return "exclude"
    case .restore: return "restore"
    case .undo: return "undo"
    }
  }
}

/// What an image decision changed.
public struct ImageDecisionReport: Sendable, Codable, Equatable {
  /// An image the decision left as it was, and why.
  public struct Unchanged: Sendable, Codable, Equatable {
    public var image: Int64
    public var reason: String
  }

  public var action: String
  /// The class (relabel) or the reason (exclude).
  public var value: String?
  /// The view whose labels a relabel changed ("" is the labels as found).
  public var view: String?
  /// The images changed, ascending.
  public var images: [Int64]
  /// The rows appended to the review log, one per image changed.
  public var reviewIDs: [Int64]
  public var unchanged: [Unchanged]
  public var reviewer: String
}

/// An image decision as the log keeps it.
public struct ImageDecisionEntry: Sendable, Codable, Equatable {
  public var review: Int64
  public var action: String
  public var value: String?
  public var reviewer: String
  public var at: String
  /// Undone by a later `undo` row.
  public var undone: Bool
}

/// Decisions on images, as written in `reviews` (subject `image`):
/// - `relabel` (value: the class; previous: the image's label rows in the view, to put them back);
/// - `exclude` (value: the reason; previous: the status it had);
/// - `restore` (previous: `rejected` and the reason);
/// - `undo` (value: the id of the row undone; previous: the state it replaced).
/// A relabel's label row has `how = review` and keeps the source credited with the label before, so
/// stratifying by source and the class × source table still count the image where they did.
extension Catalog {
  /// Applies one decision to images: one `reviews` row per image changed, in one transaction committed with
  /// `synchronous=FULL`. Unknown ids refuse the whole call; so does a relabel to a class `classes` does not
  /// allow (`AnnotationsError.unknownClass`, naming the nearest class). Images the decision would not change
  /// (already excluded, not excluded, already of that class, nothing to undo) are listed, not logged.
  public func decide(
    _ action: ImageAction, images ids: [Int64], reviewer: String, classes: ClassPolicy = ClassPolicy()
  ) throws -> ImageDecisionReport {
    let unique = Array(Set(ids)).sorted()
    let store = ImageReviewStore(catalog: self)
    let missing = try store.missing(unique)
    guard missing.isEmpty else { throw LabelingError.noSuchImages(missing) }
    var value: String?
    var view: String?
    switch action {
    case .relabel(let label):
      guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw LabelingError.noSuchLabel(label) }
      _ = try Catalog.checkedClassName(label)
      try checkClasses([label], classes)
      value = label
      view = classes.view ?? ""
    case .exclude(let reason):
      let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
      guard !trimmed.isEmpty else { throw LabelingError.badReason("it is empty; say why, e.g. --reason 'not a face'") }
      guard trimmed.utf8.count <= 500 else { throw LabelingError.badReason("it is over 500 bytes") }
      guard !trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
        throw LabelingError.badReason("it holds control characters")
      }
      value = trimmed
    case .restore, .undo: break
    }
    var changed: [Int64] = []
    var reviewIDs: [Int64] = []
    var unchanged: [ImageDecisionReport.Unchanged] = []
    try store.durably {
      let classID = try value.flatMap { name in view == nil ? nil : try self.classID(named: name) }
      for id in unique {
        let outcome: (value: String?, previous: ImageState)?
        switch action {
        case .relabel(let label):
          outcome = try relabel(id, to: classID ?? 0, label: label, view: view ?? "", store: store)
        case .exclude(let reason):
          outcome = try exclude(id, reason: reason.trimmingCharacters(in: .whitespacesAndNewlines), store: store)
        case .restore:
          outcome = try restore(id, store: store)
        case .undo:
          outcome = try undo(id, store: store)
        }
        switch outcome {
        case .some(let done):
          changed.append(id)
          reviewIDs.append(
            try store.append(
              image: id, action: action.name, value: done.value, previous: done.previous, reviewer: reviewer))
        case .none:
          unchanged.append(.init(image: id, reason: try unchangedReason(id, action, view: view, store: store)))
        }
      }
    }
    return ImageDecisionReport(
      action: action.name, value: value, view: view, images: changed, reviewIDs: reviewIDs, unchanged: unchanged,
      reviewer: reviewer)
  }

  /// An image's decisions, newest first.
  public func imageDecisions(_ id: Int64) throws -> [ImageDecisionEntry] {
    let entries = try ImageReviewStore(catalog: self).entries(image: id)
    let undone = Set(entries.filter { $0.action == "undo" }.compactMap { $0.value.flatMap { Int64($0) } })
    return entries.map {
      ImageDecisionEntry(
        review: $0.id, action: $0.action, value: $0.value, reviewer: $0.reviewer, at: $0.createdAt,
        undone: undone.contains($0.id))
    }
  }

  /// The images with at least one decision of a person on the whole image.
  public func decidedImages() throws -> Set<Int64> {
    try ImageReviewStore(catalog: self).decidedImages()
  }

  private func relabel(
    _ id: Int64, to classID: Int64, label: String, view: String, store: ImageReviewStore
  ) throws -> (value: String?, previous: ImageState)? {
    let before = try store.labels(image: id, view: view)
    if before.count == 1, before[0].classID == classID { return nil }
    let source = try before.first(where: { $0.sourceID != nil })?.sourceID ?? store.firstSource(image: id)
    try store.replaceLabels(
      image: id, view: view,
      with: [KeptLabel(classID: classID, sourceID: source, how: "review", createdAt: Timestamp.now())])
    return (label, ImageState(view: view, labels: before))
  }

  private func exclude(_ id: Int64, reason: String, store: ImageReviewStore) throws -> (
    value: String?, previous: ImageState
  )? {
    guard let (status, old) = try store.status(id), status != ImageStatus.rejected.rawValue else { return nil }
    try store.setStatus(ImageStatus.rejected.rawValue, reason: "excluded: \(reason)", image: id)
    return (reason, ImageState(status: status, reason: old))
  }

  private func restore(_ id: Int64, store: ImageReviewStore) throws -> (value: String?, previous: ImageState)? {
    guard let (status, reason) = try store.status(id), status == ImageStatus.rejected.rawValue else { return nil }
    // The status it had before its latest exclusion still standing (active if it was never excluded here).
    let standing = try standingEntries(id, store: store)
    let exclusion = standing.first { $0.action == "exclude" }.flatMap { ImageState($0.previous) }
    let back = exclusion?.status.flatMap(ImageStatus.init(rawValue:)).map(\.rawValue) ?? ImageStatus.active.rawValue
    try store.setStatus(back, reason: back == ImageStatus.active.rawValue ? nil : exclusion?.reason, image: id)
    return (nil, ImageState(status: status, reason: reason))
  }

  private func undo(_ id: Int64, store: ImageReviewStore) throws -> (value: String?, previous: ImageState)? {
    guard let target = try standingEntries(id, store: store).first, let previous = ImageState(target.previous) else {
      return nil
    }
    switch target.action {
    case "relabel":
      let view = previous.view ?? ""
      let now = try store.labels(image: id, view: view)
      try store.replaceLabels(image: id, view: view, with: previous.labels ?? [])
      return (String(target.id), ImageState(view: view, labels: now))
    default:
      guard let (status, reason) = try store.status(id) else { return nil }
      try store.setStatus(previous.status ?? ImageStatus.active.rawValue, reason: previous.reason, image: id)
      return (String(target.id), ImageState(status: status, reason: reason))
    }
  }

  /// An image's decisions not undone (undo rows left out), newest first.
  private func standingEntries(_ id: Int64, store: ImageReviewStore) throws -> [ImageLogEntry] {
    let entries = try store.entries(image: id)
    let undone = Set(entries.filter { $0.action == "undo" }.compactMap { $0.value.flatMap { Int64($0) } })
    return entries.filter { $0.action != "undo" && !undone.contains($0.id) }
  }

  private func unchangedReason(
    _ id: Int64, _ action: ImageAction, view: String?, store: ImageReviewStore
  ) throws -> String {
    switch action {
    case .relabel(let label):
      return "already labelled \(label)\(view.map { $0.isEmpty ? "" : " in view \($0)" } ?? "")"
    case .exclude: return "already excluded"
    case .restore: return "not excluded (status \(try store.status(id)?.status ?? "?"))"
    case .undo: return "no decision on it to undo"
    }
  }
}
