import Catalog
import Foundation

/// A catalog box to export: the box (with its class as its label) and what a VOC file says about it.
public struct ExportBox: Sendable, Hashable {
  public var id: Int64
  public var box: Box
  public var difficult: Bool
  public var truncated: Bool
  public var pose: String?
  public var extraXML: String?
  /// `voc` for boxes read from an annotation file (written back as they were), else a detector or review.
  public var origin: String

  public init(
    id: Int64, className: String, box: Box, difficult: Bool, truncated: Bool, pose: String?, extraXML: String?,
    origin: String
  ) {
    self.id = id
    self.box = box.labeled(className)
    self.difficult = difficult
    self.truncated = truncated
    self.pose = pose
    self.extraXML = extraXML
    self.origin = origin
  }

  /// The box's class (its label).
  public var className: String {
    get { box.label ?? "" }
    set { box.label = newValue }
  }
}

/// A view as `merge` recorded it (`view_classes`, `view_class_map`, `view_sources`): its classes in order,
/// what each found class becomes, and the sources by rank.
public struct ViewDefinition: Sendable, Equatable {
  /// What a found class becomes in the view.
  public enum Action: Sendable, Equatable {
    case map(String)
    case drop
    case ignore
  }

  public var name: String
  public var classes: [String]
  /// Found class name → what it becomes. A found class not listed is dropped.
  public var map: [String: Action]
  /// Source id → rank (0 = the recipe's highest priority).
  public var sourceRank: [Int64: Int]

  public init(name: String, classes: [String], map: [String: Action], sourceRank: [Int64: Int]) {
    self.name = name
    self.classes = classes
    self.map = map
    self.sourceRank = sourceRank
  }

  /// The view's class of a box found as `found` (nil: not in the view).
  public func viewClass(of found: String) -> String? {
    if case .map(let name) = map[found] { return name }
    return nil
  }
}

/// One annotation file's boxes of an image (or a YOLO label file's), as a candidate box set.
public struct AnnotationSetKey: Sendable, Hashable, Codable, Comparable {
  public var sourceID: Int64
  public var file: String

  public init(sourceID: Int64, file: String) {
    self.sourceID = sourceID
    self.file = file
  }

  public static func < (a: Self, b: Self) -> Bool { (a.sourceID, a.file) < (b.sourceID, b.file) }
}

/// A box as stored, with the image and annotation file it belongs to.
public struct StoredBox: Sendable {
  public var imageID: Int64
  public var set: AnnotationSetKey?
  public var box: ExportBox
}

/// Two or more annotation files describing the same image bytes: which one counts and how the others
/// differ from it (they are kept, never stacked).
public struct AnnotationTwin: Sendable, Codable, Equatable {
  public var sha256: String
  /// The file whose boxes count: `source: path`.
  public var kept: String
  public var alternates: [Alternate]

  public struct Alternate: Sendable, Codable, Equatable {
    public var file: String
    public var boxes: Int
    public var keptBoxes: Int
    /// The largest distance (pixels, any corner coordinate) from a box of one file to the nearest box of
    /// the other; nil when one of them has no box.
    public var largestShift: Double?
    /// `kept class → other class` for boxes paired by position whose classes differ, with counts.
    public var classDisagreements: [String: Int]
  }

  /// Compares two box lists: each box of either list is paired with the nearest box of the other.
  public static func compare(kept: [(String, Box)], other: [(String, Box)]) -> (
    shift: Double?, disagreements: [String: Int]
  ) {
    guard !kept.isEmpty, !other.isEmpty else { return (nil, [:]) }
    func distance(_ a: Box, _ b: Box) -> Double {
      max(abs(a.xmin - b.xmin), abs(a.ymin - b.ymin), abs(a.xmax - b.xmax), abs(a.ymax - b.ymax))
    }
    var shift = 0.0
    var disagreements: [String: Int] = [:]
    for (name, box) in kept {
      guard let nearest = other.min(by: { distance(box, $0.1) < distance(box, $1.1) }) else { continue }
      shift = max(shift, distance(box, nearest.1))
      if nearest.0 != name { disagreements["\(name) → \(nearest.0)", default: 0] += 1 }
    }
    for (_, box) in other {
      if let nearest = kept.map({ distance(box, $0.1) }).min() { shift = max(shift, nearest) }
    }
    return (shift, disagreements)
  }
}

/// Each image's one effective box set. When several annotation files (one source or several) describe the
/// same bytes, one counts, by this rule: the source of higher rank (the view's recipe priority; without a
/// view, the source imported first), then the file whose name matches the name the image first arrived
/// with in that source, then the file path in byte order. The other files are alternates (`twins`). Boxes
/// without an annotation file (added in review) always count.
public struct EffectiveBoxes: Sendable {
  public var boxes: [Int64: [ExportBox]] = [:]
  /// The file whose boxes count, per image that has one.
  public var chosen: [Int64: AnnotationSetKey] = [:]
  public var twins: [AnnotationTwin] = []
  /// Images whose boxes come from annotation files of two or more sources.
  public var annotatedBySeveralSources = 0
}

extension Catalog {
  /// Views `merge` recorded, and any other label view, by name.
  public func viewNames() throws -> [String] { try BoxStore(catalog: self).viewNames() }

  /// The view `merge` recorded under `name`, nil if none was.
  public func viewDefinition(_ name: String) throws -> ViewDefinition? {
    try BoxStore(catalog: self).viewDefinition(name)
  }

  /// Records a view (call inside a write transaction): replaces what was recorded under its name.
  public func recordView(_ view: ViewDefinition) throws { try BoxStore(catalog: self).recordView(view) }

  /// Every image's effective box set (see `EffectiveBoxes`), with found class names. `rank` orders the
  /// sources (lower first; a source it does not name comes after, by id); `sources` limits the annotation
  /// files considered (nil: all).
  /// `classOf` names a found class as the twins report compares it (a view's class; nil: dropped).
  public func effectiveBoxes(
    rank: [Int64: Int] = [:], sources: Set<Int64>? = nil, classOf: (String) -> String? = { $0 }
  ) throws -> EffectiveBoxes {
    let rows = try BoxStore(catalog: self).liveBoxes()
    var loose: [Int64: [ExportBox]] = [:]
    var sets: [Int64: [AnnotationSetKey: [ExportBox]]] = [:]
    for row in rows {
      if let set = row.set {
        if let sources, !sources.contains(set.sourceID) { continue }
        sets[row.imageID, default: [:]][set, default: []].append(row.box)
      } else {
        loose[row.imageID, default: []].append(row.box)
      }
    }
    // The name each image first arrived with in each source (its stem), for the in-source rule.
    var firstStem: [Int64: [Int64: String]] = [:]
    let multiple = Set(sets.filter { $0.value.count > 1 }.keys)
    if !multiple.isEmpty {
      for origin in try imageOrigins()
      where multiple.contains(origin.imageID) && firstStem[origin.imageID]?[origin.sourceID] == nil {
        firstStem[origin.imageID, default: [:]][origin.sourceID] = Self.stem(origin.path)
      }
    }
    let shas: [Int64: String] = multiple.isEmpty ? [:] : try activeImageDigests()
    let names: [Int64: String] =
      multiple.isEmpty ? [:] : Dictionary(try sourceNames().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    var result = EffectiveBoxes()
    for (image, candidates) in sets {
      let ordered = candidates.keys.sorted { a, b in
        let ra = rank[a.sourceID] ?? Int.max
        let rb = rank[b.sourceID] ?? Int.max
        if ra != rb { return ra < rb }
        if a.sourceID != b.sourceID { return a.sourceID < b.sourceID }
        let ma = Self.stem(a.file) == firstStem[image]?[a.sourceID]
        let mb = Self.stem(b.file) == firstStem[image]?[b.sourceID]
        if ma != mb { return ma }
        return Array(a.file.utf8).lexicographicallyPrecedes(Array(b.file.utf8))
      }
      let kept = ordered[0]
      result.chosen[image] = kept
      result.boxes[image] = (candidates[kept] ?? []) + (loose[image] ?? [])
      guard ordered.count > 1 else { continue }
      if Set(ordered.map(\.sourceID)).count > 1 { result.annotatedBySeveralSources += 1 }
      let keptBoxes = (candidates[kept] ?? []).map { (classOf($0.className) ?? "(dropped)", $0.box) }
      result.twins.append(
        AnnotationTwin(
          sha256: shas[image] ?? "", kept: "\(names[kept.sourceID] ?? "?"): \(kept.file)",
          alternates: ordered.dropFirst().map { key in
            let other = (candidates[key] ?? []).map { (classOf($0.className) ?? "(dropped)", $0.box) }
            let (shift, disagreements) = AnnotationTwin.compare(kept: keptBoxes, other: other)
            return AnnotationTwin.Alternate(
              file: "\(names[key.sourceID] ?? "?"): \(key.file)", boxes: other.count, keptBoxes: keptBoxes.count,
              largestShift: shift, classDisagreements: disagreements)
          }))
    }
    for (image, boxes) in loose where result.boxes[image] == nil { result.boxes[image] = boxes }
    result.twins.sort { $0.sha256 < $1.sha256 }
    return result
  }

  /// A path's last component without its extension.
  /// A COCO image entry's set, `<json>#<file_name>`, stems as its `file_name`.
  static func stem(_ path: String) -> String {
    let entry = path.range(of: ".json#").map { String(path[$0.upperBound...]) } ?? path
    let name = entry.split(separator: "/").last.map(String.init) ?? entry
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
  }
}

/// The origins of boxes read from annotation files (VOC, YOLO, COCO), as against a detector's or a reviewer's.
public enum AnnotationOrigin {
  public static let fileOrigins: Set<String> = ["voc", "yolo", "coco"]

  public static func isFile(_ origin: String) -> Bool { fileOrigins.contains(origin) }
}
