import Foundation

/// Errors from decoding, transforming and drawing images. OpenCV's own message is carried along.
public enum ImagingError: LocalizedError, Equatable {
  /// The bytes are not an allow-listed image, or its header is unreadable.
  case notAnImage(String)
  /// The header declares more pixels than allowed; nothing was decoded.
  case tooManyPixels(width: Int, height: Int, limit: Int)
  /// The decoder gave up on the bytes (libjpeg's, libpng's or OpenCV's message, with any warnings before it).
  case undecodable(String)
  /// The decode was stopped by its work budget (a JPEG with more than 500 scans, or whose scans pass over its
  /// blocks more than 16 times, or needing more than 640 MB); `limit` says which, e.g. "JPEG has more than 500 scans".
  case overBudget(String)
  /// OpenCV failed; `code` is the shim's AFS_ERR_* and `message` its text (e.what() for cv::Exception).
  case opencv(code: Int32, message: String)

  public var errorDescription: String? {
    switch self {
    case .notAnImage(let reason): return "not a decodable image: \(reason)"
    case .tooManyPixels(let width, let height, let limit):
      return "image declares \(width)×\(height) pixels, over the limit of \(limit); not decoded"
    case .undecodable(let message): return "cannot decode the image: \(message)"
    case .overBudget(let limit): return "\(limit) (work budget); refused"
    case .opencv(_, let message): return "OpenCV: \(message)"
    }
  }
}
