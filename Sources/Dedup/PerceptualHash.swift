import Catalog
import Foundation
import Imaging
import Ingest

/// A 64-bit perceptual hash algorithm. Values are stored in the catalog with `name` and `version`, so a
/// changed definition (a new version) never mixes with old values.
///
/// Bits are laid out row-major with the first cell in the most significant bit, so `hex(_:)` prints the
/// same 16 hex digits as Python `imagehash` prints for the same bits.
///
/// Two pixel pipelines:
/// - **fast** (`ahash`, `dhash`, `phash`, `phash-centre`): one grayscale decode, DCT-scaled for JPEG
///   (libjpeg decodes at 1/2, 1/4 or 1/8 of the size, the largest reduction that keeps the short side
///   at 64 px or more; other formats are decoded whole), then OpenCV's pixel-area shrink.
/// - **imagehash-compatible** (`*-imagehash`): a full colour decode, Pillow's `convert("L")` luma and
///   Pillow's antialiased Lanczos resize, reproduced exactly, so the bits agree with Python `imagehash`
///   except where the JPEG decoders or the last floating-point digit of the DCT differ.
///
/// Definitions (N×M = width × height of the shrunk gray image):
/// - aHash: 8×8; a bit is set where the pixel is brighter than the mean of the 64 pixels.
/// - dHash: 9×8; a bit is set where a pixel is brighter than its left neighbour (8 per row).
/// - pHash: 32×32; 2-D DCT-II (scipy's unnormalised scaling); the 8×8 lowest frequencies; a bit is set
///   where the coefficient is above their median.
/// - pHash-centre: pHash of the centre `HashAlgorithm.centreFraction` of the image (3 % trimmed at each
///   edge). A copy cropped by a few percent at each edge looks, at hash resolution, like this centre
///   region of its original, so comparing full and centre hashes crosswise finds crops a plain pHash misses.
public enum HashAlgorithm: String, Sendable, CaseIterable, Codable, Hashable {
  case ahash
  case dhash
  case phash
  case phashCentre = "phash-centre"
  /// pHash of the image mirrored left-right: compared against the other image's `phash`, it finds
  /// mirrored copies (the most common augmentation), which a plain pHash sees as unrelated.
  case phashMirror = "phash-mirror"
  /// pHash of the upper `HashAlgorithm.upperFraction` of the image: a painted mask over the lower face
  /// leaves it alone, so a painted copy and its original agree here where the whole-image hash does not.
  case phashUpper = "phash-upper"
  case ahashImagehash = "ahash-imagehash"
  case dhashImagehash = "dhash-imagehash"
  case phashImagehash = "phash-imagehash"

  /// The version stored with each value. Bump it when the definition changes.
  public var version: Int { 1 }

  /// The share of width and height kept by `phash-centre`.
  public static let centreFraction = 0.94

  /// The share of the height (from the top) that `phash-upper` hashes.
  public static let upperFraction = 0.45

  /// True for the Pillow-exact pipeline.
  public var isImagehashCompatible: Bool {
    switch self {
    case .ahashImagehash, .dhashImagehash, .phashImagehash: return true
    default: return false
    }
  }

  /// The short side (pixels) the fast pipeline's reduced decode keeps at least.
  public static let minimumDecodedSide = 64
}

/// Computes perceptual hashes of encoded images.
public enum PerceptualHash {
  /// 16 lowercase hex digits, as Python `imagehash` prints a 64-bit hash.
  public static func hex(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
  }

  /// The value of 16 hex digits (as `imagehash.hex_to_hash`), or nil.
  public static func value(hex: String) -> UInt64? {
    guard hex.count == 16 else { return nil }
    return UInt64(hex, radix: 16)
  }

  /// Hamming distance between two hashes.
  @inline(__always) public static func distance(_ a: UInt64, _ b: UInt64) -> Int {
    (a ^ b).nonzeroBitCount
  }

  /// All of `algorithms` for one encoded image, decoding it once per pixel pipeline (once in all when
  /// only fast or only imagehash-compatible algorithms are asked for). Refuses non-images and header
  /// bombs before decoding.
  public static func hashes(
    of bytes: UnsafeRawBufferPointer, algorithms: Set<HashAlgorithm>,
    maxPixels: Int = ImageHeader.defaultMaxPixels
  ) throws -> [HashAlgorithm: UInt64] {
    try hashesAndWarnings(of: bytes, algorithms: algorithms, maxPixels: maxPixels).hashes
  }

  /// ``hashes(of:algorithms:maxPixels:)`` and the decoder's warnings (``DecodedImage/warnings`` of each decode,
  /// without repeats), for a report.
  public static func hashesAndWarnings(
    of bytes: UnsafeRawBufferPointer, algorithms: Set<HashAlgorithm>,
    maxPixels: Int = ImageHeader.defaultMaxPixels
  ) throws -> (hashes: [HashAlgorithm: UInt64], warnings: [String]) {
    let all = try hashesWarningsAndViews(of: bytes, algorithms: algorithms, views: false, maxPixels: maxPixels)
    return (all.hashes, all.warnings)
  }

  /// ``hashesAndWarnings(of:algorithms:maxPixels:)`` and, with `views` (and a fast algorithm asked for), the
  /// fingerprint views made from the same grayscale decode.
  public static func hashesWarningsAndViews(
    of bytes: UnsafeRawBufferPointer, algorithms: Set<HashAlgorithm>, views: Bool,
    maxPixels: Int = ImageHeader.defaultMaxPixels
  ) throws -> (hashes: [HashAlgorithm: UInt64], warnings: [String], views: FingerprintViews?) {
    var fingerprintViews: FingerprintViews?
    var result: [HashAlgorithm: UInt64] = [:]
    var warnings: [String] = []
    func note(_ image: DecodedImage) {
      for warning in image.warnings where !warnings.contains(warning) { warnings.append(warning) }
    }
    try DecodedImage.checkHeader(bytes, maxPixels: maxPixels)
    let fast = algorithms.filter { !$0.isImagehashCompatible }
    if !fast.isEmpty {
      let gray = try reducedGray(bytes, maxPixels: maxPixels).image
      note(gray)
      // The 32×32 shrinks of the whole image, its centre and its upper part serve pHash, the mirrored pHash,
      // phash-centre, phash-upper and the fingerprint views alike: each is made once.
      var whole32: [UInt8]?
      var centre32: [UInt8]?
      var upper32: [UInt8]?
      func upperPixels() throws -> [UInt8] {
        if let upper32 { return upper32 }
        let pixels = try gray.resized(upper(of: gray), width: 32, height: 32, interpolation: .area).pixels()
        upper32 = pixels
        return pixels
      }
      func wholePixels() throws -> [UInt8] {
        if let whole32 { return whole32 }
        let pixels = try gray.resized(width: 32, height: 32, interpolation: .area).pixels()
        whole32 = pixels
        return pixels
      }
      func centrePixels() throws -> [UInt8] {
        if let centre32 { return centre32 }
        let pixels = try gray.resized(centre(of: gray), width: 32, height: 32, interpolation: .area).pixels()
        centre32 = pixels
        return pixels
      }
      // pHash and its mirror share one DCT: mirroring the columns flips the sign of the odd horizontal frequencies.
      var wholeLow: [Double]?
      func wholeCoefficients() throws -> [Double] {
        if let wholeLow { return wholeLow }
        let low = lowFrequencies(try wholePixels())
        wholeLow = low
        return low
      }
      for algorithm in fast {
        switch algorithm {
        case .phash: result[algorithm] = medianBits(try wholeCoefficients())
        case .phashMirror: result[algorithm] = medianBits(mirroredFrequencies(try wholeCoefficients()))
        case .phashCentre: result[algorithm] = try dctBits(try centrePixels())
        case .phashUpper: result[algorithm] = try dctBits(try upperPixels())
        default: result[algorithm] = try fastHash(algorithm, gray)
        }
      }
      if views {
        fingerprintViews =
          ImageFingerprint.side == 32
          ? FingerprintViews(
            whole: try wholePixels(), centre: try centrePixels(), upperSquare: try upperPixels())
          : try FingerprintViews(gray: gray)
      }
    }
    let compatible = algorithms.filter(\.isImagehashCompatible)
    if !compatible.isEmpty {
      let colour = try DecodedImage(bytes: bytes, grayscale: false, reduction: 1, maxPixels: maxPixels)
      note(colour)
      let luma = PILResample.luma(
        bgr: try colour.pixels(), width: colour.width, height: colour.height, channels: colour.channels)
      for algorithm in compatible {
        result[algorithm] = try imagehashCompatible(algorithm, luma, width: colour.width, height: colour.height)
      }
    }
    return (result, warnings, fingerprintViews)
  }

  /// The fast pipeline's decode: grayscale, and for JPEG DCT-scaled by the largest of 1/2, 1/4, 1/8 that keeps
  /// the short side at `HashAlgorithm.minimumDecodedSide` or more. The header is checked first.
  public static func reducedGray(
    _ bytes: UnsafeRawBufferPointer, maxPixels: Int, minimumSide: Int = HashAlgorithm.minimumDecodedSide
  ) throws -> (image: DecodedImage, reduction: Int) {
    let (format, width, height) = try DecodedImage.checkHeader(bytes, maxPixels: maxPixels)
    var reduction = 1
    if format == .jpeg {
      while reduction < 8 && min(width, height) / (reduction * 2) >= minimumSide {
        reduction *= 2
      }
    }
    return (try DecodedImage(bytes: bytes, grayscale: true, reduction: reduction, maxPixels: maxPixels), reduction)
  }

  /// Convenience for an array of bytes.
  public static func hashes(
    of bytes: [UInt8], algorithms: Set<HashAlgorithm>, maxPixels: Int = ImageHeader.defaultMaxPixels
  ) throws -> [HashAlgorithm: UInt64] {
    try bytes.withUnsafeBytes { try hashes(of: $0, algorithms: algorithms, maxPixels: maxPixels) }
  }

  static func fastHash(_ algorithm: HashAlgorithm, _ gray: DecodedImage) throws -> UInt64 {
    func shrunk(_ width: Int, _ height: Int, region: Box? = nil) throws -> [UInt8] {
      try gray.resized(region, width: width, height: height, interpolation: .area).pixels()
    }
    switch algorithm {
    case .ahash: return averageBits(try shrunk(8, 8))
    case .dhash: return differenceBits(try shrunk(9, 8))
    case .phash: return try dctBits(try shrunk(32, 32))
    case .phashCentre: return try dctBits(try shrunk(32, 32, region: centre(of: gray)))
    case .phashMirror: return try dctBits(mirrored(try shrunk(32, 32), width: 32))
    case .phashUpper: return try dctBits(try shrunk(32, 32, region: upper(of: gray)))
    default: preconditionFailure("not a fast algorithm: \(algorithm)")
    }
  }

  /// The centre region `phash-centre` hashes.
  static func centre(of image: DecodedImage) -> Box {
    let f = HashAlgorithm.centreFraction
    let w = max(1, Int((Double(image.width) * f).rounded()))
    let h = max(1, Int((Double(image.height) * f).rounded()))
    return Box(x: (image.width - w) / 2, y: (image.height - h) / 2, width: w, height: h)
  }

  /// The upper region `phash-upper` hashes.
  static func upper(of image: DecodedImage) -> Box {
    Box(
      x: 0, y: 0, width: image.width,
      height: max(1, Int((Double(image.height) * HashAlgorithm.upperFraction).rounded())))
  }

  /// Rows of `width` pixels, each reversed (a left-right mirror).
  static func mirrored<T>(_ pixels: [T], width: Int) -> [T] {
    var out = pixels
    for start in stride(from: 0, to: pixels.count, by: width) {
      for x in 0..<width { out[start + x] = pixels[start + width - 1 - x] }
    }
    return out
  }

  static func imagehashCompatible(_ algorithm: HashAlgorithm, _ luma: [UInt8], width: Int, height: Int)
    throws -> UInt64
  {
    func shrunk(_ w: Int, _ h: Int) -> [UInt8] {
      PILResample.resizeLanczos(luma, width: width, height: height, outWidth: w, outHeight: h)
    }
    switch algorithm {
    case .ahashImagehash: return averageBits(shrunk(8, 8))
    case .dhashImagehash: return differenceBits(shrunk(9, 8))
    case .phashImagehash: return try dctBits(shrunk(32, 32))
    default: preconditionFailure("not an imagehash-compatible algorithm: \(algorithm)")
    }
  }

  /// Packs 64 booleans, first into the most significant bit.
  static func pack(_ bits: some Sequence<Bool>) -> UInt64 {
    var value: UInt64 = 0
    for bit in bits { value = (value << 1) | (bit ? 1 : 0) }
    return value
  }

  static func averageBits(_ pixels: [UInt8]) -> UInt64 {
    let mean = Double(pixels.reduce(0) { $0 + Int($1) }) / Double(pixels.count)
    return pack(pixels.map { Double($0) > mean })
  }

  static func differenceBits(_ pixels: [UInt8]) -> UInt64 {
    var bits: [Bool] = []
    bits.reserveCapacity(64)
    for y in 0..<8 {
      for x in 0..<8 { bits.append(pixels[y * 9 + x + 1] > pixels[y * 9 + x]) }
    }
    return pack(bits)
  }

  /// pHash bits of 32×32 pixels: the 8×8 lowest frequencies of the 2-D DCT-II, above-median rule (as imagehash
  /// computes it with scipy.fftpack's unnormalised DCT-II, whose scale is the same for every coefficient, so the
  /// rule sees the same order).
  static func dctBits(_ pixels: [UInt8]) throws -> UInt64 {
    medianBits(lowFrequencies(pixels))
  }

  /// cos(π (2n + 1) k / 64) for k < 8, n < 32: the DCT-II basis of the frequencies pHash keeps.
  static let cosines: [Double] = (0..<8).flatMap { k in
    (0..<32).map { n in cos(Double.pi * Double((2 * n + 1) * k) / 64) }
  }

  /// The 8×8 lowest DCT-II coefficients of 32×32 pixels (row frequency × column frequency, unscaled sums): only
  /// the 64 coefficients pHash keeps, computed separably (a full 32×32 DCT costs 16 times more).
  static func lowFrequencies(_ pixels: [UInt8]) -> [Double] {
    precondition(pixels.count == 1024, "pHash needs 32×32 pixels")
    var rows = [Double](repeating: 0, count: 32 * 8)
    var out = [Double](repeating: 0, count: 64)
    cosines.withUnsafeBufferPointer { c in
      pixels.withUnsafeBufferPointer { p in
        rows.withUnsafeMutableBufferPointer { r in
          for y in 0..<32 {
            for v in 0..<8 {
              var sum = 0.0
              for x in 0..<32 { sum += Double(p[y * 32 + x]) * c[v * 32 + x] }
              r[y * 8 + v] = sum
            }
          }
        }
        rows.withUnsafeBufferPointer { r in
          out.withUnsafeMutableBufferPointer { o in
            for u in 0..<8 {
              for v in 0..<8 {
                var sum = 0.0
                for y in 0..<32 { sum += c[u * 32 + y] * r[y * 8 + v] }
                o[u * 8 + v] = sum
              }
            }
          }
        }
      }
    }
    return out
  }

  /// The low frequencies of the image mirrored left-right: cos(π (2(N−1−n) + 1) v / 2N) = (−1)^v cos(π (2n + 1) v
  /// / 2N), so the odd column frequencies change sign and nothing else does.
  static func mirroredFrequencies(_ low: [Double]) -> [Double] {
    var out = low
    for u in 0..<8 {
      for v in stride(from: 1, to: 8, by: 2) { out[u * 8 + v] = -low[u * 8 + v] }
    }
    return out
  }

  /// A bit per coefficient, set where it is above the median of the 64.
  static func medianBits(_ low: [Double]) -> UInt64 {
    let sorted = low.sorted()
    let median = (sorted[31] + sorted[32]) / 2
    return pack(low.map { $0 > median })
  }
}

extension PerceptualHash {
  /// A full-size colour decode and nothing else (the benchmark's baseline), after the same header check.
  public static func decodeOnly(_ bytes: [UInt8], maxPixels: Int = ImageHeader.defaultMaxPixels) throws {
    try bytes.withUnsafeBytes {
      _ = try DecodedImage(bytes: $0, grayscale: false, reduction: 1, maxPixels: maxPixels)
    }
  }
}
