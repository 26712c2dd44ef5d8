import Catalog
import Foundation
import Imaging
import Parallel

/// The card's pictures: small JPEGs (base64) decoded from the stored objects, keyed by SHA-256 and side.
public struct CardThumbnails: Sendable {
  /// Longer side of sample, cluster and leak thumbnails.
  public static let side = 72
  /// Longer side of a crop's parent photo.
  public static let parentSide = 200

  var base64: [String: String]
  /// Pictures decoded although their decoder warned (damaged data, a bad ICC profile, ...), by origin.
  public var decodeWarnings: [DecoderWarnings] = []

  public init() { base64 = [:] }

  func image(_ sha256: String, side: Int) -> String? { base64["\(sha256)@\(side)"] }

  /// Decodes every image the card shows (on all cores); an object that is missing, does not decode or would
  /// decode to more than `maxDecodedPixels` is drawn as an empty frame. Recording decoder warnings in the
  /// catalog's terms can fail (a catalog read): that is thrown, not dropped.
  public static func make(for card: DatasetCard, catalog: Catalog, maxDecodedPixels: Int = 40_000_000) throws
    -> CardThumbnails
  {
    var wanted: [(String, Int)] = []
    func add(_ image: CardImage) {
      wanted.append((image.sha256, side))
      if let parent = image.parent { wanted.append((parent.sha256, parentSide)) }
    }
    for strip in card.samples.strips { strip.samples.forEach(add) }
    for cluster in card.quality.duplicates.largest { cluster.shown.forEach(add) }
    for pair in card.quality.leakage?.shown ?? [] {
      add(pair.first)
      add(pair.second)
    }
    var seen = Set<String>()
    let jobs = wanted.filter { !$0.0.isEmpty && seen.insert("\($0.0)@\($0.1)").inserted }
    let store = catalog.store
    let results = concurrentMap(jobs) { sha256, side -> (base64: String, warnings: [String])? in
      guard let bytes = try? store.read(sha256) else { return nil }
      let made = bytes.withUnsafeBytes {
        DecodedImage.thumbnail(of: $0, side: side, quality: 70, maxDecodedPixels: maxDecodedPixels)
      }
      return made.map { (Data($0.jpeg).base64EncodedString(), $0.warnings) }
    }
    var thumbnails = CardThumbnails()
    var warned: [(sha256: String, warnings: [String])] = []
    for (index, job) in jobs.enumerated() {
      guard let value = results[index] else { continue }
      thumbnails.base64["\(job.0)@\(job.1)"] = value.base64
      if !value.warnings.isEmpty && !warned.contains(where: { $0.sha256 == job.0 }) {
        warned.append((job.0, value.warnings))
      }
    }
    if !warned.isEmpty {
      let ids = try catalog.imageIDs(sha256: warned.map(\.sha256))
      thumbnails.decodeWarnings = try catalog.decoderWarnings(
        warned.compactMap { item in ids[item.sha256].map { ($0, item.warnings) } })
    }
    return thumbnails
  }
}
