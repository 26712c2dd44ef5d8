import Foundation

/// Counts over the catalog: images by status, per label and per source.
public struct CatalogStats: Sendable, Codable, Equatable {
  public struct LabelCount: Sendable, Codable, Equatable {
    public var label: String
    /// Active images carrying the label (from any source).
    public var images: Int
  }

  public struct SourceCount: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    public var kind: String
    public var uri: String
    /// Distinct active images with at least one origin in this source.
    public var images: Int
    /// Origins (files) recorded for this source, whatever their image's status.
    public var files: Int
  }

  public struct LicenseCount: Sendable, Codable, Equatable {
    /// The license recorded with the origin (or its source); "unknown" when none was.
    public var license: String
    /// Distinct active images with at least one origin under this license.
    public var images: Int
  }

  /// All images, whatever their status.
  public var images: Int
  public var byStatus: [String: Int]
  public var labels: [LabelCount]
  /// Active images with no label.
  public var unlabeled: Int
  /// Active images labelled by two or more sources (each still counted once in `labels`).
  public var labelledBySeveralSources = 0
  /// The label set counted (`""`: the labels as found; else a merge view).
  public var view = ""
  public var sources: [SourceCount]
  public var licenses: [LicenseCount]
}

extension Catalog {
  /// Counts; `labels` counts each active image once, in the label credited to it (see `creditedLabels`).
  public func stats(view: String = "") throws -> CatalogStats {
    try database.readTransaction {
      let byStatus = Dictionary(
        try database.rows(
          "SELECT status, COUNT(*) FROM images GROUP BY status ORDER BY status"
        ) { ($0.text(0) ?? "", $0.int(1)) }, uniquingKeysWith: { first, _ in first })
      let credited = try creditedLabels(view: view)
      var perLabel: [String: Int] = [:]
      for entry in credited.values { perLabel[entry.label, default: 0] += 1 }
      let labels = perLabel.keys.sorted().map { CatalogStats.LabelCount(label: $0, images: perLabel[$0] ?? 0) }
      let active = Int(try database.scalarInt("SELECT COUNT(*) FROM images WHERE status = 'active'") ?? 0)
      let unlabeled = active - credited.count
      let several = Int(
        try database.scalarInt(
          """
          SELECT COUNT(*) FROM (SELECT l.image_id FROM image_labels l JOIN images i ON i.id = l.image_id
          WHERE i.status = 'active' AND l.view = ''
            AND (? = '' OR l.image_id IN (SELECT image_id FROM image_labels WHERE view = ?))
          GROUP BY l.image_id HAVING COUNT(DISTINCT l.source_id) > 1)
          """, [.text(view), .text(view)]) ?? 0)
      let sources = try database.rows(
        """
        SELECT s.id, s.name, s.kind, s.uri,
          (SELECT COUNT(DISTINCT o.image_id) FROM image_origins o JOIN images i ON i.id = o.image_id
           WHERE o.source_id = s.id AND i.status = 'active'),
          (SELECT COUNT(*) FROM image_origins o WHERE o.source_id = s.id)
        FROM sources s ORDER BY s.id
        """
      ) {
        CatalogStats.SourceCount(
          id: $0.int64(0), name: $0.text(1) ?? "", kind: $0.text(2) ?? "", uri: $0.text(3) ?? "",
          images: $0.int(4), files: $0.int(5))
      }
      // A crop counts under its photo's license (lineage).
      let activeIDs = Set(try database.rows("SELECT id FROM images WHERE status = 'active'") { $0.int64(0) })
      var licensed: [String: Set<Int64>] = [:]
      for origin in try originLicenses() where activeIDs.contains(origin.imageID) {
        licensed[origin.license, default: []].insert(origin.imageID)
      }
      let licenses = licensed.map { CatalogStats.LicenseCount(license: $0.key, images: $0.value.count) }
        .sorted { $0.images != $1.images ? $0.images > $1.images : $0.license < $1.license }
      return CatalogStats(
        images: byStatus.values.reduce(0, +), byStatus: byStatus, labels: labels, unlabeled: unlabeled,
        labelledBySeveralSources: several, view: view, sources: sources, licenses: licenses)
    }
  }

  /// Each active labelled image's one label and the source credited with it, by the rule `merge` uses: in
  /// a merge view, the label the view holds and the source whose label decided it; as found (`""`), the
  /// label of the first-imported source that labels it (then the class name). Every table that counts
  /// labels per image (stats, stats --by source, stats --split) uses this, so each image counts once.
  public func creditedLabels(view: String) throws -> [Int64: (label: String, source: Int64?)] {
    var result: [Int64: (label: String, source: Int64?)] = [:]
    for (image, label, source) in try database.rows(
      """
      SELECT l.image_id, c.name, l.source_id FROM image_labels l JOIN classes c ON c.id = l.class_id
      JOIN images i ON i.id = l.image_id WHERE i.status = 'active' AND l.view = ?
      ORDER BY l.image_id, l.source_id IS NULL, l.source_id, c.name
      """, [.text(view)], { ($0.int64(0), $0.text(1) ?? "", $0.isNull(2) ? nil : $0.int64(2)) })
    where result[image] == nil {
      result[image] = (label, source)
    }
    // Lineage: a crop labelled by `faces crop` (source `crops`, kind derived) is credited to its photo's source.
    let derived = Set(try database.rows("SELECT id FROM sources WHERE kind = 'derived'") { $0.int64(0) })
    if !derived.isEmpty, result.values.contains(where: { $0.source.map(derived.contains) == true }) {
      let firstSource = try firstSourceByImage()
      for (image, entry) in result where entry.source.map(derived.contains) == true {
        if let source = firstSource[image], !derived.contains(source) { result[image] = (entry.label, source) }
      }
    }
    return result
  }
}

/// Counts per source: which sources share images (exact same bytes), and each label's images per
/// source — the confound that lets a model learn "which dataset" instead of "mask or no mask".
public struct SourceBreakdown: Sendable, Codable, Equatable {
  public struct LabelRow: Sendable, Codable, Equatable {
    public var label: String
    /// Images carrying the label, per source (in `sources` order), each image counted once, for the source
    /// credited with its label (`Catalog.creditedLabels`).
    public var images: [Int]
  }

  /// Source names, in id order.
  public var sources: [String]
  /// `overlap[i][j]`: active images with an origin in both source i and source j; the diagonal is
  /// each source's own image count.
  public var overlap: [[Int]]
  /// The label set counted (`""` is the labels as found; else a merge view).
  public var view: String
  public var labels: [LabelRow]
}

extension Catalog {
  /// The source × source overlap matrix and the label × source table of `view`.
  public func sourceBreakdown(view: String = "") throws -> SourceBreakdown {
    try database.readTransaction {
      let sources = try sourceNames()
      let position = Dictionary(sources.enumerated().map { ($1.0, $0) }, uniquingKeysWith: { first, _ in first })
      var overlap = Array(repeating: Array(repeating: 0, count: sources.count), count: sources.count)
      let pairs = try database.rows(
        """
        SELECT a.source_id, b.source_id, COUNT(DISTINCT a.image_id) FROM image_origins a
        JOIN image_origins b ON b.image_id = a.image_id JOIN images i ON i.id = a.image_id
        WHERE i.status = 'active' GROUP BY a.source_id, b.source_id
        """
      ) { ($0.int64(0), $0.int64(1), $0.int(2)) }
      for (a, b, count) in pairs {
        if let i = position[a], let j = position[b] { overlap[i][j] = count }
      }
      // Each image once, credited to one source (`creditedLabels`: merge's rule).
      var rows: [String: [Int]] = [:]
      for (label, source) in try creditedLabels(view: view).values {
        guard let source, let column = position[source] else { continue }
        rows[label, default: Array(repeating: 0, count: sources.count)][column] += 1
      }
      return SourceBreakdown(
        sources: sources.map(\.1), overlap: overlap, view: view,
        labels: rows.keys.sorted().map { SourceBreakdown.LabelRow(label: $0, images: rows[$0] ?? []) })
    }
  }
}
