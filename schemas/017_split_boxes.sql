-- A split is the whole recipe of its export, boxes included: each member's effective box set as a box
-- export of the split writes it (the class in the split's view, corners, difficult/truncated/pose, the VOC
-- extras, the box id COCO writes) is frozen when the member is assigned (split create, --update, re-run),
-- with the VOC file skeleton and LabelImg `verified` the export writes. A box export of the split reads
-- these, not today's boxes; `datasetkit split status` lists members whose boxes changed since.
-- Only members with a box or a VOC file have rows: a split of images without boxes writes none.
CREATE TABLE split_boxes (
  split_id INTEGER NOT NULL REFERENCES splits(id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  box_id INTEGER NOT NULL,
  class_name TEXT NOT NULL,
  xmin REAL NOT NULL,
  ymin REAL NOT NULL,
  xmax REAL NOT NULL,
  ymax REAL NOT NULL,
  difficult INTEGER NOT NULL,
  truncated INTEGER NOT NULL,
  pose TEXT,
  extra_xml TEXT,
  origin TEXT NOT NULL,
  PRIMARY KEY (split_id, image_id, position)
) WITHOUT ROWID;

CREATE TABLE split_box_documents (
  split_id INTEGER NOT NULL REFERENCES splits(id) ON DELETE CASCADE,
  image_id INTEGER NOT NULL,
  skeleton_xml TEXT,
  verified INTEGER,
  PRIMARY KEY (split_id, image_id)
) WITHOUT ROWID;

-- Splits made before have no frozen boxes yet: the effective box set (the one-truth rule across annotation
-- files, the view's class map) is computed in Swift, so the first command that reads such a split's boxes
-- (`split status`, `export`) freezes the boxes its members have then, as 012 froze their labels.
ALTER TABLE splits ADD COLUMN boxes_frozen INTEGER NOT NULL DEFAULT 0;
