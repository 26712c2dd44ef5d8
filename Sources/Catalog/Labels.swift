import Foundation

/// An image's label as a source found it (an `image_labels` row of the view `""`).
public struct FoundLabel: Sendable, Hashable {
  public var imageID: Int64
  public var sourceID: Int64
  public var label: String
  /// The image's SHA-256.
  public var sha256: String
}

/// An `image_labels` row of a merge view.
public struct ViewLabel: Sendable, Hashable {
  public var id: Int64
  public var imageID: Int64
  public var classID: Int64
  /// A person gave it (`review image relabel`): a re-run merge keeps it.
  public var reviewed = false
}

extension Catalog {
  /// The labels as found that these sources gave active images, in no particular order.
  public func labelsAsFound(sourceIDs: [Int64]) throws -> [FoundLabel] {
    try database.rows(
      """
      SELECT l.image_id, l.source_id, c.name, i.sha256 FROM image_labels l
      JOIN classes c ON c.id = l.class_id JOIN images i ON i.id = l.image_id
      WHERE l.view = '' AND i.status = 'active' AND l.source_id IN (\(sourceIDs.map { _ in "?" }.joined(separator: ", ")))
      """, sourceIDs.map { .int($0) }
    ) { FoundLabel(imageID: $0.int64(0), sourceID: $0.int64(1), label: $0.text(2) ?? "", sha256: $0.text(3) ?? "") }
  }

  /// Labels an image with a class as a source found it (`how`: "folder", "voc-majority", …); a label the
  /// source already gave it is kept, and an image a person relabelled (`how = review`, `review image
  /// relabel`) keeps that label alone. Call inside a write transaction.
  public func addFoundLabel(imageID: Int64, className: String, sourceID: Int64, how: String, at time: String) throws {
    try database.run(
      """
      INSERT OR IGNORE INTO image_labels (image_id, class_id, source_id, view, how, created_at)
      SELECT ?1, ?2, ?3, '', ?4, ?5 WHERE NOT EXISTS (
        SELECT 1 FROM image_labels WHERE image_id = ?1 AND view = '' AND how = 'review')
      """, [.int(imageID), .int(try classID(named: className)), .int(sourceID), .text(how), .text(time)])
  }

  /// The labels of a merge view.
  public func viewLabels(view: String) throws -> [ViewLabel] {
    try database.rows(
      "SELECT id, image_id, class_id, how = 'review' FROM image_labels WHERE view = ?", [.text(view)]
    ) {
      ViewLabel(id: $0.int64(0), imageID: $0.int64(1), classID: $0.int64(2), reviewed: $0.int(3) != 0)
    }
  }

  /// Removes one label row (by its id). Call inside a write transaction.
  public func removeLabel(id: Int64) throws {
    try database.run("DELETE FROM image_labels WHERE id = ?", [.int(id)])
  }

  /// Labels an image with a class in a merge view, crediting the source whose label decided it. Call inside
  /// a write transaction.
  public func addViewLabel(
    imageID: Int64, classID: Int64, sourceID: Int64, view: String, how: String, at time: String
  ) throws {
    try database.run(
      "INSERT INTO image_labels (image_id, class_id, source_id, view, how, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      [.int(imageID), .int(classID), .int(sourceID), .text(view), .text(how), .text(time)])
  }
}

/// A label as found, by class: the image, the class's id and name.
public struct FoundLabelClass: Sendable, Hashable {
  public var imageID: Int64
  public var classID: Int64
  public var className: String
}

extension Catalog {
  /// Every label as found (view `""`), whatever the image's status, in no particular order.
  public func foundLabelClasses() throws -> [FoundLabelClass] {
    try database.rows(
      """
      SELECT l.image_id, l.class_id, c.name FROM image_labels l JOIN classes c ON c.id = l.class_id
      WHERE l.view = ''
      """
    ) { FoundLabelClass(imageID: $0.int64(0), classID: $0.int64(1), className: $0.text(2) ?? "") }
  }
}
