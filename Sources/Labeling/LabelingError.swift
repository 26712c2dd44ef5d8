import Foundation

/// Errors of the review log and the LabelImg round trip.
public enum LabelingError: LocalizedError, Equatable {
  case noSuchBoxes([Int64])
  case noSuchLabel(String)
  case noSuchImage(Int64)
  /// Image ids a decision named that the catalog does not hold (the whole decision is refused).
  case noSuchImages([Int64])
  /// An exclusion's reason that cannot be used.
  case badReason(String)
  case noSuchReview(Int64)
  case cannotUndo(Int64, String)
  case badRect(String)
  /// A folder for `review labelimg-export`/`-import` that cannot be used.
  case labelImgFolder(String, String)
  /// One annotation file of a LabelImg folder that cannot be used (the others go on).
  case labelImgFile(String, String)

  public var errorDescription: String? {
    switch self {
    case .noSuchBoxes(let ids):
      return "no box with id \(ids.map(String.init).joined(separator: ", ")); `datasetkit review sheet` shows box ids"
    case .noSuchLabel(let name): return "'\(name)' is not a usable label (empty)"
    case .noSuchImage(let id): return "no image with id \(id) in the catalog"
    case .noSuchImages(let ids):
      let shown = ids.prefix(20).map(String.init).joined(separator: ", ") + (ids.count > 20 ? ", …" : "")
      return "no image with id \(shown) in the catalog (\(ids.count) in all); nothing was changed"
    case .badReason(let why): return "the reason cannot be used: \(why)"
    case .noSuchReview(let id): return "no review decision on a box with id \(id)"
    case .cannotUndo(let id, let why): return "cannot undo review \(id): \(why)"
    case .badRect(let why): return "that box is not usable: \(why); draw it again inside the image"
    case .labelImgFolder(let path, let why): return "\(path) \(why)"
    case .labelImgFile(let file, let why): return "\(file): \(why); the file was left out, the others go on"
    }
  }
}
