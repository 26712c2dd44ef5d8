#ifndef DATASETKIT_CPNG_SHIM_H
#define DATASETKIT_CPNG_SHIM_H
/* libpng, used by the OpenCV shim to decode PNG with its own error and warning handlers. Swift does not import it. */
#include <png.h>
#endif
