import Catalog
import Foundation

/// Which images a split or an export takes: crops or photos (`--kind`), from some sources (`--source`).
public struct ImageSelection: Sendable, Equatable {
  public var kind: ImageKind?
  /// Source names; empty: every source.
  public var sources: [String]

  public init(kind: ImageKind? = nil, sources: [String] = []) {
    self.kind = kind
    self.sources = sources
  }

  public var selectsEverything: Bool { kind == nil && sources.isEmpty }

  /// The ids of the selected images (of any status), or nil when everything is selected. A crop is an
  /// image cut from a box of another image (a row of `crops`: `faces crop`, a recipe's `boxes: crops`);
  /// every other image is a photo. Throws for a source name the catalog does not have.
  public func imageIDs(in catalog: Catalog) throws -> Set<Int64>? {
    guard !selectsEverything else { return nil }
    let db = catalog.database
    var clauses: [String] = []
    var values: [SQLValue] = []
    switch kind {
    case .crops?: clauses.append("i.id IN (SELECT image_id FROM crops)")
    case .photos?: clauses.append("i.id NOT IN (SELECT image_id FROM crops)")
    case nil: break
    }
    if !sources.isEmpty {
      let known = try db.rows("SELECT DISTINCT name FROM sources ORDER BY name") { $0.text(0) ?? "" }
      for name in sources where !known.contains(name) { throw SplitterError.unknownSource(name, known: known) }
      clauses.append(
        """
        i.id IN (SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id
                 WHERE s.name IN (\(sources.map { _ in "?" }.joined(separator: ", "))))
        """)
      values += sources.map { .text($0) }
    }
    return Set(
      try db.rows("SELECT i.id FROM images i WHERE " + clauses.joined(separator: " AND "), values) { $0.int64(0) })
  }
}
