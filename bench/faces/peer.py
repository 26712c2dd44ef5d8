# opencv-python peer for bench/faces: the seeds' Haar setting (scale 1.1, 5 neighbours, 30 px) over a folder,
# one process, OpenCV's default threading (or THREADS: cv2.setNumThreads, 1 = one core as a notebook runs it).
# Prints "name x,y,w,h ..." lines (sorted) and the rate on stderr.
# Usage: peer.py FOLDER [REPEAT [THREADS]]
import os, sys, time
import cv2

folder = sys.argv[1]
repeat = int(sys.argv[2]) if len(sys.argv) > 2 else 1
threads = int(sys.argv[3]) if len(sys.argv) > 3 else None
if threads is not None:
    cv2.setNumThreads(threads)
cascade = cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
blobs = [open(os.path.join(folder, n), "rb").read() for n in names]
import numpy as np
lines = {}
start = time.time()
for _ in range(repeat):
    for name, blob in zip(names, blobs):
        image = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        faces = cascade.detectMultiScale(gray, 1.1, 5, minSize=(30, 30))
        lines[name] = name + " " + " ".join(",".join(str(int(v)) for v in f) for f in faces)
seconds = time.time() - start
for name in names:
    print(lines[name])
print("opencv-python %s (%s): %d images x %d in %.2fs = %.1f images/s" % (cv2.__version__,
      "default threads" if threads is None else "setNumThreads(%d)" % threads, len(names), repeat, seconds,
      len(names) * repeat / seconds), file=sys.stderr)
