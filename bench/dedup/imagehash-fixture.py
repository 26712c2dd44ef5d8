#!/usr/bin/env python3
"""Records Python imagehash values for images, as the fixture Tests/DedupTests/Fixtures/imagehash-voc-facemask.json.

Usage: bench/out/venv/bin/python bench/dedup/imagehash-fixture.py DIR... > fixture.json
(venv: python3 -m venv bench/out/venv && bench/out/venv/bin/pip install imagehash Pillow)
"""
import json, os, sys
import imagehash, PIL
from PIL import Image

rows = []
for folder in sys.argv[1:]:
    for name in sorted(os.listdir(folder)):
        if not name.lower().endswith((".png", ".jpg", ".jpeg")):
            continue
        with Image.open(os.path.join(folder, name)) as image:
            rows.append({
                "file": name,
                "ahash": str(imagehash.average_hash(image)),
                "dhash": str(imagehash.dhash(image)),
                "phash": str(imagehash.phash(image)),
            })
json.dump({"imagehash": imagehash.__version__ if hasattr(imagehash, "__version__") else "?",
           "pillow": PIL.__version__, "images": rows}, sys.stdout, indent=1, sort_keys=True)
print()
