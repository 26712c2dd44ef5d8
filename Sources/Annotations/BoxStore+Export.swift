import Catalog

/// A stored VOC document's skeleton (the file without its objects) and the annotation file it came from.
public struct VOCSkeleton: Sendable, Hashable {
  public var imageID: Int64
  /// The source and file the document was imported from.
  public var set: AnnotationSetKey
  public var skeleton: String
}

extension BoxStore {
  /// Every imported VOC document's skeleton, in the order the documents were recorded.
  public func vocSkeletons() throws -> [VOCSkeleton] {
    try database.rows("SELECT image_id, source_id, xml_path, skeleton_xml FROM voc_documents ORDER BY id") {
      VOCSkeleton(
        imageID: $0.int64(0), set: AnnotationSetKey(sourceID: $0.int64(1), file: $0.text(2) ?? ""),
        skeleton: $0.text(3) ?? "")
    }
  }
}
