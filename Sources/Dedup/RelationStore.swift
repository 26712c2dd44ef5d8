import Catalog
import Foundation

/// The relations the last confirming `dedup` of a method and radius found (`dedup_relation_runs`,
/// `dedup_relations`), kept so that a reader searching the same hashes with the same thresholds (the dataset
/// card's leakage check) need not search and decode again.
public struct RelationStore {
  public let catalog: Catalog
  var database: Database { catalog.database }

  public init(catalog: Catalog) { self.catalog = catalog }

  /// What one run compared: its thresholds (JSON) and a digest of the hashes it searched.
  public struct Run: Sendable, Equatable {
    public var thresholds: String
    public var hashesDigest: String
    public var images: Int
  }

  /// Replaces the stored relations of `method` and `radius` by `relations` (as confirmed, before any label
  /// rule), in one transaction.
  public func replace(method: DedupMethod, radius: Int, run: Run, relations: [ImagePairRelation]) throws {
    let key: [SQLValue] = [.text(method.rawValue), .int(Int64(radius))]
    try database.writeTransaction {
      try database.run("DELETE FROM dedup_relations WHERE method = ? AND radius = ?", key)
      try database.run(
        """
        INSERT OR REPLACE INTO dedup_relation_runs (method, radius, thresholds, hashes_digest, images, created_at)
        VALUES (?, ?, ?, ?, ?, ?)
        """, key + [.text(run.thresholds), .text(run.hashesDigest), .int(Int64(run.images)), .text(Timestamp.now())])
      for pair in relations {
        try database.run(
          """
          INSERT OR REPLACE INTO dedup_relations
            (method, radius, first_image_id, second_image_id, relation, evidence, distance, similarity)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
          key + [
            .int(pair.first), .int(pair.second), .text(pair.relation.rawValue), .text(pair.evidence.rawValue),
            .int(Int64(pair.distance)), .real(pair.similarity),
          ])
      }
    }
  }

  /// Forgets the relations of `method` and `radius` (a run that could not confirm every candidate).
  public func forget(method: DedupMethod, radius: Int) throws {
    let key: [SQLValue] = [.text(method.rawValue), .int(Int64(radius))]
    try database.writeTransaction {
      try database.run("DELETE FROM dedup_relations WHERE method = ? AND radius = ?", key)
      try database.run("DELETE FROM dedup_relation_runs WHERE method = ? AND radius = ?", key)
    }
  }

  /// The last run of `method` and `radius`, if any.
  public func run(method: DedupMethod, radius: Int) throws -> Run? {
    try database.rows(
      "SELECT thresholds, hashes_digest, images FROM dedup_relation_runs WHERE method = ? AND radius = ?",
      [.text(method.rawValue), .int(Int64(radius))]
    ) { Run(thresholds: $0.text(0) ?? "", hashesDigest: $0.text(1) ?? "", images: Int($0.int64(2))) }.first
  }

  /// The relations of the last run of `method` and `radius` between two images `keep` accepts, in id order
  /// (rows a newer binary wrote with a relation or evidence this one does not know are left out).
  public func relations(method: DedupMethod, radius: Int, keep: (Int64, Int64) -> Bool) throws
    -> [ImagePairRelation]
  {
    let statement = try database.prepare(
      """
      SELECT first_image_id, second_image_id, relation, evidence, distance, similarity FROM dedup_relations
      WHERE method = ? AND radius = ? ORDER BY first_image_id, second_image_id
      """)
    defer { statement.reset() }
    try statement.bind([.text(method.rawValue), .int(Int64(radius))])
    var result: [ImagePairRelation] = []
    while try statement.step() {
      let (first, second) = (statement.int64(0), statement.int64(1))
      guard keep(first, second), let relation = statement.text(2).flatMap(ImageRelation.init(rawValue:)),
        let evidence = statement.text(3).flatMap(RelationEvidence.init(rawValue:))
      else { continue }
      result.append(
        ImagePairRelation(
          first: first, second: second, relation: relation, evidence: evidence, distance: Int(statement.int64(4)),
          similarity: statement.double(5)))
    }
    return result
  }
}
