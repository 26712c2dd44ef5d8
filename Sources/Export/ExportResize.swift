import Annotations
import Catalog
import Foundation
import Imaging
import Ingest

/// Resizing at export (`--max-side N` / `--short-side N`): an image larger than the bound is decoded,
/// shrunk with its aspect kept (pixel-area averaging) and written as a new file; its boxes are scaled with
/// it. An image within the bound is never upscaled: it is placed as without a bound (copied or linked).
///
/// A resized JPEG, WebP, BMP or GIF is written as JPEG at `jpegQuality`; a resized PNG stays PNG
/// (lossless). Resized files are new bytes, so `--link hard|sym` links only the images left as they were.
/// The manifest gives each resized file its own SHA-256 and the original's under `original`.
public struct ExportResize: Sendable, Equatable {
  public enum Bound: Sendable, Equatable {
    /// The longer side at most N pixels.
    case maxSide(Int)
    /// The shorter side at most N pixels (torchvision's `Resize(N)`).
    case shortSide(Int)
  }

  /// The smallest and largest bound accepted (pixels).
  public static let sides = 8...32768
  /// The JPEG qualities accepted.
  public static let qualities = 1...100
  public static let defaultJPEGQuality = 95

  public var bound: Bound
  public var jpegQuality: Int

  public init(bound: Bound, jpegQuality: Int = ExportResize.defaultJPEGQuality) {
    self.bound = bound
    self.jpegQuality = jpegQuality
  }

  /// The size an image of `width`×`height` is written at, or nil when it is within the bound (left as is).
  /// The bounded side is exactly N; the other is rounded, at least 1.
  public func target(width: Int, height: Int) -> (width: Int, height: Int)? {
    guard width > 0, height > 0 else { return nil }
    let (side, limit) =
      switch bound {
      case .maxSide(let n): (max(width, height), n)
      case .shortSide(let n): (min(width, height), n)
      }
    guard side > limit else { return nil }
    let scale = Double(limit) / Double(side)
    func fit(_ value: Int) -> Int { value == side ? limit : max(1, Int((Double(value) * scale).rounded())) }
    return (fit(width), fit(height))
  }

  /// The extension a resized file is written with: `png` stays, a JPEG keeps its own (`jpg`, `jpeg`), the
  /// others become `jpg`.
  public static func writtenExtension(_ fileExtension: String) -> String {
    switch fileExtension.lowercased() {
    case "png", "jpg", "jpeg": fileExtension
    default: "jpg"
    }
  }

  /// A box of an image of `from` pixels in an image of `to` pixels: each coordinate scaled by its axis's
  /// factor, rounded to whole pixels and kept inside the image.
  static func scale(_ box: Box, from: (width: Int, height: Int), to: (width: Int, height: Int)) -> Box {
    let sx = Double(to.width) / Double(from.width)
    let sy = Double(to.height) / Double(from.height)
    func fit(_ value: Double, _ factor: Double, _ limit: Int) -> Double {
      min(Double(limit), max(0, (value * factor).rounded()))
    }
    return Box(
      xmin: fit(box.xmin, sx, to.width), ymin: fit(box.ymin, sy, to.height), xmax: fit(box.xmax, sx, to.width),
      ymax: fit(box.ymax, sy, to.height), label: box.label)
  }

  /// The bytes of object `sha256` shrunk to `size`, encoded as `fileExtension` says (PNG, else JPEG at
  /// `jpegQuality`). The decode is header-checked like every decode; the decoded image's own orientation
  /// (EXIF applied) decides which side is which. A JPEG whose sides both divide by 2, 4 or 8 and stay at least
  /// the target's is decoded DCT-scaled by that factor (most of the decode skipped; every output pixel still
  /// covers the same square of source pixels, so boxes stay aligned).
  func resizedBytes(of bytes: [UInt8], size: (width: Int, height: Int), fileExtension: String) throws -> [UInt8] {
    let header = try bytes.withUnsafeBytes { try DecodedImage.checkHeader($0, maxPixels: ImageHeader.defaultMaxPixels) }
    var reduction = 1
    if header.format == .jpeg {
      let (long, short) = (max(size.width, size.height), min(size.width, size.height))
      for factor in [8, 4, 2] where reduction == 1 {
        if header.width % factor == 0 && header.height % factor == 0
          && max(header.width, header.height) / factor >= long && min(header.width, header.height) / factor >= short
        {
          reduction = factor
        }
      }
    }
    let image = try bytes.withUnsafeBytes {
      try DecodedImage(bytes: $0, grayscale: false, reduction: reduction)
    }
    // A decoder that turned the image (EXIF orientation) gives the other side first.
    let turned = (image.width > image.height) != (size.width > size.height) && size.width != size.height
    let small = try image.resized(
      width: turned ? size.height : size.width, height: turned ? size.width : size.height, interpolation: .area)
    return try small.encoded(fileExtension.lowercased() == "png" ? .png : .jpeg(quality: jpegQuality))
  }

  /// The manifest's and CLI's description, e.g. `max-side 512, JPEG quality 95`.
  public var summary: String {
    switch bound {
    case .maxSide(let n): "max-side \(n), JPEG quality \(jpegQuality)"
    case .shortSide(let n): "short-side \(n), JPEG quality \(jpegQuality)"
    }
  }

  /// The `resize` object of `manifest.json`.
  var manifest: ManifestResize {
    switch bound {
    case .maxSide(let n): ManifestResize(maxSide: n, jpegQuality: jpegQuality)
    case .shortSide(let n): ManifestResize(shortSide: n, jpegQuality: jpegQuality)
    }
  }
}

/// The resize an export was made with, in `manifest.json`: the bound, the JPEG quality, how pixels were
/// sampled and that nothing is upscaled.
struct ManifestResize: Codable {
  var maxSide: Int?
  var shortSide: Int?
  var jpegQuality: Int
  var interpolation = "area"
  var upscale = false
}

/// The original of a resized image, in the manifest.
struct ManifestOriginal: Codable {
  var sha256: String
  var width: Int
  var height: Int
}

extension Encodable {
  /// The value as a JSON object, as `JSONEncoder` writes it (absent optionals left out): for the manifests
  /// built as JSON objects (box formats, WebDataset samples).
  var jsonObject: [String: Any] {
    guard let data = try? JSONEncoder().encode(self),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return [:] }
    return object
  }
}

/// An image as placed in an export: the bytes written (their SHA-256 and size) and, when resized, the
/// original's.
struct PlacedImage {
  var sha256: String
  var original: ManifestOriginal?
  /// A hard link that had to become a copy.
  var copiedInsteadOfLinked = false
}

/// The one way an export puts an image in place: resized to `size` (a new file) or, when `size` is nil,
/// copied or linked from the store as `link` says.
struct ImagePlacer {
  let store: ObjectStore
  let link: LinkMode
  let resize: ExportResize?

  /// The bytes an image is written with: resized when `size` is given, else the object's own.
  func bytes(
    sha256: String, width: Int, height: Int, size: (width: Int, height: Int)?, fileExtension: String
  ) throws -> (bytes: [UInt8], placed: PlacedImage) {
    let original = try store.read(sha256)
    guard let resize, let size else { return (original, PlacedImage(sha256: sha256)) }
    let written = try resize.resizedBytes(of: original, size: size, fileExtension: fileExtension)
    return (
      written,
      PlacedImage(
        sha256: SHA256.hex(of: written), original: ManifestOriginal(sha256: sha256, width: width, height: height))
    )
  }

  /// Writes the image at `path` (which must not exist).
  func place(
    sha256: String, width: Int, height: Int, size: (width: Int, height: Int)?, fileExtension: String, at path: String
  ) throws -> PlacedImage {
    guard resize != nil, size != nil else {
      return PlacedImage(sha256: sha256, copiedInsteadOfLinked: try store.place(sha256, at: path, mode: link))
    }
    let (bytes, placed) = try self.bytes(
      sha256: sha256, width: width, height: height, size: size, fileExtension: fileExtension)
    try bytes.withUnsafeBytes { try FileIO.writeNew(path: Array(path.utf8), bytes: $0) }
    return placed
  }
}

extension ExportPlan {
  /// Every item larger than `resize`'s bound takes its written size: width and height, boxes scaled, the
  /// file name's extension as written (`ExportResize.writtenExtension`), and `resizedFrom` its original size.
  mutating func resize(_ resize: ExportResize) {
    for s in subsets.indices {
      for i in subsets[s].items.indices {
        var item = subsets[s].items[i]
        guard let size = resize.target(width: item.width, height: item.height) else { continue }
        let from = (width: item.width, height: item.height)
        item.boxes = item.boxes.map { box in
          var box = box
          box.box = ExportResize.scale(box.box, from: from, to: size)
          return box
        }
        let ext = ExportResize.writtenExtension(URL(fileURLWithPath: item.fileName).pathExtension)
        item.fileName = item.stem + "." + ext
        item.resizedFrom = from
        (item.width, item.height) = size
        subsets[s].items[i] = item
      }
    }
  }
}
