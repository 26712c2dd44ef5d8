-- Every run of `datasetkit split` is recorded (when, how many assigned, moved, and its report), and an
-- assignment names the run that made it instead of repeating a timestamp on every row. The assignments
-- table becomes WITHOUT ROWID: one B-tree keyed by (split, image), a third of the bytes per row.

CREATE TABLE split_runs (
  id INTEGER PRIMARY KEY,
  split_id INTEGER NOT NULL REFERENCES splits (id),
  created_at TEXT NOT NULL,
  rebalance INTEGER NOT NULL DEFAULT 0,
  assigned INTEGER NOT NULL DEFAULT 0,
  moved INTEGER NOT NULL DEFAULT 0,
  report TEXT
);
CREATE INDEX split_runs_split ON split_runs (split_id);

INSERT INTO split_runs (split_id, created_at, assigned)
  SELECT s.id, s.created_at, (SELECT COUNT(*) FROM split_assignments a WHERE a.split_id = s.id) FROM splits s;

CREATE TABLE split_assignments_v5 (
  split_id INTEGER NOT NULL REFERENCES splits (id),
  image_id INTEGER NOT NULL REFERENCES images (id),
  subset TEXT NOT NULL,
  group_key TEXT,
  run_id INTEGER NOT NULL REFERENCES split_runs (id),
  PRIMARY KEY (split_id, image_id)
) WITHOUT ROWID;

INSERT INTO split_assignments_v5 (split_id, image_id, subset, group_key, run_id)
  SELECT a.split_id, a.image_id, a.subset, a.group_key, (SELECT MIN(r.id) FROM split_runs r WHERE r.split_id = a.split_id)
  FROM split_assignments a;

DROP TABLE split_assignments;
ALTER TABLE split_assignments_v5 RENAME TO split_assignments;
