-- A split is the whole recipe of its export: each member's label (its effective label in the split's view,
-- NULL for none) is frozen when it is assigned, and the assignment rows are the membership. An export of the
-- split reads these, not the catalog's labels of today, so it gives the same bytes whatever happens later;
-- `datasetkit split --update` takes later changes in and says which.
ALTER TABLE split_assignments ADD COLUMN label TEXT;

-- Splits made before: freeze the label each member has now, by the rule splits use (the view's label of the
-- first-imported source labelling it, then the class name).
UPDATE split_assignments SET label = (
  SELECT c.name FROM image_labels l JOIN classes c ON c.id = l.class_id
  WHERE l.image_id = split_assignments.image_id
    AND l.view = COALESCE((SELECT json_extract(s.params, '$.view') FROM splits s WHERE s.id = split_assignments.split_id), '')
  ORDER BY l.source_id IS NULL, l.source_id, c.name LIMIT 1);

-- Rows of images that are no longer active were ignored by every command before (export, stats, report);
-- they are not members of what those splits exported, so they go.
DELETE FROM split_assignments WHERE image_id IN (SELECT id FROM images WHERE status <> 'active');

-- The origins an export of the split credits are those recorded up to its last run: an image imported again
-- later from another source (the same bytes) gains an origin in the catalog, not in the split's manifest.
ALTER TABLE split_runs ADD COLUMN origins_through INTEGER;
