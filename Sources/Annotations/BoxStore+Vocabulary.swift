import Catalog

extension BoxStore {
  /// The classes in use, by name: a class some image label, some box not rejected, or some recorded view holds.
  /// A class left behind by a typo relabelled back (no label, no box) is not among them.
  public func classesInUse() throws -> [String] {
    try database.rows(
      """
      SELECT c.name FROM classes c
      WHERE EXISTS (SELECT 1 FROM image_labels l WHERE l.class_id = c.id)
         OR EXISTS (SELECT 1 FROM boxes b WHERE b.class_id = c.id AND b.status != 'rejected')
         OR EXISTS (SELECT 1 FROM view_classes v WHERE v.class_id = c.id)
      ORDER BY c.name
      """
    ) { $0.text(0) ?? "" }
  }
}
