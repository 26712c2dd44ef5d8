import Catalog
import Foundation

/// A box to export.
public struct ExportBox: Sendable, Hashable {
  public var id: Int64
  public var className: String
  public var box: VOCBox
  public var difficult: Bool
  public var truncated: Bool
  public var pose: String?
  public var extraXML: String?
  /// `voc` for boxes read from an annotation file (written back as they were), else a detector or review.
  public var origin: String
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
  public static func compare(kept: [(String, VOCBox)], other: [(String, VOCBox)]) -> (
    shift: Double?, disagreements: [String: Int]
  ) {
    guard !kept.isEmpty, !other.isEmpty else { return (nil, [:]) }
    func distance(_ a: VOCBox, _ b: VOCBox) -> Double {
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
  public func viewNames() throws -> [String] {
    try database.rows(
      "SELECT view FROM view_classes UNION SELECT DISTINCT view FROM image_labels WHERE view != '' ORDER BY 1"
    ) { $0.text(0) ?? "" }
  }

  /// The view `merge` recorded under `name`, nil if none was.
  public func viewDefinition(_ name: String) throws -> ViewDefinition? {
    let classes = try database.rows(
      "SELECT c.name FROM view_classes v JOIN classes c ON c.id = v.class_id WHERE v.view = ? ORDER BY v.position",
      [.text(name)]
    ) { $0.text(0) ?? "" }
    guard !classes.isEmpty else { return nil }
    var map: [String: ViewDefinition.Action] = [:]
    for (found, action, target) in try database.rows(
      """
      SELECT f.name, m.action, t.name FROM view_class_map m JOIN classes f ON f.id = m.found_class_id
      LEFT JOIN classes t ON t.id = m.view_class_id WHERE m.view = ?
      """, [.text(name)], { ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2)) })
    {
      switch (action, target) {
      case ("map", let target?): map[found] = .map(target)
      case ("ignore", _): map[found] = .ignore
      default: map[found] = .drop
      }
    }
    var rank: [Int64: Int] = [:]
    for (source, position) in try database.rows(
      "SELECT source_id, rank FROM view_sources WHERE view = ?", [.text(name)], { ($0.int64(0), $0.int(1)) })
    {
      rank[source] = position
    }
    return ViewDefinition(name: name, classes: classes, map: map, sourceRank: rank)
  }

  /// Records a view (call inside a write transaction): replaces what was recorded under its name.
  public func recordView(_ view: ViewDefinition) throws {
    for table in ["view_classes", "view_class_map", "view_sources"] {
      try database.run("DELETE FROM \(table) WHERE view = ?", [.text(view.name)])
    }
    for (position, name) in view.classes.enumerated() {
      try database.run(
        "INSERT INTO view_classes (view, position, class_id) VALUES (?, ?, ?)",
        [.text(view.name), .int(Int64(position)), .int(try classID(named: name))])
    }
    for (found, action) in view.map.sorted(by: { $0.key < $1.key }) {
      let (text, target): (String, SQLValue) =
        switch action {
        case .map(let name): ("map", .int(try classID(named: name)))
        case .drop: ("drop", .null)
        case .ignore: ("ignore", .null)
        }
      try database.run(
        "INSERT INTO view_class_map (view, found_class_id, action, view_class_id) VALUES (?, ?, ?, ?)",
        [.text(view.name), .int(try classID(named: found)), .text(text), target])
    }
    for (source, rank) in view.sourceRank.sorted(by: { $0.key < $1.key }) {
      try database.run(
        "INSERT INTO view_sources (view, source_id, rank) VALUES (?, ?, ?)",
        [.text(view.name), .int(source), .int(Int64(rank))])
    }
  }

  /// Every image's effective box set (see `EffectiveBoxes`), with found class names. `rank` orders the
  /// sources (lower first; a source it does not name comes after, by id); `sources` limits the annotation
  /// files considered (nil: all).
  /// `classOf` names a found class as the twins report compares it (a view's class; nil: dropped).
  public func effectiveBoxes(
    rank: [Int64: Int] = [:], sources: Set<Int64>? = nil, classOf: (String) -> String? = { $0 }
  ) throws -> EffectiveBoxes {
    let rows = try database.rows(
      """
      SELECT b.id, b.image_id, c.name, b.xmin, b.ymin, b.xmax, b.ymax, b.difficult, b.truncated, b.pose,
        b.extra_xml, b.origin, b.origin_source_id, b.origin_file
      FROM boxes b JOIN classes c ON c.id = b.class_id JOIN images i ON i.id = b.image_id
      WHERE b.status != 'rejected' AND i.status = 'active' ORDER BY b.id
      """
    ) { row -> StoredBox in
      let set: AnnotationSetKey? =
        row.isNull(12) || row.isNull(13) ? nil : AnnotationSetKey(sourceID: row.int64(12), file: row.text(13) ?? "")
      return StoredBox(
        imageID: row.int64(1), set: set,
        box: ExportBox(
          id: row.int64(0), className: row.text(2) ?? "",
          box: VOCBox(xmin: row.double(3), ymin: row.double(4), xmax: row.double(5), ymax: row.double(6)),
          difficult: row.int(7) != 0, truncated: row.int(8) != 0, pose: row.text(9), extraXML: row.text(10),
          origin: row.text(11) ?? ""))
    }
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
      for (image, source, path) in try database.rows(
        "SELECT image_id, source_id, rel_path FROM image_origins ORDER BY id", [],
        { ($0.int64(0), $0.int64(1), $0.text(2) ?? "") })
      where multiple.contains(image) && firstStem[image]?[source] == nil {
        firstStem[image, default: [:]][source] = Self.stem(path)
      }
    }
    let shas: [Int64: String] =
      multiple.isEmpty
      ? [:]
      : Dictionary(
        try database.rows("SELECT id, sha256 FROM images WHERE status = 'active'") { ($0.int64(0), $0.text(1) ?? "") },
        uniquingKeysWith: { a, _ in a })
    let names: [Int64: String] =
      multiple.isEmpty
      ? [:]
      : Dictionary(
        try database.rows("SELECT id, name FROM sources") { ($0.int64(0), $0.text(1) ?? "") },
        uniquingKeysWith: { a, _ in a })
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
  static func stem(_ path: String) -> String {
    let name = path.split(separator: "/").last.map(String.init) ?? path
    guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
    return String(name[..<dot])
  }
}
