import Catalog
import Foundation

/// One difference between a split as made and the catalog now: what `split status` lists and
/// `split --update` takes in.
public struct SplitChange: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable, CaseIterable {
    /// Marked a duplicate (by dedup) since: leaves the split on update.
    case duplicate
    /// Rejected or quarantined since: leaves the split on update.
    case excluded
    /// Its label in the split's view changed: takes the new label on update.
    case relabelled
    /// It lost its label in the split's view: leaves a split with a view; in a split of the labels as
    /// imported it stays, without a label.
    case unlabelled
    /// Its box set (as a box export writes it) changed: takes the new boxes on update.
    case boxesChanged
    /// No longer matches the split's --kind / --source: leaves on update.
    case deselected
    /// An image the split would take that is not a member yet: assigned on update.
    case new
  }

  public var kind: Kind
  public var imageID: Int64
  /// The member's subset (nil for a new image).
  public var subset: String?
  /// The label frozen in the split (nil: none).
  public var label: String?
  /// The label the image has now in the split's view (relabelled, new).
  public var newLabel: String?
  /// True when `split --update` takes the image out of the split.
  public var leaves: Bool
  public var sha256 = ""
  /// Where it first came from: `source/relative path` (empty when it has no origin).
  public var path = ""
  /// The image's status now (active, duplicate, rejected, quarantined).
  public var status = ""
  /// `boxesChanged`: its boxes as frozen and now.
  public var boxesBefore: Int?
  public var boxesAfter: Int?

  public init(
    kind: Kind, imageID: Int64, subset: String? = nil, label: String? = nil, newLabel: String? = nil,
    leaves: Bool = false
  ) {
    self.kind = kind
    self.imageID = imageID
    self.subset = subset
    self.label = label
    self.newLabel = newLabel
    self.leaves = leaves
  }
}

/// `split status`: a stored split against the catalog now.
public struct SplitStatus: Sendable, Codable {
  public var name: String
  public var createdAt: String
  public var plan: SplitPlan
  /// Members per subset, as frozen (what an export writes).
  public var counts: [String: Int]
  /// Changes per kind (only kinds that occur).
  public var changeCounts: [String: Int]
  /// Every change, by kind then image id.
  public var changes: [SplitChange]

  public var isCurrent: Bool { changes.isEmpty }
}

/// A member of a split as frozen: the image (whatever its status now), its subset and the label it was
/// assigned with.
public struct FrozenMember: Sendable, Hashable {
  public var image: ActiveImage
  public var subset: String
  public var label: String?
}

extension SplitCatalog {
  /// Fills in each change's SHA-256, first origin and status (a member gone inactive becomes `duplicate`
  /// when that is its status), sorted by kind then image id.
  static func describe(catalog: Catalog, _ changes: [SplitChange]) throws -> [SplitChange] {
    if changes.isEmpty { return [] }
    let lookup = try catalog.database.prepare(
      """
      SELECT i.sha256, i.status,
        COALESCE((SELECT s.name || '/' || o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE o.image_id = i.id ORDER BY o.id LIMIT 1), '')
      FROM images i WHERE i.id = ?
      """)
    defer { lookup.reset() }
    let order = Dictionary(
      SplitChange.Kind.allCases.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    return try changes.map { change in
      var change = change
      try lookup.bind([.int(change.imageID)])
      if try lookup.step() {
        change.sha256 = lookup.text(0) ?? ""
        change.status = lookup.text(1) ?? ""
        change.path = lookup.text(2) ?? ""
      }
      lookup.rewind()
      if change.kind == .excluded && change.status == ImageStatus.duplicate.rawValue { change.kind = .duplicate }
      return change
    }.sorted { (order[$0.kind] ?? 0, $0.imageID) < (order[$1.kind] ?? 0, $1.imageID) }
  }

  /// Split `name` as made against the catalog now: which members were since marked duplicate, excluded,
  /// relabelled, lost their label, had their boxes changed or left the selection, and which images it would
  /// take in — what `split --update` would do. Reads only (a split made before boxes were frozen freezes
  /// its members' boxes of now first, once).
  public static func status(catalog: Catalog, name: String) throws -> SplitStatus {
    guard let summary = try list(catalog: catalog).first(where: { $0.name == name }),
      let id = try splitID(catalog: catalog, name: name)
    else {
      throw unknownSplit(name, catalog: catalog)
    }
    // A split made before boxes were frozen freezes today's first (once).
    try freezeBoxesIfNeeded(catalog: catalog, splitID: id, view: summary.plan.view)
    let changes: [SplitChange] = try catalog.database.readTransaction {
      let found: [SplitChange]
      if summary.plan.groupBy == "original" && summary.plan.stratify.isEmpty && !summary.plan.groupDuplicates {
        // A split taken from the images' own folders (`--from-original`) is not re-run; only its members
        // can have changed.
        found = try originalSplitChanges(catalog: catalog, splitID: id)
      } else {
        found = try load(catalog: catalog, plan: summary.plan, splitID: id).changes
      }
      let leaving = Set(found.filter(\.leaves).map(\.imageID))
      return try describe(
        catalog: catalog,
        found + boxChanges(catalog: catalog, splitID: id, view: summary.plan.view, leaving: leaving))
    }
    var counts: [String: Int] = [:]
    for change in changes { counts[change.kind.rawValue, default: 0] += 1 }
    return SplitStatus(
      name: name, createdAt: summary.createdAt, plan: summary.plan, counts: summary.counts, changeCounts: counts,
      changes: changes)
  }

  /// Members of a `--from-original` split that are no longer active.
  static func originalSplitChanges(catalog: Catalog, splitID: Int64) throws -> [SplitChange] {
    try catalog.database.rows(
      """
      SELECT a.image_id, a.subset, a.label FROM split_assignments a JOIN images i ON i.id = a.image_id
      WHERE a.split_id = ? AND i.status <> 'active' ORDER BY a.image_id
      """, [.int(splitID)]
    ) { SplitChange(kind: .excluded, imageID: $0.int64(0), subset: $0.text(1), label: $0.text(2), leaves: true) }
  }

  /// Every member of split `splitID` as frozen (whatever its status now), in SHA-256 order.
  public static func frozenMembers(catalog: Catalog, splitID: Int64) throws -> [FrozenMember] {
    try catalog.database.rows(
      """
      SELECT i.id, i.sha256, i.extension, i.width, i.height, i.format, a.subset, a.label FROM split_assignments a
      JOIN images i ON i.id = a.image_id WHERE a.split_id = ? ORDER BY i.sha256
      """, [.int(splitID)]
    ) {
      FrozenMember(
        image: ActiveImage(
          id: $0.int64(0), sha256: $0.text(1) ?? "", fileExtension: $0.text(2) ?? "jpg", format: $0.text(5) ?? "",
          width: $0.int(3), height: $0.int(4)),
        subset: $0.text(6) ?? "", label: $0.text(7))
    }
  }

  /// Takes the catalog's changes into split `name` with its stored recipe (`split --update`): relabelled
  /// members take their new label, members whose boxes changed their new boxes, members no longer active or in the view or selection leave, new images
  /// are assigned; no other member moves.
  public static func update(catalog: Catalog, name: String) throws -> SplitReport {
    try split(catalog: catalog, name: name, plan: try summary(catalog: catalog, name: name).plan)
  }

  /// The largest origin row id when split `splitID` last ran (nil for a split made before it was recorded):
  /// the origins its export credits.
  public static func originsThrough(catalog: Catalog, splitID: Int64) throws -> Int64? {
    try catalog.database.scalarInt("SELECT MAX(origins_through) FROM split_runs WHERE split_id = ?", [.int(splitID)])
  }

  /// The stored split `name` (its recipe and counts); throws naming the splits that exist.
  public static func summary(catalog: Catalog, name: String) throws -> SplitSummary {
    guard let found = try list(catalog: catalog).first(where: { $0.name == name }) else {
      throw unknownSplit(name, catalog: catalog)
    }
    return found
  }
}

/// The recipe flags a command may repeat after `--split V`: each absent flag is taken from the split; a
/// flag that says something else is refused (`SplitterError.contradictsSplit`).
public struct SplitRecipeFlags: Sendable, Equatable {
  /// `--view` (nil: not given).
  public var view: String?
  /// `--kind` (nil: not given).
  public var kind: ImageKind?
  /// `--source` (empty: not given).
  public var sources: [String]

  public init(view: String? = nil, kind: ImageKind? = nil, sources: [String] = []) {
    self.view = view
    self.kind = kind
    self.sources = sources
  }

  /// Checks the given flags against the plan of split `name`.
  public func check(against plan: SplitPlan, split name: String) throws {
    if let view, view != plan.view {
      throw SplitterError.contradictsSplit(
        flag: "--view \(view.isEmpty ? "''" : view)", split: name,
        made: plan.view.isEmpty ? "no --view (the labels as imported)" : "--view \(plan.view)")
    }
    if let kind, kind != plan.kind {
      throw SplitterError.contradictsSplit(
        flag: "--kind \(kind.rawValue)", split: name,
        made: plan.kind.map { "--kind \($0.rawValue)" } ?? "no --kind (crops and photos)")
    }
    if !sources.isEmpty, Set(sources) != Set(plan.sources ?? []) {
      throw SplitterError.contradictsSplit(
        flag: sources.map { "--source \($0)" }.joined(separator: " "), split: name,
        made: plan.sources.map { $0.map { "--source \($0)" }.joined(separator: " ") }
          ?? "no --source (every source)")
    }
  }
}
