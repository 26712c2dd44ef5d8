import Catalog

/// LabelImg's per-image "verified" flag (`<annotation verified="yes">`) as a LabelImg round trip left it
/// (`image_verified`); an image without a row takes its imported VOC file's attribute.
extension BoxStore {
  /// Image id → verified, for every image a LabelImg import decided.
  public func verifiedFlags() throws -> [Int64: Bool] {
    let pairs = try database.rows("SELECT image_id, verified FROM image_verified") { ($0.int64(0), $0.int64(1) != 0) }
    return Dictionary(pairs, uniquingKeysWith: { _, last in last })
  }

  /// Records `verified` for an image (replacing an earlier decision).
  public func setVerified(_ verified: Bool, imageID: Int64, by reviewer: String, at time: String) throws {
    try database.run(
      """
      INSERT INTO image_verified (image_id, verified, decided_by, decided_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (image_id) DO UPDATE SET verified = excluded.verified, decided_by = excluded.decided_by,
        decided_at = excluded.decided_at
      """, [.int(imageID), .int(verified ? 1 : 0), .text(reviewer), .text(time)])
  }

  /// Whether the image is verified: the LabelImg round trip's decision, else its imported VOC file's
  /// `verified="yes"` (the last recorded document of the image), else not.
  public func isVerified(imageID: Int64) throws -> Bool {
    if let flag = try database.scalarInt("SELECT verified FROM image_verified WHERE image_id = ?", [.int(imageID)]) {
      return flag != 0
    }
    let skeletons = try database.rows(
      "SELECT skeleton_xml FROM voc_documents WHERE image_id = ? ORDER BY id DESC LIMIT 1", [.int(imageID)]
    ) { $0.text(0) ?? "" }
    guard let skeleton = skeletons.first,
      let document = try? VOCReader.document(Array(skeleton.utf8), file: "skeleton")
    else { return false }
    return document.verified
  }
}
