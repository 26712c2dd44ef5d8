// The one C++ file: every entry point catches everything and reports through afs_error.
#include "autoface_shim.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdlib>
#include <cstring>
#include <new>
#include <string>
#include <vector>

struct afs_image {
  cv::Mat mat;
};

struct afs_cascade {
  cv::CascadeClassifier classifier;
};

namespace {

void set_error(afs_error *error, int code, const std::string &message) {
  if (!error) return;
  error->code = code;
  std::strncpy(error->message, message.c_str(), sizeof(error->message) - 1);
  error->message[sizeof(error->message) - 1] = '\0';
}

void clear_error(afs_error *error) {
  if (!error) return;
  error->code = AFS_OK;
  error->message[0] = '\0';
}

template <typename Body>
int guarded(afs_error *error, Body body) {
  clear_error(error);
  try {
    return body();
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

}  // namespace

extern "C" {

const char *afs_opencv_version(void) { return CV_VERSION; }

int afs_image_decode(const uint8_t *bytes, size_t length, int color, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    if (bytes == nullptr || length == 0) {
      set_error(error, AFS_ERR_ARGUMENT, "empty buffer");
      return AFS_ERR_ARGUMENT;
    }
    cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
    cv::Mat decoded = cv::imdecode(encoded, color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE);
    if (decoded.empty()) {
      set_error(error, AFS_ERR_DECODE, "OpenCV could not decode the image data");
      return AFS_ERR_DECODE;
    }
    *out = new afs_image{decoded};
    return AFS_OK;
  });
}

void afs_image_free(afs_image *image) { delete image; }

void afs_image_size(const afs_image *image, int *width, int *height, int *channels) {
  *width = image->mat.cols;
  *height = image->mat.rows;
  *channels = image->mat.channels();
}

int afs_image_crop_resize(const afs_image *image, afs_rect rect, int out_width, int out_height,
                          afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
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
    *out = nullptr;
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
    cv::ellipse(image->mat, cv::Point(cx, cy), cv::Size(ax, ay), angle, 0, 360, cv::Scalar(b, g, r),
                cv::FILLED, cv::LINE_AA);
    return AFS_OK;
  });
}

int afs_image_encode(const afs_image *image, const char *ext, int quality, uint8_t **out,
                     size_t *out_length, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    *out_length = 0;
    std::vector<uchar> buffer;
    std::vector<int> params;
    std::string extension = ext ? ext : ".jpg";
    if (extension == ".jpg" || extension == ".jpeg") params = {cv::IMWRITE_JPEG_QUALITY, quality};
    if (!cv::imencode(extension, image->mat, buffer, params) || buffer.empty()) {
      set_error(error, AFS_ERR_ENCODE, "OpenCV could not encode the image as " + extension);
      return AFS_ERR_ENCODE;
    }
    uint8_t *copy = static_cast<uint8_t *>(std::malloc(buffer.size()));
    if (!copy) throw std::bad_alloc();
    std::memcpy(copy, buffer.data(), buffer.size());
    *out = copy;
    *out_length = buffer.size();
    return AFS_OK;
  });
}

void afs_buffer_free(void *buffer) { std::free(buffer); }

int afs_cascade_load(const char *path, afs_cascade **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    auto cascade = new afs_cascade();
    if (!cascade->classifier.load(path ? path : "")) {
      delete cascade;
      set_error(error, AFS_ERR_LOAD, std::string("cannot load cascade ") + (path ? path : "(null)"));
      return AFS_ERR_LOAD;
    }
    *out = cascade;
    return AFS_OK;
  });
}

void afs_cascade_free(afs_cascade *cascade) { delete cascade; }

int afs_cascade_detect(afs_cascade *cascade, const afs_image *image, double scale_factor,
                       int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                       size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    *count = 0;
    cv::Mat gray;
    if (image->mat.channels() == 1) {
      gray = image->mat;
    } else {
      cv::cvtColor(image->mat, gray, cv::COLOR_BGR2GRAY);
    }
    if (equalize) cv::equalizeHist(gray, gray);
    std::vector<cv::Rect> faces;
    cascade->classifier.detectMultiScale(gray, faces, scale_factor, min_neighbors, 0,
                                         cv::Size(min_size, min_size),
                                         max_size > 0 ? cv::Size(max_size, max_size) : cv::Size());
    if (faces.empty()) return AFS_OK;
    auto rects = static_cast<afs_rect *>(std::malloc(sizeof(afs_rect) * faces.size()));
    if (!rects) throw std::bad_alloc();
    for (size_t i = 0; i < faces.size(); i++) {
      rects[i] = afs_rect{faces[i].x, faces[i].y, faces[i].width, faces[i].height};
    }
    *out = rects;
    *count = faces.size();
    return AFS_OK;
  });
}

int afs_image_decode_reduced(const uint8_t *bytes, size_t length, int color, int reduction,
                             afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    if (bytes == nullptr || length == 0) {
      set_error(error, AFS_ERR_ARGUMENT, "empty buffer");
      return AFS_ERR_ARGUMENT;
    }
    int flags;
    switch (reduction) {
      case 1: flags = color ? cv::IMREAD_COLOR : cv::IMREAD_GRAYSCALE; break;
      case 2: flags = color ? cv::IMREAD_REDUCED_COLOR_2 : cv::IMREAD_REDUCED_GRAYSCALE_2; break;
      case 4: flags = color ? cv::IMREAD_REDUCED_COLOR_4 : cv::IMREAD_REDUCED_GRAYSCALE_4; break;
      case 8: flags = color ? cv::IMREAD_REDUCED_COLOR_8 : cv::IMREAD_REDUCED_GRAYSCALE_8; break;
      default:
        set_error(error, AFS_ERR_ARGUMENT, "reduction must be 1, 2, 4 or 8");
        return AFS_ERR_ARGUMENT;
    }
    cv::Mat encoded(1, static_cast<int>(length), CV_8UC1, const_cast<uint8_t *>(bytes));
    cv::Mat decoded = cv::imdecode(encoded, flags);
    if (decoded.empty()) {
      set_error(error, AFS_ERR_DECODE, "OpenCV could not decode the image data");
      return AFS_ERR_DECODE;
    }
    *out = new afs_image{decoded};
    return AFS_OK;
  });
}

int afs_image_grayscale(const afs_image *image, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
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
    *out = nullptr;
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

}  // extern "C"
