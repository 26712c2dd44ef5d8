import Foundation
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
  @Test(.enabled(if: TestPaths.hasVOC, "needs ../shared/testdata/voc-facemask"))
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
        #expect(distance <= 4, "\(algorithm) \(row.file): ours \(PerceptualHash.hex(ours)) imagehash \(row[keyPath: key])")
      }
      #expect(Double(identical) >= 0.9 * Double(fixture.images.count), "\(algorithm): \(identical)/23 identical, worst \(worst) bits")
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
