import Foundation

/// An image row's `status`. The raw values are the text the catalog stores.
public enum ImageStatus: String, Sendable, Codable, CaseIterable {
  /// In the dataset.
  case active
  /// Taken out by a person.
  case rejected
  /// A near-duplicate of a kept image (`datasetkit dedup`).
  case duplicate
  /// Damaged: its header is fine but its data does not decode.
  case quarantined
}

/// A box row's `status`. The raw values are the text the catalog stores.
public enum BoxStatus: String, Sendable, Codable, CaseIterable {
  /// Proposed by a detector, not yet reviewed.
  case proposed
  /// Accepted by review, or imported from annotations.
  case accepted
  /// Rejected by review, or replaced by a newer annotation file.
  case rejected
}
