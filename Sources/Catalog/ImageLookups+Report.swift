import Foundation

/// How many images are out of the dataset with one status and one reason.
public struct RemovedImageCount: Sendable, Hashable {
  public var status: ImageStatus
  /// The stored reason (`""` when none was recorded).
  public var reason: String
  public var images: Int
}

/// One origin of an image as a card credits it: its source, its license (the origin's, else the source's,
/// else `unknown`) and whether a URL was recorded.
public struct OriginLicense: Sendable, Hashable {
  public var imageID: Int64
  public var sourceID: Int64
  public var license: String
  public var hasURL: Bool
}

/// A source row with its id.
public struct StoredSource: Sendable, Hashable {
  public var id: Int64
  public var spec: SourceSpec
}

extension Catalog {
  /// Each image labelled in `view` with its first class name there (by name).
  public func firstLabelByImage(view: String) throws -> [Int64: String] {
    var labels: [Int64: String] = [:]
    for (image, label) in try database.rows(
      """
      SELECT l.image_id, MIN(c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
      WHERE l.view = ? GROUP BY l.image_id
      """, [.text(view)], { ($0.int64(0), $0.text(1) ?? "") })
    {
      labels[image] = label
    }
    return labels
  }

  /// Each image with an origin, with the source of its first origin (the one it first arrived from); a derived
  /// image (a crop) with its parent photo's (lineage).
  public func firstSourceByImage() throws -> [Int64: Int64] {
    var firstSource = try ownFirstSourceByImage()
    for (image, root) in try lineageRoots() {
      if let source = firstSource[root] { firstSource[image] = source }
    }
    return firstSource
  }

  /// Each image with an origin, with the source of its first origin as recorded.
  func ownFirstSourceByImage() throws -> [Int64: Int64] {
    var firstSource: [Int64: Int64] = [:]
    for (image, source) in try database.rows(
      "SELECT image_id, source_id FROM image_origins WHERE id IN (SELECT MIN(id) FROM image_origins GROUP BY image_id)",
      [],
      { ($0.int64(0), $0.int64(1)) })
    {
      firstSource[image] = source
    }
    return firstSource
  }

  /// The images that are not active, counted by status and stored reason.
  public func removedImageCounts() throws -> [RemovedImageCount] {
    try database.rows(
      "SELECT status, COALESCE(status_reason, ''), COUNT(*) FROM images WHERE status != 'active' GROUP BY 1, 2"
    ) {
      RemovedImageCount(
        status: $0.text(0).flatMap(ImageStatus.init(rawValue:)) ?? .rejected, reason: $0.text(1) ?? "",
        images: $0.int(2))
    }
  }

  /// How many images have `status`.
  public func imageCount(status: ImageStatus) throws -> Int {
    Int(try database.scalarInt("SELECT COUNT(*) FROM images WHERE status = ?", [.text(status.rawValue)]) ?? 0)
  }

  /// The image a derived image was made from, as the image row records it (nil: none).
  public func parentImageID(ofImage id: Int64) throws -> Int64? {
    try database.scalarInt("SELECT parent_image_id FROM images WHERE id = ?", [.int(id)])
  }

  /// Every origin with the license it credits and whether it records a URL, by image id; a derived image (a
  /// crop) has its parent photo's origins (lineage).
  public func originLicenses() throws -> [OriginLicense] {
    try creditedThroughLineage(try ownOriginLicenses(), imageID: \.imageID) { origin, image in
      var origin = origin
      origin.imageID = image
      return origin
    }
  }

  /// Every origin with the license it credits, as recorded (a crop's is its `crops` source).
  func ownOriginLicenses() throws -> [OriginLicense] {
    try database.rows(
      """
      SELECT o.image_id, o.source_id, COALESCE(o.license, s.license, 'unknown'), o.url IS NOT NULL
      FROM image_origins o JOIN sources s ON s.id = o.source_id
      """
    ) {
      OriginLicense(
        imageID: $0.int64(0), sourceID: $0.int64(1), license: $0.text(2) ?? "unknown", hasURL: $0.int(3) != 0)
    }
  }

  /// Every source, in id order.
  public func sources() throws -> [StoredSource] {
    try database.rows("SELECT id, name, kind, uri, recipe, license FROM sources ORDER BY id") {
      StoredSource(
        id: $0.int64(0),
        spec: SourceSpec(
          kind: $0.text(2) ?? "", name: $0.text(1) ?? "", uri: $0.text(3) ?? "", license: $0.text(5),
          recipe: $0.text(4)))
    }
  }
}
