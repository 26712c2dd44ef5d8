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
}

extension Catalog {
  /// Records a decision on an image and applies it now: a `duplicate` image becomes `active` (and is
  /// marked kept in its stored clusters). The next `dedup` run clusters around it (`keep`) or without it
  /// (`unmark`); the decision lasts until replaced.
  public func decide(_ decision: DedupDecision, on imageID: Int64) throws -> DedupDecisionResult {
    try database.writeTransaction {
      guard let text = try database.scalarText("SELECT status FROM images WHERE id = ?", [.int(imageID)]) else {
        throw DedupError.unknownImage(imageID)
      }
      guard let status = ImageStatus(rawValue: text), status == .active || status == .duplicate else {
        throw DedupError.notDeduplicable(imageID, status: text)
      }
      let replaced = try database.scalarText(
        "SELECT decision FROM dedup_decisions WHERE image_id = ?", [.int(imageID)])
      try database.run(
        "INSERT OR REPLACE INTO dedup_decisions (image_id, decision, created_at) VALUES (?, ?, ?)",
        [.int(imageID), .text(decision.rawValue), .text(Timestamp.now())])
      if status == .duplicate {
        try database.run(
          "UPDATE images SET status = 'active', status_reason = ? WHERE id = ?",
          [.text("dedup \(decision.rawValue) (by a person)"), .int(imageID)])
      }
      try database.run("UPDATE dup_clusters SET kept = 1 WHERE image_id = ?", [.int(imageID)])
      return DedupDecisionResult(
        imageID: imageID, decision: decision.rawValue, statusBefore: status, status: .active, replaced: replaced)
    }
  }

  /// Every recorded decision, by image.
  public func dedupDecisions() throws -> [Int64: DedupDecision] {
    var result: [Int64: DedupDecision] = [:]
    for (id, text) in try database.rows("SELECT image_id, decision FROM dedup_decisions", [], { ($0.int64(0), $0.text(1) ?? "") }) {
      result[id] = DedupDecision(rawValue: text)
    }
    return result
  }
}
