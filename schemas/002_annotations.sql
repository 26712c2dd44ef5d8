-- Annotation files imported and export class indices.

-- One row per Pascal VOC file imported: what the file says besides its boxes, so that a LabelImg file
-- exported again is byte-identical. `skeleton_xml` is the document with its objects removed, as the
-- LabelImg writer writes it (folder, filename, path, source, size, segmented, verified and any unknown
-- elements, verbatim). The boxes are rows of `boxes` with origin 'voc', origin_source_id = source_id and
-- origin_file = xml_path, in document order (by id).
CREATE TABLE voc_documents (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  source_id INTEGER NOT NULL REFERENCES sources (id),
  xml_path TEXT NOT NULL,
  xml_sha256 TEXT NOT NULL,
  skeleton_xml TEXT NOT NULL,
  dialect TEXT NOT NULL,
  width INTEGER,
  height INTEGER,
  created_at TEXT NOT NULL,
  UNIQUE (source_id, xml_path)
);
CREATE INDEX voc_documents_image ON voc_documents (image_id);
CREATE INDEX boxes_origin_file ON boxes (origin_source_id, origin_file);

-- Class indices for exports (YOLO index, COCO category id = idx + 1), frozen per workspace: a class
-- keeps its index forever, new classes are appended, so every export and re-export agrees.
CREATE TABLE export_class_indices (
  class_id INTEGER PRIMARY KEY REFERENCES classes (id),
  idx INTEGER NOT NULL UNIQUE,
  assigned_at TEXT NOT NULL
);
