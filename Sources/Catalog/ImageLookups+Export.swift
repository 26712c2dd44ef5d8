import Foundation

/// An active image as an export or a card lists it: its bytes' digest and file extension, its format and
/// pixel size.
public struct ActiveImage: Sendable, Hashable {
  public var id: Int64
  public var sha256: String
  /// The extension of the stored file (`jpg` when none is recorded).
  public var fileExtension: String
  public var format: String
  public var width: Int
  public var height: Int

  public init(id: Int64, sha256: String, fileExtension: String, format: String, width: Int, height: Int) {
    self.id = id
    self.sha256 = sha256
    self.fileExtension = fileExtension
    self.format = format
    self.width = width
    self.height = height
  }
}

/// An active image with the label it is filed under in one view (the first class name, by name).
public struct LabelledImage: Sendable, Hashable {
  public var id: Int64
  public var sha256: String
  /// The extension of the stored file (`jpg` when none is recorded).
  public var fileExtension: String
  /// Nil when the image has no label in the view.
  public var label: String?
}

/// One origin's file as recorded: its image, its path relative to the source, and its own license.
/// One origin of an image with the credit it carries: source, path, license (the origin's, else its
/// source's), and where it was found.
public struct OriginCredit: Sendable, Hashable {
  public var imageID: Int64
  /// The source's name.
  public var source: String
  public var path: String
  public var license: String?
  public var url: String?
  public var pageURL: String?
  public var creator: String?
  public var attribution: String?
  /// A URL list's caption (`crawl --caption-col`).
  public var caption: String? = nil
}

extension Catalog {
  /// The active images, in id order.
  public func activeImages() throws -> [ActiveImage] {
    try database.rows(
      "SELECT id, sha256, extension, width, height, format FROM images WHERE status = 'active' ORDER BY id"
    ) {
      ActiveImage(
        id: $0.int64(0), sha256: $0.text(1) ?? "", fileExtension: $0.text(2) ?? "jpg", format: $0.text(5) ?? "",
        width: $0.int(3), height: $0.int(4))
    }
  }

  /// The active images in SHA-256 order, each with its label in `view` (the first class name by name; `""`
  /// is the labels as found).
  public func activeImagesLabelled(view: String) throws -> [LabelledImage] {
    try database.rows(
      """
      SELECT i.id, i.sha256, i.extension,
        (SELECT MIN(c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
         WHERE l.image_id = i.id AND l.view = ?)
      FROM images i WHERE i.status = 'active' ORDER BY i.sha256
      """, [.text(view)]
    ) {
      LabelledImage(id: $0.int64(0), sha256: $0.text(1) ?? "", fileExtension: $0.text(2) ?? "jpg", label: $0.text(3))
    }
  }

  /// The images holding a label in `view` (an image once per label it holds there).
  public func imagesLabelled(inView view: String) throws -> [Int64] {
    try database.rows("SELECT image_id FROM image_labels WHERE view = ?", [.text(view)]) { $0.int64(0) }
  }

  /// Every origin of every image with its credit, by image id, then source name, then path. A derived image
  /// (a crop) is credited with the origins of the photo it was cut from (lineage), not its `crops` source.
  /// `through`: only origins recorded up to that origin row id (a split's, so its manifest does not gain later
  /// origins).
  public func originCredits(through: Int64? = nil) throws -> [OriginCredit] {
    try creditedThroughLineage(try ownOriginCredits(through: through), imageID: \.imageID) { credit, image in
      var credit = credit
      credit.imageID = image
      return credit
    }
  }

  /// Every origin of every image as recorded (a crop's is its `crops` source), by image id, source name, path;
  /// `through` as in `originCredits(through:)`.
  public func ownOriginCredits(through: Int64? = nil) throws -> [OriginCredit] {
    try database.rows(
      """
      SELECT o.image_id, s.name, o.rel_path, COALESCE(o.license, s.license), o.url, o.page_url, o.creator, o.attribution,
        o.caption
      FROM image_origins o JOIN sources s ON s.id = o.source_id WHERE o.id <= ? ORDER BY o.image_id, s.name, o.rel_path
      """, [.int(through ?? Int64.max)]
    ) {
      OriginCredit(
        imageID: $0.int64(0), source: $0.text(1) ?? "", path: $0.text(2) ?? "", license: $0.text(3), url: $0.text(4),
        pageURL: $0.text(5), creator: $0.text(6), attribution: $0.text(7), caption: $0.text(8))
    }
  }
}
