import Catalog

/// The clusters stored under one method and radius, counted.
public struct ClusterMethodCount: Sendable, Hashable {
  public var method: String
  public var radius: Int
  public var clusters: Int
  /// Rows: images in a cluster of this method and radius.
  public var images: Int
}

/// One image's place in a stored cluster.
public struct StoredClusterMember: Sendable, Hashable {
  public var imageID: Int64
  public var clusterID: Int64
  /// True for the image the cluster keeps.
  public var kept: Bool
}

extension DedupStore {
  /// Every method and radius clusters were stored under, with their clusters and images, the most images
  /// first.
  public func clusterMethodCounts() throws -> [ClusterMethodCount] {
    try database.rows(
      "SELECT method, radius, COUNT(DISTINCT cluster_id), COUNT(*) FROM dup_clusters GROUP BY 1, 2 ORDER BY 4 DESC, 1, 2"
    ) { ClusterMethodCount(method: $0.text(0) ?? "", radius: $0.int(1), clusters: $0.int(2), images: $0.int(3)) }
  }

  /// Every member of the clusters stored under `method` and `radius`, whatever its status now, by image id.
  public func clusterMembers(method: String, radius: Int) throws -> [StoredClusterMember] {
    try database.rows(
      "SELECT image_id, cluster_id, kept FROM dup_clusters WHERE method = ? AND radius = ? ORDER BY image_id",
      [.text(method), .int(Int64(radius))]
    ) { StoredClusterMember(imageID: $0.int64(0), clusterID: $0.int64(1), kept: $0.int(2) != 0) }
  }
}
