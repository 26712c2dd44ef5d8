import Catalog
import Foundation

/// Dedup's tables: `hashes` (perceptual hashes by algorithm and version) and `dedup_decisions` (a person's
/// `keep` or `unmark`), and the image statuses dedup reads and sets.
public struct DedupStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }

  /// The images dedup works on (status active or duplicate), by id.
  public func deduplicableImages() throws -> [(id: Int64, sha256: String)] {
    try database.rows("SELECT id, sha256 FROM images WHERE status IN ('active', 'duplicate') ORDER BY id") {
      (id: $0.int64(0), sha256: $0.text(1) ?? "")
    }
  }

  /// The images holding a hash of `algorithm` at its current version (whatever their status).
  func imagesHashed(_ algorithm: HashAlgorithm) throws -> [Int64] {
    try database.rows(
      "SELECT image_id FROM hashes WHERE algorithm = ? AND version = ?",
      [.text(algorithm.rawValue), .int(Int64(algorithm.version))], { $0.int64(0) })
  }

  /// How many images up to id `lastImageID` hold a current-version hash of `algorithm`.
  func hashedCount(_ algorithm: HashAlgorithm, upTo lastImageID: Int64) throws -> Int64 {
    try database.scalarInt(
      "SELECT COUNT(*) FROM hashes WHERE algorithm = ? AND version = ? AND image_id <= ?",
      [.text(algorithm.rawValue), .int(Int64(algorithm.version)), .int(lastImageID)]) ?? 0
  }

  /// Stores hash values (current versions), replacing older ones, in one transaction.
  func storeHashes(_ rows: [(Int64, [HashAlgorithm: UInt64])]) throws {
    try database.writeTransaction {
      for (id, values) in rows {
        for (algorithm, value) in values {
          try database.run(
            "INSERT OR REPLACE INTO hashes (image_id, algorithm, version, value) VALUES (?, ?, ?, ?)",
            [.int(id), .text(algorithm.rawValue), .int(Int64(algorithm.version)), .int(Int64(bitPattern: value))])
        }
      }
    }
  }

  /// Stored hashes (current versions) of the active and duplicate images.
  public func storedHashes(_ algorithms: Set<HashAlgorithm>) throws -> ImageHashes {
    var result: ImageHashes = [:]
    for algorithm in algorithms {
      let statement = try database.prepare(
        """
        SELECT h.image_id, h.value FROM hashes h JOIN images i ON i.id = h.image_id
        WHERE h.algorithm = ? AND h.version = ? AND i.status IN ('active', 'duplicate')
        """)
      defer { statement.reset() }
      try statement.bind([.text(algorithm.rawValue), .int(Int64(algorithm.version))])
      while try statement.step() {
        result[statement.int64(0), default: [:]][algorithm] = UInt64(bitPattern: statement.int64(1))
      }
    }
    return result
  }

  /// An image's stored status text (nil: no such image).
  func status(ofImage id: Int64) throws -> String? {
    try database.scalarText("SELECT status FROM images WHERE id = ?", [.int(id)])
  }

  /// Records a person's decision on an image, replacing an earlier one; returns the one replaced. Call
  /// inside a write transaction.
  func recordDecision(_ decision: DedupDecision, on imageID: Int64) throws -> String? {
    let replaced = try database.scalarText("SELECT decision FROM dedup_decisions WHERE image_id = ?", [.int(imageID)])
    try database.run(
      "INSERT OR REPLACE INTO dedup_decisions (image_id, decision, created_at) VALUES (?, ?, ?)",
      [.int(imageID), .text(decision.rawValue), .text(Timestamp.now())])
    return replaced
  }

  /// Every recorded decision, by image.
  public func decisions() throws -> [Int64: DedupDecision] {
    var result: [Int64: DedupDecision] = [:]
    for (id, text) in try database.rows(
      "SELECT image_id, decision FROM dedup_decisions", [], { ($0.int64(0), $0.text(1) ?? "") })
    {
      result[id] = DedupDecision(rawValue: text)
    }
    return result
  }

  /// Sets an image's status and reason. Call inside a write transaction.
  func setStatus(_ status: ImageStatus, reason: String?, ofImage id: Int64) throws {
    try database.run(
      "UPDATE images SET status = ?, status_reason = ? WHERE id = ?",
      [.text(status.rawValue), .optional(reason), .int(id)])
  }

  /// Marks an image kept in every stored cluster it is in. Call inside a write transaction.
  func markKept(_ imageID: Int64) throws {
    try database.run("UPDATE dup_clusters SET kept = 1 WHERE image_id = ?", [.int(imageID)])
  }
}

extension DedupStore {
  /// A `dup_clusters` row: an image's cluster (and near-duplicate group) under a method and radius.
  struct ClusterRow {
    var image: Int64
    var cluster: Int64
    var kept: Bool
    var group: Int64
  }

  /// The stored clusters of a method and radius: each member's cluster and whether it is kept. Members
  /// since rejected or quarantined are left out.
  func clusters(method: String, radius: Int) throws -> [(image: Int64, cluster: Int64, kept: Bool)] {
    try database.rows(
      """
      SELECT d.image_id, d.cluster_id, d.kept FROM dup_clusters d JOIN images i ON i.id = d.image_id
      WHERE d.method = ? AND d.radius = ? AND i.status IN ('active', 'duplicate')
      """,
      [.text(method), .int(Int64(radius))], { (image: $0.int64(0), cluster: $0.int64(1), kept: $0.int(2) != 0) })
  }

  /// The largest cluster id stored, any method and radius (0 for none).
  func lastClusterID() throws -> Int64 {
    try database.scalarInt("SELECT MAX(cluster_id) FROM dup_clusters") ?? 0
  }

  /// A `dup_pairs` row: a pair a run found (`first` < `second`), its relation and what confirmed it.
  struct PairRow {
    var first: Int64
    var second: Int64
    var relation: String
    var evidence: String
    var distance: Int
  }

  /// Rewrites the clusters and pairs of a method and radius whole, and sets the statuses that changed (of
  /// images still active or duplicate), in one transaction.
  func replaceClusters(
    method: String, radius: Int, rows: [ClusterRow], pairs: [PairRow],
    statusChanges: [(Int64, ImageStatus, String?)]
  ) throws {
    try database.writeTransaction {
      try database.run(
        "DELETE FROM dup_clusters WHERE method = ? AND radius = ?", [.text(method), .int(Int64(radius))])
      try database.run("DELETE FROM dup_pairs WHERE method = ? AND radius = ?", [.text(method), .int(Int64(radius))])
      for pair in pairs {
        try database.run(
          """
          INSERT OR REPLACE INTO dup_pairs
            (method, radius, first_image_id, second_image_id, relation, evidence, distance)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
          [
            .text(method), .int(Int64(radius)), .int(min(pair.first, pair.second)),
            .int(max(pair.first, pair.second)), .text(pair.relation), .text(pair.evidence),
            .int(Int64(pair.distance)),
          ])
      }
      for row in rows {
        try database.run(
          """
          INSERT OR REPLACE INTO dup_clusters (image_id, cluster_id, method, radius, kept, group_id)
          VALUES (?, ?, ?, ?, ?, ?)
          """,
          [
            .int(row.image), .int(row.cluster), .text(method), .int(Int64(radius)), .int(row.kept ? 1 : 0),
            .int(row.group),
          ])
      }
      for (id, status, reason) in statusChanges {
        try database.run(
          "UPDATE images SET status = ?, status_reason = ? WHERE id = ? AND status IN ('active', 'duplicate')",
          [.text(status.rawValue), .optional(reason), .int(id)])
      }
    }
  }
}
