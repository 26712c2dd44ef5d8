/* The shim's JPEG and PNG decoders (Sources/OpenCVShim/image_decoders.cpp, linked here through a symbolic link) behind
   one C call for the FuzzImageDecode harness. */
#ifndef DATASETKIT_FUZZ_DECODE_H
#define DATASETKIT_FUZZ_DECODE_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Decodes JPEG or PNG bytes as afs_image_decode's built-in decoder does (color 1 = BGR, 0 = grey; reduction 1, 2,
    4 or 8). Returns 0 decoded (*width, *height set), 1 failed, 2 over the work budget, 3 an exception. */
int fuzz_decode(const uint8_t *bytes, size_t length, int color, int reduction, int *width, int *height);

#ifdef __cplusplus
}
#endif
#endif
