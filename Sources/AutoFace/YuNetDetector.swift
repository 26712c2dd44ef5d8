import Catalog
import Foundation
import Imaging
import Ingest
import OpenCVShim

/// YuNet's settings in `faces detect`. The thresholds are YuNet's published ones (score 0.6 as in
/// libfacedetection.train's evaluation, NMS 0.3 as in OpenCV's FaceDetectorYN); they were not tuned on
/// Tests/Fixtures/voc-facemask.
public struct YuNetParameters: Sendable, Hashable, Codable {
  public var scoreThreshold = 0.6
  public var nmsThreshold = 0.3
  public var topK = 5000
  /// Boxes whose shorter side is below this are dropped.
  public var minSize = 10
  /// The small faces large photos must still give: they are also scanned in tiles at the scale that makes a face
  /// of max(smallFace, minSize) px `tileFacePixels` px in the network's input.
  public var smallFace = 20
  /// The whole-image pass: the longer side scaled to this (down always; up by at most `maxUpscale`). Chosen on
  /// 150 generated scenes (`sample-images scenes --seed 3`, 480×360): at their own size 274/285 faces, scaled to
  /// 640 282/285, at half the speed; 960 found one more at 2.4× the time and lower precision.
  public var wholeSide = 640
  /// At most 1.25×: the network's cost grows with the square of the scale, and on 2 cores the default must keep
  /// up with opencv-python's FaceDetectorYN at the photos' own size (bench/faces). On the same 150 scenes 1.25×
  /// finds 280/285 (precision 280/281), against 282/285 at up to 2× and 274/285 at 1×.
  public var maxUpscale = 1.25
  /// Tiles are this many pixels a side in the network's input.
  public var tileSide = 640
  /// The face size (network input pixels) the tiles are scaled for.
  public var tileFacePixels = 16

  public init() {}
}

/// The detector's working copy of a photo is at most this many pixels on its longer side (a reduced decode:
/// JPEG DCT-scaled by libjpeg, other formats shrunk after decoding). With the full-size decode of a non-JPEG
/// image done in grayscale when it is over `DetectionDecode.colorPixelLimit`, one worker holds at most
/// about `maxPixels` bytes (the transient decode) + 48 MiB (the working copy) + the network on one 640×640 tile.
public enum DetectionDecode {
  public static let maxSide = 4096
  /// Non-JPEG images over this many pixels are decoded in grayscale (1 byte a pixel instead of 3).
  public static let colorPixelLimit = 24_000_000
}

/// A photo decoded for detection and the factors that map its pixels back to the original's.
public struct DetectionImage {
  public var image: DecodedImage
  /// The decoder's warnings (``DecodedImage/warnings`` of the decode; `image` may be a shrunk copy without them).
  public var warnings: [String]
  public var scaleX: Double
  public var scaleY: Double

  /// Decodes `bytes` as a bounded copy: the header is checked first (`maxPixels`), then the image is decoded
  /// at 1/2, 1/4 or 1/8 of its size where its longer side is over `maxSide`, and shrunk to `maxSide` if still
  /// larger.
  public init(bytes: [UInt8], maxSide: Int = DetectionDecode.maxSide, maxPixels: Int = ImageHeader.defaultMaxPixels)
    throws
  {
    let decoded: DecodedImage
    let header: (format: ImageFormat, width: Int, height: Int)
    (decoded, header) = try bytes.withUnsafeBytes { raw in
      let header = try DecodedImage.checkHeader(raw, maxPixels: maxPixels)
      let side = max(header.width, header.height)
      var reduction = 1
      while reduction < 8, side / reduction > maxSide { reduction *= 2 }
      let gray = header.format != .jpeg && header.width * header.height > DetectionDecode.colorPixelLimit
      return (try DecodedImage(bytes: raw, grayscale: gray, reduction: reduction, maxPixels: maxPixels), header)
    }
    var image = decoded
    let side = max(image.width, image.height)
    if side > maxSide {
      let f = Double(maxSide) / Double(side)
      image = try image.resized(
        width: max(1, Int(Double(image.width) * f)), height: max(1, Int(Double(image.height) * f)),
        interpolation: .area)
    }
    self.image = image
    warnings = decoded.warnings
    scaleX = Double(header.width) / Double(max(1, image.width))
    scaleY = Double(header.height) / Double(max(1, image.height))
  }

  /// `detections` (in the working copy's pixels) in the original's pixels.
  public func original(_ detections: [FaceDetection]) -> [FaceDetection] {
    guard scaleX != 1 || scaleY != 1 else { return detections }
    return detections.map { d in
      var d = d
      d.box = Box(
        x: Int((Double(d.box.x) * scaleX).rounded()), y: Int((Double(d.box.y) * scaleY).rounded()),
        width: Int((Double(d.box.width) * scaleX).rounded()), height: Int((Double(d.box.height) * scaleY).rounded()))
      d.landmarks = d.landmarks?.enumerated().map { $0.offset % 2 == 0 ? $0.element * scaleX : $0.element * scaleY }
      return d
    }
  }
}

/// Where a YuNet model comes from.
public enum YuNetModel: Sendable, Hashable {
  /// face_detection_yunet_n_320.onnx (libfacedetection.train, Apache-2.0), compiled into the binary.
  case builtIn
  /// An ONNX file the user gives (`--model`).
  case file(String)

  /// models/yunet/SHA256SUMS: the built-in model is checked against it every time it is loaded.
  public static let builtInSHA256 = "81dbde155e982455488235acb8ec2dec5d647edf7cf7080d33e4abb69b93a0d2"

  /// The built-in model's bytes as compiled in.
  public static var builtInBytes: [UInt8] {
    var pointer: UnsafePointer<UInt8>?
    var length = 0
    afs_yunet_builtin(&pointer, &length)
    guard let pointer else { return [] }
    return Array(UnsafeBufferPointer(start: pointer, count: length))
  }

  /// The model's bytes, checked: the built-in one against its SHA-256, a file for being there and readable.
  func bytes() throws -> (bytes: [UInt8], name: String, sha256: String) {
    switch self {
    case .builtIn:
      let bytes = Self.builtInBytes
      let sha = SHA256.hex(of: bytes)
      guard sha == Self.builtInSHA256 else {
        throw AutoFaceError.modelMissing(
          path: "the built-in YuNet model",
          hint:
            "damaged: its SHA-256 is \(sha), expected \(Self.builtInSHA256); rebuild datasetkit, or pass a YuNet "
            + "ONNX file with --detector yunet --model FILE")
      }
      return (bytes, "face_detection_yunet_n_320.onnx", sha)
    case .file(let path):
      guard FileManager.default.isReadableFile(atPath: path), let data = FileManager.default.contents(atPath: path)
      else {
        throw AutoFaceError.modelMissing(path: path, hint: "no such file; \(DNNFaceDetector.whereToGet(.yunet))")
      }
      let bytes = [UInt8](data)
      return (bytes, (path as NSString).lastPathComponent, SHA256.hex(of: bytes))
    }
  }
}

/// YuNet through OpenCV's dnn, decoded in the shim (OpenCV 4.6's FaceDetectorYN cannot run the current models).
/// A photo is searched whole (its longer side scaled to 640 px: down, or up by at most 1.25×), and one where a 20 px
/// face would be under 16 px there is also searched in overlapping 640 px tiles at the scale that makes such a
/// face 16 px; boxes cut by a tile's inner edge are dropped (the neighbouring tile or the whole pass holds
/// them), then all are merged by non-maximum suppression. Each face carries YuNet's five landmarks.
public final class YuNetFaceDetector: FaceDetector {
  public let identity: DetectorIdentity
  public let parameters: YuNetParameters
  let handle: OpaquePointer

  public init(name: String = "default", model: YuNetModel = .builtIn, parameters: YuNetParameters = YuNetParameters())
    throws
  {
    let (bytes, fileName, sha) = try model.bytes()
    var error = afs_error()
    var out: OpaquePointer?
    let rc = bytes.withUnsafeBufferPointer { afs_yunet_load($0.baseAddress, $0.count, &out, &error) }
    guard rc == 0, let out else {
      var copy = error
      let message = withUnsafeBytes(of: &copy.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      let path: String
      if case .file(let p) = model { path = p } else { path = "the built-in YuNet model" }
      throw AutoFaceError.modelMissing(path: path, hint: message)
    }
    handle = out
    self.parameters = parameters
    identity = DetectorIdentity(
      name: name, version: "yunet-1 opencv-\(openCVVersion) \(fileName) \(sha.prefix(12))",
      parameters: canonicalJSON(parameters))
  }

  deinit { afs_yunet_free(handle) }

  /// One network pass over `region` of `image` scaled by `scale`.
  func pass(_ image: DecodedImage, region: Box, scale: Double) throws -> [FaceDetection] {
    var error = afs_error()
    var out: UnsafeMutablePointer<afs_face>?
    var count = 0
    let rc = afs_yunet_detect(
      handle, image.handle,
      afs_rect(x: Int32(region.x), y: Int32(region.y), width: Int32(region.width), height: Int32(region.height)),
      scale, Float(parameters.scoreThreshold), Float(parameters.nmsThreshold), Int32(parameters.topK), &out, &count,
      &error)
    try check(rc, error)
    defer { afs_buffer_free(out) }
    guard let out else { return [] }
    return (0..<count).map { i in
      let f = out[i]
      let landmarks = withUnsafeBytes(of: f.landmarks) { Array($0.bindMemory(to: Float.self)).map(Double.init) }
      return FaceDetection(
        box: Box(
          x: Int(f.x.rounded()), y: Int(f.y.rounded()), width: Int(f.width.rounded()), height: Int(f.height.rounded())),
        score: Double(f.score), landmarks: landmarks)
    }
  }

  /// The tiles (in the image's pixels) a `width`×`height` image is searched in besides the whole pass, and
  /// their scale; none when the whole pass already sees `minSize` faces at `tileFacePixels`.
  public func tiles(width: Int, height: Int) -> (scale: Double, rects: [Box]) {
    let p = parameters
    let side = max(width, height)
    let whole = wholeScale(side)
    let scale = min(1, Double(p.tileFacePixels) / Double(max(1, p.smallFace, p.minSize)))
    guard whole < scale else { return (scale, []) }
    let tile = Int(Double(p.tileSide) / scale)
    // Faces the whole pass may miss (under tileFacePixels there) must fit inside a tile's overlap.
    let overlap = min(tile / 2, Int((Double(p.tileFacePixels) / whole + Double(p.tileFacePixels) / scale).rounded(.up)))
    func starts(_ length: Int) -> [Int] {
      guard length > tile else { return [0] }
      var s: [Int] = []
      var x = 0
      while x + tile < length {
        s.append(x)
        x += tile - overlap
      }
      s.append(length - tile)
      return s
    }
    var rects: [Box] = []
    for y in starts(height) {
      for x in starts(width) {
        rects.append(Box(x: x, y: y, width: min(tile, width), height: min(tile, height)))
      }
    }
    return (scale, rects)
  }

  /// The whole-image pass's scale for a longer side of `side` px.
  func wholeScale(_ side: Int) -> Double {
    min(max(1, parameters.maxUpscale), Double(parameters.wholeSide) / Double(max(1, side)))
  }

  public func detect(in image: DecodedImage) throws -> [FaceDetection] {
    let width = image.width
    let height = image.height
    let full = Box(x: 0, y: 0, width: width, height: height)
    var found = try pass(image, region: full, scale: wholeScale(max(width, height)))
    let (scale, rects) = tiles(width: width, height: height)
    for rect in rects {
      let margin = Int((2 / scale).rounded(.up))
      found += try pass(image, region: rect, scale: scale).filter { d in
        let b = d.box
        // Cut by an inner edge of the tile: the neighbouring tile or the whole pass has the whole face.
        let left = rect.x > 0 && b.x <= rect.x + margin
        let top = rect.y > 0 && b.y <= rect.y + margin
        let right = rect.x + rect.width < width && b.x + b.width >= rect.x + rect.width - margin
        let bottom = rect.y + rect.height < height && b.y + b.height >= rect.y + rect.height - margin
        return !(left || top || right || bottom)
      }
    }
    let kept = rects.isEmpty ? found : nonMaximumSuppression(found, iou: parameters.nmsThreshold)
    return kept.compactMap { d in
      var d = d
      let x1 = max(0, d.box.x)
      let y1 = max(0, d.box.y)
      let x2 = min(width, d.box.x + d.box.width)
      let y2 = min(height, d.box.y + d.box.height)
      d.box = Box(x: x1, y: y1, width: x2 - x1, height: y2 - y1)
      return min(d.box.width, d.box.height) >= parameters.minSize ? d : nil
    }
  }
}
