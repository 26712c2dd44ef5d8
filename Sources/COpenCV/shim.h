#ifndef DATASETKIT_COPENCV_SHIM_H
#define DATASETKIT_COPENCV_SHIM_H
/* OpenCV is C++ only. This target only carries its pkg-config flags to AutoFaceShim,
   which is the sole user; Swift never imports OpenCV headers. */
#endif
