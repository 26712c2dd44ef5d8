-- Indexes for the browser's filters (`review serve`, /browse) on large catalogs: each filter finds its
-- candidate images from one index holding the image id, instead of reading table rows. A source's images
-- (the autoindex on (source_id, rel_path_bytes) carries the path blob, not the image id); a view's images of
-- a class; a split's images of a subset; an image's duplicate cluster or related group.
CREATE INDEX image_origins_source ON image_origins (source_id, image_id);
CREATE INDEX image_labels_view_class ON image_labels (view, class_id, image_id);
CREATE INDEX split_assignments_subset ON split_assignments (split_id, subset, image_id);
CREATE INDEX dup_clusters_relation ON dup_clusters (method, radius, COALESCE(group_id, cluster_id), image_id);
