import Foundation

/// One image's membership in a near-duplicate group that `dedup` stored (`dup_clusters`). Groups are per
/// (method, radius): the same group id under another method or radius is another group.
public struct DuplicateGroupMember: Sendable, Hashable {
  public var imageID: Int64
  /// The dedup method's name (`phash+centre`, `dhash`, …).
  public var method: String
  public var radius: Int
  /// The group; rows stored before groups existed have none, and their cluster (transitive) is their group.
  public var group: Int64
}

extension Catalog {
  /// Calls `body` with every stored near-duplicate group membership, streaming (no array of all rows), for
  /// readers that must not depend on the module that computes them (a split keeps a group together).
  public func forEachDuplicateGroupMember(_ body: (DuplicateGroupMember) throws -> Void) throws {
    let statement = try database.prepare(
      "SELECT image_id, method, radius, COALESCE(group_id, cluster_id) FROM dup_clusters")
    defer { statement.reset() }
    while try statement.step() {
      try body(
        DuplicateGroupMember(
          imageID: statement.int64(0), method: statement.text(1) ?? "", radius: statement.int(2),
          group: statement.int64(3)))
    }
  }
}
