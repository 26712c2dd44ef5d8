-- Views and boxes: what `merge` decided for each view, so boxes go through the same class map
-- and view as image labels. A box keeps its found class (boxes.class_id: provenance, and the byte-exact
-- VOC export of an unmapped dataset); the view's class of a box is read through view_class_map.

-- A view's classes in the view's order (classes.txt, data.yaml, COCO categories and VOC names of a
-- `export --view` are exactly these).
CREATE TABLE view_classes (
  view TEXT NOT NULL,
  position INTEGER NOT NULL,
  class_id INTEGER NOT NULL REFERENCES classes (id),
  PRIMARY KEY (view, position)
) WITHOUT ROWID;

-- What a found class becomes in a view: a class of the view (`map`, after the recipe's class map and the
-- view's fold), nothing (`drop`: its boxes leave the view), or the image leaves the view (`ignore`).
CREATE TABLE view_class_map (
  view TEXT NOT NULL,
  found_class_id INTEGER NOT NULL REFERENCES classes (id),
  action TEXT NOT NULL CHECK (action IN ('map', 'drop', 'ignore')),
  view_class_id INTEGER REFERENCES classes (id),
  PRIMARY KEY (view, found_class_id)
) WITHOUT ROWID;

-- The sources of a view by rank (0 = highest recipe priority): the one rule that picks an image's box set
-- when several sources annotate the same bytes, and the source an image is credited to.
CREATE TABLE view_sources (
  view TEXT NOT NULL,
  source_id INTEGER NOT NULL REFERENCES sources (id),
  rank INTEGER NOT NULL,
  PRIMARY KEY (view, source_id)
) WITHOUT ROWID;
