// The one C++ file: every entry point catches everything and reports through afs_error.
#include "autoface_shim.h"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/objdetect.hpp>
#include <opencv2/objdetect/face.hpp>
#include <opencv2/core/utils/logger.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <cstring>
#include <array>
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
    cv::Mat gray = detection_input(image->mat, equalize);
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

int afs_cascade_detect_scored(afs_cascade *cascade, const afs_image *image, double scale_factor,
                              int min_neighbors, int min_size, int max_size, int equalize, afs_rect **out,
                              int **scores, size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    *scores = nullptr;
    *count = 0;
    cv::Mat gray = detection_input(image->mat, equalize);
    std::vector<cv::Rect> faces;
    std::vector<int> neighbours;
    cascade->classifier.detectMultiScale(gray, faces, neighbours, scale_factor, min_neighbors, 0,
                                         cv::Size(min_size, min_size),
                                         max_size > 0 ? cv::Size(max_size, max_size) : cv::Size());
    if (faces.empty()) return AFS_OK;
    auto rects = static_cast<afs_rect *>(std::malloc(sizeof(afs_rect) * faces.size()));
    auto values = static_cast<int *>(std::malloc(sizeof(int) * faces.size()));
    if (!rects || !values) {
      std::free(rects);
      std::free(values);
      throw std::bad_alloc();
    }
    for (size_t i = 0; i < faces.size(); i++) {
      rects[i] = afs_rect{faces[i].x, faces[i].y, faces[i].width, faces[i].height};
      values[i] = i < neighbours.size() ? neighbours[i] : 0;
    }
    *out = rects;
    *scores = values;
    *count = faces.size();
    return AFS_OK;
  });
}

int afs_dnn_load(int kind, const char *model, const char *config, afs_dnn **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    auto dnn = new afs_dnn();
    dnn->kind = kind;
    try {
      if (kind == AFS_DNN_RES10) {
        dnn->net = cv::dnn::readNetFromCaffe(config ? config : "", model ? model : "");
        if (dnn->net.empty()) throw cv::Exception(cv::Error::StsError, "empty network", __func__, __FILE__, __LINE__);
      } else if (kind == AFS_DNN_YUNET) {
        dnn->yunet = cv::FaceDetectorYN::create(model ? model : "", "", cv::Size(320, 320), 0.5f, 0.3f, 5000);
        if (dnn->yunet.empty()) throw cv::Exception(cv::Error::StsError, "no detector", __func__, __FILE__, __LINE__);
      } else {
        delete dnn;
        set_error(error, AFS_ERR_ARGUMENT, "unknown DNN kind");
        return AFS_ERR_ARGUMENT;
      }
    } catch (const cv::Exception &e) {
      delete dnn;
      set_error(error, AFS_ERR_LOAD, e.what());
      return AFS_ERR_LOAD;
    }
    *out = dnn;
    return AFS_OK;
  });
}

void afs_dnn_free(afs_dnn *dnn) { delete dnn; }

int afs_dnn_detect(afs_dnn *dnn, const afs_image *image, double threshold, afs_rect **out, float **scores,
                   size_t *count, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    *scores = nullptr;
    *count = 0;
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
      cv::Mat detections(result.size[2], result.size[3], CV_32F, result.ptr<float>());
      for (int i = 0; i < detections.rows; i++) {
        float confidence = detections.at<float>(i, 2);
        if (confidence < threshold) continue;
        int x1 = static_cast<int>(detections.at<float>(i, 3) * bgr.cols);
        int y1 = static_cast<int>(detections.at<float>(i, 4) * bgr.rows);
        int x2 = static_cast<int>(detections.at<float>(i, 5) * bgr.cols);
        int y2 = static_cast<int>(detections.at<float>(i, 6) * bgr.rows);
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
      for (int i = 0; i < faces.rows; i++) {
        cv::Rect rect(static_cast<int>(faces.at<float>(i, 0)), static_cast<int>(faces.at<float>(i, 1)),
                      static_cast<int>(faces.at<float>(i, 2)), static_cast<int>(faces.at<float>(i, 3)));
        rect &= cv::Rect(0, 0, bgr.cols, bgr.rows);
        if (rect.width <= 0 || rect.height <= 0) continue;
        rects.push_back(rect);
        values.push_back(faces.at<float>(i, 14));
      }
    }
    if (rects.empty()) return AFS_OK;
    auto boxes = static_cast<afs_rect *>(std::malloc(sizeof(afs_rect) * rects.size()));
    auto confidences = static_cast<float *>(std::malloc(sizeof(float) * rects.size()));
    if (!boxes || !confidences) {
      std::free(boxes);
      std::free(confidences);
      throw std::bad_alloc();
    }
    for (size_t i = 0; i < rects.size(); i++) {
      boxes[i] = afs_rect{rects[i].x, rects[i].y, rects[i].width, rects[i].height};
      confidences[i] = values[i];
    }
    *out = boxes;
    *scores = confidences;
    *count = rects.size();
    return AFS_OK;
  });
}

int afs_image_blank(int width, int height, int b, int g, int r, afs_image **out, afs_error *error) {
  return guarded(error, [&]() -> int {
    *out = nullptr;
    if (width <= 0 || height <= 0) {
      set_error(error, AFS_ERR_ARGUMENT, "blank image needs a positive size");
      return AFS_ERR_ARGUMENT;
    }
    auto image = new afs_image();
    image->mat = cv::Mat(height, width, CV_8UC3, cv::Scalar(b, g, r));
    *out = image;
    return AFS_OK;
  });
}

int afs_image_paste(afs_image *destination, const afs_image *source, int x, int y, afs_error *error) {
  return guarded(error, [&]() -> int {
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
    cv::putText(image->mat, text ? text : "", cv::Point(x, y), cv::FONT_HERSHEY_SIMPLEX, scale,
                cv::Scalar(b, g, r), thickness, cv::LINE_AA);
    return AFS_OK;
  });
}

int afs_image_draw_rect(afs_image *image, afs_rect rect, int b, int g, int r, int thickness, afs_error *error) {
  return guarded(error, [&]() -> int {
    cv::rectangle(image->mat, cv::Rect(rect.x, rect.y, rect.width, rect.height), cv::Scalar(b, g, r), thickness);
    return AFS_OK;
  });
}


// ---- YuNet (issue 13) ----

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
    *out = nullptr;
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
    *out = nullptr;
    *count = 0;
    const cv::Mat &mat = image->mat;
    cv::Rect roi = cv::Rect(region.x, region.y, region.width, region.height) & cv::Rect(0, 0, mat.cols, mat.rows);
    if (roi.empty() || !(scale > 0) || !std::isfinite(scale)) {
      set_error(error, AFS_ERR_ARGUMENT, "YuNet region is outside the image or the scale is not positive");
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
    auto faces = static_cast<afs_face *>(std::malloc(sizeof(afs_face) * keep.size()));
    if (!faces) throw std::bad_alloc();
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
    *out = faces;
    *count = keep.size();
    return AFS_OK;
  });
}

}  // extern "C"
