import Annotations
import Catalog
import Foundation
import Imaging
import Ingest
import Labeling

/// Which boxes a contact sheet shows.
public struct ContactSheetOptions: Sendable {
  /// Box status: proposed, accepted or rejected (nil: all).
  public var status: BoxStatus? = .proposed
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
  /// Images shown although their decoder warned (damaged data, a bad ICC profile, ...), by origin.
  public var decodeWarnings: [DecoderWarnings] = []
}

extension Catalog {
  /// Writes contact-sheet PNGs: a grid of thumbnails of the chosen boxes, each numbered with its box id
  /// (the id `review accept|reject|relabel` takes) and its score. `path` is the first sheet; more pages
  /// are written beside it as NAME-2.png, NAME-3.png, …
  public func contactSheets(_ options: ContactSheetOptions, path: String) throws -> ContactSheetReport {
    let boxes = try BoxStore(catalog: self).sheetBoxes(
      BoxFilter(status: options.status, origin: options.origin, label: options.label))
    let tiles = boxes.map { box in
      var text = "#\(box.id)"
      if let score = box.score { text += String(format: score >= 1 ? " %.0f" : " %.2f", score) }
      if let label = box.label { text += " \(label.prefix(1))" }
      return SheetTile(image: box.imageID, sha256: box.sha256, rect: box.rect, caption: text, box: box.id)
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
    try OutputFile.check(path, workspace: workspace)
    var page = 0
    var start = 0
    var warned: [(imageID: Int64, warnings: [String])] = []
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
            warned.append((tile.image, image.warnings))
          }
          try sheet.paste(try image.thumbnail(of: tile.rect, margin: options.margin, side: t), x: x, y: y)
          try sheet.drawText(
            tile.caption, x: x + 2, y: y + t + caption - 4, scale: 0.5, blue: 255, green: 255, red: 255)
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
      try OutputFile.write(bytes, to: name, workspace: workspace)
      report.sheets.append(name)
      start += perSheet
    } while start < tiles.count
    report.decodeWarnings = try decoderWarnings(warned)
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
  var rect: Box
  var caption: String
  /// The box shown, when it is a catalog box (its id is what `review accept` takes).
  var box: Int64? = nil
}
