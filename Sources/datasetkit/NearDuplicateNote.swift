import Catalog
import Dedup
import Foundation

/// A new image (from `import` or `crawl`) that looks like an image already in the catalog.
struct NearDuplicateNote: Encodable {
  var image: String
  var looksLike: String
  var distance: Int

  /// The arrivals after image id `lastID` that are near-duplicates of earlier images, by their first
  /// origin; nil when the catalog was never hashed (`datasetkit dedup`).
  static func arrivals(in catalog: Catalog, after lastID: Int64) throws -> [NearDuplicateNote]? {
    guard let arrivals = try catalog.nearDuplicateArrivals(after: lastID) else { return nil }
    func name(_ id: Int64) throws -> String { try catalog.originName(imageID: id) ?? "#\(id)" }
    return try arrivals.compactMap { arrival in
      guard let nearest = arrival.matches.first else { return nil }
      return NearDuplicateNote(
        image: try name(arrival.imageID), looksLike: try name(nearest.imageID), distance: nearest.distance)
    }
  }

  static func render(_ notes: [NearDuplicateNote]?, limit: Int) -> [String] {
    guard let notes, !notes.isEmpty else { return [] }
    var lines = ["Near-duplicates of images already in the catalog (datasetkit dedup clusters them):"]
    for note in notes.prefix(limit) {
      lines.append(
        "  \(Output.printable(note.image)) looks like \(Output.printable(note.looksLike)) (distance \(note.distance))")
    }
    if notes.count > limit { lines.append("  … and \(notes.count - limit) more (--verbose lists all)") }
    return lines
  }
}
