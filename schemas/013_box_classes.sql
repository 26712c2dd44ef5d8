-- A closed class vocabulary: review decisions (relabel, a drawn face, a LabelImg import) may give a box only a
-- class in use (an image label, a box not rejected, a recorded view) unless a new class is asked for. Finding
-- whether a class is in use looks boxes up by class.
CREATE INDEX boxes_class ON boxes (class_id);
