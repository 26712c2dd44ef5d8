#!/usr/bin/env python3
"""Writes instances.json: the COCO twin of ../voc-facemask, made from the VOC files' own values (the
standard library only, no datasetkit code), so a test can check that `import --layout coco` stores the same
boxes as `import` of the VOC set.

    python3 Tests/Fixtures/coco-facemask/make-coco.py

Each XML becomes one `images` entry (file_name = the image beside it in images/, width/height = <size>) and
each <object> one annotation with bbox [xmin, ymin, xmax - xmin, ymax - ymin] as the VOC numbers read
(datasetkit's COCO export writes the same). Categories are numbered in name order from 1. Two extra
annotations show what COCO holds that a box does not: a crowd region (iscrowd 1, with an RLE-less polygon
segmentation), kept as provenance and never a box, on the first image.
"""
import json
import os
import re
import xml.etree.ElementTree as ET

here = os.path.dirname(os.path.abspath(__file__))
voc = os.path.join(here, "..", "voc-facemask")
images_dir = os.path.join(voc, "images")
names = sorted(os.listdir(images_dir))
by_stem = {os.path.splitext(n)[0]: n for n in names}


def number(text):
    # maksssksksss0.xml holds stray text inside <bndbox>; the numbers are the elements' own text.
    return float(re.match(r"\s*([-+0-9.eE]+)", text).group(1))


images, annotations, classes = [], [], set()
for xml_name in sorted(os.listdir(os.path.join(voc, "annotations"))):
    root = ET.parse(os.path.join(voc, "annotations", xml_name)).getroot()
    for obj in root.iter("object"):
        classes.add(obj.findtext("name").strip())
categories = {name: i + 1 for i, name in enumerate(sorted(classes))}
next_annotation = 1
for image_id, xml_name in enumerate(sorted(os.listdir(os.path.join(voc, "annotations"))), start=1):
    root = ET.parse(os.path.join(voc, "annotations", xml_name)).getroot()
    stem = os.path.splitext(xml_name)[0]
    size = root.find("size")
    width, height = int(size.findtext("width")), int(size.findtext("height"))
    images.append({"id": image_id, "file_name": by_stem[stem], "width": width, "height": height})
    for obj in root.iter("object"):
        box = obj.find("bndbox")
        xmin, ymin, xmax, ymax = (number(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
        annotations.append({
            "id": next_annotation, "image_id": image_id, "category_id": categories[obj.findtext("name").strip()],
            "bbox": [xmin, ymin, xmax - xmin, ymax - ymin], "area": (xmax - xmin) * (ymax - ymin),
            "iscrowd": 0, "segmentation": []})
        next_annotation += 1
annotations.append({
    "id": next_annotation, "image_id": 1, "category_id": categories["with_mask"], "bbox": [10, 10, 40, 30],
    "area": 600.0, "iscrowd": 1, "segmentation": [[10, 10, 50, 10, 50, 40, 10, 40]]})
document = {
    "info": {"description": "COCO twin of Tests/Fixtures/voc-facemask (Face Mask Detection sample, CC0)"},
    "licenses": [{"id": 1, "name": "CC0-1.0", "url": "https://creativecommons.org/publicdomain/zero/1.0/"}],
    "images": images, "annotations": annotations,
    "categories": [{"id": i, "name": n, "supercategory": "face"} for n, i in sorted(categories.items())]}
with open(os.path.join(here, "instances.json"), "w") as out:
    json.dump(document, out, indent=1, sort_keys=True)
    out.write("\n")
