import Foundation
import Imaging
import TestSupport
import Testing

/// JPEG and PNG are decoded with libjpeg and libpng in the shim (their warnings returned, never printed); hashes,
/// detections and crops depend on those pixels being exactly cv::imdecode's. Every file below is decoded both ways
/// in colour and grayscale at full size and reduced 1/2, 1/4, 1/8, and every byte compared.
@Suite struct DecoderParityTests {
  static let codecs = TestSupport.testdata + "/codecs"

  /// The generated corpus (Tests/Fixtures/codecs, made by make-codec-fixtures.py), the repository's photos and
  /// Debian's opencv-doc photographs; all but the one file no decoder can read.
  static let corpus: [String] = {
    func files(_ folder: String) -> [String] {
      let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
      return names.filter { $0.hasSuffix(".png") || $0.hasSuffix(".jpg") }.sorted().map { folder + "/" + $0 }
    }
    return files(codecs).filter { !$0.hasSuffix("-broken-crc.png") }
      + files(TestSupport.testdata + "/voc-facemask/images") + files(TestSupport.testdata + "/labelimg-raccoon")
      + files(TestSupport.debianPhotos)
  }()

  @Test func corpusIsThere() {
    #expect(Self.corpus.filter { $0.hasPrefix(Self.codecs) }.count >= 45)
    #expect(Self.corpus.count >= 120)
  }

  @Test(arguments: corpus)
  func samePixelsAsImdecode(path: String) throws {
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
    let name = (path as NSString).lastPathComponent
    for grayscale in [false, true] {
      for reduction in [1, 2, 4, 8] {
        let (ours, reference) = try bytes.withUnsafeBytes { raw in
          (
            try DecodedImage(bytes: raw, grayscale: grayscale, reduction: reduction, decoder: .builtIn),
            try DecodedImage(bytes: raw, grayscale: grayscale, reduction: reduction, decoder: .openCV)
          )
        }
        let what = "\(name) \(grayscale ? "gray" : "colour") 1/\(reduction)"
        #expect(ours.width == reference.width, "\(what): width")
        #expect(ours.height == reference.height, "\(what): height")
        #expect(ours.channels == reference.channels, "\(what): channels")
        guard ours.width == reference.width, ours.height == reference.height else { continue }
        let (mine, theirs) = (try ours.pixels(), try reference.pixels())
        if name.contains("truncated") {
          // imdecode leaves the rows after the end of the data as allocated (uninitialised); ours are black.
          let decoded = mine.count - missingRows(ours.warnings) * ours.width * ours.channels
          #expect(decoded > 0 && mine.prefix(decoded) == theirs.prefix(decoded), "\(what): decoded rows differ")
        } else {
          #expect(firstDifference(mine, theirs) == nil, "\(what): first differing byte")
        }
      }
    }
  }

  @Test func exifOrientationTurnsTheImage() throws {
    let upright = try decode("jpeg-exif-orientation1.jpg")
    for orientation in 5...8 {
      let turned = try decode("jpeg-exif-orientation\(orientation).jpg")
      #expect(turned.width == upright.height && turned.height == upright.width, "orientation \(orientation)")
    }
    let png = try decode("png-exif-orientation6.png")
    #expect(png.width < png.height)
  }

  @Test func warningsComeBackWithTheImage() throws {
    #expect(
      try decode("jpeg-warning-extraneous.jpg").warnings == [
        "Corrupt JPEG data: 35 extraneous bytes before marker 0xd9"
      ])
    let truncated = try decode("jpeg-warning-truncated.jpg").warnings
    #expect(truncated.count == 1 && truncated[0].hasPrefix("Premature end of JPEG file"), "\(truncated)")
    #expect(try decode("png-warning-iccp.png").warnings == ["iCCP: too short"])
    #expect(try decode("png-warning-text-crc.png").warnings == ["tEXt: CRC error"])
    for clean in ["jpeg-420.jpg", "jpeg-progressive.jpg", "png-rgb8.png", "png-palette4-trns.png"] {
      #expect(try decode(clean).warnings.isEmpty, "\(clean)")
    }
    // Through imgcodecs nothing is collected (its libjpeg/libpng print instead).
    let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Self.codecs + "/png-warning-text-crc.png")))
    let viaOpenCV = try bytes.withUnsafeBytes {
      try DecodedImage(bytes: $0, grayscale: false, reduction: 1, decoder: .openCV)
    }
    #expect(viaOpenCV.warnings.isEmpty)
  }

  @Test func fatalErrorsAreErrorsNamingTheCause() throws {
    #expect {
      try decode("png-broken-crc.png")
    } throws: { error in
      guard case ImagingError.undecodable(let message) = error else { return false }
      return message == "libpng: IDAT: CRC error"
    }
    // A JPEG whose scan is garbage: libjpeg's own message, no crash, no print.
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: Self.codecs + "/jpeg-420.jpg")))
    let sof = try #require(firstIndex(of: [0xFF, 0xC0], in: bytes))
    bytes[sof + 9] = 7  // number of components: 7
    #expect {
      try DecodedImage(bytes: bytes)
    } throws: { error in
      guard case ImagingError.undecodable(let message) = error else { return false }
      return message.hasPrefix("libjpeg: ")
    }
  }

  @Test func warningsAreCappedAndDeduplicated() throws {
    // Many damaged spots in one scan: libjpeg warns at each; the image keeps a few distinct lines.
    var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: TestSupport.debianPhotos + "/fruits.jpg")))
    let sos = try #require(firstIndex(of: [0xFF, 0xDA], in: bytes))
    for i in stride(from: sos + 400, to: bytes.count - 400, by: 997) {
      bytes[i] = 0xFF
      bytes[i + 1] = 0xD0 + UInt8(i % 8)
    }
    let image = try DecodedImage(bytes: bytes)
    #expect(!image.warnings.isEmpty)
    #expect(image.warnings.count <= 9)
    #expect(Set(image.warnings).count == image.warnings.count)
    #expect(image.warnings.allSatisfy { $0.count <= 200 })
  }

  /// Mutated real files (RELIABILITY 16): bytes flipped, runs zeroed, cut short. Ours never crashes or prints;
  /// it decodes exactly when cv::imdecode does, to the same pixels (except rows after a premature end, which
  /// imdecode leaves uninitialised), or throws `ImagingError`.
  @Test func mutatedFilesDecodeLikeImdecodeOrFail() throws {
    var generator = SeededGenerator(seed: 15)
    let sources = [
      "jpeg-420.jpg", "jpeg-progressive.jpg", "jpeg-cmyk.jpg", "png-rgb8-interlaced.png", "png-palette4-trns.png",
    ]
    var decoded = 0
    for name in sources {
      let original = try Array(Data(contentsOf: URL(fileURLWithPath: Self.codecs + "/" + name)))
      for round in 0..<60 {
        var bytes = original
        let start = Int.random(in: 20..<bytes.count, using: &generator)
        switch round % 3 {
        case 0: for _ in 0..<4 { bytes[Int.random(in: 20..<bytes.count, using: &generator)] ^= 0xA5 }
        case 1: for i in start..<min(bytes.count, start + 24) { bytes[i] = 0 }
        default: bytes.removeLast(bytes.count - start)
        }
        let what = "\(name) mutation \(round)"
        let ours = Result { try bytes.withUnsafeBytes { try DecodedImage(bytes: $0, grayscale: false, reduction: 1) } }
        let reference = Result {
          try bytes.withUnsafeBytes { try DecodedImage(bytes: $0, grayscale: false, reduction: 1, decoder: .openCV) }
        }
        switch (ours, reference) {
        case (.success(let mine), .success(let theirs)):
          decoded += 1
          #expect(mine.width == theirs.width && mine.height == theirs.height, "\(what)")
          if !mine.warnings.contains(where: { $0.hasPrefix("Premature end of JPEG file") }) {
            #expect(try mine.pixels() == theirs.pixels(), "\(what): pixels differ")
          }
        case (.failure(let error), .failure):
          #expect(error is ImagingError, "\(what): \(error)")
        case (.success, .failure(let error)):
          Issue.record("\(what): decoded, but imdecode failed: \(error)")
        case (.failure(let error), .success):
          Issue.record("\(what): imdecode decoded it, ours failed: \(error)")
        }
      }
    }
    #expect(decoded > 50)
  }

  // MARK: helpers

  func decode(_ name: String) throws -> DecodedImage {
    try DecodedImage(bytes: Array(Data(contentsOf: URL(fileURLWithPath: Self.codecs + "/" + name))))
  }

  func missingRows(_ warnings: [String]) -> Int {
    // "Premature end of JPEG file: the last N of H rows are missing (left black)"
    guard let line = warnings.first(where: { $0.hasPrefix("Premature end of JPEG file") }),
      let range = line.range(of: "the last ")
    else { return 0 }
    return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
  }

  func firstDifference(_ a: [UInt8], _ b: [UInt8]) -> Int? {
    if a.count != b.count { return min(a.count, b.count) }
    return a.indices.first { a[$0] != b[$0] }
  }

  func firstIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
    guard bytes.count >= needle.count else { return nil }
    return (0...(bytes.count - needle.count)).first { Array(bytes[$0..<$0 + needle.count]) == needle }
  }
}
