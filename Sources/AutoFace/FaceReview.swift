import Annotations
import AutoFaceShim
import Catalog
import Foundation
import Ingest

/// A review decision on boxes.
public enum ReviewAction: Sendable, Hashable {
  case accept
  case reject
  /// Give the box this class (and accept it).
  case relabel(String)

  var name: String {
    switch self {
    case .accept: return "accept"
    case .reject: return "reject"
    case .relabel: return "relabel"
    }
  }
}

extension VOCBox {
  /// The `reviews.value` text of an `add` or `adjust`: `xmin,ymin,xmax,ymax`.
  var logValue: String { [xmin, ymin, xmax, ymax].map { String(format: "%.1f", $0) }.joined(separator: ",") }
}

/// What a review command changed.
public struct ReviewReport: Sendable, Codable {
  public var action: String
  public var value: String?
  public var boxes: [Int64]
  /// The ids of the rows appended to the `reviews` log.
  public var reviewIDs: [Int64]
}

/// The review log's actions on boxes, as written in `reviews.action`:
/// - `accept`, `reject`, `relabel` (value: the class): decisions on a box;
/// - `add` (value: `xmin,ymin,xmax,ymax`): a face the detector missed, drawn by a reviewer; the box has
///   origin `review`, so `faces eval` can count the faces reviewers had to add;
/// - `adjust` (value: the new rectangle; the old one is in the row's `previous`): a moved box, accepted;
/// - `undo` (value: the id of the reviews row undone): the box is back as it was before that row.
/// Every row also keeps the box's state before it (`status|class|xmin,ymin,xmax,ymax`) so any decision can be
/// undone by appending, never by deleting.
extension Catalog {
  /// Applies one decision to boxes: appends one `reviews` row per box and updates the box, in one
  /// transaction committed with `synchronous=FULL` (a decision whose call returned survives power loss).
  /// Unknown ids refuse the whole call.
  public func review(_ action: ReviewAction, boxes ids: [Int64], reviewer: String) throws -> ReviewReport {
    let unique = Array(Set(ids)).sorted()
    try requireBoxes(unique)
    var value: String?
    if case .relabel(let label) = action {
      guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw FaceJobError.noSuchLabel(label) }
      value = label
    }
    let reviewIDs: [Int64] = try durably {
      var reviewIDs: [Int64] = []
      for id in unique {
        let before = try boxState(id)
        switch action {
        case .accept: try database.run("UPDATE boxes SET status = 'accepted' WHERE id = ?", [.int(id)])
        case .reject: try database.run("UPDATE boxes SET status = 'rejected' WHERE id = ?", [.int(id)])
        case .relabel(let label):
          let classID = try classID(named: label)
          try database.run(
            "UPDATE boxes SET class_id = ?, status = 'accepted' WHERE id = ?", [.int(classID), .int(id)])
        }
        reviewIDs.append(try logReview(box: id, action: action.name, value: value, before: before, reviewer: reviewer))
      }
      return reviewIDs
    }
    return ReviewReport(action: action.name, value: value, boxes: unique, reviewIDs: reviewIDs)
  }

  /// Adds a face the detector missed: a new accepted box with origin `review` on image `imageID`, logged as
  /// `add`. The rectangle is clamped to the image; an empty one is refused.
  public func addMissedFace(
    image imageID: Int64, rect: VOCBox, label: String?, reviewer: String
  ) throws -> ReviewReport {
    guard
      let (width, height) = try database.rows(
        "SELECT width, height FROM images WHERE id = ?", [.int(imageID)], { ($0.double(0), $0.double(1)) }
      ).first
    else { throw FaceJobError.noSuchImage(imageID) }
    let r = try clamped(rect, width: width, height: height)
    if let label, label.trimmingCharacters(in: .whitespaces).isEmpty { throw FaceJobError.noSuchLabel(label) }
    let (boxID, reviewID): (Int64, Int64) = try durably {
      let labelID: Int64? = try label.map { try self.classID(named: $0) }
      try database.run(
        """
        INSERT INTO boxes (image_id, class_id, xmin, ymin, xmax, ymax, origin, status, created_at)
        VALUES (?, ?, ?, ?, ?, ?, 'review', 'accepted', ?)
        """,
        [.int(imageID), .optional(labelID), .real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax),
         .text(Timestamp.now())])
      let boxID = database.lastInsertRowID
      let reviewID = try logReview(box: boxID, action: "add", value: r.logValue, before: nil, reviewer: reviewer)
      return (boxID, reviewID)
    }
    return ReviewReport(action: "add", value: r.logValue, boxes: [boxID], reviewIDs: [reviewID])
  }

  /// Moves a box to `rect` (clamped to its image) and accepts it, logged as `adjust`.
  public func adjustBox(_ id: Int64, to rect: VOCBox, reviewer: String) throws -> ReviewReport {
    try requireBoxes([id])
    let (width, height) = try database.rows(
      "SELECT i.width, i.height FROM boxes b JOIN images i ON i.id = b.image_id WHERE b.id = ?", [.int(id)]
    ) { ($0.double(0), $0.double(1)) }.first ?? (0, 0)
    let r = try clamped(rect, width: width, height: height)
    let reviewID: Int64 = try durably {
      let before = try boxState(id)
      try database.run(
        "UPDATE boxes SET xmin = ?, ymin = ?, xmax = ?, ymax = ?, status = 'accepted' WHERE id = ?",
        [.real(r.xmin), .real(r.ymin), .real(r.xmax), .real(r.ymax), .int(id)])
      return try logReview(box: id, action: "adjust", value: r.logValue, before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "adjust", value: r.logValue, boxes: [id], reviewIDs: [reviewID])
  }

  /// Undoes one row of the review log by appending an `undo` row and putting the box back as it was before
  /// that row (an added box is rejected). Undoing an undo, or a row already undone, is refused.
  public func undoReview(_ reviewID: Int64, reviewer: String) throws -> ReviewReport {
    guard
      let row = try database.rows(
        "SELECT subject_id, action, previous FROM reviews WHERE id = ? AND subject = 'box'", [.int(reviewID)],
        { (box: $0.int64(0), action: $0.text(1) ?? "", previous: $0.text(2)) }
      ).first
    else { throw FaceJobError.noSuchReview(reviewID) }
    if row.action == "undo" { throw FaceJobError.cannotUndo(reviewID, "it is an undo itself") }
    if try database.scalarInt(
      "SELECT id FROM reviews WHERE action = 'undo' AND value = ?", [.text(String(reviewID))]) != nil
    {
      throw FaceJobError.cannotUndo(reviewID, "it was undone already")
    }
    let id = row.box
    let undoID: Int64 = try durably {
      let before = try boxState(id)
      if let previous = row.previous, let state = BoxState(previous) {
        try database.run(
          "UPDATE boxes SET status = ?, class_id = ?, xmin = ?, ymin = ?, xmax = ?, ymax = ? WHERE id = ?",
          [.text(state.status), .optional(state.classID), .real(state.rect.xmin), .real(state.rect.ymin),
           .real(state.rect.xmax), .real(state.rect.ymax), .int(id)])
      } else {
        try database.run("UPDATE boxes SET status = 'rejected' WHERE id = ?", [.int(id)])
      }
      return try logReview(box: id, action: "undo", value: String(reviewID), before: before, reviewer: reviewer)
    }
    return ReviewReport(action: "undo", value: String(reviewID), boxes: [id], reviewIDs: [undoID])
  }

  private func requireBoxes(_ ids: [Int64]) throws {
    var missing: [Int64] = []
    for id in ids where try database.scalarInt("SELECT id FROM boxes WHERE id = ?", [.int(id)]) == nil {
      missing.append(id)
    }
    guard missing.isEmpty else { throw FaceJobError.noSuchBoxes(missing) }
  }

  private func clamped(_ rect: VOCBox, width: Double, height: Double) throws -> VOCBox {
    let values = [rect.xmin, rect.ymin, rect.xmax, rect.ymax]
    guard values.allSatisfy(\.isFinite) else { throw FaceJobError.badRect("not a number") }
    let r = VOCBox(
      xmin: max(0, min(rect.xmin, rect.xmax)).rounded(), ymin: max(0, min(rect.ymin, rect.ymax)).rounded(),
      xmax: min(width, max(rect.xmin, rect.xmax)).rounded(), ymax: min(height, max(rect.ymin, rect.ymax)).rounded())
    guard r.xmax - r.xmin >= 2, r.ymax - r.ymin >= 2 else {
      throw FaceJobError.badRect("smaller than 2×2 pixels inside the \(Int(width))×\(Int(height)) image")
    }
    return r
  }

  /// Runs `body` in one write transaction committed with `synchronous=FULL`.
  private func durably<T>(_ body: () throws -> T) throws -> T {
    try database.execute("PRAGMA synchronous = FULL")
    defer { try? database.execute("PRAGMA synchronous = NORMAL") }
    return try database.writeTransaction(body)
  }

  private func boxState(_ id: Int64) throws -> String? {
    try database.rows(
      "SELECT status, class_id, xmin, ymin, xmax, ymax FROM boxes WHERE id = ?", [.int(id)]
    ) {
      BoxState(
        status: $0.text(0) ?? "proposed", classID: $0.isNull(1) ? nil : $0.int64(1),
        rect: VOCBox(xmin: $0.double(2), ymin: $0.double(3), xmax: $0.double(4), ymax: $0.double(5))
      ).text
    }.first
  }

  private func logReview(
    box: Int64, action: String, value: String?, before: String?, reviewer: String
  ) throws -> Int64 {
    try database.run(
      """
      INSERT INTO reviews (subject, subject_id, action, value, previous, reviewer, created_at)
      VALUES ('box', ?, ?, ?, ?, ?, ?)
      """,
      [.int(box), .text(action), .optional(value), .optional(before), .text(reviewer), .text(Timestamp.now())])
    return database.lastInsertRowID
  }
}

/// A box's reviewable state as kept in `reviews.previous`: `status|classID|xmin,ymin,xmax,ymax`.
struct BoxState {
  var status: String
  var classID: Int64?
  var rect: VOCBox

  init(status: String, classID: Int64?, rect: VOCBox) {
    self.status = status
    self.classID = classID
    self.rect = rect
  }

  init?(_ text: String) {
    let parts = text.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    let numbers = parts[2].split(separator: ",").compactMap { Double($0) }
    guard numbers.count == 4, ["proposed", "accepted", "rejected"].contains(String(parts[0])) else { return nil }
    status = String(parts[0])
    classID = Int64(parts[1])
    rect = VOCBox(xmin: numbers[0], ymin: numbers[1], xmax: numbers[2], ymax: numbers[3])
  }

  var text: String {
    "\(status)|\(classID.map(String.init) ?? "")|" + [rect.xmin, rect.ymin, rect.xmax, rect.ymax].map { "\($0)" }
      .joined(separator: ",")
  }
}

extension Catalog {
  /// ` AND …` conditions choosing boxes `b` (with classes `c` joined) by status, origin and class.
  public static func boxConditions(status: String?, origin: String?, label: String?) -> (String, [SQLValue]) {
    var sql = ""
    var values: [SQLValue] = []
    for (column, value) in [("b.status", status), ("b.origin", origin), ("c.name", label)] {
      guard let value else { continue }
      sql += " AND \(column) = ?"
      values.append(.text(value))
    }
    return (sql, values)
  }
}

/// Which boxes a contact sheet shows.
public struct ContactSheetOptions: Sendable {
  /// Box status: proposed, accepted or rejected (nil: all).
  public var status: String? = "proposed"
  /// Only boxes from this detector (origin), e.g. `default`, `haar`, `voc`.
  public var origin: String?
  /// Only boxes of this class.
  public var label: String?
  public var columns = 8
  public var rows = 6
  /// Thumbnail side in pixels.
  public var thumbnail = 128
  /// Context around each box, as a fraction of its size.
  public var margin = 0.15
  public var maxPixels = ImageHeader.defaultMaxPixels
  public init() {}
}

/// The sheets written and the boxes on them, in order.
public struct ContactSheetReport: Sendable, Codable {
  public var sheets: [String]
  public var boxes: [Int64]
  public var failed: [FaceImageIssue]
}

extension Catalog {
  /// Writes contact-sheet PNGs: a grid of thumbnails of the chosen boxes, each numbered with its box id
  /// (the id `review accept|reject|relabel` takes) and its score. `path` is the first sheet; more pages
  /// are written beside it as NAME-2.png, NAME-3.png, …
  public func contactSheets(_ options: ContactSheetOptions, path: String) throws -> ContactSheetReport {
    var sql = """
      SELECT b.id, i.sha256, b.xmin, b.ymin, b.xmax, b.ymax, b.score, c.name, b.image_id FROM boxes b
      JOIN images i ON i.id = b.image_id LEFT JOIN classes c ON c.id = b.class_id WHERE 1
      """
    let (conditions, values) = Self.boxConditions(status: options.status, origin: options.origin, label: options.label)
    sql += conditions + " ORDER BY b.id"
    let tiles = try database.rows(sql, values) { row in
      var text = "#\(row.int64(0))"
      if !row.isNull(6) { text += String(format: row.double(6) >= 1 ? " %.0f" : " %.2f", row.double(6)) }
      if let label = row.text(7) { text += " \(label.prefix(1))" }
      return SheetTile(
        image: row.int64(8), sha256: row.text(1) ?? "",
        rect: (row.double(2), row.double(3), row.double(4), row.double(5)), caption: text, box: row.int64(0))
    }
    return try writeSheets(tiles, path: path, options: options)
  }

  /// Writes `tiles` as contact-sheet PNGs (`options`' grid, thumbnail size and margin): `path` is the first sheet,
  /// more pages are written beside it as NAME-2.png, … A tile whose image cannot be read is marked and listed in
  /// `failed`; the report's `boxes` lists the tiles' box ids, in order.
  func writeSheets(_ tiles: [SheetTile], path: String, options: ContactSheetOptions) throws -> ContactSheetReport {
    let perSheet = max(1, options.columns * options.rows)
    let t = options.thumbnail
    let caption = 20
    let cell = (width: t + 8, height: t + caption + 8)
    var report = ContactSheetReport(sheets: [], boxes: [], failed: [])
    let base = path.hasSuffix(".png") ? String(path.dropLast(4)) : path
    var page = 0
    var start = 0
    repeat {
      let chunk = Array(tiles[start..<min(tiles.count, start + perSheet)])
      let rows = max(1, (chunk.count + options.columns - 1) / options.columns)
      let sheet = try ImageCanvas(width: options.columns * cell.width, height: rows * cell.height, gray: 40)
      var cache: [String: DecodedImage] = [:]
      for (n, tile) in chunk.enumerated() {
        let x = (n % options.columns) * cell.width + 4
        let y = (n / options.columns) * cell.height + 4
        do {
          let image: DecodedImage
          if let cached = cache[tile.sha256] {
            image = cached
          } else {
            image = try DecodedImage(bytes: try store.read(tile.sha256), maxPixels: options.maxPixels)
            cache[tile.sha256] = image
          }
          try sheet.paste(try image.thumbnail(of: tile.rect, margin: options.margin, side: t), x: x, y: y)
          try sheet.drawText(tile.caption, x: x + 2, y: y + t + caption - 4, scale: 0.5, blue: 255, green: 255, red: 255)
          if let box = tile.box { report.boxes.append(box) }
        } catch {
          report.failed.append(
            FaceImageIssue(
              imageID: tile.image, sha256: tile.sha256,
              reason: "\(tile.caption): " + ((error as? LocalizedError)?.errorDescription ?? String(describing: error)))
          )
          try sheet.drawText("\(tile.caption) ?", x: x + 2, y: y + t / 2, scale: 0.5, blue: 80, green: 80, red: 255)
        }
      }
      page += 1
      let name = page == 1 ? base + ".png" : "\(base)-\(page).png"
      let bytes = try sheet.finished().encoded(.png)
      guard FileManager.default.createFile(atPath: name, contents: Data(bytes)) else {
        throw AutoFaceError.modelMissing(path: name, hint: "cannot write the contact sheet there")
      }
      report.sheets.append(name)
      start += perSheet
    } while start < tiles.count
    return report
  }

  /// A detector name as a file name: letters, digits, '-' and '_' kept, anything else '_'.
  static func sheetName(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" }.prefix(40))
  }
}

/// One thumbnail of a contact sheet: a region of a stored image and its caption.
struct SheetTile {
  var image: Int64
  var sha256: String
  var rect: (Double, Double, Double, Double)
  var caption: String
  /// The box shown, when it is a catalog box (its id is what `review accept` takes).
  var box: Int64? = nil
}

extension DecodedImage {
  /// The box `(xmin, ymin, xmax, ymax)` grown by `margin` and made square, clamped to the image, scaled so
  /// its longer side is `side` pixels: a contact-sheet or review-page thumbnail.
  public func thumbnail(of box: (Double, Double, Double, Double), margin: Double, side: Int) throws -> DecodedImage {
    let rect = Catalog.cropRect(box, margin: margin, square: true, width: width, height: height)
    guard rect.width > 0, rect.height > 0 else { throw AutoFaceError.notAnImage("box outside its image") }
    let scale = Double(side) / Double(max(rect.width, rect.height))
    return try cropped(
      to: rect, width: max(1, Int(Double(rect.width) * scale)), height: max(1, Int(Double(rect.height) * scale)))
  }

  /// A new BGR image of one gray level.
  public static func blank(width: Int, height: Int, gray: Int) throws -> DecodedImage {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_blank(Int32(width), Int32(height), Int32(gray), Int32(gray), Int32(gray), &out, &error), error)
    guard let out else { throw AutoFaceError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    return DecodedImage(handle: out)
  }

}

extension ImageCanvas {
  /// Copies `image` in with its top-left corner at (x, y), clipped.
  public func paste(_ image: DecodedImage, x: Int, y: Int) throws {
    var error = afs_error()
    try check(afs_image_paste(handle, image.handle, Int32(x), Int32(y), &error), error)
  }

  /// Draws text with its baseline at (x, y).
  public func drawText(_ text: String, x: Int, y: Int, scale: Double, blue: Int, green: Int, red: Int) throws {
    var error = afs_error()
    try check(
      afs_image_draw_text(handle, text, Int32(x), Int32(y), scale, Int32(blue), Int32(green), Int32(red), 1, &error),
      error)
  }
}
