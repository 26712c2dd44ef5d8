// JPEG through libjpeg(-turbo) and PNG through libpng, called the way OpenCV 4.6's imgcodecs calls them
// (grfmt_jpeg.cpp, grfmt_png.cpp, loadsave.cpp's imdecode_ and ApplyExifOrientation, exif.cpp's ExifReader), so
// the pixels are the ones cv::imdecode gives (a test compares every byte), but with an error manager of our own per
// call: warnings are collected for the caller instead of printed to stderr, and a fatal error returns its message.
//
// setjmp/longjmp: every function below that calls setjmp creates no C++ object with a destructor after it; the
// cv::Mat and row pointers are made by the caller between the two library phases (header, then pixels).
#include "image_decoders.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <map>
#include <stdexcept>
#include <vector>

// libjpeg's header needs FILE and size_t declared first.
#include <stdio.h>
#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

namespace afs_decoders {

void Warnings::add(const char *text) noexcept {
  try {
    std::string message(text ? text : "");
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    if (message.empty()) return;
    if (message.size() > max_length) message = message.substr(0, max_length - 3) + "...";
    for (const auto &kept : kept_) {
      if (kept == message) return;
    }
    if (kept_.size() >= max_count) {
      dropped_++;
      return;
    }
    kept_.push_back(std::move(message));
  } catch (...) {
    dropped_++;
  }
}

std::string Warnings::joined() const {
  std::string text;
  for (const auto &kept : kept_) text += (text.empty() ? "" : "\n") + kept;
  if (dropped_ > 0) text += "\n(" + std::to_string(dropped_) + " more warnings)";
  return text;
}

Format format_of(const uint8_t *bytes, size_t length) {
  static const uint8_t png[8] = {0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a};
  if (length >= 3 && bytes[0] == 0xff && bytes[1] == 0xd8 && bytes[2] == 0xff) return Format::jpeg;
  if (length >= 8 && std::memcmp(bytes, png, 8) == 0) return Format::png;
  return Format::other;
}

namespace {

// ---- EXIF orientation, as OpenCV's ExifReader finds it -------------------------------------------------------
// IFD0's entries are read in order; the first entry of each known tag is kept; a read past the end stops the parse
// and keeps what was read before it. Tags whose values OpenCV reads (strings, rationals) are bounds-checked the
// same way, so a broken one before the orientation stops the parse at the same place.
struct ExifOutOfRange {};

class ExifOrientation {
 public:
  ExifOrientation(const uint8_t *data, size_t size) : data_(data), size_(size) {}

  // 1 (as stored) when there is no orientation tag.
  int orientation() {
    std::map<int, int> tags;
    try {
      parse(tags);
    } catch (const ExifOutOfRange &) {
    }
    auto it = tags.find(0x0112);
    return it == tags.end() ? 1 : it->second;
  }

 private:
  const uint8_t *data_;
  size_t size_;
  bool intel_ = false;

  uint16_t u16(size_t offset) const {
    if (offset + 1 >= size_) throw ExifOutOfRange();
    if (intel_) return static_cast<uint16_t>(data_[offset] + (data_[offset + 1] << 8));
    return static_cast<uint16_t>((data_[offset] << 8) + data_[offset + 1]);
  }
  uint32_t u32(size_t offset) const {
    if (offset + 3 >= size_) throw ExifOutOfRange();
    if (intel_) {
      return static_cast<uint32_t>(data_[offset]) + (static_cast<uint32_t>(data_[offset + 1]) << 8) +
             (static_cast<uint32_t>(data_[offset + 2]) << 16) + (static_cast<uint32_t>(data_[offset + 3]) << 24);
    }
    return (static_cast<uint32_t>(data_[offset]) << 24) + (static_cast<uint32_t>(data_[offset + 1]) << 16) +
           (static_cast<uint32_t>(data_[offset + 2]) << 8) + static_cast<uint32_t>(data_[offset + 3]);
  }
  void rationals(size_t entry, int count) const {
    uint32_t at = u32(entry + 8);
    for (int i = 0; i < count; i++, at += 8) {
      u32(at);
      u32(static_cast<size_t>(at) + 4);
    }
  }
  void string_value(size_t entry) const {
    size_t length = u32(entry + 4);
    size_t at = 8;  // (sic) OpenCV reads short strings at offset 8 of the data, not of the entry
    if (length > 4) at = u32(entry + 8);
    if (at > size_ || at + length > size_) throw ExifOutOfRange();
  }

  void parse(std::map<int, int> &tags) {
    // Byte order: "II" Intel, "MM" Motorola; anything else reads big-endian and fails the tag mark.
    intel_ = size_ >= 1 && !(size_ > 1 && data_[0] != data_[1]) && data_[0] == 'I';
    if (u16(2) != 0x002A) return;
    size_t offset = u32(4);
    size_t entries = u16(offset);
    offset += 2;
    for (size_t i = 0; i < entries; i++, offset += 12) {
      int tag = u16(offset);
      int value = 0;
      switch (tag) {
        case 0x010E: case 0x010F: case 0x0110: case 0x0131: case 0x0132: case 0x8298:
          string_value(offset);
          break;
        case 0x0112: case 0x0128: case 0x0213:
          value = u16(offset + 8);
          break;
        case 0x011A: case 0x011B: rationals(offset, 1); break;
        case 0x013E: rationals(offset, 2); break;
        case 0x013F: rationals(offset, 6); break;
        case 0x0211: rationals(offset, 3); break;
        case 0x0214: rationals(offset, 6); break;
        case 0x8769: break;
        default: tag = -1; break;
      }
      tags.insert({tag, value});
    }
  }
};

// loadsave.cpp's ApplyExifOrientation.
void apply_orientation(int orientation, cv::Mat &img) {
  switch (orientation) {
    case 2: cv::flip(img, img, 1); break;
    case 3: cv::flip(img, img, -1); break;
    case 4: cv::flip(img, img, 0); break;
    case 5: cv::transpose(img, img); break;
    case 6: cv::transpose(img, img); cv::flip(img, img, 1); break;
    case 7: cv::transpose(img, img); cv::flip(img, img, -1); break;
    case 8: cv::transpose(img, img); cv::flip(img, img, 0); break;
    default: break;
  }
}

// loadsave.cpp's validateInputImageSize with OpenCV's default limits.
void check_size(long width, long height) {
  if (width <= 0 || height <= 0) throw std::runtime_error("the image has no pixels");
  if (width > (1 << 20) || height > (1 << 20) || width * height > (1L << 30)) {
    throw std::runtime_error("the image is " + std::to_string(width) + "x" + std::to_string(height) +
                             " pixels, over OpenCV's limits");
  }
}

// ---- JPEG --------------------------------------------------------------------------------------------------------

struct JpegErrors {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  Warnings *warnings;
  char failure[JMSG_LENGTH_MAX];
  // `failure` names the Budget limit the file went over.
  bool over_budget;
};

// OpenCV's memory source: a suspending reader over the whole buffer (fill_input_buffer has nothing more to give).
struct JpegSource {
  jpeg_source_mgr pub;
  long skip;
};

void jpeg_stub(j_decompress_ptr) {}
boolean jpeg_fill_input(j_decompress_ptr) { return FALSE; }
void jpeg_skip_input(j_decompress_ptr cinfo, long count) {
  auto *source = reinterpret_cast<JpegSource *>(cinfo->src);
  if (count > static_cast<long>(source->pub.bytes_in_buffer)) {
    source->skip = count - static_cast<long>(source->pub.bytes_in_buffer);
    source->pub.next_input_byte += source->pub.bytes_in_buffer;
    source->pub.bytes_in_buffer = 0;
  } else {
    source->pub.bytes_in_buffer -= count;
    source->pub.next_input_byte += count;
    source->skip = 0;
  }
}

void jpeg_fatal(j_common_ptr cinfo) {
  auto *errors = reinterpret_cast<JpegErrors *>(cinfo->err);
  if (cinfo->err->msg_code == JERR_NO_BACKING_STORE) {
    // jmemnobs's answer when an allocation would pass max_memory_to_use.
    std::snprintf(errors->failure, sizeof(errors->failure), "JPEG needs more than %ld MB of decoder memory",
                  Budget::max_jpeg_memory / 1000 / 1000);
    errors->over_budget = true;
  } else {
    (*cinfo->err->format_message)(cinfo, errors->failure);
  }
  std::longjmp(errors->jump, 1);
}
// Warnings (level < 0) are kept; trace messages (level >= 0) dropped. libjpeg's own prints only the first warning.
void jpeg_message(j_common_ptr cinfo, int level) {
  if (level >= 0) return;
  auto *errors = reinterpret_cast<JpegErrors *>(cinfo->err);
  char text[JMSG_LENGTH_MAX];
  (*cinfo->err->format_message)(cinfo, text);
  errors->warnings->add(text);
  cinfo->err->num_warnings++;
}
void jpeg_silent(j_common_ptr) {}

// The scan and pass limits of the Budget, checked by libjpeg's progress hook: it is called before every iMCU row
// is read (jpeg_start_decompress's loop over the scans of a multi-scan file, jpeg_read_scanlines), so a new scan is
// counted, with the blocks its components hold, before any of its data is decoded.
struct JpegBudget {
  jpeg_progress_mgr pub;
  JpegErrors *errors;
  int scan;
  unsigned long long blocks;            // every component's, once
  unsigned long long block_work;        // blocks of the scans so far
  unsigned long long coefficient_work;  // coefficients of the scans so far
};

// No C++ object lives in these frames: they longjmp (as jpeg_fatal does).
void jpeg_monitor(j_common_ptr common) {
  auto *budget = reinterpret_cast<JpegBudget *>(common->progress);
  auto *cinfo = reinterpret_cast<j_decompress_ptr>(common);
  if (cinfo->input_scan_number == budget->scan) return;
  budget->scan = cinfo->input_scan_number;
  JpegErrors *errors = budget->errors;
  if (budget->scan > Budget::max_jpeg_scans) {
    std::snprintf(errors->failure, sizeof(errors->failure), "JPEG has more than %d scans", Budget::max_jpeg_scans);
    errors->over_budget = true;
    std::longjmp(errors->jump, 1);
  }
  if (budget->blocks == 0) {
    for (int c = 0; c < cinfo->num_components; c++) {
      budget->blocks += static_cast<unsigned long long>(cinfo->comp_info[c].width_in_blocks) *
                        cinfo->comp_info[c].height_in_blocks;
    }
  }
  unsigned long long blocks = 0;
  for (int c = 0; c < cinfo->comps_in_scan && c < MAX_COMPS_IN_SCAN; c++) {
    const jpeg_component_info *component = cinfo->cur_comp_info[c];
    if (component) blocks += static_cast<unsigned long long>(component->width_in_blocks) * component->height_in_blocks;
  }
  budget->block_work += blocks;
  budget->coefficient_work += blocks * static_cast<unsigned long long>(std::max(0, cinfo->Se - cinfo->Ss + 1));
  const char *over = nullptr;
  unsigned times = 0;
  if (budget->block_work > budget->blocks * Budget::max_jpeg_block_passes) {
    over = "blocks";
    times = Budget::max_jpeg_block_passes;
  } else if (budget->coefficient_work > budget->blocks * DCTSIZE2 * Budget::max_jpeg_coefficient_passes) {
    over = "coefficients";
    times = Budget::max_jpeg_coefficient_passes;
  }
  if (over) {
    std::snprintf(errors->failure, sizeof(errors->failure),
                  "JPEG's %d scans pass over its %llu blocks' %s more than %u times", budget->scan, budget->blocks,
                  over, times);
    errors->over_budget = true;
    std::longjmp(errors->jump, 1);
  }
}

struct JpegRun {
  jpeg_decompress_struct cinfo;
  JpegErrors errors;
  JpegSource source;
  JpegBudget budget;
  bool created = false;
};

// One libjpeg decompression with our error manager (warnings kept, fatal errors longjmp) and the Budget's monitor,
// destroyed with the session.
struct JpegSession {
  JpegRun run;

  explicit JpegSession(Warnings &warnings) {
    std::memset(&run, 0, sizeof(run));
    run.cinfo.err = jpeg_std_error(&run.errors.pub);
    run.errors.pub.error_exit = jpeg_fatal;
    run.errors.pub.emit_message = jpeg_message;
    run.errors.pub.output_message = jpeg_silent;
    run.errors.warnings = &warnings;
  }
  ~JpegSession() {
    if (run.created) jpeg_destroy_decompress(&run.cinfo);
  }
  JpegSession(const JpegSession &) = delete;
  JpegSession &operator=(const JpegSession &) = delete;

  // What stopped the decode: the Budget's limit, or libjpeg's message.
  Outcome failed(std::string &failure) const {
    if (run.errors.over_budget) {
      failure = run.errors.failure;
      return Outcome::over_budget;
    }
    failure = std::string("libjpeg: ") + run.errors.failure;
    return Outcome::failed;
  }
};

// grfmt_jpeg.cpp's readHeader: APP1 saved for EXIF, scale 1/reduction, output size computed.
bool jpeg_header(JpegRun &run, const uint8_t *bytes, size_t length, int reduction, int &orientation) {
  if (setjmp(run.errors.jump) != 0) return false;
  jpeg_create_decompress(&run.cinfo);
  run.created = true;
  run.cinfo.mem->max_memory_to_use = Budget::max_jpeg_memory;
  run.budget.pub.progress_monitor = jpeg_monitor;
  run.budget.errors = &run.errors;
  run.cinfo.progress = &run.budget.pub;
  run.cinfo.src = &run.source.pub;
  run.source.pub.init_source = jpeg_stub;
  run.source.pub.fill_input_buffer = jpeg_fill_input;
  run.source.pub.skip_input_data = jpeg_skip_input;
  run.source.pub.resync_to_restart = jpeg_resync_to_restart;
  run.source.pub.term_source = jpeg_stub;
  run.source.pub.next_input_byte = bytes;
  run.source.pub.bytes_in_buffer = length;
  run.source.skip = 0;
  jpeg_save_markers(&run.cinfo, JPEG_APP0 + 1, 0xffff);
  jpeg_read_header(&run.cinfo, TRUE);
  run.cinfo.scale_num = 1;
  run.cinfo.scale_denom = static_cast<unsigned int>(reduction);
  jpeg_calc_output_dimensions(&run.cinfo);
  jpeg_saved_marker_ptr exif = nullptr;
  for (jpeg_saved_marker_ptr m = run.cinfo.marker_list; m && !exif; m = m->next) {
    if (m->marker == JPEG_APP0 + 1) exif = m;
  }
  orientation = 1;
  if (exif && exif->data_length > 6) {
    orientation = ExifOrientation(exif->data + 6, exif->data_length - 6).orientation();
  }
  return true;
}

// OpenCV's CMYK conversions (utils.cpp icvCvt_CMYK2BGR_8u_C4C3R / icvCvt_CMYK2Gray_8u_C4C1R).
void cmyk_row_to_bgr(const uint8_t *cmyk, uint8_t *bgr, int width) {
  for (int i = 0; i < width; i++, bgr += 3, cmyk += 4) {
    int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    c = k - ((255 - c) * k >> 8);
    m = k - ((255 - m) * k >> 8);
    y = k - ((255 - y) * k >> 8);
    bgr[2] = static_cast<uint8_t>(c);
    bgr[1] = static_cast<uint8_t>(m);
    bgr[0] = static_cast<uint8_t>(y);
  }
}
void cmyk_row_to_gray(const uint8_t *cmyk, uint8_t *gray, int width) {
  enum { SCALE = 14, cR = 4899, cG = 9617, cB = 1868 };  // 0.299, 0.587, 0.114 in 1/2^14
  for (int i = 0; i < width; i++, cmyk += 4) {
    int c = cmyk[0], m = cmyk[1], y = cmyk[2], k = cmyk[3];
    c = k - ((255 - c) * k >> 8);
    m = k - ((255 - m) * k >> 8);
    y = k - ((255 - y) * k >> 8);
    gray[i] = static_cast<uint8_t>((y * cB + m * cG + c * cR + (1 << (SCALE - 1))) >> SCALE);
  }
}

// grfmt_jpeg.cpp's readData. `rows_missing` counts rows the data ran out before (OpenCV leaves them as they were
// allocated; ours are set to zero). An error in jpeg_finish_decompress keeps the image, as OpenCV's does.
// With `scratch` (a row of the whole width), `img` is only the band of rows from `top` and columns from `left`:
// each row is decoded into `scratch` and the band's part copied; decoding stops after the band's last row.
bool jpeg_pixels(JpegRun &run, cv::Mat &img, int top, int left, uint8_t *scratch, int &rows_missing,
                 volatile bool &have_image) {
  if (setjmp(run.errors.jump) != 0) return have_image;
  jpeg_decompress_struct *cinfo = &run.cinfo;
  const bool color = img.channels() > 1;
  bool direct;
  if (cinfo->num_components != 4) {
    cinfo->out_color_space = color ? JCS_EXT_BGR : JCS_GRAYSCALE;
    cinfo->out_color_components = color ? 3 : 1;
    direct = true;
  } else {
    cinfo->out_color_space = JCS_CMYK;
    cinfo->out_color_components = 4;
    direct = false;
  }
  jpeg_start_decompress(cinfo);
  const int width = scratch ? static_cast<int>(cinfo->output_width) : img.cols;
  const size_t row_bytes = static_cast<size_t>(width) * img.elemSize();
  JSAMPARRAY buffer = nullptr;
  if (!direct) {
    buffer = (*cinfo->mem->alloc_sarray)(reinterpret_cast<j_common_ptr>(cinfo), JPOOL_IMAGE,
                                         static_cast<JDIMENSION>(width * 4), 1);
  }
  const int end = scratch ? top + img.rows : img.rows;
  for (int y = 0; y < end; y++) {
    const bool inside = !scratch || y >= top;
    uint8_t *data = scratch ? scratch : img.ptr<uint8_t>(y);
    JSAMPROW row = direct ? data : buffer[0];
    if (jpeg_read_scanlines(cinfo, &row, 1) != 1) {
      std::memset(data, 0, row_bytes);
      if (inside) rows_missing++;
    } else if (!direct) {
      if (color) cmyk_row_to_bgr(buffer[0], data, width);
      else cmyk_row_to_gray(buffer[0], data, width);
    }
    if (scratch && inside) {
      std::memcpy(img.ptr<uint8_t>(y - top), scratch + static_cast<size_t>(left) * img.elemSize(),
                  static_cast<size_t>(img.cols) * img.elemSize());
    }
  }
  have_image = true;
  if (!scratch) jpeg_finish_decompress(cinfo);
  return true;
}

Outcome decode_jpeg(const uint8_t *bytes, size_t length, int color, int reduction, cv::Mat &out,
                    Warnings &warnings, std::string &failure) {
  JpegSession session(warnings);
  JpegRun &run = session.run;
  auto failed = [&]() { return session.failed(failure); };
  int orientation = 1;
  if (!jpeg_header(run, bytes, length, reduction, orientation)) return failed();
  check_size(run.cinfo.output_width, run.cinfo.output_height);
  cv::Mat img(static_cast<int>(run.cinfo.output_height), static_cast<int>(run.cinfo.output_width),
              color ? CV_8UC3 : CV_8UC1);
  int rows_missing = 0;
  volatile bool have_image = false;
  if (!jpeg_pixels(run, img, 0, 0, nullptr, rows_missing, have_image) || run.errors.over_budget) return failed();
  if (rows_missing > 0) {
    warnings.add(("Premature end of JPEG file: the last " + std::to_string(rows_missing) + " of " +
                  std::to_string(img.rows) + " rows are missing (left black)")
                     .c_str());
  }
  apply_orientation(orientation, img);
  out = img;
  return Outcome::decoded;
}

// ---- PNG ---------------------------------------------------------------------------------------------------------

struct PngRun {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end_info = nullptr;
  const uint8_t *bytes = nullptr;
  size_t length = 0;
  size_t position = 0;
  Warnings *warnings = nullptr;
  char failure[256] = {0};
};

void png_fatal(png_structp png, png_const_charp message) {
  auto *run = static_cast<PngRun *>(png_get_error_ptr(png));
  std::snprintf(run->failure, sizeof(run->failure), "%s", message ? message : "unknown error");
  png_longjmp(png, 1);
}
void png_warning_collected(png_structp png, png_const_charp message) {
  static_cast<PngRun *>(png_get_error_ptr(png))->warnings->add(message);
}
// grfmt_png.cpp's readDataFromBuf.
void png_read_bytes(png_structp png, png_bytep destination, size_t size) {
  auto *run = static_cast<PngRun *>(png_get_io_ptr(png));
  if (run->position + size > run->length) {
    png_error(png, "PNG input buffer is incomplete");
    return;
  }
  std::memcpy(destination, run->bytes + run->position, size);
  run->position += size;
}

// grfmt_png.cpp's readHeader: bit depth 1, 2, 4, 8 or 16.
// One libpng read of a buffer with our error and warning handlers, destroyed with the session.
struct PngSession {
  PngRun run;

  PngSession(const uint8_t *bytes, size_t length, Warnings &warnings) {
    run.bytes = bytes;
    run.length = length;
    run.warnings = &warnings;
    run.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &run, png_fatal, png_warning_collected);
    if (!run.png) throw std::bad_alloc();
    run.info = png_create_info_struct(run.png);
    run.end_info = png_create_info_struct(run.png);
    if (!run.info || !run.end_info) {
      png_destroy_read_struct(&run.png, &run.info, &run.end_info);
      throw std::bad_alloc();
    }
  }
  ~PngSession() { png_destroy_read_struct(&run.png, &run.info, &run.end_info); }
  PngSession(const PngSession &) = delete;
  PngSession &operator=(const PngSession &) = delete;

  Outcome failed(std::string &failure) const {
    failure = std::string("libpng: ") + run.failure;
    return Outcome::failed;
  }
};

// Text and suggested-palette chunks are skipped unread (their CRC still checked): nothing here uses them, and each
// zTXt or iTXt is inflated up to libpng's 8 MB chunk limit, 1,000 of them per file (a 7.7 MB file of zTXt chunks
// took 343 s). Unknown chunks are skipped by default; iCCP and eXIf are read once each.
const png_byte png_ignored_chunks[] = {'t', 'E', 'X', 't', '\0', 'z', 'T', 'X', 't', '\0',
                                       'i', 'T', 'X', 't', '\0', 's', 'P', 'L', 'T', '\0'};

bool png_header(PngRun &run, png_uint_32 &width, png_uint_32 &height, int &bit_depth, int &color_type) {
  if (setjmp(png_jmpbuf(run.png)) != 0) return false;
  png_set_keep_unknown_chunks(run.png, PNG_HANDLE_CHUNK_NEVER, png_ignored_chunks,
                              static_cast<int>(sizeof(png_ignored_chunks) / 5));
  png_set_read_fn(run.png, &run, png_read_bytes);
  png_read_info(run.png, run.info);
  png_get_IHDR(run.png, run.info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  if (!(bit_depth <= 8 || bit_depth == 16)) {
    std::snprintf(run.failure, sizeof(run.failure), "unsupported bit depth %d", bit_depth);
    return false;
  }
  return true;
}

// grfmt_png.cpp's transforms to an 8-bit, 1- or 3-channel result (libpng may longjmp: called after setjmp).
void png_transforms(PngRun &run, int bit_depth, int color_type, bool color) {
  if (bit_depth == 16) png_set_strip_16(run.png);
  png_set_strip_alpha(run.png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(run.png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(run.png);
  if ((color_type & PNG_COLOR_MASK_COLOR) && color) {
    png_set_bgr(run.png);
  } else if (color) {
    png_set_gray_to_rgb(run.png);
  } else {
    png_set_rgb_to_gray(run.png, 1, 0.299, 0.587);
  }
}

// grfmt_png.cpp's readData for an 8-bit, 1- or 3-channel result.
// The eXIf chunk (before or after the pixels) is handed back for the orientation.
bool png_pixels(PngRun &run, int bit_depth, int color_type, bool color, png_bytepp rows, png_bytep &exif,
                png_uint_32 &exif_length) {
  if (setjmp(png_jmpbuf(run.png)) != 0) return false;
  png_transforms(run, bit_depth, color_type, color);
  png_set_interlace_handling(run.png);
  png_read_update_info(run.png, run.info);
  png_read_image(run.png, rows);
  png_read_end(run.png, run.end_info);
  exif = nullptr;
  exif_length = 0;
  if (png_get_valid(run.png, run.info, PNG_INFO_eXIf)) {
    png_get_eXIf_1(run.png, run.info, &exif_length, &exif);
  } else if (png_get_valid(run.png, run.end_info, PNG_INFO_eXIf)) {
    png_get_eXIf_1(run.png, run.end_info, &exif_length, &exif);
  }
  return true;
}

Outcome decode_png(const uint8_t *bytes, size_t length, int color, int reduction, cv::Mat &out, Warnings &warnings,
                   std::string &failure) {
  PngSession session(bytes, length, warnings);
  PngRun &run = session.run;
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  if (!png_header(run, width, height, bit_depth, color_type)) return session.failed(failure);
  check_size(width, height);
  // Every row is written by png_read_image, or the decode fails and the image is dropped.
  cv::Mat img(static_cast<int>(height), static_cast<int>(width), color ? CV_8UC3 : CV_8UC1);
  std::vector<png_bytep> rows(height);
  for (png_uint_32 y = 0; y < height; y++) rows[y] = img.ptr<uint8_t>(static_cast<int>(y));
  png_bytep exif = nullptr;
  png_uint_32 exif_length = 0;
  if (!png_pixels(run, bit_depth, color_type, color != 0, rows.data(), exif, exif_length)) {
    return session.failed(failure);
  }
  const int orientation = exif && exif_length > 0 ? ExifOrientation(exif, exif_length).orientation() : 1;
  // imdecode shrinks what a decoder could not decode reduced (INTER_LINEAR_EXACT).
  if (reduction > 1) {
    cv::resize(img, img, cv::Size(img.cols / reduction, img.rows / reduction), 0, 0, cv::INTER_LINEAR_EXACT);
  }
  apply_orientation(orientation, img);
  out = img;
  return Outcome::decoded;
}

// ---- Regions ------------------------------------------------------------------------------------------------------

// Where the part `r` of the image as shown (EXIF orientation applied, `shown` its size) lies in the image as stored:
// apply_orientation's transforms undone.
cv::Rect stored_rect(int orientation, const cv::Rect &r, const cv::Size &shown) {
  switch (orientation) {
    case 2: return {shown.width - r.x - r.width, r.y, r.width, r.height};
    case 3: return {shown.width - r.x - r.width, shown.height - r.y - r.height, r.width, r.height};
    case 4: return {r.x, shown.height - r.y - r.height, r.width, r.height};
    case 5: return {r.y, r.x, r.height, r.width};
    case 6: return {r.y, shown.width - r.x - r.width, r.height, r.width};
    case 7: return {shown.height - r.y - r.height, shown.width - r.x - r.width, r.height, r.width};
    case 8: return {shown.height - r.y - r.height, r.x, r.height, r.width};
    default: return r;
  }
}

cv::Size shown_size(int orientation, int width, int height) {
  return orientation >= 5 && orientation <= 8 ? cv::Size(height, width) : cv::Size(width, height);
}

Outcome decode_jpeg_region(const uint8_t *bytes, size_t length, const cv::Rect &wanted, cv::Mat &out,
                           cv::Size &shown, Warnings &warnings, std::string &failure) {
  JpegSession session(warnings);
  JpegRun &run = session.run;
  auto failed = [&]() { return session.failed(failure); };
  int orientation = 1;
  if (!jpeg_header(run, bytes, length, 1, orientation)) return failed();
  check_size(run.cinfo.output_width, run.cinfo.output_height);
  shown = shown_size(orientation, static_cast<int>(run.cinfo.output_width), static_cast<int>(run.cinfo.output_height));
  const cv::Rect part = wanted & cv::Rect(0, 0, shown.width, shown.height);
  out = cv::Mat();
  if (part.empty()) return Outcome::decoded;
  const cv::Rect stored = stored_rect(orientation, part, shown);
  cv::Mat band(stored.height, stored.width, CV_8UC3);
  std::vector<uint8_t> scratch(static_cast<size_t>(run.cinfo.output_width) * 3);
  int rows_missing = 0;
  volatile bool have_image = false;
  if (!jpeg_pixels(run, band, stored.y, stored.x, scratch.data(), rows_missing, have_image) ||
      run.errors.over_budget) {
    return failed();
  }
  if (rows_missing > 0) {
    warnings.add(("Premature end of JPEG file: " + std::to_string(rows_missing) + " rows are missing (left black)")
                     .c_str());
  }
  apply_orientation(orientation, band);
  out = band;
  return Outcome::decoded;
}

// Whether the PNG's chunks (walked in the buffer) include `type`.
bool png_has_chunk(const uint8_t *bytes, size_t length, const char *type) {
  size_t at = 8;
  while (at + 12 <= length) {
    const size_t size = (static_cast<size_t>(bytes[at]) << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) |
                        bytes[at + 3];
    if (std::memcmp(bytes + at + 4, type, 4) == 0) return true;
    if (size > length - at - 12) return false;
    at += 12 + size;
  }
  return false;
}

// png_pixels for a band of rows: every pass reads every row, the band's into `band` (whole rows, from `top`), the
// others into `scratch`; a non-interlaced image stops after the band.
bool png_band_pixels(PngRun &run, int bit_depth, int color_type, cv::Mat &band, int top, uint8_t *scratch,
                     int height) {
  if (setjmp(png_jmpbuf(run.png)) != 0) return false;
  png_transforms(run, bit_depth, color_type, true);
  const int passes = png_set_interlace_handling(run.png);
  png_read_update_info(run.png, run.info);
  const int end = passes == 1 ? top + band.rows : height;
  for (int pass = 0; pass < passes; pass++) {
    for (int y = 0; y < end; y++) {
      png_read_row(run.png, y >= top && y < top + band.rows ? band.ptr<uint8_t>(y - top) : scratch, nullptr);
    }
  }
  return true;
}

Outcome decode_png_region(const uint8_t *bytes, size_t length, const cv::Rect &wanted, cv::Mat &out, cv::Size &shown,
                          Warnings &warnings, std::string &failure) {
  PngSession session(bytes, length, warnings);
  PngRun &run = session.run;
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  if (!png_header(run, width, height, bit_depth, color_type)) return session.failed(failure);
  check_size(width, height);
  png_bytep exif = nullptr;
  png_uint_32 exif_length = 0;
  if (png_get_valid(run.png, run.info, PNG_INFO_eXIf)) {
    png_get_eXIf_1(run.png, run.info, &exif_length, &exif);
  } else if (png_has_chunk(bytes, length, "eXIf")) {
    // The orientation comes after the pixels: the whole image, then the part.
    cv::Mat whole;
    const Outcome outcome = decode_png(bytes, length, 1, 1, whole, warnings, failure);
    if (outcome != Outcome::decoded) return outcome;
    shown = whole.size();
    const cv::Rect part = wanted & cv::Rect(0, 0, shown.width, shown.height);
    out = part.empty() ? cv::Mat() : whole(part).clone();
    return Outcome::decoded;
  }
  const int orientation = exif && exif_length > 0 ? ExifOrientation(exif, exif_length).orientation() : 1;
  shown = shown_size(orientation, static_cast<int>(width), static_cast<int>(height));
  const cv::Rect part = wanted & cv::Rect(0, 0, shown.width, shown.height);
  out = cv::Mat();
  if (part.empty()) return Outcome::decoded;
  const cv::Rect stored = stored_rect(orientation, part, shown);
  cv::Mat band(stored.height, static_cast<int>(width), CV_8UC3);
  std::vector<uint8_t> scratch(static_cast<size_t>(width) * 3);
  if (!png_band_pixels(run, bit_depth, color_type, band, stored.y, scratch.data(), static_cast<int>(height))) {
    return session.failed(failure);
  }
  cv::Mat piece = band.colRange(stored.x, stored.x + stored.width).clone();
  band.release();
  apply_orientation(orientation, piece);
  out = piece;
  return Outcome::decoded;
}

}  // namespace

Outcome decode(Format format, const uint8_t *bytes, size_t length, int color, int reduction, cv::Mat &out,
               Warnings &warnings, std::string &failure) {
  switch (format) {
    case Format::jpeg: return decode_jpeg(bytes, length, color, reduction, out, warnings, failure);
    case Format::png: return decode_png(bytes, length, color, reduction, out, warnings, failure);
    case Format::other: break;
  }
  failure = "not a JPEG or PNG";
  return Outcome::failed;
}

Outcome decode_region(Format format, const uint8_t *bytes, size_t length, const cv::Rect &wanted, cv::Mat &out,
                      cv::Size &shown, Warnings &warnings, std::string &failure) {
  switch (format) {
    case Format::jpeg: return decode_jpeg_region(bytes, length, wanted, out, shown, warnings, failure);
    case Format::png: return decode_png_region(bytes, length, wanted, out, shown, warnings, failure);
    case Format::other: break;
  }
  failure = "not a JPEG or PNG";
  return Outcome::failed;
}

}  // namespace afs_decoders
