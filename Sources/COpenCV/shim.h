#ifndef DATASETKIT_COPENCV_SHIM_H
#define DATASETKIT_COPENCV_SHIM_H
/* OpenCV is C++ only. This target only carries its pkg-config flags (datasetkit-opencv.pc, written by
   scripts/bootstrap: the include path and the modules linked) to OpenCVShim, which is the sole user; Swift
   never imports OpenCV headers. libopencv_imgcodecs is not linked: the shim opens it on the first encode, or the first
   decode of a format other than JPEG and PNG (those are decoded with libjpeg and libpng directly). */
#endif
