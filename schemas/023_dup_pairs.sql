-- The pairs a `dedup` run confirmed, rewritten with its clusters (per method and radius): the relation and
-- what confirmed it (`same`, `labels`, `mirror`, `painted`, `edited`; `hash` when a run did not confirm), so
-- later commands tell the same picture under another label (a likely wrong label) from a painted copy (whose
-- label rightly differs) without decoding the images again. `review suspects` reads them.
CREATE TABLE dup_pairs (
  method TEXT NOT NULL,
  radius INTEGER NOT NULL,
  first_image_id INTEGER NOT NULL REFERENCES images (id),
  second_image_id INTEGER NOT NULL REFERENCES images (id),
  relation TEXT NOT NULL CHECK (relation IN ('duplicate', 'related')),
  evidence TEXT NOT NULL,
  distance INTEGER NOT NULL,
  PRIMARY KEY (method, radius, first_image_id, second_image_id)
);
CREATE INDEX dup_pairs_second ON dup_pairs (second_image_id);
