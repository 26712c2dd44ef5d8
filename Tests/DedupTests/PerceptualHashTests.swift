import Foundation
import TestSupport
import Testing

@testable import Dedup

@Suite struct PerceptualHashTests {
  struct Fixture: Decodable {
    struct Row: Decodable {
      var file: String
      var ahash: String
      var dhash: String
      var phash: String
    }
    var images: [Row]
  }

  static func fixture() throws -> Fixture {
    let url = try #require(Bundle.module.url(forResource: "Fixtures/imagehash-voc-facemask", withExtension: "json"))
    return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
  }

  /// The imagehash-compatible mode against values Python imagehash 4.3.2 (Pillow) recorded for the 23
  /// voc-facemask images: at least 90 % bit-identical and every one within 4 bits.
  @Test
  func agreesWithPythonImagehash() throws {
    let fixture = try Self.fixture()
    #expect(fixture.images.count == 23)
    let pairs: [(HashAlgorithm, KeyPath<Fixture.Row, String>)] = [
      (.phashImagehash, \.phash), (.dhashImagehash, \.dhash), (.ahashImagehash, \.ahash),
    ]
    for (algorithm, key) in pairs {
      var identical = 0
      var worst = 0
      for row in fixture.images {
        let bytes = try TestPaths.bytes(TestPaths.vocImages.appendingPathComponent(row.file))
        let ours = try #require(try PerceptualHash.hashes(of: bytes, algorithms: [algorithm])[algorithm])
        let theirs = try #require(PerceptualHash.value(hex: row[keyPath: key]))
        let distance = PerceptualHash.distance(ours, theirs)
        if distance == 0 { identical += 1 }
        worst = max(worst, distance)
        #expect(
          distance <= 4, "\(algorithm) \(row.file): ours \(PerceptualHash.hex(ours)) imagehash \(row[keyPath: key])")
      }
      #expect(
        Double(identical) >= 0.9 * Double(fixture.images.count),
        "\(algorithm): \(identical)/23 identical, worst \(worst) bits")
    }
  }

  @Test func hexMatchesImagehashLayout() {
    #expect(PerceptualHash.hex(0x0123_4567_89ab_cdef) == "0123456789abcdef")
    #expect(PerceptualHash.hex(1) == "0000000000000001")
    #expect(PerceptualHash.value(hex: "ffffffffffffffff") == UInt64.max)
    #expect(PerceptualHash.value(hex: "xyz") == nil)
    // The first cell goes into the most significant bit, as imagehash's hex string.
    #expect(PerceptualHash.pack([true] + Array(repeating: false, count: 63)) == 1 << 63)
  }
}

/// Header bombs, non-images and corrupt images on the hashing path: refused before any decode, or a clear OpenCV error.
@Suite struct HostileImageTests {
  /// A PNG header declaring 100000×100000 pixels (IHDR only, then IEND).
  static func pngBomb() -> [UInt8] {
    var bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    func chunk(_ type: String, _ data: [UInt8]) {
      let length = UInt32(data.count)
      bytes += [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
      bytes += Array(type.utf8) + data + [0, 0, 0, 0]  // CRC is not checked by the header sniff
    }
    let side: UInt32 = 100_000
    let be = [UInt8(side >> 24), UInt8((side >> 16) & 0xFF), UInt8((side >> 8) & 0xFF), UInt8(side & 0xFF)]
    chunk("IHDR", be + be + [8, 2, 0, 0, 0])
    chunk("IEND", [])
    return bytes
  }

  @Test func headerBombIsRefusedBeforeDecoding() {
    for algorithms in [Set([HashAlgorithm.phash]), Set([HashAlgorithm.phashImagehash])] {
      #expect {
        try PerceptualHash.hashes(of: Self.pngBomb(), algorithms: algorithms)
      } throws: { error in
        (error as? LocalizedError)?.errorDescription?.contains("100000×100000") == true
      }
    }
  }

  @Test func nonImagesAreRefusedByMagicBytes() {
    let html = Array("<!DOCTYPE html><html><body>Access denied</body></html>".utf8)
    #expect {
      try PerceptualHash.hashes(of: html, algorithms: [.phash])
    } throws: { error in
      (error as? LocalizedError)?.errorDescription?.contains("not a decodable image") == true
    }
    #expect(throws: (any Error).self) { try PerceptualHash.hashes(of: [], algorithms: [.dhash]) }
  }

  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func mutatedFilesFailCleanly() throws {
    let jpeg = try TestPaths.bytes(TestPaths.opencvPhotos.appendingPathComponent("fruits.jpg"))
    var random = SyntheticHashes.Generator(seed: 3)
    var failures = 0
    for round in 0..<40 {
      var mutated = jpeg
      for _ in 0..<(1 + round % 20) {
        let at = Int.random(in: 2..<(mutated.count - 2), using: &random)
        mutated[at] = UInt8.random(in: 0...255, using: &random)
      }
      if round % 5 == 0 { mutated = Array(mutated.prefix(mutated.count / 2)) + [0xFF, 0xD9] }
      do {
        _ = try PerceptualHash.hashes(of: mutated, algorithms: [.phash, .phashCentre, .phashImagehash])
      } catch {
        failures += 1
      }
    }
    // No crash is the point; libjpeg decodes many damaged files anyway (with grey blocks).
    #expect(failures < 40)
  }
}
