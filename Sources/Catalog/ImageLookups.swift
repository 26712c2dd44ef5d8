import Foundation

extension Catalog {
  /// The highest image id so far (0 for an empty catalog). Images recorded later get larger ids, so a
  /// command notes this before it adds images to find the ones it added.
  public func lastImageID() throws -> Int64 {
    try database.scalarInt("SELECT COALESCE(MAX(id), 0) FROM images") ?? 0
  }

  /// An image as people know it: `source/relative path` of its first origin (nil when it has none).
  public func originName(imageID id: Int64) throws -> String? {
    try database.scalarText(
      """
      SELECT s.name || '/' || o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
      WHERE o.image_id = ? ORDER BY o.id LIMIT 1
      """, [.int(id)])
  }
}

extension Catalog {
  /// The image a source recorded at this relative path, if any.
  public func imageID(sourceID: Int64, relativePath: [UInt8]) throws -> Int64? {
    try database.scalarInt(
      "SELECT image_id FROM image_origins WHERE source_id = ? AND rel_path_bytes = ?",
      [.int(sourceID), .blob(relativePath)])
  }

  /// Whether the catalog holds these bytes from an origin other than this source's file at this path.
  public func holdsBytes(sha256: String, elsewhereThan sourceID: Int64, relativePath: [UInt8]) throws -> Bool {
    let count =
      try database.scalarInt(
        """
        SELECT count(*) FROM image_origins o JOIN images i ON i.id = o.image_id
        WHERE i.sha256 = ? AND NOT (o.source_id = ? AND o.rel_path_bytes = ?)
        """, [.text(sha256), .int(sourceID), .blob(relativePath)]) ?? 0
    return count > 0
  }
}

/// An image row as stored: its bytes' digest and size, its pixel size and its status.
public struct StoredImageFacts: Sendable, Hashable {
  public var sha256: String
  public var size: Int
  public var width: Int
  public var height: Int
  public var status: ImageStatus
}

extension Catalog {
  /// Every source's id and name, in id order.
  public func sourceNames() throws -> [(id: Int64, name: String)] {
    try database.rows("SELECT id, name FROM sources ORDER BY id") { (id: $0.int64(0), name: $0.text(1) ?? "") }
  }

  /// The image row with this id, if there is one.
  public func imageFacts(id: Int64) throws -> StoredImageFacts? {
    try database.rows("SELECT sha256, width, height, size, status FROM images WHERE id = ?", [.int(id)]) {
      StoredImageFacts(
        sha256: $0.text(0) ?? "", size: $0.int(3), width: $0.int(1), height: $0.int(2),
        status: $0.text(4).flatMap(ImageStatus.init(rawValue:)) ?? .active)
    }.first
  }

  /// Every origin of an image as (source name, relative path), in the order they were recorded.
  public func origins(ofImage id: Int64) throws -> [(source: String, path: String)] {
    try database.rows(
      """
      SELECT s.name, o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
      WHERE o.image_id = ? ORDER BY o.id
      """, [.int(id)]
    ) { (source: $0.text(0) ?? "", path: $0.text(1) ?? "") }
  }
}
