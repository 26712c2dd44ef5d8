#include "fuzz_decode.h"

#include "image_decoders.hpp"

int fuzz_decode(const uint8_t *bytes, size_t length, int color, int reduction, int *width, int *height) {
  try {
    afs_decoders::Warnings warnings;
    std::string failure;
    cv::Mat out;
    const auto outcome = afs_decoders::decode(afs_decoders::format_of(bytes, length), bytes, length, color, reduction,
                                              out, warnings, failure);
    *width = out.cols;
    *height = out.rows;
    switch (outcome) {
      case afs_decoders::Outcome::decoded: return 0;
      case afs_decoders::Outcome::failed: return 1;
      case afs_decoders::Outcome::over_budget: return 2;
    }
    return 1;
  } catch (...) {
    // afs_image_decode turns these into AFS_ERR_* (check_size's refusal of a size over OpenCV's limits, bad_alloc).
    return 3;
  }
}
