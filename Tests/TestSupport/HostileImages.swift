import Foundation
import Imaging

/// Files that are small on disk and cost a decoder far more than their size (RELIABILITY.md case 42), made here
/// byte by byte.
extension TestSupport {
  /// A valid grey progressive JPEG (SOF2) of `side`×`side` pixels (`side` a multiple of 8) with `scans` + 1 scans:
  /// a DC scan of zeros, then `scans` scans of AC coefficients 1–63 that end every block at once (EOB14 runs of
  /// 32,767 blocks, as an encoder writes an all-zero band), about 70 bytes each at 8192². libjpeg passes over every
  /// block for each of them: 8192² with 10,000 scans is a 1.1 MB file that took ~100 s to decode before the budget.
  public static func manyScanJPEG(side: Int = 8192, scans: Int = 10_000) -> [UInt8] {
    func segment(_ marker: UInt8, _ payload: [UInt8]) -> [UInt8] {
      [0xFF, marker, UInt8((payload.count + 2) >> 8), UInt8((payload.count + 2) & 0xFF)] + payload
    }
    let size = [UInt8(side >> 8), UInt8(side & 0xFF)]
    var out: [UInt8] = [0xFF, 0xD8]
    out += segment(0xDB, [0] + [UInt8](repeating: 1, count: 64))  // quantization table 0: all ones
    out += segment(0xC2, [8] + size + size + [1, 1, 0x11, 0])  // progressive, 8-bit, one component
    // One code each, "0": DC table 0 codes category 0 (a zero difference), AC table 0 codes EOB14 (0xE0).
    out += segment(0xC4, [0x00, 1] + [UInt8](repeating: 0, count: 15) + [0x00])
    out += segment(0xC4, [0x10, 1] + [UInt8](repeating: 0, count: 15) + [0xE0])
    let blocks = (side / 8) * (side / 8)
    // DC scan (Ss 0, Se 0, Ah 0, Al 0): one "0" bit a block.
    out += segment(0xDA, [1, 1, 0x00, 0, 0, 0]) + [UInt8](repeating: 0, count: (blocks + 7) / 8)
    // AC scan data: "0" (EOB14) and 14 one bits (a run of 2^14 + 16383 = 32767 blocks), until every block is ended.
    var bits = JPEGBits()
    for _ in 0..<(blocks + 32_766) / 32_767 {
      bits.write(0, count: 1)
      bits.write(0x3FFF, count: 14)
    }
    let band = segment(0xDA, [1, 1, 0x00, 1, 63, 0]) + bits.finished
    out.reserveCapacity(out.count + band.count * scans + 2)
    for _ in 0..<scans { out += band }
    return out + [0xFF, 0xD9]
  }

  /// Entropy-coded bits, most significant first, padded with ones, each 0xFF byte followed by a stuffed 0x00.
  struct JPEGBits {
    private var bytes: [UInt8] = []
    private var current = 0
    private var used = 0

    mutating func write(_ value: Int, count: Int) {
      for shift in stride(from: count - 1, through: 0, by: -1) {
        current = current << 1 | (value >> shift) & 1
        used += 1
        if used == 8 { flush() }
      }
    }

    private mutating func flush() {
      bytes.append(UInt8(current))
      if current == 0xFF { bytes.append(0) }
      current = 0
      used = 0
    }

    var finished: [UInt8] {
      var copy = self
      while copy.used != 0 { copy.write(1, count: 1) }
      return copy.bytes
    }
  }

  /// A 64×64 black PNG carrying `chunks` copies of one zTXt chunk that inflates to 7.65 MB (under libpng's 8 MB
  /// limit for a chunk): the text is the zlib stream OpenCV wrote for a black 1700×1500 picture, ~10 KB.
  public static func textBombPNG(chunks: Int = 1_000) throws -> [UInt8] {
    let stream = try pngData(try DecodedImage.blank(width: 1_700, height: 1_500, gray: 0).encoded(.png))
    let small = try DecodedImage.blank(width: 64, height: 64, gray: 0).encoded(.png)
    let text = pngChunk("zTXt", Array("Comment".utf8) + [0, 0] + stream)
    // The signature and IHDR (33 bytes), the text chunks, then the small picture's own IDAT and IEND.
    var out = Array(small[0..<33])
    out.reserveCapacity(small.count + text.count * chunks)
    for _ in 0..<chunks { out += text }
    return out + small[33...]
  }

  /// The concatenated IDAT data of a PNG (its zlib stream).
  static func pngData(_ png: [UInt8]) throws -> [UInt8] {
    var data: [UInt8] = []
    var at = 8
    while at + 8 <= png.count {
      let length = png[at..<at + 4].reduce(0) { $0 << 8 | Int($1) }
      guard at + 12 + length <= png.count else { throw CocoaError(.coderReadCorrupt) }
      if png[at + 4..<at + 8].elementsEqual("IDAT".utf8) { data += png[at + 8..<at + 8 + length] }
      at += 12 + length
    }
    return data
  }
}
