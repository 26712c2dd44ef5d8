import Catalog
import Foundation

/// A person's word on one image that every later `dedup` run honours.
public enum DedupDecision: String, Sendable, Codable, CaseIterable {
  /// Always active; becomes the kept image of its cluster (others within the radius of it are its
  /// duplicates). Never marked the duplicate of another image.
  case keep
  /// Not a duplicate of anything: active and in no cluster. It stays in its near-duplicate group, so a
  /// split still keeps it with its look-alikes.
  case unmark
}

/// What `Catalog.decide(_:on:)` did.
public struct DedupDecisionResult: Sendable, Codable, Equatable {
  public var imageID: Int64
  public var decision: String
  public var statusBefore: ImageStatus
  public var status: ImageStatus
  /// The decision it replaced, if any.
  public var replaced: String?
  /// When it was recorded, and by whom (nil: not given).
  public var at: String = ""
  public var reviewer: String?
}

extension Catalog {
  /// Records a decision on an image and applies it now: a `duplicate` image becomes `active` (and is
  /// marked kept in its stored clusters). The next `dedup` run clusters around it (`keep`) or without it
  /// (`unmark`); the decision lasts until replaced. It is recorded with its time and `reviewer`.
  public func decide(_ decision: DedupDecision, on imageID: Int64, reviewer: String? = nil) throws
    -> DedupDecisionResult
  {
    let dedupStore = DedupStore(catalog: self)
    return try database.writeTransaction {
      guard let text = try dedupStore.status(ofImage: imageID) else {
        throw DedupError.unknownImage(imageID)
      }
      guard let status = ImageStatus(rawValue: text), status == .active || status == .duplicate else {
        throw DedupError.notDeduplicable(imageID, status: text)
      }
      let (replaced, at) = try dedupStore.recordDecision(decision, on: imageID, reviewer: reviewer)
      if status == .duplicate {
        try dedupStore.setStatus(.active, reason: "dedup \(decision.rawValue) (by a person)", ofImage: imageID)
      }
      try dedupStore.markKept(imageID)
      return DedupDecisionResult(
        imageID: imageID, decision: decision.rawValue, statusBefore: status, status: .active, replaced: replaced,
        at: at, reviewer: reviewer)
    }
  }

  /// Every recorded decision, by image.
  public func dedupDecisions() throws -> [Int64: DedupDecision] { try DedupStore(catalog: self).decisions() }
}
