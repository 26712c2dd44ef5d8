import Catalog
import Foundation
import Imaging
import OpenCVShim

/// Where Debian's opencv-data puts the Haar and LBP cascades.
public enum CascadeLocations {
  public static let haarFolder = "/usr/share/opencv4/haarcascades"
  public static let lbpFolder = "/usr/share/opencv4/lbpcascades"
  public static let defaultFrontalFace = haarFolder + "/haarcascade_frontalface_default.xml"
}

/// Parameters of `detectMultiScale`, as flags of `faces detect`.
public struct CascadeParameters: Sendable, Hashable, Codable {
  public var scaleFactor: Double
  public var minNeighbors: Int
  public var minSize: Int
  public var maxSize: Int
  /// Equalise the grayscale histogram first.
  public var equalize: Bool

  /// The setting face-mask notebooks use: scale 1.1, 5 neighbours, 30 px.
  public static let common = CascadeParameters(
    scaleFactor: 1.1, minNeighbors: 5, minSize: 30, maxSize: 0, equalize: false)

  public init(scaleFactor: Double, minNeighbors: Int, minSize: Int, maxSize: Int, equalize: Bool) {
    self.scaleFactor = scaleFactor
    self.minNeighbors = minNeighbors
    self.minSize = minSize
    self.maxSize = maxSize
    self.equalize = equalize
  }
}

/// An OpenCV cascade classifier (Haar or LBP). Not thread-safe: one per worker.
public final class CascadeClassifier {
  let handle: OpaquePointer
  public let path: String

  public init(path: String) throws {
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw AutoFaceError.modelMissing(
        path: path, hint: "no such file; Debian's opencv-data installs cascades in \(CascadeLocations.haarFolder)")
    }
    var error = afs_error()
    var out: OpaquePointer?
    let rc = afs_cascade_load(path, &out, &error)
    if rc != 0 {
      throw AutoFaceError.modelMissing(path: path, hint: "OpenCV cannot read it as a cascade")
    }
    handle = out!
    self.path = path
  }

  deinit { afs_cascade_free(handle) }

  /// Faces found in `image`, in OpenCV's order.
  public func detect(in image: DecodedImage, parameters: CascadeParameters = .common) throws
    -> [PixelRect]
  {
    var error = afs_error()
    var out: UnsafeMutablePointer<afs_rect>?
    var count = 0
    let rc = afs_cascade_detect(
      handle, image.handle, parameters.scaleFactor, Int32(parameters.minNeighbors),
      Int32(parameters.minSize), Int32(parameters.maxSize), parameters.equalize ? 1 : 0, &out, &count,
      &error)
    try check(rc, error)
    defer { afs_buffer_free(out) }
    return UnsafeBufferPointer(start: out, count: count).map {
      PixelRect(x: Int($0.x), y: Int($0.y), width: Int($0.width), height: Int($0.height))
    }
  }
}
