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
  public var sources: [SourceCount]
  public var licenses: [LicenseCount]
}

extension Catalog {
  public func stats() throws -> CatalogStats {
    try database.readTransaction {
      let byStatus = Dictionary(
        uniqueKeysWithValues: try database.rows(
          "SELECT status, COUNT(*) FROM images GROUP BY status ORDER BY status"
        ) { ($0.text(0) ?? "", $0.int(1)) })
      let labels = try database.rows(
        """
        SELECT c.name, COUNT(DISTINCT l.image_id) FROM image_labels l
        JOIN classes c ON c.id = l.class_id JOIN images i ON i.id = l.image_id
        WHERE i.status = 'active' AND l.view = '' GROUP BY c.id ORDER BY c.name
        """
      ) { CatalogStats.LabelCount(label: $0.text(0) ?? "", images: $0.int(1)) }
      let unlabeled = Int(
        try database.scalarInt(
          """
          SELECT COUNT(*) FROM images i WHERE i.status = 'active'
          AND NOT EXISTS (SELECT 1 FROM image_labels l WHERE l.image_id = i.id AND l.view = '')
          """) ?? 0)
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
      let licenses = try database.rows(
        """
        SELECT COALESCE(o.license, s.license, 'unknown'), COUNT(DISTINCT o.image_id)
        FROM image_origins o JOIN sources s ON s.id = o.source_id JOIN images i ON i.id = o.image_id
        WHERE i.status = 'active' GROUP BY 1 ORDER BY 2 DESC, 1
        """
      ) { CatalogStats.LicenseCount(license: $0.text(0) ?? "unknown", images: $0.int(1)) }
      return CatalogStats(
        images: byStatus.values.reduce(0, +), byStatus: byStatus, labels: labels, unlabeled: unlabeled,
        sources: sources, licenses: licenses)
    }
  }
}
