import Foundation

/// Pillow's grayscale conversion and Lanczos resampling, reproduced exactly (integer arithmetic
/// included), so the `imagehash`-compatible hashes see the same 8-bit pixels as Python's
/// `image.convert("L").resize(size, Image.LANCZOS)`.
///
/// From Pillow's `Convert.c` (L = (19595 R + 38470 G + 7471 B + 0x8000) >> 16) and `Resample.c`
/// (separable, antialiased: the Lanczos-3 kernel is stretched by the scale factor when shrinking;
/// 22-bit fixed-point coefficients; horizontal pass first, clipped to 8 bits, then the vertical pass).
enum PILResample {
  /// 8-bit luma from interleaved BGR (or gray, `channels` == 1) pixels, as Pillow's `convert("L")`.
  static func luma(bgr pixels: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
    if channels == 1 { return pixels }
    var out = [UInt8](repeating: 0, count: width * height)
    pixels.withUnsafeBufferPointer { p in
      out.withUnsafeMutableBufferPointer { o in
        for i in 0..<(width * height) {
          let b = UInt32(p[i * channels])
          let g = UInt32(p[i * channels + 1])
          let r = UInt32(p[i * channels + 2])
          o[i] = UInt8((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16)
        }
      }
    }
    return out
  }

  static let precisionBits = 32 - 8 - 2

  struct Coefficients {
    var bounds: [(min: Int, count: Int)]
    var kernelSize: Int
    var weights: [Int32]
  }

  static func lanczos(_ x: Double) -> Double {
    guard -3.0 <= x && x < 3.0 else { return 0 }
    return sinc(x) * sinc(x / 3)
  }

  static func sinc(_ x: Double) -> Double {
    if x == 0 { return 1 }
    let y = x * Double.pi
    return sin(y) / y
  }

  /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for a full-image box.
  static func coefficients(inSize: Int, outSize: Int) -> Coefficients {
    let support = 3.0
    let scale = Double(inSize) / Double(outSize)
    let filterScale = max(scale, 1.0)
    let scaledSupport = support * filterScale
    let kernelSize = Int(ceil(scaledSupport)) * 2 + 1
    var weights = [Int32](repeating: 0, count: outSize * kernelSize)
    var bounds: [(min: Int, count: Int)] = []
    bounds.reserveCapacity(outSize)
    var k = [Double](repeating: 0, count: kernelSize)
    for xx in 0..<outSize {
      let center = (Double(xx) + 0.5) * scale
      let ss = 1.0 / filterScale
      var xmin = Int(center - scaledSupport + 0.5)  // C's (int) cast truncates toward zero
      if xmin < 0 { xmin = 0 }
      var xmax = Int(center + scaledSupport + 0.5)
      if xmax > inSize { xmax = inSize }
      xmax -= xmin
      var total = 0.0
      for x in 0..<kernelSize { k[x] = 0 }
      for x in 0..<xmax {
        let w = lanczos((Double(x + xmin) - center + 0.5) * ss)
        k[x] = w
        total += w
      }
      for x in 0..<xmax where total != 0 { k[x] /= total }
      for x in 0..<kernelSize {
        let scaled = k[x] * Double(1 << precisionBits)
        weights[xx * kernelSize + x] = Int32(k[x] < 0 ? (-0.5 + scaled) : (0.5 + scaled))
      }
      bounds.append((xmin, xmax))
    }
    return Coefficients(bounds: bounds, kernelSize: kernelSize, weights: weights)
  }

  /// Pillow accumulates in a C `int`; |sum| stays below 2^31 (255 × the kernel's absolute sum × 2^22).
  @inline(__always) static func clip8(_ value: Int32) -> UInt8 {
    if value >= Int32(1) << Int32(precisionBits + 8) { return 255 }
    if value <= 0 { return 0 }
    return UInt8(truncatingIfNeeded: value >> Int32(precisionBits))
  }

  /// `Image.resize((outWidth, outHeight), Image.LANCZOS)` of an 8-bit gray image.
  static func resizeLanczos(
    _ pixels: [UInt8], width: Int, height: Int, outWidth: Int, outHeight: Int
  ) -> [UInt8] {
    let horizontal = coefficients(inSize: width, outSize: outWidth)
    let vertical = coefficients(inSize: height, outSize: outHeight)
    let needHorizontal = outWidth != width
    let needVertical = outHeight != height
    let half = Int32(1) << Int32(precisionBits - 1)

    var current = pixels
    var currentWidth = width
    var verticalBounds = vertical.bounds
    if needHorizontal {
      // Only the rows the vertical pass reads.
      let first = vertical.bounds[0].min
      let last = vertical.bounds[outHeight - 1].min + vertical.bounds[outHeight - 1].count
      let rows = needVertical ? (first..<last) : (0..<height)
      if needVertical {
        for i in 0..<outHeight { verticalBounds[i].min -= first }
      }
      var temp = [UInt8](repeating: 0, count: outWidth * rows.count)
      pixels.withUnsafeBufferPointer { source in
        horizontal.weights.withUnsafeBufferPointer { weights in
          temp.withUnsafeMutableBufferPointer { target in
            for (tempRow, y) in rows.enumerated() {
              let row = y * width
              for xx in 0..<outWidth {
                let (xmin, count) = horizontal.bounds[xx]
                var sum = half
                let base = xx * horizontal.kernelSize
                for x in 0..<count {
                  sum &+= Int32(source[row + xmin + x]) &* weights[base + x]
                }
                target[tempRow * outWidth + xx] = clip8(sum)
              }
            }
          }
        }
      }
      current = temp
      currentWidth = outWidth
    }
    guard needVertical else { return current }
    var out = [UInt8](repeating: 0, count: currentWidth * outHeight)
    current.withUnsafeBufferPointer { source in
      vertical.weights.withUnsafeBufferPointer { weights in
        out.withUnsafeMutableBufferPointer { target in
          for yy in 0..<outHeight {
            let (ymin, count) = verticalBounds[yy]
            let base = yy * vertical.kernelSize
            for xx in 0..<currentWidth {
              var sum = half
              for y in 0..<count {
                sum &+= Int32(source[(ymin + y) * currentWidth + xx]) &* weights[base + y]
              }
              target[yy * currentWidth + xx] = clip8(sum)
            }
          }
        }
      }
    }
    return out
  }
}
