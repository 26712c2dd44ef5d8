import Catalog
import Foundation
import Imaging
import Parallel

// `sample-images crops`: many distinct small JPEGs cut from a few photographs, fast enough for a million
// (bench/scale). Each photograph is decoded once, turned a quarter turn 0–3 times and shrunk once so that its
// shorter side is at most `variantSide`; every output is then one crop and resize of a variant (at most
// 2.5:1, never the full photograph again), a contrast, brightness and mirror change, and one JPEG encode.
// Image i's crop depends only on the seed and i, so the output is the same for any number of threads, and a
// run with a smaller --count writes the first images of a larger one.

/// The longest shorter side a variant keeps: crops span 0.4–1 of it, so 160-pixel outputs shrink by ≤ 2.5.
let variantSide = 400

/// Every photo in its four quarter turns (EXIF orientations 1, 6, 3 and 8: turns, no mirror), each shrunk once
/// to a shorter side of at most `variantSide`.
func photoVariants(_ photos: [DecodedImage]) -> [DecodedImage] {
  var variants: [DecodedImage] = []
  for photo in photos {
    do {
      let shorter = min(photo.width, photo.height)
      let shrunk =
        shorter <= variantSide
        ? photo
        : try photo.cropped(
          to: Box(x: 0, y: 0, width: photo.width, height: photo.height),
          width: max(1, photo.width * variantSide / shorter), height: max(1, photo.height * variantSide / shorter))
      variants.append(shrunk)
      let (width, height) = (shrunk.width, shrunk.height)
      let pixels = try shrunk.pixels()
      for orientation in [6, 3, 8] {
        let (turnedWidth, turnedHeight) = orientation == 3 ? (width, height) : (height, width)
        var turned = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<height {
          for x in 0..<width {
            let s = storedPosition(orientation, x: x, y: y, width: width, height: height)
            let (to, from) = ((s.y * turnedWidth + s.x) * 3, (y * width + x) * 3)
            turned[to] = pixels[from]
            turned[to + 1] = pixels[from + 1]
            turned[to + 2] = pixels[from + 2]
          }
        }
        variants.append(
          try DecodedImage(bytes: orientedPNG(bgr: turned, width: turnedWidth, height: turnedHeight, exif: nil)))
      }
    } catch {
      continue  // a photo OpenCV cannot turn is left out, like one it cannot decode
    }
  }
  return variants
}

/// Writes `count` JPEGs `out/000001.jpg`… (`width`×`width·3/4`, quality `quality`) on `workers` threads;
/// nil, or the first failure.
func writeCrops(
  count: Int, from variants: [DecodedImage], width: Int, quality: Int, seed: UInt64, out: String, workers: Int
) -> String? {
  do {
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
  } catch {
    return "cannot create \(out): \(error.localizedDescription)"
  }
  setOpenCVThreads(0)  // one image per thread; OpenCV's own pool would only compete
  let batch = 512
  let batches = Array(stride(from: 0, to: count, by: batch))
  let failures = concurrentMap(batches, workers: workers) { first -> String? in
    for index in first..<min(count, first + batch) {
      var random = SeededGenerator(state: seed ^ (UInt64(index) &* 0xD6E8_FEB8_6659_FD93))
      _ = random.next()
      let image = variants[Int.random(in: 0..<variants.count, using: &random)]
      let side = min(image.width, image.height * 4 / 3)
      let cropWidth = max(4, Int(Double(side) * Double.random(in: 0.4...1.0, using: &random)))
      let cropHeight = cropWidth * 3 / 4
      let x = Int.random(in: 0...max(0, image.width - cropWidth), using: &random)
      let y = Int.random(in: 0...max(0, image.height - cropHeight), using: &random)
      let path = String(format: "%@/%06d.jpg", out, index + 1)
      do {
        let crop = try image.cropped(
          to: Box(x: x, y: y, width: cropWidth, height: cropHeight), width: width, height: width * 3 / 4
        ).adjusted(
          contrast: Double.random(in: 0.85...1.15, using: &random),
          brightness: Double.random(in: -20...20, using: &random), mirrored: Bool.random(using: &random))
        let bytes = try crop.encoded(.jpeg(quality: quality))
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { return "cannot create \(path): \(String(cString: strerror(errno)))" }
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        close(descriptor)
        guard written == bytes.count else { return "cannot write \(path)" }
      } catch {
        return "\(path): \(error.localizedDescription)"
      }
    }
    return nil
  }
  return failures.lazy.compactMap { $0 }.first
}
