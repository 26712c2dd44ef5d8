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

/// What a review command changed.
public struct ReviewReport: Sendable, Codable {
  public var action: String
  public var value: String?
  public var boxes: [Int64]
  /// The ids of the rows appended to the `reviews` log.
  public var reviewIDs: [Int64]
}

extension Catalog {
  /// Applies one decision to boxes: appends one `reviews` row per box and updates the box, in one
  /// transaction committed with `synchronous=FULL` (a decision whose call returned survives power loss).
  /// Unknown ids refuse the whole call.
  public func review(_ action: ReviewAction, boxes ids: [Int64], reviewer: String) throws -> ReviewReport {
    let unique = Array(Set(ids)).sorted()
    var missing: [Int64] = []
    for id in unique where try database.scalarInt("SELECT id FROM boxes WHERE id = ?", [.int(id)]) == nil {
      missing.append(id)
    }
    guard missing.isEmpty else { throw FaceJobError.noSuchBoxes(missing) }
    var value: String?
    if case .relabel(let label) = action {
      guard !label.trimmingCharacters(in: .whitespaces).isEmpty else { throw FaceJobError.noSuchLabel(label) }
      value = label
    }
    try database.execute("PRAGMA synchronous = FULL")
    defer { try? database.execute("PRAGMA synchronous = NORMAL") }
    let now = Timestamp.now()
    var reviewIDs: [Int64] = []
    try database.writeTransaction {
      for id in unique {
        switch action {
        case .accept: try database.run("UPDATE boxes SET status = 'accepted' WHERE id = ?", [.int(id)])
        case .reject: try database.run("UPDATE boxes SET status = 'rejected' WHERE id = ?", [.int(id)])
        case .relabel(let label):
          let classID = try classID(named: label)
          try database.run(
            "UPDATE boxes SET class_id = ?, status = 'accepted' WHERE id = ?", [.int(classID), .int(id)])
        }
        try database.run(
          "INSERT INTO reviews (subject, subject_id, action, value, reviewer, created_at) VALUES ('box', ?, ?, ?, ?, ?)",
          [.int(id), .text(action.name), .optional(value), .text(reviewer), .text(now)])
        reviewIDs.append(try database.scalarInt("SELECT last_insert_rowid()") ?? 0)
      }
    }
    return ReviewReport(action: action.name, value: value, boxes: unique, reviewIDs: reviewIDs)
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
    var values: [SQLValue] = []
    if let status = options.status {
      sql += " AND b.status = ?"
      values.append(.text(status))
    }
    if let origin = options.origin {
      sql += " AND b.origin = ?"
      values.append(.text(origin))
    }
    if let label = options.label {
      sql += " AND c.name = ?"
      values.append(.text(label))
    }
    sql += " ORDER BY b.id"
    struct Tile {
      var box: Int64
      var sha: String
      var rect: (Double, Double, Double, Double)
      var score: Double?
      var label: String?
      var image: Int64
    }
    let tiles = try database.rows(sql, values) {
      Tile(
        box: $0.int64(0), sha: $0.text(1) ?? "", rect: ($0.double(2), $0.double(3), $0.double(4), $0.double(5)),
        score: $0.isNull(6) ? nil : $0.double(6), label: $0.text(7), image: $0.int64(8))
    }
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
      let sheet = try DecodedImage.blank(width: options.columns * cell.width, height: rows * cell.height, gray: 40)
      var cache: [String: DecodedImage] = [:]
      for (n, tile) in chunk.enumerated() {
        let x = (n % options.columns) * cell.width + 4
        let y = (n / options.columns) * cell.height + 4
        do {
          let image: DecodedImage
          if let cached = cache[tile.sha] {
            image = cached
          } else {
            image = try DecodedImage(bytes: try store.read(tile.sha), maxPixels: options.maxPixels)
            cache[tile.sha] = image
          }
          let rect = Catalog.cropRect(
            tile.rect, margin: options.margin, square: true, width: image.width, height: image.height)
          guard rect.width > 0, rect.height > 0 else { throw AutoFaceError.notAnImage("box outside its image") }
          let scale = Double(t) / Double(max(rect.width, rect.height))
          let thumb = try image.cropped(
            to: rect, width: max(1, Int(Double(rect.width) * scale)), height: max(1, Int(Double(rect.height) * scale)))
          try sheet.paste(thumb, x: x, y: y)
          var text = "#\(tile.box)"
          if let score = tile.score { text += String(format: score >= 1 ? " %.0f" : " %.2f", score) }
          if let label = tile.label { text += " \(label.prefix(1))" }
          try sheet.drawText(text, x: x + 2, y: y + t + caption - 4, scale: 0.5, blue: 255, green: 255, red: 255)
          report.boxes.append(tile.box)
        } catch {
          report.failed.append(
            FaceImageIssue(
              imageID: tile.image, sha256: tile.sha,
              reason: "box \(tile.box): " + ((error as? LocalizedError)?.errorDescription ?? String(describing: error)))
          )
          try sheet.drawText("#\(tile.box) ?", x: x + 2, y: y + t / 2, scale: 0.5, blue: 80, green: 80, red: 255)
        }
      }
      page += 1
      let name = page == 1 ? base + ".png" : "\(base)-\(page).png"
      let bytes = try sheet.encoded(.png)
      guard FileManager.default.createFile(atPath: name, contents: Data(bytes)) else {
        throw AutoFaceError.modelMissing(path: name, hint: "cannot write the contact sheet there")
      }
      report.sheets.append(name)
      start += perSheet
    } while start < tiles.count
    return report
  }
}

extension DecodedImage {
  /// A new BGR image of one gray level.
  public static func blank(width: Int, height: Int, gray: Int) throws -> DecodedImage {
    var error = afs_error()
    var out: OpaquePointer?
    try check(afs_image_blank(Int32(width), Int32(height), Int32(gray), Int32(gray), Int32(gray), &out, &error), error)
    guard let out else { throw AutoFaceError.opencv(code: Int32(AFS_ERR_UNKNOWN), message: "no image returned") }
    return DecodedImage(handle: out)
  }

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
