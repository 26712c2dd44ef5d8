-- LabelImg's "Verify Image" (`<annotation verified="yes">`) per image, as the last LabelImg round trip
-- (`review labelimg-import`) left it; it overrides the imported VOC file's own attribute. VOC and
-- LabelImg exports write it back.
CREATE TABLE image_verified (
  image_id INTEGER PRIMARY KEY REFERENCES images (id),
  verified INTEGER NOT NULL CHECK (verified IN (0, 1)),
  decided_by TEXT NOT NULL,
  decided_at TEXT NOT NULL
);
