-- Bounded duplicate clusters and lineage.
-- A cluster is now a star: every member is within the radius of its kept image. The wider near-duplicate
-- group (pairs joined transitively, which is what a split keeps whole) is `group_id`; rows written before
-- this migration were transitive clusters, so their group is their cluster. Images in a group but in no
-- multi-image cluster get a row of their own (a cluster of one, kept).
ALTER TABLE dup_clusters ADD COLUMN group_id INTEGER;
UPDATE dup_clusters SET group_id = cluster_id;
CREATE INDEX dup_clusters_group ON dup_clusters (group_id);

-- A person's word on one image, which every later dedup run honours: `keep` (always active, kept first in
-- its cluster) or `unmark` (not a duplicate of anything: active, in no cluster; still in its group).
CREATE TABLE dedup_decisions (
  image_id INTEGER PRIMARY KEY REFERENCES images (id),
  decision TEXT NOT NULL CHECK (decision IN ('keep', 'unmark')),
  created_at TEXT NOT NULL
);

-- Lineage: a derived image (crop, resize, augmentation) names its parent in images.parent_image_id, and a
-- crop also in crops.parent_image_id (one row per box it was cut from). Splits and the leakage check look
-- them up by child and by parent.
CREATE INDEX crops_image ON crops (image_id);
CREATE INDEX images_parent ON images (parent_image_id) WHERE parent_image_id IS NOT NULL;
