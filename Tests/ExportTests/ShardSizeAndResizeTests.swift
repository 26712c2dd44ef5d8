import Export
import Testing

/// Issue 26: `--shard-size` values and the resize bound's arithmetic.
@Suite("Export: --shard-size and the resize bound")
struct ShardSizeAndResizeTests {
  @Test("--shard-size: decimal and binary units, bytes, case and spaces; anything else or out of range is nil")
  func shardSizes() {
    #expect(ShardSize.parse("500MB") == 500_000_000)
    #expect(ShardSize.parse("500mb") == 500_000_000)
    #expect(ShardSize.parse("1.5 GB") == 1_500_000_000)
    #expect(ShardSize.parse("64KiB") == 65_536)
    #expect(ShardSize.parse("2GiB") == 2_147_483_648)
    #expect(ShardSize.parse("20000") == 20_000)
    #expect(ShardSize.parse("1TB") == 1_000_000_000_000)
    for bad in ["", "MB", "5KB", "9999", "2TB", "-1MB", "1e9", "five", "1,000KB", "nan", "inf"] {
      #expect(ShardSize.parse(bad) == nil, "\(bad)")
    }
  }

  @Test("the bounded side is exactly N, the other rounded, never upscaled; --short-side bounds the shorter")
  func targets() {
    let maxSide = ExportResize(bound: .maxSide(173))
    #expect(maxSide.target(width: 400, height: 300)! == (173, 130))
    #expect(maxSide.target(width: 300, height: 400)! == (130, 173))
    #expect(maxSide.target(width: 173, height: 100) == nil)
    #expect(maxSide.target(width: 100, height: 80) == nil)
    #expect(maxSide.target(width: 10_000, height: 10)! == (173, 1))
    let shortSide = ExportResize(bound: .shortSide(120))
    #expect(shortSide.target(width: 400, height: 300)! == (160, 120))
    #expect(shortSide.target(width: 300, height: 400)! == (120, 160))
    #expect(shortSide.target(width: 1000, height: 120) == nil)
    #expect(ExportResize.writtenExtension("PNG") == "PNG")
    #expect(ExportResize.writtenExtension("jpeg") == "jpeg")
    #expect(ExportResize.writtenExtension("webp") == "jpg")
    #expect(ExportResize.writtenExtension("gif") == "jpg")
  }
}
