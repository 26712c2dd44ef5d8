import Catalog
import Foundation

/// One `image_labels` row of an image in a view, as a relabel keeps it (in `reviews.previous`) to put it back.
struct KeptLabel: Codable, Equatable {
  var classID: Int64
  var sourceID: Int64?
  var how: String
  var createdAt: String
}

/// An image's reviewable state before a decision, kept as JSON in `reviews.previous`: its status and reason
/// (exclude, restore) or its labels in one view (relabel).
struct ImageState: Codable, Equatable {
  var status: String?
  var reason: String?
  var view: String?
  var labels: [KeptLabel]?

  var text: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }

  init(status: String? = nil, reason: String? = nil, view: String? = nil, labels: [KeptLabel]? = nil) {
    self.status = status
    self.reason = reason
    self.view = view
    self.labels = labels
  }

  init?(_ text: String?) {
    guard let text, let decoded = try? JSONDecoder().decode(ImageState.self, from: Data(text.utf8)) else {
      return nil
    }
    self = decoded
  }
}

/// A row of the review log about an image.
struct ImageLogEntry {
  var id: Int64
  var image: Int64
  var action: String
  var value: String?
  var previous: String?
  var reviewer: String
  var createdAt: String
}

/// The tables image decisions read and write: `reviews` rows with subject `image`, the image's `status`, and
/// its `image_labels` rows in one view.
struct ImageReviewStore {
  let catalog: Catalog
  var database: Database { catalog.database }

  /// The ids among `ids` that are not images of the catalog.
  func missing(_ ids: [Int64]) throws -> [Int64] {
    var missing: [Int64] = []
    for id in ids where try database.scalarInt("SELECT id FROM images WHERE id = ?", [.int(id)]) == nil {
      missing.append(id)
    }
    return missing
  }

  /// An image's status and reason (nil: no such image).
  func status(_ id: Int64) throws -> (status: String, reason: String?)? {
    try database.rows("SELECT status, status_reason FROM images WHERE id = ?", [.int(id)]) {
      ($0.text(0) ?? "", $0.text(1))
    }.first
  }

  func setStatus(_ status: String, reason: String?, image id: Int64) throws {
    try database.run(
      "UPDATE images SET status = ?, status_reason = ? WHERE id = ?", [.text(status), .optional(reason), .int(id)])
  }

  /// An image's label rows in a view, credited source first (as `Catalog.creditedLabels` reads them).
  func labels(image id: Int64, view: String) throws -> [KeptLabel] {
    try database.rows(
      """
      SELECT class_id, source_id, how, created_at FROM image_labels WHERE image_id = ? AND view = ?
      ORDER BY source_id IS NULL, source_id, class_id
      """, [.int(id), .text(view)]
    ) {
      KeptLabel(
        classID: $0.int64(0), sourceID: $0.isNull(1) ? nil : $0.int64(1), how: $0.text(2) ?? "",
        createdAt: $0.text(3) ?? "")
    }
  }

  /// The class names of class ids.
  func className(_ classID: Int64) throws -> String? {
    try database.scalarText("SELECT name FROM classes WHERE id = ?", [.int(classID)])
  }

  /// The source of an image's first origin (nil: none).
  func firstSource(image id: Int64) throws -> Int64? {
    try database.scalarInt(
      "SELECT source_id FROM image_origins WHERE image_id = ? ORDER BY id LIMIT 1", [.int(id)])
  }

  /// Replaces an image's labels in a view with `labels`. Call inside a write transaction.
  func replaceLabels(image id: Int64, view: String, with labels: [KeptLabel]) throws {
    try database.run("DELETE FROM image_labels WHERE image_id = ? AND view = ?", [.int(id), .text(view)])
    for label in labels {
      try database.run(
        """
        INSERT OR IGNORE INTO image_labels (image_id, class_id, source_id, view, how, created_at)
        VALUES (?, ?, ?, ?, ?, ?)
        """,
        [
          .int(id), .int(label.classID), label.sourceID.map { .int($0) } ?? .null, .text(view), .text(label.how),
          .text(label.createdAt),
        ])
    }
  }

  /// Appends a decision on an image to the log; returns its id.
  func append(image: Int64, action: String, value: String?, previous: ImageState?, reviewer: String) throws -> Int64 {
    try database.run(
      """
      INSERT INTO reviews (subject, subject_id, action, value, previous, reviewer, created_at)
      VALUES ('image', ?, ?, ?, ?, ?, ?)
      """,
      [
        .int(image), .text(action), .optional(value), .optional(previous?.text), .text(reviewer),
        .text(Timestamp.now()),
      ])
    return database.lastInsertRowID
  }

  /// An image's decisions, newest first (undo rows included).
  func entries(image id: Int64) throws -> [ImageLogEntry] {
    try database.rows(
      """
      SELECT id, subject_id, action, value, previous, reviewer, created_at FROM reviews
      WHERE subject = 'image' AND subject_id = ? ORDER BY id DESC
      """, [.int(id)]
    ) {
      ImageLogEntry(
        id: $0.int64(0), image: $0.int64(1), action: $0.text(2) ?? "", value: $0.text(3), previous: $0.text(4),
        reviewer: $0.text(5) ?? "", createdAt: $0.text(6) ?? "")
    }
  }

  /// Images with at least one decision (undone or not).
  func decidedImages() throws -> Set<Int64> {
    Set(try database.rows("SELECT DISTINCT subject_id FROM reviews WHERE subject = 'image'") { $0.int64(0) })
  }

  func durably<T>(_ body: () throws -> T) throws -> T {
    try database.execute("PRAGMA synchronous = FULL")
    defer { try? database.execute("PRAGMA synchronous = NORMAL") }
    return try database.writeTransaction(body)
  }
}
