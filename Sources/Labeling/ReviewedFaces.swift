import Catalog
import Foundation

/// After review, per class: the faces kept and how many of them reviewers had to add by hand.
public struct ReviewedClass: Sendable, Codable, Hashable {
  /// The box's class; "" for boxes without one.
  public var label: String
  /// Accepted boxes that came from a detector or a reviewer (imported truth boxes are not counted).
  public var faces: Int
  /// Of those, boxes a reviewer drew (origin `review`, logged as `add`, not undone).
  public var addedByHand: Int
  /// `addedByHand / faces`.
  public var share: Double

  public init(label: String, faces: Int, addedByHand: Int, share: Double) {
    self.label = label
    self.faces = faces
    self.addedByHand = addedByHand
    self.share = share
  }
}

/// What review left in the catalog: over every image with at least one review decision on a box.
public struct ReviewedFaces: Sendable, Codable, Hashable {
  public var images: Int
  public var faces: Int
  public var addedByHand: Int
  public var share: Double
  public var classes: [ReviewedClass]

  public init(images: Int, faces: Int, addedByHand: Int, share: Double, classes: [ReviewedClass]) {
    self.images = images
    self.faces = faces
    self.addedByHand = addedByHand
    self.share = share
    self.classes = classes
  }
}

extension Catalog {
  /// The faces reviewers kept and the share they had to add by hand, per class, over the images with a
  /// review decision on any box; nil when there is none.
  public func reviewedFaces() throws -> ReviewedFaces? {
    var faces: [String: Int] = [:]
    var added: [String: Int] = [:]
    let log = ReviewLog(catalog: self)
    for row in try log.reviewedFaceCounts() {
      faces[row.label, default: 0] += row.count
      if row.addedByHand { added[row.label, default: 0] += row.count }
    }
    let images = try log.reviewedImageCount()
    guard images > 0 else { return nil }
    func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : (Double(a) / Double(b) * 10_000).rounded() / 10_000 }
    let total = faces.values.reduce(0, +)
    let totalAdded = added.values.reduce(0, +)
    return ReviewedFaces(
      images: images, faces: total, addedByHand: totalAdded, share: ratio(totalAdded, total),
      classes: faces.keys.sorted().map {
        ReviewedClass(
          label: $0, faces: faces[$0] ?? 0, addedByHand: added[$0] ?? 0,
          share: ratio(added[$0] ?? 0, faces[$0] ?? 0))
      })
  }
}
