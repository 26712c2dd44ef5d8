#!/usr/bin/env python3
"""Generates N Pascal VOC files + tiny distinct PNGs shaped like the testdata (stdlib only).

Dialects, in turn: LabelImg (tabs, verified, path/source), the Kaggle face-mask set (leading blank line,
4 spaces, <occluded>, no path/source), and old LabelImg (2 spaces, verified="no", no <difficult>).
Layout: OUT/annotations/*.xml + OUT/images/*.png.
"""
import os, random, struct, sys, zlib

def png(width, height, seed):
    rows = b"".join(b"\x00" + bytes(((x * 7 + y * 13 + seed * 31) & 0xFF) for x in range(width)) for y in range(height))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b""))

def objects(rng, w, h, classes):
    out = []
    for _ in range(rng.randint(1, 6)):
        x1 = rng.randint(1, w - 10); y1 = rng.randint(1, h - 10)
        out.append((rng.choice(classes), x1, y1, rng.randint(x1 + 2, w), rng.randint(y1 + 2, h)))
    return out

def labelimg(name, w, h, objs):
    s = '<annotation verified="yes">\n\t<folder>images</folder>\n\t<filename>%s</filename>\n' % name
    s += '\t<path>/Users/someone/Desktop/data/images/%s</path>\n\t<source>\n\t\t<database>Unknown</database>\n\t</source>\n' % name
    s += '\t<size>\n\t\t<width>%d</width>\n\t\t<height>%d</height>\n\t\t<depth>3</depth>\n\t</size>\n\t<segmented>0</segmented>\n' % (w, h)
    for c, a, b, x, y in objs:
        t = 1 if (y == h or b == 1 or x == w or a == 1) else 0
        s += '\t<object>\n\t\t<name>%s</name>\n\t\t<pose>Unspecified</pose>\n\t\t<truncated>%d</truncated>\n\t\t<difficult>0</difficult>\n' % (c, t)
        s += '\t\t<bndbox>\n\t\t\t<xmin>%d</xmin>\n\t\t\t<ymin>%d</ymin>\n\t\t\t<xmax>%d</xmax>\n\t\t\t<ymax>%d</ymax>\n\t\t</bndbox>\n\t</object>\n' % (a, b, x, y)
    return s + '</annotation>\n'

def kaggle(name, w, h, objs):
    s = '\n<annotation>\n    <folder>images</folder>\n    <filename>%s</filename>\n' % name
    s += '    <size>\n        <width>%d</width>\n        <height>%d</height>\n        <depth>3</depth>\n    </size>\n    <segmented>0</segmented>\n' % (w, h)
    for c, a, b, x, y in objs:
        s += '    <object>\n        <name>%s</name>\n        <pose>Unspecified</pose>\n        <truncated>0</truncated>\n        <occluded>0</occluded>\n        <difficult>0</difficult>\n' % c
        s += '        <bndbox>\n            <xmin>%d</xmin>\n            <ymin>%d</ymin>\n            <xmax>%d</xmax>\n            <ymax>%d</ymax>\n        </bndbox>\n    </object>\n' % (a, b, x, y)
    return s + '</annotation>\n'

def old(name, w, h, objs):
    return labelimg(name, w, h, objs).replace('verified="yes"', 'verified="no"').replace("\t", "  ").replace(
        "    <difficult>0</difficult>\n", "")

def main():
    out, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(7)
    os.makedirs(out + "/annotations", exist_ok=True)
    os.makedirs(out + "/images", exist_ok=True)
    classes = ["with_mask", "without_mask", "mask_weared_incorrect"]
    for i in range(count):
        w, h = rng.choice([(64, 48), (48, 64), (60, 40)])
        name = "img%05d.png" % i
        with open(out + "/images/" + name, "wb") as f:
            f.write(png(w, h, i))
        text = [labelimg, kaggle, old][i % 3](name, w, h, objects(rng, w, h, classes))
        with open(out + "/annotations/img%05d.xml" % i, "w") as f:
            f.write(text)

main()
