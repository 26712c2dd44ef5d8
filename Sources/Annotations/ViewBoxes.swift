import Catalog

/// One image's boxes as a box export writes them: its boxes (class in the view), the VOC file skeleton its
/// boxes came from, and LabelImg's `verified`. What a split freezes per member and an export of it reads.
public struct ImageBoxSet: Sendable, Equatable {
  public var boxes: [ExportBox]
  /// The VOC file the chosen boxes were imported with, without its objects.
  public var vocSkeleton: String?
  /// LabelImg's `verified` as a LabelImg round trip decided it (nil: as the imported file says).
  public var verified: Bool?

  public init(boxes: [ExportBox] = [], vocSkeleton: String? = nil, verified: Bool? = nil) {
    self.boxes = boxes
    self.vocSkeleton = vocSkeleton
    self.verified = verified
  }

  /// True when there is nothing to write or freeze (no box, no VOC file, no decision).
  public var isEmpty: Bool { boxes.isEmpty && vocSkeleton == nil && verified == nil }
}

/// Every image's boxes in a view, as a box export of the view writes them.
public struct ViewBoxes: Sendable {
  /// The view (nil: the labels as imported).
  public var definition: ViewDefinition?
  /// The one-truth box sets before the view's class map (for `--label` checks and background images).
  public var effective: EffectiveBoxes
  /// Per image with at least one box in the view: its boxes, each class through the view's class map and
  /// fold (dropped classes dropped).
  public var boxes: [Int64: [ExportBox]]
  /// The VOC skeleton of each image's chosen annotation file.
  public var skeletons: [Int64: String]
  /// LabelImg round-trip decisions.
  public var verified: [Int64: Bool]

  /// The box set of image `id` (empty when it has none).
  public func set(of id: Int64) -> ImageBoxSet {
    ImageBoxSet(boxes: boxes[id] ?? [], vocSkeleton: skeletons[id], verified: verified[id])
  }

  /// Every image with something to freeze (a box in the view, a VOC file or a decision).
  public var imageIDs: Set<Int64> { Set(boxes.keys).union(skeletons.keys).union(verified.keys) }
}

extension Catalog {
  /// Every image's effective boxes in `view` ("" = the labels as imported, found class names): one
  /// annotation file's boxes per image (`effectiveBoxes`), with a view only its sources' boxes, each class
  /// through its class map (a box named after a view class, added in review, keeps it). Throws for an
  /// unknown view, naming the views that exist.
  public func viewBoxes(view: String) throws -> ViewBoxes {
    var definition: ViewDefinition?
    if !view.isEmpty {
      guard let found = try viewDefinition(view) else {
        throw AnnotationsError.unknownView(view, known: try viewNames())
      }
      definition = found
    }
    let effective =
      try definition.map { try effectiveBoxes(rank: $0.sourceRank, sources: Set($0.sourceRank.keys)) }
      ?? effectiveBoxes()
    var boxes: [Int64: [ExportBox]] = [:]
    let viewClasses = Set(definition?.classes ?? [])
    for (imageID, found) in effective.boxes {
      var kept: [ExportBox] = []
      for var box in found {
        if let definition {
          let mapped =
            definition.map[box.className] == nil
            ? (viewClasses.contains(box.className) ? box.className : nil)
            : definition.viewClass(of: box.className)
          guard let name = mapped else { continue }
          box.className = name
        }
        kept.append(box)
      }
      if !kept.isEmpty { boxes[imageID] = kept }
    }
    let store = BoxStore(catalog: self)
    var skeletons: [Int64: String] = [:]
    for document in try store.vocSkeletons() where effective.chosen[document.imageID] == document.set {
      skeletons[document.imageID] = document.skeleton
    }
    return ViewBoxes(
      definition: definition, effective: effective, boxes: boxes, skeletons: skeletons,
      verified: try store.verifiedFlags())
  }
}
