import Foundation

/// Where a derived image comes from: the image it was made from and, for a crop, the box it was cut from.
public struct ImageParent: Sendable, Hashable {
  public var parentID: Int64
  public var parentSHA256: String
  /// The box in the parent's pixels (its corners now), nil when the image is not a crop or its box is gone.
  public var box: Box?
}

/// Lineage: a derived image (a face crop from `faces crop` or a recipe's `boxes: crops`) inherits its parent's
/// license, creator and source. The catalog keeps the crop's own origin (source `crops`, kind `derived`); the
/// lookups that credit images (`originCredits`, `originLicenses`, `firstSourceByImage`, `creditedLabels`) give a
/// derived image the origins of the photo it was ultimately cut from instead.
extension Catalog {
  /// Every derived image's parent, by image id: a crop's first `crops` row, else `images.parent_image_id`.
  public func imageParents() throws -> [Int64: ImageParent] {
    var parents: [Int64: ImageParent] = [:]
    for (child, parent) in try database.rows(
      """
      SELECT k.image_id, k.parent_image_id, p.sha256, b.xmin, b.ymin, b.xmax, b.ymax, b.id IS NOT NULL FROM crops k
      JOIN images p ON p.id = k.parent_image_id LEFT JOIN boxes b ON b.id = k.box_id ORDER BY k.id
      """,
      [],
      {
        (
          $0.int64(0),
          ImageParent(
            parentID: $0.int64(1), parentSHA256: $0.text(2) ?? "",
            box: $0.int(7) != 0
              ? Box(xmin: $0.double(3), ymin: $0.double(4), xmax: $0.double(5), ymax: $0.double(6)) : nil)
        )
      })
    where parents[child] == nil && child != parent.parentID {
      parents[child] = parent
    }
    for (child, parent) in try database.rows(
      """
      SELECT i.id, i.parent_image_id, p.sha256 FROM images i JOIN images p ON p.id = i.parent_image_id
      WHERE i.parent_image_id IS NOT NULL
      """, [], { ($0.int64(0), ImageParent(parentID: $0.int64(1), parentSHA256: $0.text(2) ?? "", box: nil)) })
    where parents[child] == nil && child != parent.parentID {
      parents[child] = parent
    }
    return parents
  }

  /// Each derived image's root: the image, not itself derived, it was ultimately made from (a crop of a crop
  /// goes back to the photo). A cycle in the links stops at the last image before it closes.
  public func lineageRoots(_ parents: [Int64: ImageParent]? = nil) throws -> [Int64: Int64] {
    let parents = try parents ?? imageParents()
    var roots: [Int64: Int64] = [:]
    for child in parents.keys {
      var seen: Set<Int64> = [child]
      var current = child
      while let next = parents[current]?.parentID, seen.insert(next).inserted { current = next }
      if current != child { roots[child] = current }
    }
    return roots
  }

  /// `rows` (by image) with each derived image's rows replaced by its root's, re-addressed to it; a derived
  /// image whose root has none keeps its own. Sorted by image id, each image's rows in their order.
  func creditedThroughLineage<Row>(
    _ rows: [Row], imageID: (Row) -> Int64, readdress: (Row, Int64) -> Row
  ) throws -> [Row] {
    let roots = try lineageRoots()
    guard !roots.isEmpty else { return rows }
    var byImage: [Int64: [Row]] = [:]
    for row in rows { byImage[imageID(row), default: []].append(row) }
    var result: [Row] = []
    result.reserveCapacity(rows.count)
    for image in Set(byImage.keys).union(roots.keys).sorted() {
      if let root = roots[image], let inherited = byImage[root], !inherited.isEmpty {
        result += inherited.map { readdress($0, image) }
      } else {
        result += byImage[image] ?? []
      }
    }
    return result
  }
}
