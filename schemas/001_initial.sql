-- datasetkit catalog, schema version 1: sources, images, origins, labels, boxes, hashes, clusters, reviews, crawl
-- state and splits.
-- Every migration runs in one transaction together with `PRAGMA user_version = N`.

CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('folder', 'voc', 'csv', 'yolo', 'zip', 'crawl', 'derived')),
  name TEXT NOT NULL,
  uri TEXT NOT NULL,
  license TEXT,
  recipe TEXT,
  created_at TEXT NOT NULL,
  UNIQUE (kind, uri)
);

CREATE TABLE images (
  id INTEGER PRIMARY KEY,
  sha256 TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  format TEXT NOT NULL CHECK (format IN ('jpeg', 'png', 'webp', 'bmp', 'gif')),
  extension TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'rejected', 'duplicate', 'quarantined')),
  status_reason TEXT,
  parent_image_id INTEGER REFERENCES images (id),
  created_at TEXT NOT NULL
);
CREATE INDEX images_status ON images (status);

-- Every place an image came from. rel_path_bytes keeps the exact file name bytes (which may not be
-- UTF-8); rel_path is the same name for display, with undecodable bytes written as \xNN.
CREATE TABLE image_origins (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  source_id INTEGER NOT NULL REFERENCES sources (id),
  rel_path TEXT NOT NULL,
  rel_path_bytes BLOB NOT NULL,
  file_size INTEGER,
  file_mtime_ns INTEGER,
  original_split TEXT,
  url TEXT,
  page_url TEXT,
  license TEXT,
  license_url TEXT,
  creator TEXT,
  attribution TEXT,
  query TEXT,
  rank INTEGER,
  http_status INTEGER,
  retrieved_at TEXT NOT NULL,
  UNIQUE (source_id, rel_path_bytes)
);
CREATE INDEX image_origins_image ON image_origins (image_id);

CREATE TABLE classes (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- Classification labels. `view` names a label set ('' is the labels as found); `how` says where
-- the label came from (folder, recipe, review, voc-majority, csv, ...).
CREATE TABLE image_labels (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  class_id INTEGER NOT NULL REFERENCES classes (id),
  source_id INTEGER REFERENCES sources (id),
  view TEXT NOT NULL DEFAULT '',
  how TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (image_id, class_id, source_id, view)
);
CREATE INDEX image_labels_class ON image_labels (class_id);

CREATE TABLE boxes (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  class_id INTEGER REFERENCES classes (id),
  xmin REAL NOT NULL,
  ymin REAL NOT NULL,
  xmax REAL NOT NULL,
  ymax REAL NOT NULL,
  difficult INTEGER NOT NULL DEFAULT 0,
  truncated INTEGER NOT NULL DEFAULT 0,
  pose TEXT,
  extra_xml TEXT,
  origin TEXT NOT NULL,
  origin_source_id INTEGER REFERENCES sources (id),
  origin_file TEXT,
  detector TEXT,
  detector_params TEXT,
  score REAL,
  status TEXT NOT NULL DEFAULT 'proposed' CHECK (status IN ('proposed', 'accepted', 'rejected')),
  created_at TEXT NOT NULL,
  CHECK (xmin <= xmax AND ymin <= ymax)
);
CREATE INDEX boxes_image ON boxes (image_id);

CREATE TABLE crops (
  id INTEGER PRIMARY KEY,
  image_id INTEGER NOT NULL REFERENCES images (id),
  parent_image_id INTEGER NOT NULL REFERENCES images (id),
  box_id INTEGER REFERENCES boxes (id),
  margin REAL NOT NULL,
  width INTEGER NOT NULL,
  height INTEGER NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE hashes (
  image_id INTEGER NOT NULL REFERENCES images (id),
  algorithm TEXT NOT NULL,
  version INTEGER NOT NULL,
  value INTEGER NOT NULL,
  PRIMARY KEY (image_id, algorithm, version)
);

CREATE TABLE dup_clusters (
  image_id INTEGER NOT NULL REFERENCES images (id),
  cluster_id INTEGER NOT NULL,
  method TEXT NOT NULL,
  radius INTEGER NOT NULL,
  kept INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (image_id, method, radius)
);
CREATE INDEX dup_clusters_cluster ON dup_clusters (cluster_id);

-- Append-only log of review decisions; the current state of a box or label is derived from it.
CREATE TABLE reviews (
  id INTEGER PRIMARY KEY,
  subject TEXT NOT NULL CHECK (subject IN ('box', 'image', 'crop')),
  subject_id INTEGER NOT NULL,
  action TEXT NOT NULL,
  value TEXT,
  reviewer TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX reviews_subject ON reviews (subject, subject_id);

CREATE TABLE crawl_jobs (
  id INTEGER PRIMARY KEY,
  provider TEXT NOT NULL,
  query TEXT NOT NULL,
  label TEXT,
  params TEXT,
  cursor TEXT,
  status TEXT NOT NULL DEFAULT 'running',
  requests_spent INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);

CREATE TABLE crawl_items (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL REFERENCES crawl_jobs (id),
  url TEXT NOT NULL,
  page_url TEXT,
  rank INTEGER,
  metadata TEXT,
  state TEXT NOT NULL DEFAULT 'pending',
  error TEXT,
  image_id INTEGER REFERENCES images (id),
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL,
  UNIQUE (job_id, url)
);

CREATE TABLE splits (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  params TEXT NOT NULL,
  seed INTEGER NOT NULL,
  created_at TEXT NOT NULL
);

CREATE TABLE split_assignments (
  split_id INTEGER NOT NULL REFERENCES splits (id),
  image_id INTEGER NOT NULL REFERENCES images (id),
  subset TEXT NOT NULL,
  group_key TEXT,
  assigned_at TEXT NOT NULL,
  PRIMARY KEY (split_id, image_id)
);
