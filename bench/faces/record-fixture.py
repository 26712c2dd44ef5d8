# Records opencv-python's own Haar boxes (seeds' setting) on Debian's opencv-doc photos as a test fixture:
#   bench/out/venv/bin/python bench/faces/record-fixture.py > Tests/AutoFaceTests/Fixtures/opencv-python-haar.json
import json, sys
import cv2

data = "/usr/share/doc/opencv-doc/examples/data/"
cascade = cv2.CascadeClassifier("/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml")
out = {}
for name in ["messi5.jpg", "home.jpg", "basketball1.png", "baboon.jpg", "starry_night.jpg"]:
    image = cv2.imread(data + name)
    gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    faces = cascade.detectMultiScale(gray, 1.1, 5, minSize=(30, 30))
    out[name] = [[int(v) for v in f] for f in faces]
json.dump(out, sys.stdout, indent=1, sort_keys=True)
print()
print("opencv-python", cv2.__version__, file=sys.stderr)
