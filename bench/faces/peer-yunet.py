# opencv-python peer for bench/faces: cv2.FaceDetectorYN (OpenCV 4.8+ runs the libfacedetection.train models) with
# the model datasetkit ships (models/yunet/face_detection_yunet_n_320.onnx), at each photo's own size, score 0.6,
# NMS 0.3, top 5000 (the same thresholds as datasetkit's default), one process, OpenCV's default threads (or
# THREADS). Prints "name x,y,w,h,score ..." lines and the rate (decode included) on stderr.
# Usage: peer-yunet.py FOLDER MODEL [REPEAT [THREADS]]
import os, sys, time
import cv2
import numpy as np

folder, model = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
threads = int(sys.argv[4]) if len(sys.argv) > 4 else None
if threads is not None:
    cv2.setNumThreads(threads)
detector = cv2.FaceDetectorYN.create(model, "", (320, 320), 0.6, 0.3, 5000)
names = sorted(n for n in os.listdir(folder) if n.lower().endswith((".jpg", ".jpeg", ".png")))
blobs = [open(os.path.join(folder, n), "rb").read() for n in names]
lines = {}
start = time.time()
for _ in range(repeat):
    for name, blob in zip(names, blobs):
        image = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
        detector.setInputSize((image.shape[1], image.shape[0]))
        _, faces = detector.detect(image)
        faces = [] if faces is None else faces
        lines[name] = name + " " + " ".join("%d,%d,%d,%d,%.3f" % (round(f[0]), round(f[1]), round(f[2]), round(f[3]), f[14])
                                            for f in faces)
seconds = time.time() - start
for name in names:
    print(lines[name])
print("opencv-python %s FaceDetectorYN (%s): %d images x %d in %.2fs = %.1f images/s" % (cv2.__version__,
      "default threads" if threads is None else "setNumThreads(%d)" % threads, len(names), repeat, seconds,
      len(names) * repeat / seconds), file=sys.stderr)
