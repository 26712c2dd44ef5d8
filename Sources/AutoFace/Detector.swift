import Catalog
import Foundation
import Imaging
import OpenCVShim

/// One face found by a detector: the box in image pixels and the detector's confidence (neighbour count
/// for cascades, network confidence for DNNs, vote total for the built-in default).
public struct FaceDetection: Sendable, Hashable, Codable {
  public var box: PixelRect
  public var score: Double
  /// YuNet's five landmarks in image pixels (right eye, left eye, nose tip, right and left mouth corner: x, y
  /// each); nil for detectors without them.
  public var landmarks: [Double]?

  public init(box: PixelRect, score: Double, landmarks: [Double]? = nil) {
    self.box = box
    self.score = score
    self.landmarks = landmarks
  }
}

/// Who found a box: stored with every proposal, and the key that makes `faces detect` incremental.
public struct DetectorIdentity: Sendable, Hashable, Codable {
  /// `haar`, `lbp`, `default`, `cascades`, `res10` or `yunet`.
  public var name: String
  /// OpenCV's version plus the model file (or the default's own version).
  public var version: String
  /// The parameters as canonical JSON (sorted keys).
  public var parameters: String

  public init(name: String, version: String, parameters: String) {
    self.name = name
    self.version = version
    self.parameters = parameters
  }

  /// `name version parameters`: equal keys mean equal results on the same image.
  public var key: String { "\(name) \(version) \(parameters)" }
}

/// A face detector. Instances hold OpenCV objects and are not thread-safe: one per worker.
public protocol FaceDetector: AnyObject {
  var identity: DetectorIdentity { get }
  /// Faces in `image`.
  func detect(in image: DecodedImage) throws -> [FaceDetection]
}

/// The detectors `faces detect` knows. `default` is YuNet with the built-in model; `yunet` is YuNet with
/// `--model` (or the built-in one); `cascades` is the former default (cascades, eye pairs and skin).
public enum DetectorKind: String, CaseIterable, Sendable, Codable {
  case haar, lbp, `default`, cascades, res10, yunet
}

/// Everything needed to build a detector, as a plain value: workers each build their own from it.
public struct DetectorSpec: Sendable, Hashable {
  public var kind: DetectorKind
  /// A cascade XML for `haar` / `lbp` (else Debian's frontal-face cascade).
  public var cascadePath: String?
  /// `res10`: the .caffemodel; `yunet` (or `default`): the .onnx (nil: the built-in YuNet).
  public var modelPath: String?
  /// `res10`: deploy.prototxt.
  public var configPath: String?
  public var parameters: CascadeParameters
  /// DNN confidence threshold (res10).
  public var threshold: Double
  /// `default` / `yunet`.
  public var yunet = YuNetParameters()

  public init(
    kind: DetectorKind, cascadePath: String? = nil, modelPath: String? = nil, configPath: String? = nil,
    parameters: CascadeParameters = .common, threshold: Double = 0.5
  ) {
    self.kind = kind
    self.cascadePath = cascadePath
    self.modelPath = modelPath
    self.configPath = configPath
    self.parameters = parameters
    self.threshold = threshold
  }

  /// The seeds' setting: Debian's default frontal Haar cascade, scale 1.1, 5 neighbours, 30 px.
  public static let seeds = DetectorSpec(kind: .haar)

  /// Builds a detector; a missing or unreadable cascade/model is `AutoFaceError.modelMissing`.
  public func make() throws -> any FaceDetector {
    switch kind {
    case .haar:
      return try CascadeFaceDetector(
        name: "haar", path: cascadePath ?? CascadeLocations.defaultFrontalFace, parameters: parameters)
    case .lbp:
      return try CascadeFaceDetector(
        name: "lbp", path: cascadePath ?? CascadeLocations.lbpFrontalFace, parameters: parameters)
    case .default, .yunet:
      return try YuNetFaceDetector(
        name: kind.rawValue, model: modelPath.map { .file($0) } ?? .builtIn, parameters: yunet)
    case .cascades:
      return try DefaultFaceDetector(minSize: parameters.minSize)
    case .res10:
      guard let modelPath else {
        throw AutoFaceError.modelMissing(
          path: "(no --model)", hint: "\(kind.rawValue) needs --model; \(DNNFaceDetector.whereToGet(kind))")
      }
      return try DNNFaceDetector(kind: kind, model: modelPath, config: configPath, threshold: threshold)
    }
  }
}

extension CascadeLocations {
  public static let lbpFrontalFace = lbpFolder + "/lbpcascade_frontalface_improved.xml"
  public static let alt2FrontalFace = haarFolder + "/haarcascade_frontalface_alt2.xml"
  public static let profileFace = haarFolder + "/haarcascade_profileface.xml"
  public static let eyes = haarFolder + "/haarcascade_eye_tree_eyeglasses.xml"
}

func canonicalJSON<T: Encodable>(_ value: T) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
}

/// A Haar or LBP cascade with `detectMultiScale`'s parameters; boxes identical to OpenCV's own.
public final class CascadeFaceDetector: FaceDetector {
  public let identity: DetectorIdentity
  let cascade: CascadeClassifier
  let parameters: CascadeParameters

  public init(name: String, path: String, parameters: CascadeParameters) throws {
    cascade = try CascadeClassifier(path: path)
    self.parameters = parameters
    identity = DetectorIdentity(
      name: name, version: "opencv-\(openCVVersion) \((path as NSString).lastPathComponent)",
      parameters: canonicalJSON(parameters))
  }

  public func detect(in image: DecodedImage) throws -> [FaceDetection] {
    try cascade.detectScored(in: image, parameters: parameters)
  }
}

extension CascadeClassifier {
  /// `detectMultiScale` with OpenCV's neighbour counts as scores; the same boxes as `detect`.
  public func detectScored(in image: DecodedImage, parameters: CascadeParameters) throws -> [FaceDetection] {
    var error = afs_error()
    var out: UnsafeMutablePointer<afs_rect>?
    var scores: UnsafeMutablePointer<Int32>?
    var count = 0
    let rc = afs_cascade_detect_scored(
      handle, image.handle, parameters.scaleFactor, Int32(parameters.minNeighbors), Int32(parameters.minSize),
      Int32(parameters.maxSize), parameters.equalize ? 1 : 0, &out, &scores, &count, &error)
    try check(rc, error)
    defer {
      afs_buffer_free(out)
      afs_buffer_free(scores)
    }
    guard let out, let scores else { return [] }
    return (0..<count).map { i in
      let r = out[i]
      return FaceDetection(
        box: PixelRect(x: Int(r.x), y: Int(r.y), width: Int(r.width), height: Int(r.height)),
        score: Double(scores[i]))
    }
  }
}

/// The res10 SSD (Caffe) or YuNet (ONNX) face detector, from model files the user gives.
public final class DNNFaceDetector: FaceDetector {
  public let identity: DetectorIdentity
  let handle: OpaquePointer
  let threshold: Double

  static func whereToGet(_ kind: DetectorKind) -> String {
    switch kind {
    case .yunet, .default:
      return
        "give a libfacedetection.train YuNet ONNX (yunet_n_320_320.onnx from https://github.com/ShiqiYu/libfacedetection.train, onnx/), or leave --model out for the built-in one"
    default:
      return "get res10_300x300_ssd_iter_140000.caffemodel and deploy.prototxt from "
        + "https://github.com/opencv/opencv_3rdparty (branch dnn_samples_face_detector_20170830) and "
        + "https://github.com/opencv/opencv (samples/dnn/face_detector); pass them as --model and --config"
    }
  }

  public init(kind: DetectorKind, model: String, config: String?, threshold: Double) throws {
    guard FileManager.default.isReadableFile(atPath: model) else {
      throw AutoFaceError.modelMissing(path: model, hint: "no such file; \(Self.whereToGet(kind))")
    }
    if kind == .res10 {
      guard let config, FileManager.default.isReadableFile(atPath: config) else {
        throw AutoFaceError.modelMissing(
          path: config ?? "(no --config)", hint: "res10 needs its deploy.prototxt as --config; \(Self.whereToGet(kind))"
        )
      }
    }
    var error = afs_error()
    var out: OpaquePointer?
    let rc = afs_dnn_load(kind == .res10 ? Int32(AFS_DNN_RES10) : Int32(AFS_DNN_YUNET), model, config, &out, &error)
    guard rc == 0, let out else {
      var copy = error
      let message = withUnsafeBytes(of: &copy.message) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      throw AutoFaceError.modelMissing(path: model, hint: "OpenCV cannot load it: \(message)")
    }
    handle = out
    self.threshold = threshold
    struct Params: Encodable { var threshold: Double }
    identity = DetectorIdentity(
      name: kind.rawValue, version: "opencv-\(openCVVersion) \((model as NSString).lastPathComponent)",
      parameters: canonicalJSON(Params(threshold: threshold)))
  }

  deinit { afs_dnn_free(handle) }

  public func detect(in image: DecodedImage) throws -> [FaceDetection] {
    var error = afs_error()
    var out: UnsafeMutablePointer<afs_rect>?
    var scores: UnsafeMutablePointer<Float>?
    var count = 0
    try check(afs_dnn_detect(handle, image.handle, threshold, &out, &scores, &count, &error), error)
    defer {
      afs_buffer_free(out)
      afs_buffer_free(scores)
    }
    guard let out, let scores else { return [] }
    return (0..<count).map { i in
      let r = out[i]
      return FaceDetection(
        box: PixelRect(x: Int(r.x), y: Int(r.y), width: Int(r.width), height: Int(r.height)),
        score: Double(scores[i]))
    }
  }
}

/// Greedy non-maximum suppression: highest score first, dropping boxes overlapping a kept one by more
/// than `iou`.
public func nonMaximumSuppression(_ detections: [FaceDetection], iou: Double) -> [FaceDetection] {
  var kept: [FaceDetection] = []
  for d in detections.sorted(by: { $0.score > $1.score }) where !kept.contains(where: { $0.box.iou(d.box) > iou }) {
    kept.append(d)
  }
  return kept
}
