import Foundation

/// Errors that stop an import as a whole (a single bad file never does: it is reported instead).
public enum IngestError: LocalizedError, Equatable {
  case pathNotFound(String)
  case notAFolder(String)
  case emptyFolder(String)
  /// Writing to the object store or the catalog failed (disk full, I/O error); batches committed
  /// before it are kept.
  case storeFailed(message: String, committedImages: Int)

  public var errorDescription: String? {
    switch self {
    case .pathNotFound(let path):
      return "\(path): no such file or folder; check the path"
    case .notAFolder(let path):
      return "\(path) is not a folder; give the folder that holds the images"
    case .emptyFolder(let path):
      return "\(path) holds no files; nothing to import"
    case .storeFailed(let message, let committed):
      return
        "import stopped: \(message). The \(committed) images committed before this are intact; free space or fix the problem and run the same import again to finish"
    }
  }
}
