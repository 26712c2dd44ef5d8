import Catalog
import Foundation
import Ingest
import TestSupport
import Testing
import ZIPFoundation

@testable import Merge

@Suite("Zip archives: imported directly, hostile ones refused")
struct ZipImportTests {
  func workspace() throws -> (Catalog, String) {
    let base = try TestSupport.temporaryFolder("zip")
    return (try Workspace.create(at: base + "/ws"), base)
  }

  func imageCount(_ catalog: Catalog) throws -> Int64 {
    try catalog.database.scalarInt("SELECT COUNT(*) FROM images") ?? -1
  }

  func write(_ bytes: [UInt8], _ path: String) throws -> String {
    try TestSupport.write(bytes, to: path)
    return path
  }

  /// Runs an import that must fail for the whole archive, and checks that it added no row.
  func expectRefused(_ zip: String, _ catalog: Catalog, limits: ZipLimits = ZipLimits(), containing words: String)
    throws
  {
    var message = ""
    do {
      _ = try ZipImport.run(path: zip, catalog: catalog, limits: limits)
    } catch {
      message = error.localizedDescription
    }
    #expect(message.contains(words), "\(message)")
    #expect(message.contains(zip))
    #expect(try imageCount(catalog) == 0)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_origins") == 0)
    // Staging cleaned.
    let staging = (try? FileManager.default.contentsOfDirectory(atPath: catalog.workspace.root + "/tmp")) ?? []
    #expect(staging.filter { $0.hasPrefix("zip-") }.isEmpty)
  }

  @Test("a Kaggle-style zip (deflated, Train/Validation × class, __MACOSX and .DS_Store) imports like its folder")
  func kaggleZip() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 4)
    let zip = base + "/face-mask-12k.zip"
    let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
    let names = [
      "Face Mask Dataset/Train/WithMask/1.png", "Face Mask Dataset/Train/WithoutMask/2.png",
      "Face Mask Dataset/Validation/WithMask/3.jpg", "Face Mask Dataset/Test/WithoutMask/4.jpeg",
    ]
    for (name, bytes) in Swift.zip(names, jpegs) {
      try archive.addEntry(with: name, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) {
        (position: Int64, size: Int) -> Data in Data(bytes[Int(position)..<Int(position) + size])
      }
    }
    for junk in ["__MACOSX/Face Mask Dataset/Train/WithMask/._1.png", "Face Mask Dataset/.DS_Store"] {
      try archive.addEntry(with: junk, type: .file, uncompressedSize: 3) { (_: Int64, _: Int) -> Data in
        Data([1, 2, 3])
      }
    }
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog, license: "unknown")
    #expect(entries.junk.count == 2)
    #expect(entries.files == 4)
    #expect(report.added == 4)
    #expect(report.labels == ["WithMask": 2, "WithoutMask": 2])
    let splits = try catalog.database.rows("SELECT original_split FROM image_origins ORDER BY rel_path") {
      $0.text(0) ?? ""
    }
    #expect(splits == ["test", "train", "train", "val"])
    let kind = try catalog.database.rows("SELECT kind, name FROM sources") {
      ($0.text(0) ?? "") + " " + ($0.text(1) ?? "")
    }
    #expect(kind == ["zip face-mask-12k"])
    #expect(try catalog.verifyObjects(rehash: true).isEmpty)

    let (_, again) = try ZipImport.run(path: zip, catalog: catalog)
    #expect(again.added == 0 && again.knownBytes == 0 && again.unchanged == 4)
    #expect(try imageCount(catalog) == 4)
  }

  @Test("zip slip names (../x, /tmp/x, ..\\x, C:/x) are rejected and reported; nothing written outside staging")
  func zipSlip() throws {
    let (catalog, base) = try workspace()
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    let evil = ["../x.jpg", "/tmp/dsk-zip-slip-x.jpg", "..\\x.jpg", "C:/x.jpg", "ok/../../x.jpg"]
    let zip = try write(
      ZipBytes.build(evil.map { ZipBytes.Item($0, jpeg) } + [ZipBytes.Item("with_mask/good.jpg", jpeg)]),
      base + "/slip.zip")
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog)
    #expect(entries.unsafeNames.map(\.path) == evil)
    #expect(entries.unsafeNames.allSatisfy { $0.reason.contains("zip slip") })
    #expect(report.added == 1 && report.labels == ["with_mask": 1])
    #expect(!FileManager.default.fileExists(atPath: "/tmp/dsk-zip-slip-x.jpg"))
    #expect(!FileManager.default.fileExists(atPath: catalog.workspace.root + "/x.jpg"))
    #expect(!FileManager.default.fileExists(atPath: base + "/x.jpg"))
  }

  @Test("symbolic-link and special entries are never followed or created")
  func links() throws {
    let (catalog, base) = try workspace()
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    var link = ZipBytes.Item("with_mask/passwd.jpg", Array("/etc/passwd".utf8))
    link.mode = 0o120777
    var fifo = ZipBytes.Item("with_mask/fifo.jpg", [])
    fifo.mode = 0o010644
    let zip = try write(ZipBytes.build([link, fifo, ZipBytes.Item("with_mask/a.jpg", jpeg)]), base + "/links.zip")
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog)
    #expect(entries.links.map(\.path) == ["with_mask/passwd.jpg", "with_mask/fifo.jpg"])
    #expect(report.added == 1 && report.filesSeen == 1)
  }

  @Test("duplicate names (exact, case only, NFC vs NFD): the first in the directory is kept, every run alike")
  func duplicates() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 5)
    let nfc = "with_mask/caf\u{E9}.jpg"
    let nfd = "with_mask/cafe\u{301}.jpg"
    let zip = try write(
      ZipBytes.build([
        ZipBytes.Item("with_mask/Img.jpg", jpegs[0]), ZipBytes.Item("with_mask/Img.jpg", jpegs[1]),
        ZipBytes.Item("with_mask/img.JPG", jpegs[2]), ZipBytes.Item(nfc, jpegs[3]), ZipBytes.Item(nfd, jpegs[4]),
      ]), base + "/dups.zip")
    for _ in 0..<2 {
      let (entries, _) = try ZipImport.run(path: zip, catalog: catalog)
      #expect(entries.duplicates.count == 3)
      #expect(entries.duplicates[0].reason.contains("same name as"))
      #expect(entries.duplicates[1].reason.contains("up to case"))
      #expect(entries.duplicates[2].reason.contains("NFC/NFD"))
    }
    #expect(try imageCount(catalog) == 2)
    let kept = try catalog.database.rows("SELECT image_id FROM image_origins ORDER BY id") { $0.int64(0) }
    #expect(kept.count == 2)
    let digests = try catalog.database.rows("SELECT sha256 FROM images ORDER BY id") { $0.text(0) ?? "" }
    #expect(digests == [SHA256.hex(of: jpegs[0]), SHA256.hex(of: jpegs[3])])
  }

  @Test("a CRC mismatch refuses the whole archive: no rows, staging removed")
  func crcMismatch() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 2)
    var bad = ZipBytes.Item("with_mask/b.jpg", jpegs[1])
    bad.crc = ZipBytes.crc32(jpegs[1]) ^ 0xDEAD
    let zip = try write(ZipBytes.build([ZipBytes.Item("with_mask/a.jpg", jpegs[0]), bad]), base + "/crc.zip")
    try expectRefused(zip, catalog, containing: "CRC-32")
  }

  @Test("an encrypted entry refuses the whole archive")
  func encrypted() throws {
    let (catalog, base) = try workspace()
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    var secret = ZipBytes.Item("with_mask/s.jpg", jpeg)
    secret.flags |= 1
    let zip = try write(ZipBytes.build([ZipBytes.Item("with_mask/a.jpg", jpeg), secret]), base + "/enc.zip")
    try expectRefused(zip, catalog, containing: "encrypted")
  }

  @Test("a truncated download (end record cut off, or central directory cut short) is refused")
  func truncated() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 2)
    let whole = ZipBytes.build([ZipBytes.Item("with_mask/a.jpg", jpegs[0]), ZipBytes.Item("with_mask/b.jpg", jpegs[1])])
    let cut = try write(Array(whole.prefix(whole.count - 40)), base + "/cut.zip")
    try expectRefused(cut, catalog, containing: "truncated")
    // The end record kept, 30 bytes of the central directory taken out before it.
    let eocd = whole.count - 22
    let short = try write(Array(whole[0..<(eocd - 30)] + whole[eocd...]), base + "/short.zip")
    try expectRefused(short, catalog, containing: "truncated")
    // The end record claims more entries than the directory holds.
    let liar = try write(
      ZipBytes.build([ZipBytes.Item("with_mask/a.jpg", jpegs[0])], declaredCount: 3), base + "/count.zip")
    try expectRefused(liar, catalog, containing: "truncated")
  }

  @Test("a run of zeros is stopped by the ratio limit, and by the counted-bytes limit")
  func zerosBomb() throws {
    let (catalog, base) = try workspace()
    let zip = base + "/zeros.zip"
    let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
    let size = 64 << 20
    try archive.addEntry(
      with: "with_mask/zeros.jpg", type: .file, uncompressedSize: Int64(size), compressionMethod: .deflate
    ) {
      (_: Int64, chunk: Int) -> Data in Data(count: chunk)
    }
    try expectRefused(zip, catalog, containing: "× its compressed size")
    var limits = ZipLimits()
    limits.maxRatio = 1 << 30
    limits.maxTotalBytes = 8 << 20
    try expectRefused(zip, catalog, limits: limits, containing: "declare")
  }

  @Test("a header lying about the size is caught on the bytes actually inflated")
  func lyingHeader() throws {
    let (catalog, base) = try workspace()
    let zip = base + "/liar.zip"
    let archive = try Archive(url: URL(fileURLWithPath: zip), accessMode: .create)
    try archive.addEntry(with: "with_mask/big.jpg", type: .file, uncompressedSize: 1 << 20, compressionMethod: .deflate)
    {
      (_: Int64, chunk: Int) -> Data in Data(count: chunk)
    }
    // Patch the declared uncompressed size (local header and directory record) down to 1000 bytes.
    var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: zip)))
    bytes.replaceSubrange(22..<26, with: ZipBytes.le32(1000))
    if let record = (0..<(bytes.count - 4)).last(where: { bytes[$0..<$0 + 4] == [0x50, 0x4B, 0x01, 0x02] }) {
      bytes.replaceSubrange((record + 24)..<(record + 28), with: ZipBytes.le32(1000))
    }
    try Data(bytes).write(to: URL(fileURLWithPath: zip))
    var limits = ZipLimits()
    limits.maxRatio = 1 << 30
    try expectRefused(zip, catalog, limits: limits, containing: "inflates past the 1000 bytes")
  }

  @Test("overlapping entries (two records, one local header) are refused")
  func overlapping() throws {
    let (catalog, base) = try workspace()
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    var twin = ZipBytes.Item("with_mask/b.jpg", jpeg)
    twin.sharesLocalOf = 0
    let zip = try write(ZipBytes.build([ZipBytes.Item("with_mask/a.jpg", jpeg), twin]), base + "/overlap.zip")
    try expectRefused(zip, catalog, containing: "overlaps")
  }

  @Test("too many entries are refused from the end record; many empty entries are handled deterministically")
  func entryCount() throws {
    let (catalog, base) = try workspace()
    let zip = try write(ZipBytes.build((0..<3000).map { ZipBytes.Item("e/\($0)") }), base + "/many.zip")
    var limits = ZipLimits()
    limits.maxEntries = 2000
    try expectRefused(zip, catalog, limits: limits, containing: "over the limit of 2000")
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog)
    #expect(entries.files == 3000)
    #expect(report.added == 0 && report.notImages.count + report.rejected.count == 3000)
    #expect(try imageCount(catalog) == 0)
  }

  @Test("an entry over the per-entry limit is streamed (CRC checked) but not kept; the rest imports")
  func oversizedEntry() throws {
    let (catalog, base) = try workspace()
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    let big = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) }
    let zip = try write(
      ZipBytes.build([ZipBytes.Item("with_mask/big.jpg", big), ZipBytes.Item("with_mask/a.jpg", jpeg)]),
      base + "/big.zip")
    var limits = ZipLimits()
    limits.maxEntryBytes = 1 << 20
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog, limits: limits)
    #expect(entries.oversized.map(\.path) == ["with_mask/big.jpg"])
    #expect(entries.bytesInflated == Int64(big.count + jpeg.count))
    #expect(report.added == 1)
    // A damaged big entry still fails the archive: its CRC is checked while it streams past.
    var bad = ZipBytes.Item("with_mask/big.jpg", big)
    bad.crc = 1
    let damaged = try write(ZipBytes.build([bad]), base + "/bad.zip")
    let (catalog2, _) = try workspace()
    try expectRefused(damaged, catalog2, limits: limits, containing: "CRC-32")
  }

  @Test("nested zips are not opened; non-UTF-8 names are kept as bytes")
  func nestedAndOddNames() throws {
    let (catalog, base) = try workspace()
    let jpegs = try TestSupport.distinctJPEGs(count: 2)
    let inner = ZipBytes.build([ZipBytes.Item("x.jpg", jpegs[0])])
    let odd: [UInt8] = Array("with_mask/caf".utf8) + [0xFF] + Array(".jpg".utf8)
    var oddItem = ZipBytes.Item(bytes: odd, jpegs[1])
    oddItem.flags = 0
    let zip = try write(ZipBytes.build([ZipBytes.Item("inner.zip", inner), oddItem]), base + "/nested.zip")
    let (entries, report) = try ZipImport.run(path: zip, catalog: catalog)
    #expect(entries.nestedArchives.map(\.path) == ["inner.zip"])
    #expect(report.added == 1 && report.oddNames.count == 1)
    let stored = try catalog.database.rows("SELECT rel_path_bytes FROM image_origins") { $0.blob(0) }
    #expect(stored == [odd])
  }
}
