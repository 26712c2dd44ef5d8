import Catalog

extension SplitCatalog {
  /// The ids of the images `selection` takes (of any status), or nil when it takes everything. A crop is an
  /// image with a row in `crops`; every other image is a photo. A crop is of its photo's sources too. Throws for a source name the catalog does
  /// not have, naming those it has.
  static func imageIDs(catalog: Catalog, selection: ImageSelection) throws -> Set<Int64>? {
    guard !selection.selectsEverything else { return nil }
    let db = catalog.database
    var clauses: [String] = []
    var values: [SQLValue] = []
    switch selection.kind {
    case .crops?: clauses.append("i.id IN (SELECT image_id FROM crops)")
    case .photos?: clauses.append("i.id NOT IN (SELECT image_id FROM crops)")
    case nil: break
    }
    let sources = selection.sources
    if !sources.isEmpty {
      let known = try db.rows("SELECT DISTINCT name FROM sources ORDER BY name") { $0.text(0) ?? "" }
      for name in sources where !known.contains(name) { throw SplitterError.unknownSource(name, known: known) }
      // Lineage: a crop belongs to its photo's source too.
      let names = sources.map { _ in "?" }.joined(separator: ", ")
      clauses.append(
        """
        (i.id IN (SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE s.name IN (\(names)))
         OR i.id IN (SELECT k.image_id FROM crops k JOIN image_origins o ON o.image_id = k.parent_image_id
                     JOIN sources s ON s.id = o.source_id WHERE s.name IN (\(names))))
        """)
      values += sources.map { .text($0) } + sources.map { .text($0) }
    }
    return Set(
      try db.rows("SELECT i.id FROM images i WHERE " + clauses.joined(separator: " AND "), values) { $0.int64(0) })
  }
}
