-- Face detection. One row per image and detector setting that ran, with or without faces, so
-- `faces detect` skips what it has done and `faces eval` knows which images a detector saw. detector_key
-- is name + version + canonical JSON parameters; the proposals are rows of `boxes` with origin = detector
-- name, detector = name + version and detector_params = the parameters.
CREATE TABLE detection_runs (
  image_id INTEGER NOT NULL REFERENCES images (id),
  detector_key TEXT NOT NULL,
  faces INTEGER NOT NULL,
  error TEXT,
  created_at TEXT NOT NULL,
  PRIMARY KEY (detector_key, image_id)
) WITHOUT ROWID;
CREATE INDEX boxes_status ON boxes (status);
CREATE INDEX crops_box ON crops (box_id);
