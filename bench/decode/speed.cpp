// bench/decode/run: decodes every file given, 15 passes each way (ours, cv::imdecode), interleaved; prints the
// median pass time. Not a test.
#include "image_decoders.hpp"
#include <opencv2/imgcodecs.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>
#include <algorithm>
int main(int argc, char **argv) {
  std::vector<std::vector<uchar>> files;
  for (int i = 1; i < argc; i++) { std::ifstream f(argv[i], std::ios::binary); files.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()); }
  cv::setNumThreads(0);
  std::vector<double> ours, theirs;
  for (int round = 0; round < 15; round++) {
    for (int which = 0; which < 2; which++) {
      bool mine = (which + round) % 2 == 0;
      auto t = std::chrono::steady_clock::now();
      for (auto &b : files) {
        cv::Mat m;
        if (mine) { afs_decoders::Warnings w; std::string f; afs_decoders::decode(afs_decoders::format_of(b.data(), b.size()), b.data(), b.size(), 1, 1, m, w, f); }
        else m = cv::imdecode(b, cv::IMREAD_COLOR);
      }
      double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
      (mine ? ours : theirs).push_back(ms);
    }
  }
  std::sort(ours.begin(), ours.end()); std::sort(theirs.begin(), theirs.end());
  std::cout << files.size() << " files: libjpeg/libpng " << ours[7] << " ms, cv::imdecode " << theirs[7] << " ms (median pass)\n";
}
