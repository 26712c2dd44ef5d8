-- COCO detection files imported (`import --layout coco`): every annotation as it was found, the provenance
-- a box cannot hold. `set_file` is the box set of one image entry, `<json path>#<file_name>` (the
-- `origin_file` of its boxes, origin 'coco'); `bbox` the four numbers as written; `segmentation` the JSON
-- as written (nil when absent or too large); `box_id` the box it gave (NULL for a crowd region, iscrowd 1,
-- which is provenance and never a box).
CREATE TABLE coco_annotations (
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL REFERENCES sources (id),
  set_file TEXT NOT NULL,
  annotation_id INTEGER NOT NULL,
  coco_image_id INTEGER NOT NULL,
  image_id INTEGER NOT NULL REFERENCES images (id),
  category TEXT NOT NULL,
  bbox TEXT NOT NULL,
  iscrowd INTEGER NOT NULL CHECK (iscrowd IN (0, 1)),
  area REAL,
  segmentation TEXT,
  box_id INTEGER REFERENCES boxes (id),
  created_at TEXT NOT NULL
);
CREATE INDEX coco_annotations_set ON coco_annotations (source_id, set_file);

-- A URL list's caption column (`crawl --caption-col`, img2dataset's convention): text that travels with the
-- image's origin into the export manifest and data.csv.
ALTER TABLE image_origins ADD COLUMN caption TEXT;
