#!/usr/bin/env python3
"""Peer: parse every VOC file of a folder with Python's xml.etree.ElementTree (what most dataset scripts
use), reading the boxes like LabelImg's reader. Prints files/s."""
import glob, sys, time
import xml.etree.ElementTree as ET

files = sorted(glob.glob(sys.argv[1] + "/annotations/*.xml"))
start = time.perf_counter()
boxes = 0
for path in files:
    root = ET.parse(path).getroot()
    for obj in root.iter("object"):
        b = obj.find("bndbox")
        _ = [int(float(b.find(k).text)) for k in ("xmin", "ymin", "xmax", "ymax")]
        boxes += 1
elapsed = time.perf_counter() - start
print("python xml.etree parse: %d files, %d boxes, %.3f s, %.0f files/s" % (len(files), boxes, elapsed, len(files) / elapsed))
