-- Face landmarks: YuNet's five points with each proposed box, as a JSON array
-- [x1, y1, ..., x5, y5] in image pixels (right eye, left eye, nose tip, right and left mouth corner); NULL for
-- boxes from detectors without landmarks and for imported or drawn boxes. Aligned crops can use them.
ALTER TABLE boxes ADD COLUMN landmarks TEXT;
