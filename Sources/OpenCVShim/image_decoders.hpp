// JPEG and PNG decoded with libjpeg(-turbo) and libpng directly, each call with its own error manager, so their
// warnings come back to the caller instead of going to stderr. Internal to the shim (not part of the C header).
#ifndef DATASETKIT_IMAGE_DECODERS_HPP
#define DATASETKIT_IMAGE_DECODERS_HPP

#include <opencv2/core.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace afs_decoders {

// A decoder's warnings for one image: formatted, deduplicated, at most `max_count` kept of at most `max_length`
// characters each; how many more there were is counted.
class Warnings {
 public:
  static constexpr size_t max_count = 8;
  static constexpr size_t max_length = 200;
  void add(const char *text) noexcept;
  // One a line; the last line says how many were left out, if any.
  std::string joined() const;
  bool empty() const { return kept_.empty(); }

 private:
  std::vector<std::string> kept_;
  size_t dropped_ = 0;
};

enum class Format { jpeg, png, other };
// By magic bytes: FF D8 FF is JPEG, the 8-byte PNG signature is PNG.
Format format_of(const uint8_t *bytes, size_t length);

// Decodes JPEG or PNG exactly as OpenCV 4.6's cv::imdecode does with IMREAD_COLOR / IMREAD_GRAYSCALE (color 1 / 0)
// and IMREAD_REDUCED_*_<reduction> (2, 4, 8; 1 = none), EXIF orientation applied (JPEG APP1, PNG eXIf). Returns false with
// `failure` set when the library reports a fatal error (never prints, exits or aborts). Warnings go to `warnings`.
bool decode(Format format, const uint8_t *bytes, size_t length, int color, int reduction, cv::Mat &out,
            Warnings &warnings, std::string &failure);

}  // namespace afs_decoders

#endif
