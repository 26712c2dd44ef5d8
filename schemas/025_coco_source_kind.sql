-- COCO detection files (`import --layout coco`) get a source kind of their own, `coco`, where they were
-- recorded as `folder`. SQLite cannot change a CHECK in place: the table is rebuilt under its own name, every
-- row kept with its id, so the tables that refer to sources (origins, labels, boxes, box sets, COCO
-- annotations, view sources) keep pointing at the same rows. Foreign keys are checked at commit
-- (`defer_foreign_keys`): dropping the old table leaves them dangling, re-inserting the rows mends them.
-- Sources already imported from a COCO file (they hold COCO annotations or COCO boxes) become `coco`.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE sources_before_025 AS SELECT * FROM sources;

DROP TABLE sources;

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('folder', 'voc', 'csv', 'yolo', 'coco', 'zip', 'crawl', 'derived')),
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  license TEXT,
  recipe TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (kind, uri)
);

INSERT INTO sources (id, kind, name, uri, license, recipe, created_at)
  SELECT id, kind, name, uri, license, recipe, created_at FROM sources_before_025 ORDER BY id;

DROP TABLE sources_before_025;

UPDATE sources SET kind = 'coco'
  WHERE kind = 'folder'
    AND (id IN (SELECT source_id FROM coco_annotations)
      OR id IN (SELECT origin_source_id FROM boxes WHERE origin = 'coco'))
    AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.kind = 'coco' AND s.uri = sources.uri);
