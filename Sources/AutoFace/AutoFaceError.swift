import Foundation

/// Errors from decoding, transforming and detecting. OpenCV's own message is carried along.
public enum AutoFaceError: LocalizedError, Equatable {
  /// The bytes are not an allow-listed image, or its header is unreadable.
  case notAnImage(String)
  /// The header declares more pixels than allowed; nothing was decoded.
  case tooManyPixels(width: Int, height: Int, limit: Int)
  /// OpenCV failed; `code` is the shim's AFS_ERR_* and `message` its text (e.what() for cv::Exception).
  case opencv(code: Int32, message: String)
  /// A model or cascade file is missing or unreadable.
  case modelMissing(path: String, hint: String)

  public var errorDescription: String? {
    switch self {
    case .notAnImage(let reason): return "not a decodable image: \(reason)"
    case .tooManyPixels(let width, let height, let limit):
      return "image declares \(width)×\(height) pixels, over the limit of \(limit); not decoded"
    case .opencv(_, let message): return "OpenCV: \(message)"
    case .modelMissing(let path, let hint): return "\(path): cannot load (\(hint))"
    }
  }
}
