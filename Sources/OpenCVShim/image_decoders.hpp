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

// The work budget of every decode (RELIABILITY.md case 42): what one file may cost, whatever its bytes say, so
// that no file costs much more than a plain image of its size. Pixels are bounded before (the header check).
struct Budget {
  // libjpeg-turbo's own limit (djpeg -maxscans, TurboJPEG's TJFLAG_LIMITSCANS).
  static constexpr int max_jpeg_scans = 500;
  // Passes over the image's blocks (a scan passes over the blocks of its components), and over its coefficients
  // (a scan decodes the coefficients Ss..Se of each block it passes over), summed over the scans, per block:
  // libjpeg's standard progression makes 6 and 3.3 (grey), about 5.3 and 2.9 (colour 4:2:0); a file repeating
  // empty scans makes thousands of each.
  static constexpr unsigned max_jpeg_block_passes = 16;
  static constexpr unsigned max_jpeg_coefficient_passes = 8;
  // Everything libjpeg allocates for one image (cinfo.mem->max_memory_to_use): mostly a progressive file's
  // coefficients, 2 bytes a sample (a 13000x13000 4:2:0 progressive JPEG needs 507 MB).
  static constexpr long max_jpeg_memory = 640L * 1000 * 1000;
};

enum class Outcome {
  decoded,
  // The library reported a fatal error: `failure` is its message.
  failed,
  // Over the work budget: `failure` says which limit, e.g. "JPEG has more than 500 scans".
  over_budget,
};

// Decodes JPEG or PNG exactly as OpenCV 4.6's cv::imdecode does with IMREAD_COLOR / IMREAD_GRAYSCALE (color 1 / 0)
// and IMREAD_REDUCED_*_<reduction> (2, 4, 8; 1 = none), EXIF orientation applied (JPEG APP1, PNG eXIf), within
// the Budget. Never prints, exits or aborts. Warnings go to `warnings`.
Outcome decode(Format format, const uint8_t *bytes, size_t length, int color, int reduction, cv::Mat &out,
               Warnings &warnings, std::string &failure);

// The part `wanted` of the image as shown (EXIF orientation applied), in colour, clipped to the image: `out` (empty
// when nothing of `wanted` is inside) and the shown image's size in `shown`. Only the rows the part spans are kept:
// JPEG rows are decoded up to the part's last and copied from one scratch row; PNG rows go through one scratch row
// but the part's (a whole-width band). The pixels are those of `decode`'s image at the same place.
Outcome decode_region(Format format, const uint8_t *bytes, size_t length, const cv::Rect &wanted, cv::Mat &out,
                      cv::Size &shown, Warnings &warnings, std::string &failure);

}  // namespace afs_decoders

#endif
