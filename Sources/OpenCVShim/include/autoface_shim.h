/* The only door to OpenCV. Pure C: opaque handles, a status code and a message out-parameter.
   Every entry point catches all C++ exceptions and turns them into AFS_ERR_* codes. */
#ifndef DATASETKIT_AUTOFACE_SHIM_H
#define DATASETKIT_AUTOFACE_SHIM_H
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
  AFS_OK = 0,
  AFS_ERR_DECODE = 1,      /* OpenCV could not decode the bytes */
  AFS_ERR_ENCODE = 2,      /* OpenCV could not encode the image */
  AFS_ERR_ARGUMENT = 3,    /* a bad argument (empty buffer, rectangle outside the image, ...) */
  AFS_ERR_LOAD = 4,        /* a model or cascade file could not be loaded */
  AFS_ERR_OPENCV = 5,      /* cv::Exception; the message carries e.what() */
  AFS_ERR_MEMORY = 6,      /* std::bad_alloc */
  AFS_ERR_UNKNOWN = 7,     /* any other exception */
  AFS_ERR_BUDGET = 8       /* a decode refused by its work budget (too many JPEG scans, passes or memory) */
};

typedef struct afs_error {
  int code;
  char message[512];
} afs_error;

typedef struct afs_image afs_image;        /* a decoded image (cv::Mat, BGR or gray) */
typedef struct afs_cascade afs_cascade;    /* a cv::CascadeClassifier */

typedef struct afs_rect {
  int x, y, width, height;
} afs_rect;

/** OpenCV's version string, e.g. "4.6.0". Static storage. */
const char *afs_opencv_version(void);
/** Opens OpenCV's image codecs (libopencv_imgcodecs: not linked, opened on the first encode or decode of a format other than JPEG and PNG, since it
    pulls in ~120 libraries every command would otherwise load at start-up). AFS_ERR_LOAD says why it cannot be. */
int afs_image_codecs(afs_error *error);

/** Which decoder afs_image_decode uses. AFS_DECODER_BUILTIN: JPEG and PNG (told by their magic bytes) with
    libjpeg(-turbo) and libpng called here as OpenCV 4.6's imgcodecs calls them (the same pixels), with an error
    manager per call, so their warnings come back in *warnings instead of going to stderr; any other format through
    imgcodecs. AFS_DECODER_OPENCV: everything through cv::imdecode (the reference, and the fallback). */
enum { AFS_DECODER_BUILTIN = 0, AFS_DECODER_OPENCV = 1 };

/** Decode encoded bytes (JPEG, PNG, WebP, BMP, GIF where built in) at 1/reduction of the size (reduction 1, 2, 4
    or 8: JPEG is decoded DCT-scaled, libjpeg's scale_denom; other formats are decoded whole and shrunk as
    cv::imdecode's IMREAD_REDUCED_* do). color: 1 = BGR, 0 = grayscale. EXIF orientation is applied as
    cv::imdecode does. *warnings (may be NULL) receives the decoder's warnings, one a line, malloc'd (free with
    afs_buffer_free), or NULL when there were none. A fatal decoder error is AFS_ERR_DECODE with its message; a
    file over the work budget (image_decoders.hpp's Budget) is AFS_ERR_BUDGET, its message naming the limit.
    Callers must have checked the header dimensions first (header bombs). */
int afs_image_decode(const uint8_t *bytes, size_t length, int color, int reduction, int decoder, afs_image **out,
                     char **warnings, afs_error *error);
/** The part `rect` of the image as shown (EXIF orientation applied), in colour (BGR), clipped to the image: *out is
    NULL when nothing of `rect` is inside; *width and *height receive the shown image's size. JPEG and PNG keep only
    the rows the part spans (a crop of a 13000x13000 PNG holds its band, not the 507 MB image); other formats are
    decoded whole. Warnings, errors and the work budget as afs_image_decode's. */
int afs_image_decode_region(const uint8_t *bytes, size_t length, afs_rect rect, afs_image **out, int *width,
                            int *height, char **warnings, afs_error *error);
void afs_image_free(afs_image *image);
void afs_image_size(const afs_image *image, int *width, int *height, int *channels);

/** Crop a rectangle (clamped to the image) and resize it to out_width x out_height (area interpolation
    when shrinking, linear when enlarging). */
int afs_image_crop_resize(const afs_image *image, afs_rect rect, int out_width, int out_height,
                          afs_image **out, afs_error *error);
/** Per-pixel value = clamp(alpha * value + beta); flip_horizontal mirrors the image. New image. */
int afs_image_adjust(const afs_image *image, double alpha, double beta, int flip_horizontal,
                     afs_image **out, afs_error *error);
/** Fill a rotated ellipse (centre, axes, angle in degrees) with a BGR colour, in place. */
int afs_image_fill_ellipse(afs_image *image, int cx, int cy, int ax, int ay, double angle,
                           int b, int g, int r, afs_error *error);

/** Encode as JPEG (quality 1-100) or PNG (ext ".png"). *out is malloc'd; free with afs_buffer_free. */
int afs_image_encode(const afs_image *image, const char *ext, int quality, uint8_t **out,
                     size_t *out_length, afs_error *error);
void afs_buffer_free(void *buffer);

/** Cascade classifiers (Haar or LBP XML). */
int afs_cascade_load(const char *path, afs_cascade **out, afs_error *error);
void afs_cascade_free(afs_cascade *cascade);
/** detectMultiScale on the grayscale, histogram-equalised image. *out is malloc'd (free with
    afs_buffer_free) and holds *count rectangles. */
int afs_cascade_detect(afs_cascade *cascade, const afs_image *image, double scale_factor,
                       int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                       size_t *count, afs_error *error);

/* Perceptual hashing: reduced decode, grayscale, resize with a chosen interpolation, pixels out, DCT. */
enum {
  AFS_INTER_NEAREST = 0,
  AFS_INTER_LINEAR = 1,
  AFS_INTER_CUBIC = 2,
  AFS_INTER_AREA = 3,
  AFS_INTER_LANCZOS4 = 4
};

/** A grayscale copy (OpenCV's BGR weights 0.299/0.587/0.114); a gray image is copied as it is. */
int afs_image_grayscale(const afs_image *image, afs_image **out, afs_error *error);
/** The part inside rect (clamped to the image) resized to out_width x out_height with interpolation
    AFS_INTER_*. */
int afs_image_resize(const afs_image *image, afs_rect rect, int out_width, int out_height,
                     int interpolation, afs_image **out, afs_error *error);
/** Copies the 8-bit pixels (rows top to bottom, channels interleaved, BGR order) into out, which holds
    capacity bytes (at least width * height * channels). */
int afs_image_copy_pixels(const afs_image *image, uint8_t *out, size_t capacity, afs_error *error);
/** 2-D DCT-II of a rows x cols row-major matrix, orthonormal scaling as cv::dct (even sizes only).
    in and out may be the same buffer. */
int afs_dct2(const double *in, int rows, int cols, double *out, afs_error *error);

/** Set OpenCV's own worker threads (0 = none; callers parallelise per image). */
void afs_set_num_threads(int threads);


/* Face detection with scores, DNN detectors and drawing. */

/** detectMultiScale like afs_cascade_detect (same boxes, same order), plus each box's neighbour count
    (OpenCV's numDetections) in *scores (malloc'd, free with afs_buffer_free). */
int afs_cascade_detect_scored(afs_cascade *cascade, const afs_image *image, double scale_factor,
                              int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                              int **scores, size_t *count, afs_error *error);

typedef struct afs_dnn afs_dnn;            /* a res10 SSD (Caffe) net or a YuNet FaceDetectorYN */
enum { AFS_DNN_RES10 = 1, AFS_DNN_YUNET = 2 };
/** Load a DNN face detector: kind AFS_DNN_RES10 (model = .caffemodel, config = deploy.prototxt) or
    AFS_DNN_YUNET (model = .onnx, config ignored). */
int afs_dnn_load(int kind, const char *model, const char *config, afs_dnn **out, afs_error *error);
void afs_dnn_free(afs_dnn *dnn);
/** Faces with a confidence of at least threshold: boxes in *out and confidences in *scores (both malloc'd). */
int afs_dnn_detect(afs_dnn *dnn, const afs_image *image, double threshold, afs_rect **out, float **scores,
                   size_t *count, afs_error *error);

/** A new BGR image filled with one colour. */
int afs_image_blank(int width, int height, int b, int g, int r, afs_image **out, afs_error *error);
/** Copies source into destination with its top-left corner at (x, y), clipped to the destination. */
int afs_image_paste(afs_image *destination, const afs_image *source, int x, int y, afs_error *error);
/** Draws text (Hershey simplex, height about 22 * scale px) with its baseline at (x, y), in place. */
int afs_image_draw_text(afs_image *image, const char *text, int x, int y, double scale, int b, int g, int r,
                        int thickness, afs_error *error);
/** Draws a rectangle outline, in place. */
int afs_image_draw_rect(afs_image *image, afs_rect rect, int b, int g, int r, int thickness, afs_error *error);


/* YuNet (libfacedetection.train yunet_n) through cv::dnn::readNetFromONNX, decoded here. The same
   network runs at any input whose sides are multiples of 32 (OpenCV reshapes it). */
typedef struct afs_yunet afs_yunet;
typedef struct afs_face {
  float x, y, width, height; /* the box, in the image's pixels */
  float score;               /* sqrt(cls * obj), 0-1 */
  float landmarks[10];       /* right eye, left eye, nose tip, right and left mouth corner: x, y each */
} afs_face;

/** The YuNet model built into the binary (face_detection_yunet_n_320.onnx; the caller checks its SHA-256). */
void afs_yunet_builtin(const uint8_t **bytes, size_t *length);
/** Loads an ONNX YuNet from memory and runs it once on a blank 320×320 input, checking that the twelve outputs
    cls/obj/bbox/kps_8/16/32 are there with the shapes the decoder reads. AFS_ERR_LOAD names what is wrong. */
int afs_yunet_load(const uint8_t *model, size_t length, afs_yunet **out, afs_error *error);
void afs_yunet_free(afs_yunet *net);
/** Faces in `region` of the image (clamped to it), the region resized by `scale` (at most 4096 px a side after
    scaling) and padded right and bottom to multiples of 32: boxes with score >= score_threshold, after
    non-maximum suppression (IoU > nms_threshold dropped), at most top_k, strongest first. Boxes and landmarks are
    in the image's pixels. *out is malloc'd (afs_buffer_free). */
int afs_yunet_detect(afs_yunet *net, const afs_image *image, afs_rect region, double scale, float score_threshold,
                     float nms_threshold, int top_k, afs_face **out, size_t *count, afs_error *error);

#ifdef __cplusplus
}
#endif
#endif
