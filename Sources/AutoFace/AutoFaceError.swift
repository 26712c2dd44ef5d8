import Foundation

/// Errors of the face detectors and the catalog-side face jobs (detect, eval, contact sheets).
public enum AutoFaceError: LocalizedError, Equatable {
  /// A model or cascade file is missing or unreadable.
  case modelMissing(path: String, hint: String)
  case noSuchSource(String)
  /// `faces detect` failed on every image it tried (failures recorded; tried again next run).
  case everyImageFailed(count: Int, first: String)

  public var errorDescription: String? {
    switch self {
    case .modelMissing(let path, let hint): return "\(path): cannot load (\(hint))"
    case .noSuchSource(let name):
      return "no source named '\(name)' in the catalog; `datasetkit stats` lists the sources (import the VOC set first)"
    case .everyImageFailed(let count, let first):
      return "the detector failed on every image (\(count)); the first error: \(first)"
    }
  }
}
