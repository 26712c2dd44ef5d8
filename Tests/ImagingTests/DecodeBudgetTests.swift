import Foundation
import Imaging
import TestSupport
import Testing

/// The work budget of every decode (RELIABILITY.md case 42), in the one decode every command goes through. Time
/// bounds are sanity ceilings (the old decode took 100 s and 40 s of CPU), not benchmarks.
@Suite struct DecodeBudgetTests {
  static let ceiling = 10.0

  func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
  }

  func expectOverBudget(_ bytes: [UInt8], grayscale: Bool, reduction: Int, _ limit: String) {
    var thrown: Error?
    let took = seconds {
      do {
        _ = try bytes.withUnsafeBytes { try DecodedImage(bytes: $0, grayscale: grayscale, reduction: reduction) }
      } catch {
        thrown = error
      }
    }
    #expect(took < Self.ceiling, "took \(took) s")
    #expect(thrown as? ImagingError == .overBudget(limit), "\(String(describing: thrown))")
    #expect((thrown as? LocalizedError)?.errorDescription == limit + " (work budget); refused")
  }

  @Test("10,000 empty progressive scans at 8192²: refused after 10 (coefficients), in colour, grey and reduced")
  func emptyScans() {
    let bytes = TestSupport.manyScanJPEG()
    #expect(bytes.count > 1_000_000 && bytes.count < 1_200_000)
    let limit = "JPEG's 10 scans pass over its 1048576 blocks' coefficients more than 8 times"
    expectOverBudget(bytes, grayscale: false, reduction: 1, limit)
    expectOverBudget(bytes, grayscale: true, reduction: 8, limit)
    // A thumbnail of it is none, at once.
    var thumbnail: [UInt8]?
    let took = seconds { thumbnail = bytes.withUnsafeBytes { DecodedImage.thumbnailJPEG(of: $0, side: 72) } }
    #expect(thumbnail == nil && took < Self.ceiling, "took \(took) s")
  }

  @Test("a progressive JPEG within the budget decodes; the budget's limits are where they are said to be")
  func withinBudget() throws {
    // The DC scan and 8 AC scans: 1/64 + 8 × 63/64 = 7.9 passes over the coefficients, 9 over the blocks.
    let image = try DecodedImage(bytes: TestSupport.manyScanJPEG(side: 1024, scans: 8))
    #expect(image.width == 1024 && image.height == 1024)
    // One more AC scan passes over them 8.875 times.
    expectOverBudget(
      TestSupport.manyScanJPEG(side: 1024, scans: 9), grayscale: false, reduction: 1,
      "JPEG's 10 scans pass over its 16384 blocks' coefficients more than 8 times")
  }

  @Test("a PNG of 1,000 zTXt chunks inflating to 7.65 MB each decodes at once: text chunks are skipped unread")
  func textChunks() throws {
    let bytes = try TestSupport.textBombPNG()
    var image: DecodedImage?
    let took = try seconds { image = try DecodedImage(bytes: bytes) }
    #expect(took < Self.ceiling, "took \(took) s")
    #expect(image?.width == 64 && image?.warnings == [])
  }
}
