// The one C++ file: every entry point catches everything and reports through afs_error.
#include "autoface_shim.h"
#include "image_decoders.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/objdetect/face.hpp>
#include <opencv2/core/utils/logger.hpp>

#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <cstring>
#include <array>
#include <limits>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

struct afs_image {
  cv::Mat mat;
};

struct afs_cascade {
  cv::CascadeClassifier classifier;
};

struct afs_dnn {
  int kind = 0;
  cv::dnn::Net net;
  cv::Ptr<cv::FaceDetectorYN> yunet;
};

namespace {

void set_error(afs_error *error, int code, const std::string &message) {
  if (!error) return;
  error->code = code;
  std::strncpy(error->message, message.c_str(), sizeof(error->message) - 1);
  error->message[sizeof(error->message) - 1] = '\0';
}

// A buffer handed to the caller (who frees it with afs_buffer_free): allocated with malloc, freed here if anything
// throws before release() hands it over. T is one of the header's plain C structs (or a number).
struct free_deleter {
  void operator()(void *p) const { std::free(p); }
};
template <typename T>
std::unique_ptr<T[], free_deleter> caller_array(size_t count) {
  if (count > std::numeric_limits<size_t>::max() / sizeof(T)) throw std::bad_alloc();
  T *p = static_cast<T *>(std::malloc(sizeof(T) * (count > 0 ? count : 1)));
  if (!p) throw std::bad_alloc();
  return std::unique_ptr<T[], free_deleter>(p);
}

// A bad argument (AFS_ERR_ARGUMENT) or a model whose outputs are not the shapes the decoder reads (AFS_ERR_LOAD):
// thrown inside an entry point, turned into the code and message by `guarded`.
struct argument_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
struct model_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void clear_error(afs_error *error) {
  if (!error) return;
  error->code = AFS_OK;
  error->message[0] = '\0';
}

// OpenCV's own log (warnings and errors printed to stderr) is silenced: every failure reaches the caller as an
// exception turned into an afs_error, and the CLI reports it once.
void silence_opencv_log() {
  static std::once_flag once;
  std::call_once(once, [] { cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT); });
}

template <typename Body>
int guarded(afs_error *error, Body body) {
  clear_error(error);
  try {
    silence_opencv_log();
    return body();
  } catch (const argument_error &e) {
    set_error(error, AFS_ERR_ARGUMENT, e.what());
    return AFS_ERR_ARGUMENT;
  } catch (const model_error &e) {
    set_error(error, AFS_ERR_LOAD, e.what());
    return AFS_ERR_LOAD;
  } catch (const cv::Exception &e) {
    set_error(error, AFS_ERR_OPENCV, e.what());
    return AFS_ERR_OPENCV;
  } catch (const std::bad_alloc &) {
    set_error(error, AFS_ERR_MEMORY, "out of memory");
    return AFS_ERR_MEMORY;
  } catch (const std::exception &e) {
    set_error(error, AFS_ERR_UNKNOWN, e.what());
    return AFS_ERR_UNKNOWN;
  } catch (...) {
    set_error(error, AFS_ERR_UNKNOWN, "unknown C++ exception");
    return AFS_ERR_UNKNOWN;
  }
}

// cv::imdecode and cv::imencode come from libopencv_imgcodecs, which is not linked but opened on the first encode or
// the first decode of a format other than JPEG and PNG (those are decoded with libjpeg and libpng, image_decoders.cpp):
// it pulls in about 120 libraries (GDAL, poppler, HDF5, OpenEXR, ...) whose loading cost every command about 0.1 s
// of start-up, `datasetkit --version` included. The two functions are looked up by their C++ names
// (OpenCV 4's ABI for the sonames below); the static_asserts fail to compile if the headers compiled here declare
// no such overloads (unevaluated: they reference no symbol).
using DecodeFunction = cv::Mat (*)(cv::InputArray, int);
using EncodeFunction = bool (*)(const cv::String &, cv::InputArray, std::vector<uchar> &, const std::vector<int> &);
static_assert(sizeof(static_cast<DecodeFunction>(cv::imdecode)) > 0, "cv::imdecode(InputArray, int)");
static_assert(sizeof(static_cast<EncodeFunction>(cv::imencode)) > 0, "cv::imencode(String, InputArray, ...)");

struct ImageCodecs {
  DecodeFunction decode = nullptr;
  EncodeFunction encode = nullptr;
  std::string failure;
};

#define AFS_STRING2(x) #x
#define AFS_STRING(x) AFS_STRING2(x)

const ImageCodecs &image_codecs() {
  static const ImageCodecs codecs = [] {
    ImageCodecs c;
    // Debian and Ubuntu name the soname MAJOR0MINOR (libopencv_imgcodecs.so.406); upstream builds MAJOR.MINOR;
    // the unversioned name is the -dev package's link.
    const std::string minor = (CV_VERSION_MINOR < 10 ? "0" : "") + std::to_string(CV_VERSION_MINOR);
    const std::string names[] = {
      "libopencv_imgcodecs.so." + std::to_string(CV_VERSION_MAJOR) + minor,
      "libopencv_imgcodecs.so." AFS_STRING(CV_VERSION_MAJOR) "." AFS_STRING(CV_VERSION_MINOR),
      "libopencv_imgcodecs.so",
      "libopencv_imgcodecs." AFS_STRING(CV_VERSION_MAJOR) "." AFS_STRING(CV_VERSION_MINOR) ".dylib",
      "libopencv_imgcodecs.dylib",
    };
    void *library = nullptr;
    std::string tried;
    for (const auto &name : names) {
      library = dlopen(name.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (library) break;
      const char *why = dlerror();
      tried += (tried.empty() ? "" : "; ") + std::string(why ? why : name);
    }
    if (!library) {
      c.failure = "cannot open OpenCV's image codecs (libopencv_imgcodecs " CV_VERSION "): " + tried;
      return c;
    }
    c.decode = reinterpret_cast<DecodeFunction>(dlsym(library, "_ZN2cv8imdecodeERKNS_11_InputArrayEi"));
    c.encode = reinterpret_cast<EncodeFunction>(dlsym(
        library,
        "_ZN2cv8imencodeERKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEERKNS_11_InputArrayERSt6vectorIhSaIhEERKSB_"
        "IiSaIiEE"));
    if (!c.decode || !c.encode) {
      c.failure = "libopencv_imgcodecs has no cv::imdecode or cv::imencode of OpenCV " CV_VERSION;
    }
    return c;
  }();
  return codecs;
}

cv::Mat decode_bytes(const cv::Mat &encoded, int flags) {
  const ImageCodecs &codecs = image_codecs();
  if (!codecs.decode) throw std::runtime_error(codecs.failure);
  return codecs.decode(encoded, flags);
}

bool encode_image(const std::string &extension, const cv::Mat &image, std::vector<uchar> &buffer,
                  const std::vector<int> &params) {
  const ImageCodecs &codecs = image_codecs();
  if (!codecs.encode) throw std::runtime_error(codecs.failure);
  return codecs.encode(extension, image, buffer, params);
}

// Null handles and out-parameters are refused before anything is read or written.
template <typename T>
T *required(T *pointer, const char *what) {
  if (pointer == nullptr) throw argument_error(std::string(what) + " is null");
  return pointer;
}

// Encoded bytes as a one-row matrix OpenCV decodes from (not copied). cv::Mat counts columns in int: a buffer
// over INT_MAX bytes (2 GiB) is refused rather than truncated.
cv::Mat encoded_bytes(const uint8_t *bytes, size_t length) {
  if (bytes == nullptr || length == 0) throw argument_error("empty buffer");
  if (length > static_cast<size_t>(std::numeric_limits<int>::max())) {
    throw argument_error("encoded image of " + std::to_string(length) + " bytes: over the 2 GiB OpenCV decodes");
  }
  return cv::Mat(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
}

std::string shape_of(const cv::Mat &m) {
  std::string shape;
  for (int d = 0; d < m.dims; d++) shape += (d ? "x" : "") + std::to_string(m.size[d]);
  return shape.empty() ? "empty" : shape;
}

// The res10 SSD's one output: 1x1xNx7 floats (image id, label, confidence, x1, y1, x2, y2 in 0-1), N rows.
// Anything else (a user's model that is not res10) is refused with its shape, never read out of bounds.
cv::Mat res10_detections(const cv::Mat &result) {
  if (result.type() != CV_32F || result.dims != 4 || result.size[0] != 1 || result.size[1] != 1 ||
      result.size[3] != 7 || !result.isContinuous()) {
    throw model_error("the network's output is " + shape_of(result) + (result.type() == CV_32F ? "" : " (not float)") +
                      ", expected 1x1xNx7 floats (res10 SSD detection_out): not a res10 face detector");
  }
  return cv::Mat(result.size[2], 7, CV_32F, const_cast<float *>(result.ptr<float>()));
}

// A res10 output row's coordinate (0-1, may stray outside) in pixels of a side of `side` px; non-finite as -1.
int res10_pixel(float value, int side) {
  if (!std::isfinite(value)) return -1;
  return static_cast<int>(std::min(2.0, std::max(-1.0, static_cast<double>(value))) * side);
}

// The grayscale (optionally equalised) image a cascade scans. Never writes into `mat`: a grayscale
// image is copied before equalising, since `gray = mat` would share its pixels.
cv::Mat detection_input(const cv::Mat &mat, int equalize) {
  cv::Mat gray;
  if (mat.channels() == 1) {
    gray = equalize ? mat.clone() : mat;
  } else {
    cv::cvtColor(mat, gray, cv::COLOR_BGR2GRAY);
  }
  if (equalize) cv::equalizeHist(gray, gray);
  return gray;
}

}  // namespace

extern "C" {

const char *afs_opencv_version(void) { return CV_VERSION; }

int afs_image_codecs(afs_error *error) {
  return guarded(error, [&]() -> int {
    const ImageCodecs &codecs = image_codecs();
    if (!codecs.decode || !codecs.encode) throw model_error(codecs.failure);
    return AFS_OK;
  });
}

// A built-in decoder's result: its warnings handed to the caller (`warnings` may be NULL), its failure as the error
// (AFS_ERR_BUDGET for the work budget's refusal, else AFS_ERR_DECODE); AFS_OK when it decoded.
static int builtin_result(afs_decoders::Outcome outcome, const afs_decoders::Warnings &collected,
                          const std::string &failure, char **warnings, afs_error *error) {
  if (warnings && !collected.empty()) {
    const std::string text = collected.joined();
    auto copy = caller_array<char>(text.size() + 1);
    std::memcpy(copy.get(), text.c_str(), text.size() + 1);
    *warnings = copy.release();
  }
  if (outcome == afs_decoders::Outcome::decoded) return AFS_OK;
  const int code = outcome == afs_decoders::Outcome::over_budget ? AFS_ERR_BUDGET : AFS_ERR_DECODE;
  set_error(error, code, failure);
  return code;
}

int afs_image_decode(const uint8_t *bytes, size_t length, int color, int reduction, int decoder, afs_image **out,
                     char **warnings, afs_error *error) {
  if (warnings) *warnings = nullptr;
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    cv::Mat encoded = encoded_bytes(bytes, length);
    if (reduction != 1 && reduction != 2 && reduction != 4 && reduction != 8) {
      throw argument_error("reduction must be 1, 2, 4 or 8");
    }
    if (decoder != AFS_DECODER_BUILTIN && decoder != AFS_DECODER_OPENCV) {
      throw argument_error("unknown decoder " + std::to_string(decoder));
    }
    const auto format = afs_decoders::format_of(bytes, length);
    cv::Mat decoded;
    if (decoder == AFS_DECODER_BUILTIN && format != afs_decoders::Format::other) {
      afs_decoders::Warnings collected;
      std::string failure;
      const auto outcome = afs_decoders::decode(format, bytes, length, color, reduction, decoded, collected, failure);
      if (const int code = builtin_result(outcome, collected, failure, warnings, error)) return code;
    } else {
      const int reduced[] = {0, cv::IMREAD_REDUCED_GRAYSCALE_2, cv::IMREAD_REDUCED_GRAYSCALE_4,
                             cv::IMREAD_REDUCED_GRAYSCALE_8};
      const int scale = reduction == 8 ? 3 : reduction / 2;  // 1 -> 0, 2 -> 1, 4 -> 2, 8 -> 3
      int flags = reduced[scale] | (color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
      decoded = decode_bytes(encoded, flags);
    }
    if (decoded.empty()) {
      set_error(error, AFS_ERR_DECODE, "OpenCV could not decode the image data");
      return AFS_ERR_DECODE;
    }
    *out = new afs_image{std::move(decoded)};
    return AFS_OK;
  });
}

int afs_image_decode_region(const uint8_t *bytes, size_t length, afs_rect rect, afs_image **out, int *width,
                            int *height, char **warnings, afs_error *error) {
  if (warnings) *warnings = nullptr;
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    cv::Mat encoded = encoded_bytes(bytes, length);
    const cv::Rect wanted(rect.x, rect.y, rect.width, rect.height);
    const auto format = afs_decoders::format_of(bytes, length);
    cv::Mat part;
    cv::Size shown;
    if (format != afs_decoders::Format::other) {
      afs_decoders::Warnings collected;
      std::string failure;
      const auto outcome = afs_decoders::decode_region(format, bytes, length, wanted, part, shown, collected, failure);
      if (const int code = builtin_result(outcome, collected, failure, warnings, error)) return code;
    } else {
      cv::Mat whole = decode_bytes(encoded, cv::IMREAD_COLOR);
      if (whole.empty()) {
        set_error(error, AFS_ERR_DECODE, "OpenCV could not decode the image data");
        return AFS_ERR_DECODE;
      }
      shown = whole.size();
      const cv::Rect clipped = wanted & cv::Rect(0, 0, shown.width, shown.height);
      if (!clipped.empty()) part = whole(clipped).clone();
    }
    if (width) *width = shown.width;
    if (height) *height = shown.height;
    if (!part.empty()) *out = new afs_image{std::move(part)};
    return AFS_OK;
  });
}

void afs_image_free(afs_image *image) { delete image; }

void afs_image_size(const afs_image *image, int *width, int *height, int *channels) {
  if (width) *width = image ? image->mat.cols : 0;
  if (height) *height = image ? image->mat.rows : 0;
  if (channels) *channels = image ? image->mat.channels() : 0;
}

int afs_image_crop_resize(const afs_image *image, afs_rect rect, int out_width, int out_height,
                          afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    *required(out, "out") = nullptr;
    cv::Rect wanted(rect.x, rect.y, rect.width, rect.height);
    cv::Rect bounds(0, 0, image->mat.cols, image->mat.rows);
    cv::Rect clipped = wanted & bounds;
    if (clipped.empty() || out_width <= 0 || out_height <= 0) {
      set_error(error, AFS_ERR_ARGUMENT, "crop rectangle is outside the image or the output size is empty");
      return AFS_ERR_ARGUMENT;
    }
    cv::Mat resized;
    bool shrinking = out_width < clipped.width;
    cv::resize(image->mat(clipped), resized, cv::Size(out_width, out_height), 0, 0,
               shrinking ? cv::INTER_AREA : cv::INTER_LINEAR);
    *out = new afs_image{resized};
    return AFS_OK;
  });
}

int afs_image_adjust(const afs_image *image, double alpha, double beta, int flip_horizontal,
                     afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    *required(out, "out") = nullptr;
    cv::Mat adjusted;
    image->mat.convertTo(adjusted, -1, alpha, beta);
    if (flip_horizontal) cv::flip(adjusted, adjusted, 1);
    *out = new afs_image{adjusted};
    return AFS_OK;
  });
}

int afs_image_fill_ellipse(afs_image *image, int cx, int cy, int ax, int ay, double angle,
                           int b, int g, int r, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    cv::ellipse(image->mat, cv::Point(cx, cy), cv::Size(ax, ay), angle, 0, 360, cv::Scalar(b, g, r),
                cv::FILLED, cv::LINE_AA);
    return AFS_OK;
  });
}

int afs_image_encode(const afs_image *image, const char *ext, int quality, uint8_t **out,
                     size_t *out_length, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    *required(out, "out") = nullptr;
    *required(out_length, "out_length") = 0;
    std::vector<uchar> buffer;
    std::vector<int> params;
    std::string extension = ext ? ext : ".jpg";
    if (extension == ".jpg" || extension == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (!encode_image(extension, image->mat, buffer, params) || buffer.empty()) {
      set_error(error, AFS_ERR_ENCODE, "OpenCV could not encode the image as " + extension);
      return AFS_ERR_ENCODE;
    }
    auto copy = caller_array<uint8_t>(buffer.size());
    std::memcpy(copy.get(), buffer.data(), buffer.size());
    *out = copy.release();
    *out_length = buffer.size();
    return AFS_OK;
  });
}

void afs_buffer_free(void *buffer) { std::free(buffer); }

int afs_cascade_load(const char *path, afs_cascade **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    auto cascade = std::make_unique<afs_cascade>();
    bool loaded = false;
    try {
      loaded = cascade->classifier.load(path ? path : "");
    } catch (const cv::Exception &e) {
      set_error(error, AFS_ERR_LOAD, std::string("cannot load cascade ") + (path ? path : "(null)") + ": " + e.err);
      return AFS_ERR_LOAD;
    }
    if (!loaded || cascade->classifier.empty()) {
      set_error(error, AFS_ERR_LOAD, std::string("cannot load cascade ") + (path ? path : "(null)"));
      return AFS_ERR_LOAD;
    }
    *out = cascade.release();
    return AFS_OK;
  });
}

void afs_cascade_free(afs_cascade *cascade) { delete cascade; }

int afs_cascade_detect(afs_cascade *cascade, const afs_image *image, double scale_factor,
                       int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                       size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    required(cascade, "cascade");
    *required(out, "out") = nullptr;
    *required(count, "count") = 0;
    cv::Mat gray = detection_input(image->mat, equalize);
    std::vector<cv::Rect> faces;
    cascade->classifier.detectMultiScale(gray, faces, scale_factor, min_neighbors, 0,
                                         cv::Size(min_size, min_size),
                                         max_size > 0 ? cv::Size(max_size, max_size) : cv::Size());
    if (faces.empty()) return AFS_OK;
    auto rects = caller_array<afs_rect>(faces.size());
    for (size_t i = 0; i < faces.size(); i++) {
      rects[i] = afs_rect{faces[i].x, faces[i].y, faces[i].width, faces[i].height};
    }
    *out = rects.release();
    *count = faces.size();
    return AFS_OK;
  });
}

int afs_image_grayscale(const afs_image *image, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    *required(out, "out") = nullptr;
    cv::Mat gray;
    if (image->mat.channels() == 1) {
      gray = image->mat.clone();
    } else if (image->mat.channels() == 4) {
      cv::cvtColor(image->mat, gray, cv::COLOR_BGRA2GRAY);
    } else {
      cv::cvtColor(image->mat, gray, cv::COLOR_BGR2GRAY);
    }
    *out = new afs_image{gray};
    return AFS_OK;
  });
}

int afs_image_resize(const afs_image *image, afs_rect rect, int out_width, int out_height,
                     int interpolation, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    *required(out, "out") = nullptr;
    cv::Rect clipped = cv::Rect(rect.x, rect.y, rect.width, rect.height) &
                       cv::Rect(0, 0, image->mat.cols, image->mat.rows);
    if (clipped.empty() || out_width <= 0 || out_height <= 0) {
      set_error(error, AFS_ERR_ARGUMENT, "resize rectangle is outside the image or the output size is empty");
      return AFS_ERR_ARGUMENT;
    }
    int flag;
    switch (interpolation) {
      case AFS_INTER_NEAREST: flag = cv::INTER_NEAREST; break;
      case AFS_INTER_LINEAR: flag = cv::INTER_LINEAR; break;
      case AFS_INTER_CUBIC: flag = cv::INTER_CUBIC; break;
      case AFS_INTER_AREA: flag = cv::INTER_AREA; break;
      case AFS_INTER_LANCZOS4: flag = cv::INTER_LANCZOS4; break;
      default:
        set_error(error, AFS_ERR_ARGUMENT, "unknown interpolation " + std::to_string(interpolation));
        return AFS_ERR_ARGUMENT;
    }
    cv::Mat resized;
    cv::resize(image->mat(clipped), resized, cv::Size(out_width, out_height), 0, 0, flag);
    *out = new afs_image{resized};
    return AFS_OK;
  });
}

int afs_image_copy_pixels(const afs_image *image, uint8_t *out, size_t capacity, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    const cv::Mat &mat = image->mat;
    if (mat.depth() != CV_8U) {
      set_error(error, AFS_ERR_ARGUMENT, "image is not 8-bit");
      return AFS_ERR_ARGUMENT;
    }
    size_t row = static_cast<size_t>(mat.cols) * mat.channels();
    if (out == nullptr || capacity < row * static_cast<size_t>(mat.rows)) {
      set_error(error, AFS_ERR_ARGUMENT, "pixel buffer too small");
      return AFS_ERR_ARGUMENT;
    }
    for (int y = 0; y < mat.rows; y++) std::memcpy(out + row * y, mat.ptr<uint8_t>(y), row);
    return AFS_OK;
  });
}

int afs_dct2(const double *in, int rows, int cols, double *out, afs_error *error) {
  return guarded(error, [&]() -> int {
    if (in == nullptr || out == nullptr || rows <= 0 || cols <= 0) {
      set_error(error, AFS_ERR_ARGUMENT, "empty matrix");
      return AFS_ERR_ARGUMENT;
    }
    cv::Mat source(rows, cols, CV_64F, const_cast<double *>(in));
    cv::Mat result;
    cv::dct(source, result);
    std::memcpy(out, result.ptr<double>(0), sizeof(double) * static_cast<size_t>(rows) * cols);
    return AFS_OK;
  });
}

void afs_set_num_threads(int threads) {
  try {
    cv::setNumThreads(threads);
  } catch (...) {
  }
}

int afs_cascade_detect_scored(afs_cascade *cascade, const afs_image *image, double scale_factor,
                              int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                              int **scores, size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    required(cascade, "cascade");
    *required(out, "out") = nullptr;
    *required(scores, "scores") = nullptr;
    *required(count, "count") = 0;
    cv::Mat gray = detection_input(image->mat, equalize);
    std::vector<cv::Rect> faces;
    std::vector<int> neighbours;
    cascade->classifier.detectMultiScale(gray, faces, neighbours, scale_factor, min_neighbors, 0,
                                         cv::Size(min_size, min_size),
                                         max_size > 0 ? cv::Size(max_size, max_size) : cv::Size());
    if (faces.empty()) return AFS_OK;
    auto rects = caller_array<afs_rect>(faces.size());
    auto values = caller_array<int>(faces.size());
    for (size_t i = 0; i < faces.size(); i++) {
      rects[i] = afs_rect{faces[i].x, faces[i].y, faces[i].width, faces[i].height};
      values[i] = i < neighbours.size() ? neighbours[i] : 0;
    }
    *out = rects.release();
    *scores = values.release();
    *count = faces.size();
    return AFS_OK;
  });
}

int afs_dnn_load(int kind, const char *model, const char *config, afs_dnn **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    if (kind != AFS_DNN_RES10 && kind != AFS_DNN_YUNET) throw argument_error("unknown DNN kind");
    auto dnn = std::make_unique<afs_dnn>();
    dnn->kind = kind;
    try {
      if (kind == AFS_DNN_RES10) {
        dnn->net = cv::dnn::readNetFromCaffe(config ? config : "", model ? model : "");
        if (dnn->net.empty()) throw model_error("OpenCV read an empty network");
        // One pass on a blank input: a network whose output is not res10's is refused here, by its shape.
        dnn->net.setInput(cv::dnn::blobFromImage(cv::Mat(300, 300, CV_8UC3, cv::Scalar(0, 0, 0)), 1.0,
                                                 cv::Size(300, 300), cv::Scalar(104, 177, 123), false, false));
        res10_detections(dnn->net.forward());
      } else {
        dnn->yunet = cv::FaceDetectorYN::create(model ? model : "", "", cv::Size(320, 320), 0.5f, 0.3f, 5000);
        if (dnn->yunet.empty()) throw model_error("OpenCV made no detector");
      }
    } catch (const cv::Exception &e) {
      set_error(error, AFS_ERR_LOAD, e.what());
      return AFS_ERR_LOAD;
    }
    *out = dnn.release();
    return AFS_OK;
  });
}

void afs_dnn_free(afs_dnn *dnn) { delete dnn; }

int afs_dnn_detect(afs_dnn *dnn, const afs_image *image, double threshold, afs_rect **out, float **scores,
                   size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    required(dnn, "dnn");
    *required(out, "out") = nullptr;
    *required(scores, "scores") = nullptr;
    *required(count, "count") = 0;
    cv::Mat bgr;
    if (image->mat.channels() == 1) {
      cv::cvtColor(image->mat, bgr, cv::COLOR_GRAY2BGR);
    } else {
      bgr = image->mat;
    }
    std::vector<cv::Rect> rects;
    std::vector<float> values;
    if (dnn->kind == AFS_DNN_RES10) {
      cv::Mat blob = cv::dnn::blobFromImage(bgr, 1.0, cv::Size(300, 300), cv::Scalar(104, 177, 123), false, false);
      dnn->net.setInput(blob);
      cv::Mat result = dnn->net.forward();
      cv::Mat detections = res10_detections(result);
      for (int i = 0; i < detections.rows; i++) {
        const float *row = detections.ptr<float>(i);
        float confidence = row[2];
        if (!std::isfinite(confidence) || confidence < threshold) continue;
        int x1 = res10_pixel(row[3], bgr.cols);
        int y1 = res10_pixel(row[4], bgr.rows);
        int x2 = res10_pixel(row[5], bgr.cols);
        int y2 = res10_pixel(row[6], bgr.rows);
        cv::Rect rect = cv::Rect(cv::Point(x1, y1), cv::Point(x2, y2)) & cv::Rect(0, 0, bgr.cols, bgr.rows);
        if (rect.width <= 0 || rect.height <= 0) continue;
        rects.push_back(rect);
        values.push_back(confidence);
      }
    } else {
      dnn->yunet->setInputSize(bgr.size());
      dnn->yunet->setScoreThreshold(static_cast<float>(threshold));
      cv::Mat faces;
      dnn->yunet->detect(bgr, faces);
      // FaceDetectorYN's rows: box (4), five landmarks (10), score: 15 floats.
      if (!faces.empty() && (faces.type() != CV_32F || faces.dims != 2 || faces.cols < 15)) {
        throw model_error("FaceDetectorYN returned " + shape_of(faces) + ", expected Nx15 floats");
      }
      for (int i = 0; i < faces.rows; i++) {
        const float *row = faces.ptr<float>(i);
        if (!std::isfinite(row[0]) || !std::isfinite(row[1]) || !std::isfinite(row[2]) || !std::isfinite(row[3]) ||
            !std::isfinite(row[14])) {
          continue;
        }
        cv::Rect2d box(row[0], row[1], row[2], row[3]);
        box &= cv::Rect2d(0, 0, bgr.cols, bgr.rows);
        cv::Rect rect(static_cast<int>(box.x), static_cast<int>(box.y), static_cast<int>(box.width),
                      static_cast<int>(box.height));
        if (rect.width <= 0 || rect.height <= 0) continue;
        rects.push_back(rect);
        values.push_back(row[14]);
      }
    }
    if (rects.empty()) return AFS_OK;
    auto boxes = caller_array<afs_rect>(rects.size());
    auto confidences = caller_array<float>(rects.size());
    for (size_t i = 0; i < rects.size(); i++) {
      boxes[i] = afs_rect{rects[i].x, rects[i].y, rects[i].width, rects[i].height};
      confidences[i] = values[i];
    }
    *out = boxes.release();
    *scores = confidences.release();
    *count = rects.size();
    return AFS_OK;
  });
}

int afs_image_blank(int width, int height, int b, int g, int r, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    if (width <= 0 || height <= 0) {
      set_error(error, AFS_ERR_ARGUMENT, "blank image needs a positive size");
      return AFS_ERR_ARGUMENT;
    }
    // The pixels first: when their allocation throws, nothing is left to free.
    cv::Mat blank(height, width, CV_8UC3, cv::Scalar(b, g, r));
    *out = new afs_image{std::move(blank)};
    return AFS_OK;
  });
}

int afs_image_paste(afs_image *destination, const afs_image *source, int x, int y, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(destination, "destination");
    required(source, "source");
    cv::Mat src = source->mat;
    if (src.channels() != destination->mat.channels()) {
      cv::cvtColor(src, src, src.channels() == 1 ? cv::COLOR_GRAY2BGR : cv::COLOR_BGR2GRAY);
    }
    cv::Rect target = cv::Rect(x, y, src.cols, src.rows) & cv::Rect(0, 0, destination->mat.cols, destination->mat.rows);
    if (target.width <= 0 || target.height <= 0) return AFS_OK;
    src(cv::Rect(target.x - x, target.y - y, target.width, target.height)).copyTo(destination->mat(target));
    return AFS_OK;
  });
}

int afs_image_draw_text(afs_image *image, const char *text, int x, int y, double scale, int b, int g, int r,
                        int thickness, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    cv::putText(image->mat, text ? text : "", cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale,
                cv::Scalar(b, g, r), thickness, cv::LINE_AA);
    return AFS_OK;
  });
}

int afs_image_draw_rect(afs_image *image, afs_rect rect, int b, int g, int r, int thickness, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    cv::rectangle(image->mat, cv::Rect(rect.x, rect.y, rect.width, rect.height), cv::Scalar(b, g, r), thickness);
    return AFS_OK;
  });
}


// ---- YuNet ----

#include "yunet_model.inc"

void afs_yunet_builtin(const uint8_t **bytes, size_t *length) {
  *bytes = kBuiltinYuNet;
  *length = sizeof(kBuiltinYuNet);
}

}  // extern "C"

struct afs_yunet {
  cv::dnn::Net net;
  std::vector<std::string> outputs;  // cls_8 cls_16 cls_32 obj_8 ... kps_32: what decode reads, in this order
};

namespace {

const int kStrides[3] = {8, 16, 32};
const char *kHeads[4] = {"cls", "obj", "bbox", "kps"};
const int kHeadWidth[4] = {1, 1, 4, 10};

// The forward outputs, checked: outputs[h * 3 + k] is head h at stride kStrides[k] and must hold
// (rows * cols) x kHeadWidth[h] floats for an input of width x height. Throws with what differs.
std::vector<cv::Mat> run_checked(afs_yunet *y, const cv::Mat &blob, int width, int height) {
  y->net.setInput(blob);
  std::vector<cv::Mat> outs;
  y->net.forward(outs, y->outputs);
  if (outs.size() != 12) {
    throw std::runtime_error("YuNet returned " + std::to_string(outs.size()) + " outputs, expected 12");
  }
  for (int h = 0; h < 4; h++) {
    for (int k = 0; k < 3; k++) {
      const cv::Mat &m = outs[h * 3 + k];
      size_t cells = static_cast<size_t>(width / kStrides[k]) * static_cast<size_t>(height / kStrides[k]);
      if (m.type() != CV_32F || !m.isContinuous() || m.total() != cells * kHeadWidth[h]) {
        throw std::runtime_error("YuNet output " + y->outputs[h * 3 + k] + " holds " + std::to_string(m.total()) +
                                 " values, expected " + std::to_string(cells * kHeadWidth[h]) +
                                 " (float) for a " + std::to_string(width) + "x" + std::to_string(height) +
                                 " input: not a libfacedetection.train YuNet");
      }
    }
  }
  return outs;
}

float clamp01(float v) { return std::isfinite(v) ? std::min(1.0f, std::max(0.0f, v)) : 0.0f; }

}  // namespace

extern "C" {

int afs_yunet_load(const uint8_t *model, size_t length, afs_yunet **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *required(out, "out") = nullptr;
    if (model == nullptr || length == 0) {
      set_error(error, AFS_ERR_LOAD, "the model file is empty");
      return AFS_ERR_LOAD;
    }
    std::unique_ptr<afs_yunet> y(new afs_yunet());
    try {
      y->net = cv::dnn::readNetFromONNX(reinterpret_cast<const char *>(model), length);
    } catch (const cv::Exception &e) {
      set_error(error, AFS_ERR_LOAD, std::string("not a readable ONNX model (OpenCV: ") + e.err + ")");
      return AFS_ERR_LOAD;
    }
    if (y->net.empty()) {
      set_error(error, AFS_ERR_LOAD, "not a readable ONNX model (OpenCV read an empty network)");
      return AFS_ERR_LOAD;
    }
    y->net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    y->net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    std::vector<std::string> names = y->net.getUnconnectedOutLayersNames();
    for (int h = 0; h < 4; h++) {
      for (int k = 0; k < 3; k++) {
        std::string name = std::string(kHeads[h]) + "_" + std::to_string(kStrides[k]);
        if (std::find(names.begin(), names.end(), name) == names.end()) {
          std::string found;
          for (const auto &n : names) found += (found.empty() ? "" : ", ") + n;
          set_error(error, AFS_ERR_LOAD,
                    "not a libfacedetection.train YuNet: no output " + name + " (outputs: " + found + ")");
          return AFS_ERR_LOAD;
        }
        y->outputs.push_back(name);
      }
    }
    try {
      cv::Mat blank(320, 320, CV_8UC3, cv::Scalar(0, 0, 0));
      run_checked(y.get(), cv::dnn::blobFromImage(blank), 320, 320);
    } catch (const cv::Exception &e) {
      set_error(error, AFS_ERR_LOAD, std::string("the model does not run on a 320x320 input (OpenCV: ") + e.err + ")");
      return AFS_ERR_LOAD;
    } catch (const std::runtime_error &e) {
      set_error(error, AFS_ERR_LOAD, e.what());
      return AFS_ERR_LOAD;
    }
    *out = y.release();
    return AFS_OK;
  });
}

void afs_yunet_free(afs_yunet *net) { delete net; }

int afs_yunet_detect(afs_yunet *y, const afs_image *image, afs_rect region, double scale, float score_threshold,
                     float nms_threshold, int top_k, afs_face **out, size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    required(image, "image");
    required(y, "network");
    *required(out, "out") = nullptr;
    *required(count, "count") = 0;
    const cv::Mat &mat = image->mat;
    cv::Rect roi = cv::Rect(region.x, region.y, region.width, region.height) & cv::Rect(0, 0, mat.cols, mat.rows);
    if (roi.empty() || !(scale > 0) || !std::isfinite(scale)) {
      set_error(error, AFS_ERR_ARGUMENT, "YuNet region is outside the image or the scale is not positive");
      return AFS_ERR_ARGUMENT;
    }
    // Bounded before rounding: a huge scale must not overflow the conversion to int.
    if (roi.width * scale > 4096.5 || roi.height * scale > 4096.5) {
      set_error(error, AFS_ERR_ARGUMENT, "YuNet input over 4096 px a side: tile the image");
      return AFS_ERR_ARGUMENT;
    }
    int width = std::max(1, static_cast<int>(std::lround(roi.width * scale)));
    int height = std::max(1, static_cast<int>(std::lround(roi.height * scale)));
    if (width > 4096 || height > 4096) {
      set_error(error, AFS_ERR_ARGUMENT, "YuNet input over 4096 px a side: tile the image");
      return AFS_ERR_ARGUMENT;
    }
    int padded_width = (width + 31) / 32 * 32;
    int padded_height = (height + 31) / 32 * 32;
    cv::Mat bgr;
    if (mat.channels() == 1) {
      cv::cvtColor(mat(roi), bgr, cv::COLOR_GRAY2BGR);
    } else if (mat.channels() == 4) {
      cv::cvtColor(mat(roi), bgr, cv::COLOR_BGRA2BGR);
    } else {
      bgr = mat(roi);
    }
    cv::Mat input(padded_height, padded_width, CV_8UC3, cv::Scalar(0, 0, 0));
    if (width == roi.width && height == roi.height) {
      bgr.copyTo(input(cv::Rect(0, 0, width, height)));
    } else {
      cv::resize(bgr, input(cv::Rect(0, 0, width, height)), cv::Size(width, height), 0, 0,
                 width < roi.width ? cv::INTER_AREA : cv::INTER_LINEAR);
    }
    std::vector<cv::Mat> outs = run_checked(y, cv::dnn::blobFromImage(input), padded_width, padded_height);

    std::vector<cv::Rect2d> boxes;
    std::vector<float> scores;
    std::vector<std::array<float, 10>> points;
    for (int k = 0; k < 3; k++) {
      const int stride = kStrides[k];
      const int cols = padded_width / stride;
      const int rows = padded_height / stride;
      const float *cls = outs[0 * 3 + k].ptr<float>();
      const float *obj = outs[1 * 3 + k].ptr<float>();
      const float *bbox = outs[2 * 3 + k].ptr<float>();
      const float *kps = outs[3 * 3 + k].ptr<float>();
      for (int row = 0; row < rows; row++) {
        for (int col = 0; col < cols; col++) {
          const size_t i = static_cast<size_t>(row) * cols + col;
          float score = std::sqrt(clamp01(cls[i]) * clamp01(obj[i]));
          if (score < score_threshold) continue;
          const float *b = bbox + i * 4;
          if (!std::isfinite(b[0]) || !std::isfinite(b[1]) || !std::isfinite(b[2]) || !std::isfinite(b[3])) continue;
          double cx = (col + b[0]) * stride;
          double cy = (row + b[1]) * stride;
          double w = std::exp(std::min(b[2], 10.0f)) * stride;
          double h = std::exp(std::min(b[3], 10.0f)) * stride;
          boxes.emplace_back(cx - w / 2, cy - h / 2, w, h);
          scores.push_back(score);
          std::array<float, 10> p{};
          for (int n = 0; n < 5; n++) {
            p[2 * n] = static_cast<float>((kps[i * 10 + 2 * n] + col) * stride);
            p[2 * n + 1] = static_cast<float>((kps[i * 10 + 2 * n + 1] + row) * stride);
          }
          points.push_back(p);
        }
      }
    }
    std::vector<int> keep;
    if (!boxes.empty()) cv::dnn::NMSBoxes(boxes, scores, score_threshold, nms_threshold, keep, 1.0f, top_k);
    if (keep.empty()) return AFS_OK;
    auto faces = caller_array<afs_face>(keep.size());
    // Back to the image: undo the scale (per axis, as rounded) and add the region's corner.
    const double sx = static_cast<double>(roi.width) / width;
    const double sy = static_cast<double>(roi.height) / height;
    for (size_t n = 0; n < keep.size(); n++) {
      const cv::Rect2d &b = boxes[keep[n]];
      afs_face &f = faces[n];
      f.x = static_cast<float>(b.x * sx + roi.x);
      f.y = static_cast<float>(b.y * sy + roi.y);
      f.width = static_cast<float>(b.width * sx);
      f.height = static_cast<float>(b.height * sy);
      f.score = scores[keep[n]];
      for (int p = 0; p < 5; p++) {
        f.landmarks[2 * p] = static_cast<float>(points[keep[n]][2 * p] * sx + roi.x);
        f.landmarks[2 * p + 1] = static_cast<float>(points[keep[n]][2 * p + 1] * sy + roi.y);
      }
    }
    *out = faces.release();
    *count = keep.size();
    return AFS_OK;
  });
}

}  // extern "C"
