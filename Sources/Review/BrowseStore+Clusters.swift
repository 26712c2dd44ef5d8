import Catalog
import Dedup
import Foundation

/// A `dup_clusters` row of an image: its cluster and near-duplicate group under a method and radius.
struct ClusterPlace: Sendable, Equatable {
  var method: String
  var radius: Int
  var cluster: Int64
  var group: Int64
}

/// A member of a cluster's group as stored, with what the browser shows of it.
struct StoredGroupMember: Sendable, Equatable {
  var image: Int64
  var cluster: Int64
  var kept: Bool
  var status: String
  var label: String?
  var decision: String?
  var reviewer: String?
}

/// The SQL behind the browser's cluster view and detection-score filter.
extension BrowseStore {
  /// Where an image is clustered: one place per method and radius, the method and radius holding the most
  /// images first (the dedup run people look at).
  func clusterPlaces(of image: Int64) throws -> [ClusterPlace] {
    try database.rows(
      """
      SELECT d.method, d.radius, d.cluster_id, COALESCE(d.group_id, d.cluster_id),
        (SELECT count(*) FROM dup_clusters n WHERE n.method = d.method AND n.radius = d.radius) AS rows
      FROM dup_clusters d WHERE d.image_id = ? ORDER BY rows DESC, d.method, d.radius
      """, [.int(image)]
    ) { ClusterPlace(method: $0.text(0) ?? "", radius: $0.int(1), cluster: $0.int64(2), group: $0.int64(3)) }
  }

  /// Every image of a near-duplicate group under a method and radius, with its status, label in `view` and a
  /// person's dedup decision, by image id.
  func groupMembers(_ place: ClusterPlace, view: String) throws -> [StoredGroupMember] {
    try database.rows(
      """
      SELECT d.image_id, d.cluster_id, d.kept, i.status,
        (SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE l.image_id = d.image_id
         AND l.view = ? ORDER BY l.source_id IS NULL, l.source_id, c.name LIMIT 1),
        x.decision, x.reviewer
      FROM dup_clusters d JOIN images i ON i.id = d.image_id LEFT JOIN dedup_decisions x ON x.image_id = d.image_id
      WHERE d.method = ? AND d.radius = ? AND COALESCE(d.group_id, d.cluster_id) = ? ORDER BY d.image_id
      """, [.text(view), .text(place.method), .int(Int64(place.radius)), .int(place.group)]
    ) {
      StoredGroupMember(
        image: $0.int64(0), cluster: $0.int64(1), kept: $0.int(2) != 0, status: $0.text(3) ?? "", label: $0.text(4),
        decision: $0.text(5), reviewer: $0.text(6))
    }
  }

  /// The stored hashes (current versions) of a few images under `algorithms`, whatever their status.
  func hashes(of images: [Int64], _ algorithms: Set<HashAlgorithm>) throws -> ImageHashes {
    var result: ImageHashes = [:]
    guard !images.isEmpty else { return result }
    let marks = images.map { _ in "?" }.joined(separator: ",")
    for algorithm in algorithms {
      for (image, value) in try database.rows(
        "SELECT image_id, value FROM hashes WHERE algorithm = ? AND version = ? AND image_id IN (\(marks))",
        [.text(algorithm.rawValue), .int(Int64(algorithm.version))] + images.map { .int($0) },
        { ($0.int64(0), UInt64(bitPattern: $0.int64(1))) })
      {
        result[image, default: [:]][algorithm] = value
      }
    }
    return result
  }

  /// The condition keeping images with a face detection scored within `min`…`max` (either may be nil): a photo
  /// with such a box, or a crop cut from one.
  static func scoreCondition(min: Double?, max: Double?) -> (sql: String, values: [SQLValue]) {
    var bounds = "b.score IS NOT NULL"
    var values: [SQLValue] = []
    if let min {
      bounds += " AND b.score >= ?"
      values.append(.real(min))
    }
    if let max {
      bounds += " AND b.score <= ?"
      values.append(.real(max))
    }
    return (
      "i.id IN (SELECT b.image_id FROM boxes b WHERE \(bounds) UNION "
        + "SELECT c.image_id FROM crops c JOIN boxes b ON b.id = c.box_id WHERE \(bounds))",
      values + values
    )
  }
}
