import Catalog
import Foundation

/// How two images are compared: which hashes, and which of them against which.
public enum DedupMethod: String, Sendable, CaseIterable, Codable {
  /// The default: pHash of the whole image, and crosswise against the pHash of the other image's
  /// centre 94 % (`phash-centre`). The distance of a pair is the smallest of full↔full, full↔centre and
  /// centre↔full. It finds what plain pHash finds plus copies cropped by a few percent at the edges.
  case phashCentre = "phash+centre"
  case phash
  case dhash
  case ahash
  case phashImagehash = "phash-imagehash"
  case dhashImagehash = "dhash-imagehash"
  case ahashImagehash = "ahash-imagehash"

  /// The hash every image is indexed under (kind 0).
  var primary: HashAlgorithm {
    switch self {
    case .phashCentre, .phash: return .phash
    case .dhash: return .dhash
    case .ahash: return .ahash
    case .phashImagehash: return .phashImagehash
    case .dhashImagehash: return .dhashImagehash
    case .ahashImagehash: return .ahashImagehash
    }
  }

  /// The extra hash compared crosswise against `primary` (kind 1), if any.
  var secondary: HashAlgorithm? { self == .phashCentre ? .phashCentre : nil }

  /// Every hash the method needs.
  public var algorithms: Set<HashAlgorithm> { Set([primary] + (secondary.map { [$0] } ?? [])) }
}

/// Image pairs within a radius under a method, found exactly with `HammingIndex`.
public struct NearDuplicateSearch: Sendable {
  public let method: DedupMethod
  /// Image ids in index order.
  public let imageIDs: [Int64]
  let entryImage: [UInt32]
  let entryKind: [UInt8]
  let index: HammingIndex

  /// Indexes `hashes` (images lacking one of the method's hashes are left out).
  public init(method: DedupMethod, hashes: ImageHashes) {
    self.method = method
    var ids: [Int64] = []
    var values: [UInt64] = []
    var images: [UInt32] = []
    var kinds: [UInt8] = []
    for (id, imageHashes) in hashes.sorted(by: { $0.key < $1.key }) {
      guard let primary = imageHashes[method.primary] else { continue }
      var secondary: UInt64?
      if let algorithm = method.secondary {
        guard let value = imageHashes[algorithm] else { continue }
        secondary = value
      }
      let number = UInt32(ids.count)
      ids.append(id)
      values.append(primary)
      images.append(number)
      kinds.append(0)
      if let secondary {
        values.append(secondary)
        images.append(number)
        kinds.append(1)
      }
    }
    imageIDs = ids
    entryImage = images
    entryKind = kinds
    index = HammingIndex(values)
  }

  /// One near-duplicate pair of images (`first` < `second`, catalog ids).
  public struct Pair: Sendable, Hashable, Codable {
    public var first: Int64
    public var second: Int64
    public var distance: Int
  }

  /// Every pair of images within `radius`, each once, with its distance under the method.
  public func allPairs(radius: Int) -> [Pair] {
    var best: [UInt64: Int] = [:]
    for pair in index.allPairs(radius: radius) {
      let a = entryImage[Int(pair.first)]
      let b = entryImage[Int(pair.second)]
      guard a != b, entryKind[Int(pair.first)] == 0 || entryKind[Int(pair.second)] == 0 else { continue }
      let key = UInt64(min(a, b)) << 32 | UInt64(max(a, b))
      let distance = Int(pair.distance)
      if let known = best[key], known <= distance { continue }
      best[key] = distance
    }
    return best.map { key, distance in
      Pair(first: imageIDs[Int(key >> 32)], second: imageIDs[Int(key & 0xFFFF_FFFF)], distance: distance)
    }.sorted { ($0.first, $0.second) < ($1.first, $1.second) }
  }

  /// The indexed images within `radius` of an image with these hashes (a new arrival), nearest first.
  /// The image's own id, if indexed, is left out when given as `excluding`.
  public func matches(for hashes: [HashAlgorithm: UInt64], radius: Int, excluding: Int64? = nil) -> [(
    imageID: Int64, distance: Int
  )] {
    var best: [UInt32: Int] = [:]
    func record(_ found: [(index: Int, distance: Int)], allowCentre: Bool) {
      for hit in found where allowCentre || entryKind[hit.index] == 0 {
        let image = entryImage[hit.index]
        best[image] = min(best[image] ?? Int.max, hit.distance)
      }
    }
    if let primary = hashes[method.primary] {
      record(index.query(primary, radius: radius), allowCentre: true)
    }
    if let algorithm = method.secondary, let secondary = hashes[algorithm] {
      record(index.query(secondary, radius: radius), allowCentre: false)
    }
    return best.map { (imageIDs[Int($0.key)], $0.value) }
      .filter { $0.0 != excluding }
      .sorted { ($0.1, $0.0) < ($1.1, $1.0) }
  }

  /// The distance of two hashed images under the method (nil if one lacks a hash).
  public static func distance(
    _ a: [HashAlgorithm: UInt64], _ b: [HashAlgorithm: UInt64], method: DedupMethod
  ) -> Int? {
    guard let pa = a[method.primary], let pb = b[method.primary] else { return nil }
    var best = PerceptualHash.distance(pa, pb)
    if let algorithm = method.secondary, let ca = a[algorithm], let cb = b[algorithm] {
      best = min(best, PerceptualHash.distance(pa, cb), PerceptualHash.distance(ca, pb))
    }
    return best
  }
}

extension Catalog {
  /// The near-duplicate index of the catalog's stored hashes, for single-image queries of new arrivals
  /// (crawl, import): `matches(for: PerceptualHash.hashes(of: bytes, algorithms: method.algorithms), radius:)`.
  /// Images without stored hashes are not in it: run `computeHashes` (or `datasetkit dedup`) first.
  public func nearDuplicateSearch(method: DedupMethod = .phashCentre) throws -> NearDuplicateSearch {
    NearDuplicateSearch(method: method, hashes: try storedHashes(method.algorithms))
  }
}

/// A newly arrived image that looks like images already in the catalog.
public struct ArrivalMatch: Sendable, Codable, Equatable {
  public struct Match: Sendable, Codable, Equatable {
    public var imageID: Int64
    public var distance: Int
  }

  public var imageID: Int64
  /// Earlier images within the radius, nearest first.
  public var matches: [Match]
}

extension Catalog {
  /// Flags the images that arrived after image id `lastImageID` (an import or crawl run) and are
  /// near-duplicates of images already in the catalog. Only when the catalog already holds hashes for
  /// `method` (`datasetkit dedup` ran before): then the new images are hashed (stored, so the next dedup
  /// reuses them) and each is queried against the earlier ones. Returns nil when there is nothing to
  /// compare against. Nothing is marked: `datasetkit dedup` decides.
  public func nearDuplicateArrivals(
    after lastImageID: Int64, method: DedupMethod = .phashCentre, radius: Int = 8
  ) throws -> [ArrivalMatch]? {
    let hashedBefore = try DedupStore(catalog: self).hashedCount(method.primary, upTo: lastImageID)
    guard hashedBefore > 0 else { return nil }
    _ = try computeHashes(HashingOptions(algorithms: method.algorithms))
    let hashes = try storedHashes(method.algorithms)
    let search = NearDuplicateSearch(method: method, hashes: hashes.filter { $0.key <= lastImageID })
    return hashes.filter { $0.key > lastImageID }.sorted { $0.key < $1.key }.compactMap { id, imageHashes in
      let matches = search.matches(for: imageHashes, radius: radius)
      return matches.isEmpty
        ? nil
        : ArrivalMatch(
          imageID: id, matches: matches.map { ArrivalMatch.Match(imageID: $0.imageID, distance: $0.distance) })
    }
  }
}
