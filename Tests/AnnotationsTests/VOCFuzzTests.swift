import Catalog
import Foundation
import TestSupport
import Testing

@testable import Annotations

/// A seeded mutation fuzzer over the real annotation files: bytes flipped, tokens inserted, ranges
/// deleted, duplicated or spliced from another file, files cut short. The reader must never crash, and
/// whatever it accepts must write out as a LabelImg file that reads back to the same boxes and bytes.
@Suite("VOC fuzz")
struct VOCFuzzTests {
  /// 10,000 by default (a few seconds); `DSK_FUZZ_EXECUTIONS=1000000 swift test --filter VOCFuzzTests` runs more.
  static let executions = ProcessInfo.processInfo.environment["DSK_FUZZ_EXECUTIONS"].flatMap(Int.init) ?? 10_000
  static let tokens: [[UInt8]] =
    [
      "<", ">", "</", "/>", "&", "&amp;", "&#0;", "&#x110000;", "<!DOCTYPE a [<!ENTITY x \"y\">]>", "<![CDATA[", "]]>",
      "<!--", "-->", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>", "<object>", "</object>", "<bndbox>", "<xmin>",
      "</xmax>", "NaN", "-1", "1e309", "0x10", "99999999999999999999", "12.7", " ", "\t", "\n", "\r\n", "\u{FEFF}",
      "é", "\"", "'", "=", "<size><width>0</width></size>", "<object><name>x</name></object>",
    ].map { Array($0.utf8) } + [[0], [0xFF], [0xFE, 0xFF], [0x1F, 0x8B], [0xC3], [0xED, 0xA0, 0x80]]

  static func mutate(_ input: [UInt8], _ corpus: [[UInt8]], _ random: inout SeededGenerator) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &random) {
      let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
      switch Int.random(in: 0..<7, using: &random) {
      case 0 where !bytes.isEmpty:
        bytes[position] ^= UInt8(1 << Int.random(in: 0..<8, using: &random))
      case 1:
        bytes.insert(contentsOf: tokens.randomElement(using: &random) ?? [], at: position)
      case 2 where !bytes.isEmpty:
        let end = min(bytes.count, position + Int.random(in: 1...64, using: &random))
        bytes.removeSubrange(position..<end)
      case 3 where !bytes.isEmpty:
        let end = min(bytes.count, position + Int.random(in: 1...128, using: &random))
        bytes.insert(contentsOf: Array(bytes[position..<end]), at: Int.random(in: 0...bytes.count, using: &random))
      case 4:
        let other = corpus.randomElement(using: &random) ?? []
        if !other.isEmpty {
          let start = Int.random(in: 0..<other.count, using: &random)
          let end = min(other.count, start + Int.random(in: 1...200, using: &random))
          bytes.insert(contentsOf: other[start..<end], at: position)
        }
      case 5:
        bytes = Array(bytes.prefix(position))
      default:
        if !bytes.isEmpty { bytes[position] = UInt8.random(in: 0...255, using: &random) }
      }
    }
    return bytes
  }

  @Test("seeded mutations of the real files: no crash; accepted files round-trip")
  func mutations() throws {
    let corpus = try (TestData.files("labelimg-raccoon") + TestData.files("voc-facemask")).map(TestData.bytes)
    #expect(corpus.count == 30)
    var random = SeededGenerator(seed: 20_261_122)
    var accepted = 0
    var rejected = 0
    var roundTripFailures: [String] = []
    for run in 0..<Self.executions {
      let input = Self.mutate(corpus[run % corpus.count], corpus, &random)
      let result = VOCReader.read(input, file: "fuzz-\(run).xml")
      guard let document = result.document else {
        rejected += 1
        #expect(!result.errors.isEmpty)
        continue
      }
      accepted += 1
      let written = document.bytes()
      let again = VOCReader.read(written, file: "rewritten-\(run).xml")
      guard let reread = again.document else {
        roundTripFailures.append("run \(run): rewritten file rejected: \(again.errors.map(\.message))")
        continue
      }
      let rewritten = reread.bytes()
      if rewritten != written {
        let at = zip(written, rewritten).prefix { $0 == $1 }.count
        let context = { (bytes: [UInt8]) in
          String(decoding: bytes[max(0, at - 60)..<min(bytes.count, at + 60)], as: UTF8.self)
        }
        if let dump = ProcessInfo.processInfo.environment["DSK_FUZZ_DUMP"] {
          try? Data(input).write(to: URL(fileURLWithPath: "\(dump)/fuzz-\(run).xml"))
        }
        roundTripFailures.append(
          "run \(run): second write differs at \(at): \(context(written)) ≠ \(context(rewritten))")
      }
      // LabelImg turns two spaces into a tab everywhere, class names included: so does the writer.
      let before = document.objects.map {
        "\($0.name.replacingOccurrences(of: "  ", with: "\t"))|\(Int($0.box.xmin)),\(Int($0.box.ymin)),\(Int($0.box.xmax)),\(Int($0.box.ymax))"
      }
      let after = reread.objects.map {
        "\($0.name)|\(Int($0.box.xmin)),\(Int($0.box.ymin)),\(Int($0.box.xmax)),\(Int($0.box.ymax))"
      }
      if before != after { roundTripFailures.append("run \(run): boxes differ \(before) vs \(after)") }
    }
    #expect(accepted + rejected == Self.executions)
    #expect(
      accepted > Self.executions / 50 && rejected > Self.executions / 2, "accepted \(accepted), rejected \(rejected)")
    #expect(roundTripFailures.isEmpty, "\(roundTripFailures.prefix(5))")
  }

  @Test("a second <bndbox> or <filename> earlier than LabelImg's order stays second when written (found by the fuzzer)")
  func duplicatesStaySecond() throws {
    let text = """
      <annotation><filename>a.jpg</filename><folder>f</folder><filename>b.jpg</filename>\
      <size><width>50</width><height>50</height></size><object><name>x</name>\
      <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>10</ymax></bndbox><truncated>0</truncated>\
      <bndbox><xmin>2</xmin><ymin>2</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object></annotation>
      """
    let first = try VOCReader.document(Array(text.utf8), file: "d.xml")
    let again = try VOCReader.document(first.bytes(), file: "d2.xml")
    #expect(first.filename == "a.jpg" && again.filename == "a.jpg")
    #expect(first.objects[0].box.labeled(nil) == Box(xmin: 1, ymin: 1, xmax: 10, ymax: 10))
    #expect(again.objects[0].box == first.objects[0].box)
    #expect(again.bytes() == first.bytes())
  }
}
