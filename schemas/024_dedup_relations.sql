-- Every pair the last confirming `dedup` of a method and radius found related or the same picture (before its
-- label rule), and what it compared: the relation thresholds (JSON) and a digest of the stored hashes it
-- searched (`hashes_digest`, over every active or duplicate image's hashes of the method and the relation
-- hashes). A reader that would search the same hashes with the same thresholds (the dataset card's leakage
-- check) reads the pairs instead of searching and decoding again; any change to the hashes changes the digest.
CREATE TABLE dedup_relation_runs (
  method TEXT NOT NULL,
  radius INTEGER NOT NULL,
  thresholds TEXT NOT NULL,
  hashes_digest TEXT NOT NULL,
  images INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (method, radius)
);
CREATE TABLE dedup_relations (
  method TEXT NOT NULL,
  radius INTEGER NOT NULL,
  first_image_id INTEGER NOT NULL,
  second_image_id INTEGER NOT NULL,
  relation TEXT NOT NULL,
  evidence TEXT NOT NULL,
  distance INTEGER NOT NULL,
  similarity REAL NOT NULL,
  PRIMARY KEY (method, radius, first_image_id, second_image_id)
) WITHOUT ROWID;
