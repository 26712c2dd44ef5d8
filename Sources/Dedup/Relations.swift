import Catalog
import Foundation
import Imaging
import Ingest
import Parallel

/// How two images are tied: the same picture (`duplicate`: marked, one kept) or a picture made from the
/// other (`related`: a mirror image, a painted or edited copy; grouped for splits and `check leakage`, never
/// marked).
public enum ImageRelation: String, Sendable, Codable, Hashable, CaseIterable {
  case duplicate
  case related
}

/// What confirmed a pair (the finer comparison that passed).
public enum RelationEvidence: String, Sendable, Codable, Hashable, CaseIterable {
  /// The whole images agree pixel for pixel at fingerprint size (after a small crop, if any): the same picture.
  case same
  /// One is the other mirrored left-right.
  case mirror
  /// The upper part agrees, the lower part does not: a mask or something else painted over the lower face.
  case painted
  /// The whole images agree loosely (an edited copy, a larger crop): related, not the same picture.
  case edited
  /// The same picture under another label (set by `dedup`, which knows the labels): related, never marked.
  case labels
}

/// A confirmed pair of images (`first` < `second`, catalog ids).
public struct ImagePairRelation: Sendable, Codable, Hashable {
  public var first: Int64
  public var second: Int64
  public var relation: ImageRelation
  public var evidence: RelationEvidence
  /// Hamming distance of the hashes that made the pair a candidate (whole, mirrored or upper-part pHash).
  public var distance: Int
  /// The normalised cross-correlation that confirmed it (−1...1), under `evidence`.
  public var similarity: Double
}

/// The pixels of a fingerprint's views (whole, centre, upper part; 8-bit, area-shrunk): 2.5 KB an image, small
/// enough to keep from the hashing decode for the images a run hashes.
public struct FingerprintViews: Sendable {
  public let side: Int
  let whole: [UInt8]
  let centre: [UInt8]
  let upper: [UInt8]

  public init(gray: DecodedImage, side: Int = ImageFingerprint.side) throws {
    self.init(
      whole: try gray.resized(width: side, height: side, interpolation: .area).pixels(),
      centre: try gray.resized(PerceptualHash.centre(of: gray), width: side, height: side, interpolation: .area)
        .pixels(),
      upperSquare: try gray.resized(PerceptualHash.upper(of: gray), width: side, height: side, interpolation: .area)
        .pixels(), side: side)
  }

  /// The views of an encoded image, decoded as the hashes decode it (see ``ImageFingerprint/init(bytes:side:maxPixels:)``).
  public init(bytes: UnsafeRawBufferPointer, side: Int = ImageFingerprint.side, maxPixels: Int) throws {
    try self.init(gray: try PerceptualHash.reducedGray(bytes, maxPixels: maxPixels).image, side: side)
  }

  /// The views with the shrinks already made (by the hashing, at `side` × `side`): the whole image, its centre and
  /// its upper part (`phash-upper`'s pixels, whose row pairs are averaged into the side × side/2 upper view).
  init(whole: [UInt8], centre: [UInt8], upperSquare: [UInt8], side: Int = ImageFingerprint.side) {
    self.side = side
    self.whole = whole
    self.centre = centre
    var upper = [UInt8](repeating: 0, count: side * (side / 2))
    for y in 0..<(side / 2) {
      for x in 0..<side {
        upper[y * side + x] = UInt8(
          (Int(upperSquare[2 * y * side + x]) + Int(upperSquare[(2 * y + 1) * side + x]) + 1) / 2)
      }
    }
    self.upper = upper
  }

  /// The views as stored (the upper view already side × side/2).
  init(side: Int, whole: [UInt8], centre: [UInt8], upper: [UInt8]) {
    self.side = side
    self.whole = whole
    self.centre = centre
    self.upper = upper
  }
}

/// Small aligned greyscale views of one image, each zero-mean with unit norm, so the normalised
/// cross-correlation of two views is one dot product. Brightness and contrast changes leave them alone;
/// what changes them is a different picture.
public struct ImageFingerprint: Sendable {
  /// The side of the views, in pixels. 32 was chosen by measurement (see the README's Dedup section):
  /// 16 lets aligned faces of different people correlate like copies, 64 adds JPEG noise and time.
  public static let side = 32

  let side: Int
  /// The whole image.
  let full: [Float]
  /// The centre `HashAlgorithm.centreFraction` (a copy cropped a few percent at each edge looks like this).
  let centre: [Float]
  /// The upper `HashAlgorithm.upperFraction` (left alone by a mask painted over the lower face), side × side/2.
  let upper: [Float]
  /// The same three views high-passed (each pixel minus the mean of its 3×3 neighbourhood), normalised: the
  /// detail a re-encode, resize or brightness change keeps and a different face or another photo of the same
  /// person does not. Aligned faces share their coarse layout, so the coarse views alone cannot tell them apart.
  let fullDetail: [Float]
  let centreDetail: [Float]
  let upperDetail: [Float]
  /// A view with no variation (a blank image): correlation is undefined, the mean decides.
  let flat: Bool
  let mean: Float

  /// The views of a decoded grayscale image.
  public init(gray: DecodedImage, side: Int = ImageFingerprint.side) throws {
    self.init(views: try FingerprintViews(gray: gray, side: side))
  }

  /// The views made from their pixels (kept from the hashing decode, so a run that hashes does not decode twice).
  public init(views: FingerprintViews) {
    let side = views.side
    self.side = side
    let (normalisedFull, mean, flat) = Self.normalised(views.whole)
    full = normalisedFull
    self.mean = mean
    self.flat = flat
    centre = Self.normalised(views.centre).values
    upper = Self.normalised(views.upper).values
    fullDetail = Self.detail(views.whole, width: side)
    centreDetail = Self.detail(views.centre, width: side)
    upperDetail = Self.detail(views.upper, width: side)
  }

  /// The fingerprints of `ids` from their kept views (on all cores); ids without views are left out.
  public static func fingerprints(views: [Int64: FingerprintViews], of ids: some Collection<Int64>) -> [Int64:
    ImageFingerprint]
  {
    let known = ids.filter { views[$0] != nil }
    let made = concurrentMap(known) { id in views[id].map(ImageFingerprint.init(views:)) }
    var result: [Int64: ImageFingerprint] = [:]
    result.reserveCapacity(known.count)
    for (id, fingerprint) in zip(known, made) { result[id] = fingerprint }
    return result
  }

  /// Each pixel minus the mean of its 3×3 neighbourhood (edges clamped), zero-mean with unit norm (zeros when flat).
  static func detail(_ pixels: [UInt8], width: Int) -> [Float] {
    let height = pixels.count / width
    guard width > 0, height > 0 else { return [] }
    // The image with its edge pixels repeated once around it, so every 3×3 sum reads in bounds; sums of at most
    // nine 8-bit values are exact in Float, so the order of the additions does not matter.
    let paddedWidth = width + 2
    var padded = [Float](repeating: 0, count: paddedWidth * (height + 2))
    var values = [Float](repeating: 0, count: pixels.count)
    pixels.withUnsafeBufferPointer { p in
      padded.withUnsafeMutableBufferPointer { q in
        for y in -1...height {
          let sy = min(height - 1, max(0, y))
          for x in -1...width {
            q[(y + 1) * paddedWidth + x + 1] = Float(p[sy * width + min(width - 1, max(0, x))])
          }
        }
      }
    }
    padded.withUnsafeBufferPointer { q in
      values.withUnsafeMutableBufferPointer { v in
        for y in 0..<height {
          let above = y * paddedWidth
          let row = above + paddedWidth
          let below = row + paddedWidth
          for x in 0..<width {
            var sum = q[above + x] + q[above + x + 1]
            sum += q[above + x + 2]
            sum += q[row + x] + q[row + x + 1]
            sum += q[row + x + 2]
            sum += q[below + x] + q[below + x + 1]
            sum += q[below + x + 2]
            v[y * width + x] = q[row + x + 1] - sum / 9
          }
        }
      }
    }
    return values.withUnsafeMutableBufferPointer { v -> [Float] in
      var total: Float = 0
      for i in 0..<v.count { total += v[i] }
      let mean = total / Float(v.count)
      var squares: Float = 0
      for i in 0..<v.count {
        v[i] -= mean
        squares += v[i] * v[i]
      }
      let norm = squares.squareRoot()
      guard norm > 1e-3 else { return [Float](repeating: 0, count: v.count) }
      let scale = 1 / norm
      for i in 0..<v.count { v[i] *= scale }
      return Array(v)
    }
  }

  /// The views of an encoded image, decoded as the hashes decode it (grayscale, DCT-reduced for JPEG to a short
  /// side of 64 or more). Decoding smaller (a short side of 32) halves the work but misaligns a copy cropped 3 %
  /// from its original when the two land on different reductions: crop recall fell from 119/121 to 45/121.
  public init(bytes: UnsafeRawBufferPointer, side: Int = ImageFingerprint.side, maxPixels: Int) throws {
    try self.init(gray: try PerceptualHash.reducedGray(bytes, maxPixels: maxPixels).image, side: side)
  }

  static func normalised(_ pixels: [UInt8]) -> (values: [Float], mean: Float, flat: Bool) {
    let count = Float(pixels.count)
    var total = 0
    for pixel in pixels { total += Int(pixel) }
    let mean = Float(total) / count
    var values = [Float](repeating: 0, count: pixels.count)
    var squares: Float = 0
    pixels.withUnsafeBufferPointer { p in
      values.withUnsafeMutableBufferPointer { v in
        for i in 0..<p.count {
          let value = Float(p[i]) - mean
          v[i] = value
          squares += value * value
        }
      }
    }
    let norm = squares.squareRoot()
    // Less than one grey level of spread on average: nothing to correlate.
    guard norm >= count.squareRoot() else { return ([Float](repeating: 0, count: pixels.count), mean, true) }
    let scale = 1 / norm
    values.withUnsafeMutableBufferPointer { v in
      for i in 0..<v.count { v[i] *= scale }
    }
    return (values, mean, false)
  }

  /// `a` · `b` (eight running sums, which the compiler keeps in one vector register).
  static func dot(_ a: [Float], _ b: [Float]) -> Double {
    let count = min(a.count, b.count)
    return a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        var sums = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= count {
          sums +=
            SIMD8(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5], a[i + 6], a[i + 7])
            * SIMD8(b[i], b[i + 1], b[i + 2], b[i + 3], b[i + 4], b[i + 5], b[i + 6], b[i + 7])
          i += 8
        }
        var sum = sums.sum()
        while i < count {
          sum += a[i] * b[i]
          i += 1
        }
        return Double(sum)
      }
    }
  }

  /// `a` · mirror(`b`), rows of `width`.
  static func mirroredDot(_ a: [Float], _ b: [Float], width: Int) -> Double {
    let count = min(a.count, b.count)
    return a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        var sums = SIMD8<Float>(repeating: 0)
        var start = 0
        while start + width <= count {
          let end = start + width - 1
          var x = 0
          while x + 8 <= width {
            let i = start + x
            let j = end - x
            sums +=
              SIMD8(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4], a[i + 5], a[i + 6], a[i + 7])
              * SIMD8(b[j], b[j - 1], b[j - 2], b[j - 3], b[j - 4], b[j - 5], b[j - 6], b[j - 7])
            x += 8
          }
          var sum: Float = 0
          while x < width {
            sum += a[start + x] * b[end - x]
            x += 1
          }
          sums[0] += sum
          start += width
        }
        return Double(sums.sum())
      }
    }
  }

  /// A comparison: the correlation of the coarse views and of their detail, under the best alignment.
  public struct Similarity: Sendable, Equatable {
    public var coarse: Double
    public var detail: Double
    /// For the whole images (``sameSimilarity(_:)``): the largest difference of one 8×8 block of the aligned coarse
    /// views (root mean square, in standard deviations of the image). A copy that is the same picture differs a
    /// little everywhere; a copy with something painted over part of it differs a lot in the painted blocks.
    public var localDifference: Double = 0
    /// The weaker of the two: a pair is only as alike as its less alike scale.
    public var score: Double { min(coarse, detail) }
  }

  /// The best of several alignments, by the weaker of coarse and detail correlation.
  static func best(_ candidates: [Similarity]) -> Similarity {
    candidates.max { $0.score < $1.score } ?? Similarity(coarse: 0, detail: 0)
  }

  /// The whole images compared as they are, and each against the other's centre (a small crop).
  public func sameSimilarity(_ other: ImageFingerprint) -> Similarity {
    if flat || other.flat {
      let same: Double = flat && other.flat && abs(mean - other.mean) < 8 ? 1 : 0
      return Similarity(coarse: same, detail: same)
    }
    let alignments = [(full, other.full), (centre, other.full), (full, other.centre)]
    let similarities = [
      Similarity(coarse: Self.dot(full, other.full), detail: Self.dot(fullDetail, other.fullDetail)),
      Similarity(coarse: Self.dot(centre, other.full), detail: Self.dot(centreDetail, other.fullDetail)),
      Similarity(coarse: Self.dot(full, other.centre), detail: Self.dot(fullDetail, other.centreDetail)),
    ]
    var bestIndex = 0
    for index in similarities.indices where similarities[index].score > similarities[bestIndex].score {
      bestIndex = index
    }
    var result = similarities[bestIndex]
    result.localDifference = Self.largestBlockDifference(
      alignments[bestIndex].0, alignments[bestIndex].1, side: side)
    return result
  }

  /// The largest root-mean-square difference of one 8×8 block of two normalised views (side × side), in standard
  /// deviations: a normalised view is (pixel − mean) / (σ · side).
  static func largestBlockDifference(_ a: [Float], _ b: [Float], side: Int, block: Int = 8) -> Double {
    guard a.count == side * side, b.count == a.count, side >= block else { return 0 }
    var largest: Float = 0
    let scale = Float(side * side) / Float(block * block)
    a.withUnsafeBufferPointer { a in
      b.withUnsafeBufferPointer { b in
        for by in stride(from: 0, through: side - block, by: block) {
          for bx in stride(from: 0, through: side - block, by: block) {
            var sum: Float = 0
            for y in by..<(by + block) {
              for x in bx..<(bx + block) {
                let d = a[y * side + x] - b[y * side + x]
                sum += d * d
              }
            }
            largest = max(largest, sum * scale)
          }
        }
      }
    }
    return Double(largest.squareRoot())
  }

  /// The whole images compared with one mirrored left-right.
  public func mirrorSimilarity(_ other: ImageFingerprint) -> Similarity {
    if flat || other.flat { return Similarity(coarse: 0, detail: 0) }
    func m(_ a: [Float], _ b: [Float]) -> Double { Self.mirroredDot(a, b, width: side) }
    return Self.best([
      Similarity(coarse: m(full, other.full), detail: m(fullDetail, other.fullDetail)),
      Similarity(coarse: m(centre, other.full), detail: m(centreDetail, other.fullDetail)),
      Similarity(coarse: m(full, other.centre), detail: m(fullDetail, other.centreDetail)),
    ])
  }

  /// The upper parts compared (as they are, and mirrored).
  public func upperSimilarity(_ other: ImageFingerprint) -> Similarity {
    if flat || other.flat { return Similarity(coarse: 0, detail: 0) }
    return Self.best([
      Similarity(coarse: Self.dot(upper, other.upper), detail: Self.dot(upperDetail, other.upperDetail)),
      Similarity(
        coarse: Self.mirroredDot(upper, other.upper, width: side),
        detail: Self.mirroredDot(upperDetail, other.upperDetail, width: side)),
    ])
  }
}

/// The thresholds that turn a hash candidate into a relation, chosen by measurement on the tuning set
/// (opencv-doc photos and the even-numbered voc-facemask images; see the README's Dedup section).
public struct RelationThresholds: Sendable, Codable, Equatable {
  /// Whole-image correlation (coarse and detail) at or above which a candidate within the radius is the same
  /// picture.
  public var same = 0.88
  /// The largest block difference (``ImageFingerprint/Similarity/localDifference``) at or below which a pair that
  /// passes `same` is the same picture; above it, part of the picture was painted over: related (painted).
  public var sameLocal = 0.6
  /// Mirrored whole-image correlation (coarse and detail) at or above which a pair is a mirror image.
  public var mirror = 0.85
  /// Upper-part correlation (coarse and detail) at or above which a pair is a painted copy.
  public var painted = 0.85
  /// Whole-image coarse correlation, and detail correlation, at or above which a pair is an edited copy (related):
  /// a copy that is not confirmed the same picture (a noisy or line-drawn photo whose detail a resize or q40 loses)
  /// still travels with its original.
  public var edited = 0.90
  public var editedDetail = 0.75
  /// Candidate radius for related pairs (mirrored, upper-part and whole hashes), beyond the marking radius.
  public var relatedRadius = 12

  public init() {}
}

/// Decides the relation of a candidate pair from the two fingerprints: the same picture first, then a mirror,
/// a painted copy, an edited copy; nil when none holds (two pictures that happen to hash alike, such as aligned
/// faces of two people).
public func confirmRelation(
  _ a: ImageFingerprint, _ b: ImageFingerprint, wholeDistance: Int?, radius: Int,
  thresholds: RelationThresholds = RelationThresholds()
) -> (relation: ImageRelation, evidence: RelationEvidence, similarity: Double)? {
  let whole = a.sameSimilarity(b)
  let same = whole.score
  if let wholeDistance, wholeDistance <= radius, same >= thresholds.same {
    return whole.localDifference <= thresholds.sameLocal ? (.duplicate, .same, same) : (.related, .painted, same)
  }
  let mirror = a.mirrorSimilarity(b).score
  if mirror >= thresholds.mirror { return (.related, .mirror, mirror) }
  let upper = a.upperSimilarity(b).score
  if upper >= thresholds.painted { return (.related, .painted, upper) }
  if whole.coarse >= thresholds.edited && whole.detail >= thresholds.editedDetail {
    return (.related, .edited, whole.detail)
  }
  return nil
}

/// The hashes the relations need besides the method's own.
public let relationAlgorithms: Set<HashAlgorithm> = [.phash, .phashMirror, .phashUpper]

/// Candidate pairs of the relation search and the hash distance that found each.
public struct RelationCandidates: Sendable {
  /// (first, second) with first < second → the smallest distance of each kind of hash.
  public var whole: [PairKey: Int] = [:]
  public var mirror: [PairKey: Int] = [:]
  public var upper: [PairKey: Int] = [:]

  public struct PairKey: Sendable, Hashable, Comparable {
    public var first: Int64
    public var second: Int64
    public init(_ a: Int64, _ b: Int64) {
      first = min(a, b)
      second = max(a, b)
    }
    public static func < (l: PairKey, r: PairKey) -> Bool { (l.first, l.second) < (r.first, r.second) }
  }

  /// Drops the candidates `keep` refuses (before any is decoded): e.g. the leakage check's pairs inside one subset.
  public mutating func keepOnly(_ keep: (PairKey) -> Bool) {
    whole = whole.filter { keep($0.key) }
    mirror = mirror.filter { keep($0.key) }
    upper = upper.filter { keep($0.key) }
  }

  /// Every candidate pair once, in id order.
  public var all: [PairKey] { Set(whole.keys).union(mirror.keys).union(upper.keys).sorted() }

  /// Finds the candidates: whole-image pairs within `relatedRadius` under `method`, mirrored pHash of one
  /// against pHash of the other, and upper-part pHashes, each within `relatedRadius` (exact search).
  public init(method: DedupMethod, hashes: ImageHashes, relatedRadius: Int) {
    for pair in NearDuplicateSearch(method: method, hashes: hashes).allPairs(radius: relatedRadius) {
      whole[PairKey(pair.first, pair.second)] = pair.distance
    }
    var ids: [Int64] = []
    var values: [UInt64] = []
    var mirrored: [Bool] = []
    var upperIDs: [Int64] = []
    var upperValues: [UInt64] = []
    for (id, h) in hashes.sorted(by: { $0.key < $1.key }) {
      if let plain = h[.phash], let flipped = h[.phashMirror] {
        ids += [id, id]
        values += [plain, flipped]
        mirrored += [false, true]
      }
      if let up = h[.phashUpper] {
        upperIDs.append(id)
        upperValues.append(up)
      }
    }
    for pair in HammingIndex(values).allPairs(radius: relatedRadius) {
      let (i, j) = (Int(pair.first), Int(pair.second))
      guard ids[i] != ids[j], mirrored[i] != mirrored[j] else { continue }
      let key = PairKey(ids[i], ids[j])
      mirror[key] = min(mirror[key] ?? Int.max, Int(pair.distance))
    }
    for pair in HammingIndex(upperValues).allPairs(radius: relatedRadius) {
      let key = PairKey(upperIDs[Int(pair.first)], upperIDs[Int(pair.second)])
      upper[key] = min(upper[key] ?? Int.max, Int(pair.distance))
    }
  }
}

/// What the relation search found.
public struct RelationSearchResult: Sendable {
  public var candidates: Int
  /// Confirmed pairs, in id order.
  public var relations: [ImagePairRelation]
  /// Images whose fingerprint could not be made (they were hashed, so this is rare: a file gone from the store).
  public var unreadable: [Int64: String]
  /// Pairs within the radius by the whole-image hash that could not be confirmed (an image unreadable): `dedup`
  /// marks nothing for them, `check leakage` still reports them by their hash.
  public var unconfirmed: [NearDuplicateSearch.Pair] = []
}

extension Catalog {
  /// Confirms hash candidates with fingerprints: each image in a candidate pair is decoded once (all cores) unless
  /// `views` holds its views already (kept from the hashing decode), and every pair gets its relation, or none.
  /// Memory stays bounded: the views wait in a temporary file, and fingerprints are made for a few thousand
  /// images at a time (``RelationCandidates/confirmed(views:radius:thresholds:imagesPerRound:)``). `hashes` must hold the method's hashes and `relationAlgorithms`.
  /// With `labels` (each image's effective label key), the same picture under another label is related
  /// (`labels` evidence), not a duplicate: it is a real example of its class. With `only`, the candidates it
  /// refuses are dropped before any image is decoded.
  public func confirmRelations(
    method: DedupMethod, radius: Int, hashes: ImageHashes, thresholds: RelationThresholds = RelationThresholds(),
    labels: [Int64: String]? = nil, views: FingerprintViewStore? = nil,
    maxPixels: Int = ImageHeader.defaultMaxPixels, only keep: ((RelationCandidates.PairKey) -> Bool)? = nil
  ) throws -> RelationSearchResult {
    var candidates = RelationCandidates(
      method: method, hashes: hashes, relatedRadius: max(radius, thresholds.relatedRadius))
    if let keep { candidates.keepOnly(keep) }
    let keys = candidates.all
    var involved: Set<Int64> = []
    for key in keys {
      involved.insert(key.first)
      involved.insert(key.second)
    }
    // Images hashed in this run brought their views from the hashing decode; the others are decoded now, a batch
    // at a time, into the same temporary file.
    let viewStore = try views ?? FingerprintViewStore(folder: workspace.root)
    let shas = try DedupStore(catalog: self).deduplicableImages().filter {
      involved.contains($0.id) && !viewStore.contains($0.id)
    }
    let store = self.store
    var unreadable: [Int64: String] = [:]
    var start = 0
    while start < shas.count {
      let batch = shas[start..<min(shas.count, start + 1024)]
      let results = concurrentResults(Array(batch)) { item in
        try store.read(item.sha256).withUnsafeBytes { try FingerprintViews(bytes: $0, maxPixels: maxPixels) }
      }
      for (item, result) in zip(batch, results) {
        switch result {
        case .success(let itemViews): try viewStore.append(item.id, itemViews)
        case .failure(let error):
          unreadable[item.id] = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
        }
      }
      start += batch.count
    }
    let unconfirmed = candidates.whole.filter { key, distance in
      distance <= radius && (!viewStore.contains(key.first) || !viewStore.contains(key.second))
    }.map { NearDuplicateSearch.Pair(first: $0.key.first, second: $0.key.second, distance: $0.value) }
      .sorted { ($0.first, $0.second) < ($1.first, $1.second) }
    var relations = candidates.confirmed(views: viewStore, radius: radius, thresholds: thresholds)
    if let labels { applyLabelRule(&relations, labels: labels) }
    return RelationSearchResult(
      candidates: keys.count, relations: relations, unreadable: unreadable, unconfirmed: unconfirmed)
  }
}

extension RelationCandidates {
  /// The candidates whose fingerprints confirm a relation, in id order (pairs lacking a fingerprint are left out).
  /// On all cores, in chunks of candidates.
  public func confirmed(
    fingerprints: [Int64: ImageFingerprint], radius: Int, thresholds: RelationThresholds = RelationThresholds()
  ) -> [ImagePairRelation] {
    let keys = all
    return confirmed(keys[...], fingerprints: fingerprints, radius: radius, thresholds: thresholds)
  }

  /// ``confirmed(fingerprints:radius:thresholds:)`` with the views in a store: the candidates in id order, a round
  /// of them at a time, each round's fingerprints (20 KB an image) made for at most `imagesPerRound` images and
  /// dropped after it, so memory does not grow with the catalog. An image whose pairs fall in several rounds has its
  /// fingerprint made once: kept in an unlinked temporary file beside the views and read back in later rounds.
  /// The result is the same.
  public func confirmed(
    views: FingerprintViewStore, radius: Int, thresholds: RelationThresholds = RelationThresholds(),
    imagesPerRound: Int = 8192
  ) -> [ImagePairRelation] {
    let keys = all
    var rounds: [(keys: Range<Int>, ids: [Int64])] = []
    var start = 0
    while start < keys.count {
      var ids: Set<Int64> = []
      var end = start
      while end < keys.count {
        let key = keys[end]
        let extra = (ids.contains(key.first) ? 0 : 1) + (ids.contains(key.second) ? 0 : 1)
        if end > start && ids.count + extra > imagesPerRound { break }
        ids.insert(key.first)
        ids.insert(key.second)
        end += 1
      }
      rounds.append((start..<end, Array(ids)))
      start = end
    }
    // Each image's last round: a fingerprint needed again later is kept when made (when the file cannot be
    // written, or read back, it is made again: the same values).
    var lastRound: [Int64: Int] = [:]
    if rounds.count > 1 {
      for (number, round) in rounds.enumerated() { for id in round.ids { lastRound[id] = number } }
    }
    let kept = rounds.count > 1 ? try? FingerprintStore(folder: views.folder, side: views.side) : nil
    var relations: [ImagePairRelation] = []
    for (number, round) in rounds.enumerated() {
      let stored = round.ids.filter { kept?.contains($0) == true }
      let fresh = round.ids.filter { kept?.contains($0) != true }
      let made = concurrentMap(fresh) { id in views.views(of: id).map(ImageFingerprint.init(views:)) }
      let readBack = concurrentMap(stored) { id in
        kept?.fingerprint(of: id) ?? views.views(of: id).map(ImageFingerprint.init(views:))
      }
      var fingerprints: [Int64: ImageFingerprint] = [:]
      fingerprints.reserveCapacity(round.ids.count)
      for (id, fingerprint) in zip(stored, readBack) { fingerprints[id] = fingerprint }
      for (id, fingerprint) in zip(fresh, made) {
        fingerprints[id] = fingerprint
        if let kept, let fingerprint, (lastRound[id] ?? number) > number { try? kept.append(id, fingerprint) }
      }
      relations += confirmed(keys[round.keys], fingerprints: fingerprints, radius: radius, thresholds: thresholds)
    }
    return relations
  }

  func confirmed(
    _ keys: ArraySlice<PairKey>, fingerprints: [Int64: ImageFingerprint], radius: Int,
    thresholds: RelationThresholds
  ) -> [ImagePairRelation] {
    let chunk = 512
    let chunks = stride(from: keys.startIndex, to: keys.endIndex, by: chunk).map {
      keys[$0..<min(keys.endIndex, $0 + chunk)]
    }
    let whole = self.whole
    let mirror = self.mirror
    let upper = self.upper
    return concurrentMap(chunks) { chunk -> [ImagePairRelation] in
      var relations: [ImagePairRelation] = []
      for key in chunk {
        guard let a = fingerprints[key.first], let b = fingerprints[key.second] else { continue }
        let wholeDistance = whole[key]
        guard
          let found = confirmRelation(a, b, wholeDistance: wholeDistance, radius: radius, thresholds: thresholds)
        else { continue }
        let distance: Int
        switch found.evidence {
        case .same, .edited, .labels: distance = wholeDistance ?? upper[key] ?? mirror[key] ?? -1
        case .mirror: distance = mirror[key] ?? wholeDistance ?? upper[key] ?? -1
        case .painted: distance = upper[key] ?? wholeDistance ?? mirror[key] ?? -1
        }
        relations.append(
          ImagePairRelation(
            first: key.first, second: key.second, relation: found.relation, evidence: found.evidence,
            distance: distance, similarity: (found.similarity * 1000).rounded() / 1000))
      }
      return relations
    }.flatMap { $0 }
  }
}
