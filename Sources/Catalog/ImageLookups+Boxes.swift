import Foundation

/// An image as one of its source's files: its id and pixel size.
public struct OriginImage: Sendable, Hashable {
  public var id: Int64
  public var width: Int
  public var height: Int
}

/// One origin of an image: the source it came from and its path there.
public struct ImageOrigin: Sendable, Hashable {
  public var imageID: Int64
  public var sourceID: Int64
  /// The path relative to the source (display form).
  public var path: String
  /// The origin's license (nil: none recorded for this file; its source's may apply).
  public var license: String?
}

/// An image as a folder of files shows it: its bytes' digest, pixel size, file extension and the path it
/// first arrived with.
public struct ImageFile: Sendable, Hashable {
  public var sha256: String
  public var width: Int
  public var height: Int
  /// The extension of the stored file (`jpg` when none is recorded).
  public var fileExtension: String
  /// The path of its first origin, relative to its source (nil when it has none).
  public var firstPath: String?
}

/// Lookups on the core tables that the box modules (Annotations, Labeling, Imaging, AutoFace, Review) need.
extension Catalog {
  /// Image id and pixel size by origin path (display form), for the files of one source.
  public func imageIDsByOrigin(sourceID: Int64) throws -> [String: OriginImage] {
    var found: [String: OriginImage] = [:]
    let rows = try database.rows(
      """
      SELECT o.rel_path, i.id, i.width, i.height FROM image_origins o JOIN images i ON i.id = o.image_id
      WHERE o.source_id = ?
      """, [.int(sourceID)]
    ) { (path: $0.text(0) ?? "", image: OriginImage(id: $0.int64(1), width: $0.int(2), height: $0.int(3))) }
    for row in rows { found[row.path] = row.image }
    return found
  }

  /// Every origin of every image, in the order they were recorded (an image's first origin in a source first).
  public func imageOrigins() throws -> [ImageOrigin] {
    try database.rows("SELECT image_id, source_id, rel_path, license FROM image_origins ORDER BY id", []) {
      ImageOrigin(imageID: $0.int64(0), sourceID: $0.int64(1), path: $0.text(2) ?? "", license: $0.text(3))
    }
  }

  /// The bytes' digest of every active image, by image id.
  public func activeImageDigests() throws -> [Int64: String] {
    Dictionary(
      try database.rows("SELECT id, sha256 FROM images WHERE status = 'active'") { ($0.int64(0), $0.text(1) ?? "") },
      uniquingKeysWith: { a, _ in a })
  }

  /// The image with this id as a file (nil: no such image).
  public func imageFile(id: Int64) throws -> ImageFile? {
    try database.rows(
      """
      SELECT i.sha256, i.width, i.height, i.extension,
        (SELECT o.rel_path FROM image_origins o WHERE o.image_id = i.id ORDER BY o.id LIMIT 1)
      FROM images i WHERE i.id = ?
      """, [.int(id)]
    ) {
      ImageFile(
        sha256: $0.text(0) ?? "", width: Int($0.int64(1)), height: Int($0.int64(2)),
        fileExtension: $0.text(3) ?? "jpg", firstPath: $0.text(4))
    }.first
  }

  /// The stored bytes' digest and format (`jpeg`, `png`, …) of the image with this id (nil: no such image).
  public func imageDigestAndFormat(id: Int64) throws -> (sha256: String, format: String)? {
    try database.rows(
      "SELECT sha256, format FROM images WHERE id = ?", [.int(id)],
      { (sha256: $0.text(0) ?? "", format: $0.text(1) ?? "") }
    ).first
  }

  /// The ids of the sources with this name.
  public func sourceIDs(named name: String) throws -> [Int64] {
    try database.rows("SELECT id FROM sources WHERE name = ?", [.text(name)]) { $0.int64(0) }
  }

  /// The active images that are not crops, in id order, as (id, digest): all of them, or those carrying the class
  /// `label` (any view) and/or having an origin in the source named `source`.
  public func uncroppedActiveImages(label: String?, source: String?) throws -> [(id: Int64, sha256: String)] {
    var sql =
      "SELECT i.id, i.sha256 FROM images i WHERE i.status = 'active' AND i.id NOT IN (SELECT image_id FROM crops)"
    var values: [SQLValue] = []
    if let label {
      sql += " AND i.id IN (SELECT l.image_id FROM image_labels l JOIN classes c ON c.id = l.class_id WHERE c.name = ?)"
      values.append(.text(label))
    }
    if let source {
      sql +=
        " AND i.id IN (SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE s.name = ?)"
      values.append(.text(source))
    }
    sql += " ORDER BY i.id"
    return try database.rows(sql, values) { (id: $0.int64(0), sha256: $0.text(1) ?? "") }
  }

  /// The class of every image holding exactly one class among its labels as found (view ''), by image id.
  public func singleFoundClasses() throws -> [Int64: Int64] {
    var classes: [Int64: Int64] = [:]
    let rows = try database.rows(
      "SELECT image_id, MIN(class_id) FROM image_labels WHERE view = '' GROUP BY image_id HAVING COUNT(DISTINCT class_id) = 1"
    ) { ($0.int64(0), $0.int64(1)) }
    for (image, label) in rows { classes[image] = label }
    return classes
  }

  /// Makes `parentID` the parent of image `id` (a crop's source photo), unless it has one already.
  public func setParent(_ parentID: Int64, ofImage id: Int64) throws {
    try database.run(
      "UPDATE images SET parent_image_id = ? WHERE id = ? AND parent_image_id IS NULL", [.int(parentID), .int(id)])
  }
}
