-- Review log: every decision keeps the box's state before it, so the review page's undo (and any
-- later correction) appends an `undo` row instead of deleting one. Format: `status|class_id|xmin,ymin,xmax,ymax`;
-- NULL for a box a reviewer added. Rows written before this migration have NULL.
ALTER TABLE reviews ADD COLUMN previous TEXT;
