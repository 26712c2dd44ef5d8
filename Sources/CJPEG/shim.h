#ifndef DATASETKIT_CJPEG_SHIM_H
#define DATASETKIT_CJPEG_SHIM_H
/* libjpeg(-turbo), used by the OpenCV shim to decode JPEG with its own error manager (warnings returned, never
   printed). Swift does not import it. jpeglib.h needs FILE and size_t declared first. */
#include <stdio.h>
#include <jpeglib.h>
#endif
