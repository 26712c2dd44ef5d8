import Catalog
import Foundation
import TestSupport
import Testing

/// Hostile input (README, "What is guaranteed, and tested"): every case runs the built binary on files the test
/// crafts, and checks the exit code (so: no trap), the message, and that nothing outside the target moved.
@Suite("Hostile input, round two: no crash, no silent loss")
struct HostileInputTests {
  // MARK: Helpers

  /// A folder with a fresh workspace `ws` in it.
  func workspace() throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder("dsk-hostile")
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    return (base, ws)
  }

  /// Every file under `folder` with its bytes (links by their target), to prove nothing changed.
  func snapshot(_ folder: String) throws -> [String: [UInt8]] {
    var files: [String: [UInt8]] = [:]
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return files }
    while let relative = walker.nextObject() as? String {
      let path = folder + "/" + relative
      if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
        files[relative] = Array(("link:" + target).utf8)
      } else if let data = FileManager.default.contents(atPath: path) {
        files[relative] = Array(data)
      }
    }
    return files
  }

  func json(_ result: TestSupport.ProcessResult) throws -> [String: Any] {
    try #require(try TestSupport.jsonResult(result.stdout) as? [String: Any], "\(result.stdout) \(result.stderr)")
  }

  /// The first import report of `import --json`.
  func importReport(_ result: TestSupport.ProcessResult) throws -> [String: Any] {
    let results = try #require(try TestSupport.jsonResult(result.stdout) as? [[String: Any]], "\(result.stderr)")
    return try #require(results.first?["report"] as? [String: Any])
  }

  func imageCount(_ ws: String) throws -> Int {
    Int(try Catalog(workspace: Workspace(root: ws)).database.scalarInt("SELECT count(*) FROM images") ?? -1)
  }

  /// A process id that is certainly not running: a child that has exited and been reaped.
  func deadProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
  }

  /// A 45-byte PNG whose IHDR declares 4294967295×4294967295 pixels.
  static func pngBomb() -> [UInt8] {
    [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
      + TestSupport.pngChunk("IHDR", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 8, 2, 0, 0, 0])
      + TestSupport.pngChunk("IEND", [])
  }

  static func le16(_ value: Int) -> [UInt8] { [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF)] }
  static func le32(_ value: UInt32) -> [UInt8] { [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: value >> $0) } }
  static func le64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }

  /// One entry of a hand-made zip; the `declared…` fields, when set, go into a ZIP64 extra field in
  /// place of the true values (the forgeries under test).
  struct ZipEntry {
    var name: String
    var data: [UInt8]
    var declaredSize: UInt64?
    var declaredCompressedSize: UInt64?
    var declaredOffset: UInt64?
  }

  /// A stored (uncompressed) zip archive. `zip64` adds a ZIP64 end record whose count, size and offset
  /// can be forged, and `locatorOffset` forges where the locator says that record is.
  static func zip(
    _ entries: [ZipEntry], zip64: (count: UInt64?, size: UInt64?, offset: UInt64?)? = nil,
    locatorOffset: UInt64? = nil
  ) -> [UInt8] {
    var out: [UInt8] = []
    var central: [UInt8] = []
    for entry in entries {
      let offset = UInt64(out.count)
      let crc = TestSupport.crc32(entry.data)
      let name = Array(entry.name.utf8)
      out += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
      out += le32(UInt32(entry.data.count)) + le32(UInt32(entry.data.count)) + le16(name.count) + le16(0) + name
      out += entry.data
      var extra: [UInt8] = []
      if let size = entry.declaredSize { extra += le64(size) }
      if let size = entry.declaredCompressedSize { extra += le64(size) }
      if let at = entry.declaredOffset { extra += le64(at) }
      if !extra.isEmpty { extra = le16(1) + le16(extra.count) + extra }
      central += le32(0x0201_4b50) + le16(0x031E) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc)
      central += le32(entry.declaredCompressedSize == nil ? UInt32(entry.data.count) : 0xFFFF_FFFF)
      central += le32(entry.declaredSize == nil ? UInt32(entry.data.count) : 0xFFFF_FFFF)
      central += le16(name.count) + le16(extra.count) + le16(0) + le16(0) + le16(0) + le32(0o100644 << 16)
      central += le32(entry.declaredOffset == nil ? UInt32(offset) : 0xFFFF_FFFF) + name + extra
    }
    let directoryOffset = UInt64(out.count)
    out += central
    if let zip64 {
      let recordAt = UInt64(out.count)
      let count = zip64.count ?? UInt64(entries.count)
      out += le32(0x0606_4b50) + le64(44) + le16(45) + le16(45) + le32(0) + le32(0) + le64(count) + le64(count)
      out += le64(zip64.size ?? UInt64(central.count)) + le64(zip64.offset ?? directoryOffset)
      out += le32(0x0706_4b50) + le32(0) + le64(locatorOffset ?? recordAt) + le32(1)
      out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(0xFFFF) + le16(0xFFFF) + le32(0xFFFF_FFFF)
      out += le32(0xFFFF_FFFF) + le16(0)
    } else {
      out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
      out += le32(UInt32(central.count)) + le32(UInt32(directoryOffset)) + le16(0)
    }
    return out
  }

  // MARK: 29. Export never wipes what it did not write

  @Test(
    "export refuses to replace an earlier export holding a user's files or a workspace, names the file, touches nothing"
  )
  func exportKeepsForeignFiles() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 4).enumerated() {
      try TestSupport.write(jpeg, to: base + "/data/" + (index < 2 ? "cat" : "dog") + "/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", base + "/data"], in: ws).status == 0)
    for format in ["folders", "yolo"] {
      let out = base + "/out-" + format
      // A folder-per-class set has no boxes: a YOLO export of it is background images, asked for on purpose.
      let background = format == "yolo" ? ["--include-unannotated"] : []
      let first = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(first.status == 0, "\(first.stderr)")
      let again = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(again.status == 0, "an earlier export alone is replaced: \(again.stderr)")

      try TestSupport.write(Array("my notes".utf8), to: out + "/NOTES.txt")
      try TestSupport.write(Array("weights".utf8), to: out + "/models/best.pt")
      var before = try snapshot(base)
      let refused = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(refused.status == 1)
      #expect(refused.stderr.contains("holds an earlier export, but also NOTES.txt, which that export did not write"))
      #expect(refused.stderr.contains("nothing was written or removed"))
      #expect(try snapshot(base) == before, "nothing under \(base) changed")

      try FileManager.default.removeItem(atPath: out + "/NOTES.txt")
      let model = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(model.status == 1 && model.stderr.contains("models/best.pt"), "\(model.stderr)")
      try FileManager.default.removeItem(atPath: out + "/models")

      // A workspace made inside the export folder.
      #expect(try TestSupport.run(["init", out + "/inner"]).status == 0)
      before = try snapshot(base)
      let inner = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(inner.status == 1 && inner.stderr.contains("inner/datasetkit.sqlite"), "\(inner.stderr)")
      #expect(try snapshot(base) == before)
      try FileManager.default.removeItem(atPath: out + "/inner")

      let clean = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(clean.status == 0, "\(clean.stderr)")
      let manifest = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
          as? [String: Any])
      let contents = try #require(manifest["contents"] as? [String])
      #expect(contents.count >= 4 && contents.allSatisfy { FileManager.default.fileExists(atPath: out + "/" + $0) })

      // An export written before manifests listed their contents is still replaced (its image and
      // label files recognised), and still guarded.
      var legacy = manifest
      legacy["contents"] = nil
      try JSONSerialization.data(withJSONObject: legacy).write(to: URL(fileURLWithPath: out + "/manifest.json"))
      try TestSupport.write(Array("mine".utf8), to: out + "/mine.txt")
      let legacyRefused = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(legacyRefused.status == 1 && legacyRefused.stderr.contains("also mine.txt"), "\(legacyRefused.stderr)")
      try FileManager.default.removeItem(atPath: out + "/mine.txt")
      let legacyReplaced = try TestSupport.run(["export", "--format", format, "--out", out] + background, in: ws)
      #expect(legacyReplaced.status == 0, "\(legacyReplaced.stderr)")
    }
  }

  // MARK: 35. Leftovers of killed processes

  @Test("staging left by a killed process is removed by the next command and reported by doctor; a live one stays")
  func leftoversOfKilledProcesses() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1)[0], to: base + "/data/cat/0.jpg")
    #expect(try TestSupport.run(["import", base + "/data"], in: ws).status == 0)
    let dead = try deadProcessID()
    let alive = getpid()
    let zipDead = ws + "/tmp/zip-\(dead)-123"
    let zipAlive = ws + "/tmp/zip-\(alive)-456"
    let exportDead = ws + "/exports/all-folders.datasetkit-export-\(dead)"
    for folder in [zipDead, zipAlive, exportDead] { try TestSupport.write([1, 2, 3], to: folder + "/0") }
    let doctor = try TestSupport.run(["doctor", "--json"], in: ws)
    let checks = try #require(try TestSupport.jsonResult(doctor.stdout) as? [[String: Any]])
    let leftovers = try #require(checks.first { $0["name"] as? String == "leftovers" })
    #expect(leftovers["status"] as? String == "warning")
    #expect((leftovers["detail"] as? String)?.contains("removed 2 left by killed processes") == true, "\(leftovers)")
    #expect(!FileManager.default.fileExists(atPath: zipDead) && !FileManager.default.fileExists(atPath: exportDead))
    #expect(FileManager.default.fileExists(atPath: zipAlive), "a running process's staging is left alone")
    let again = try TestSupport.run(["doctor", "--json"], in: ws)
    let recheck = try #require(try TestSupport.jsonResult(again.stdout) as? [[String: Any]])
    #expect(recheck.first { $0["name"] as? String == "leftovers" }?["status"] as? String == "ok")

    // Export staging beside an --out anywhere: removed by the next export to that folder.
    let out = base + "/out"
    let staging = [base + "/out.datasetkit-export-\(dead)", base + "/.out.partial-\(dead)"]
    for folder in staging { try TestSupport.write([1], to: folder + "/x") }
    // An earlier export moved aside by a process killed between the two renames comes back.
    try TestSupport.write(Array("{}".utf8), to: base + "/other.datasetkit-old-\(dead)/manifest.json")
    try TestSupport.write(Array("keep".utf8), to: base + "/unrelated.partial-\(dead)")
    let exported = try TestSupport.run(["export", "--out", out], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    #expect(staging.allSatisfy { !FileManager.default.fileExists(atPath: $0) })
    #expect(FileManager.default.fileExists(atPath: base + "/other/manifest.json"))
    #expect(FileManager.default.fileExists(atPath: base + "/unrelated.partial-\(dead)"), "not a hidden staging name")
  }

  // MARK: 30. Header fields near 2³² and 2⁶⁴

  @Test("PNG declaring 4294967295×4294967295: refused in a folder and in a zip, the other images imported")
  func pngHeaderBomb() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let bomb = Self.pngBomb()
    #expect(bomb.count == 45)
    let jpegs = try TestSupport.distinctJPEGs(count: 2)
    try TestSupport.write(bomb, to: base + "/data/bomb.png")
    try TestSupport.write(jpegs[0], to: base + "/data/ok.jpg")
    let folder = try TestSupport.run(["import", base + "/data", "--json"], in: ws)
    #expect(folder.status == 0, "\(folder.stderr)")
    let report = try importReport(folder)
    #expect(report["added"] as? Int == 1)
    let rejected = try #require(report["rejected"] as? [[String: Any]])
    #expect(rejected.first?["path"] as? String == "bomb.png")
    #expect((rejected.first?["reason"] as? String)?.contains("4294967295×4294967295") == true, "\(rejected)")

    let archive = Self.zip([
      ZipEntry(name: "bomb.png", data: bomb), ZipEntry(name: "ok.jpg", data: jpegs[1]),
    ])
    try TestSupport.write(archive, to: base + "/bomb.zip")
    let zipped = try TestSupport.run(["import", base + "/bomb.zip", "--json"], in: ws)
    #expect(zipped.status == 0, "\(zipped.stderr)")
    let zipReport = try importReport(zipped)
    #expect(zipReport["added"] as? Int == 1)
    #expect((zipReport["rejected"] as? [[String: Any]])?.first?["path"] as? String == "bomb.png")
    #expect(try imageCount(ws) == 2)
  }

  @Test(
    "ZIP64 fields near 2⁶⁴ are refused with a message, nothing imported, nothing left in tmp/",
    arguments: [
      ("central-directory offset", "runs past the end"),
      ("locator offset", "a record runs past the end of the file"),
      ("local-header offset", "declares sizes or an offset past the end"),
      ("compressed size", "declares sizes or an offset past the end"),
      ("sizes summing past 2⁶⁴", "bytes in all, over the limit"),
      ("record before the file start", "locator missing"),
    ])
  func zip64Overflow(forgery: String, message: String) throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    let near: UInt64 = .max - 8
    let archive: [UInt8]
    switch forgery {
    case "central-directory offset":
      archive = Self.zip([ZipEntry(name: "a.jpg", data: jpeg)], zip64: (nil, 100, near))
    case "locator offset":
      archive = Self.zip([ZipEntry(name: "a.jpg", data: jpeg)], zip64: (nil, nil, nil), locatorOffset: near)
    case "local-header offset":
      archive = Self.zip([ZipEntry(name: "a.jpg", data: jpeg, declaredOffset: near)])
    case "compressed size":
      archive = Self.zip([ZipEntry(name: "a.jpg", data: jpeg, declaredCompressedSize: near)])
    case "sizes summing past 2⁶⁴":
      let huge = UInt64(Int64.max)
      archive = Self.zip(
        (0..<3).map { ZipEntry(name: "\($0).jpg", data: Array(jpeg.prefix(100 + $0)), declaredSize: huge) })
    default:
      // Only an end record that says ZIP64: the locator would sit before byte 0.
      archive =
        Self.le32(0x0605_4b50) + [0, 0, 0, 0] + Self.le16(0xFFFF) + Self.le16(0xFFFF) + Self.le32(0xFFFF_FFFF)
        + Self.le32(0xFFFF_FFFF) + [0, 0]
    }
    try TestSupport.write(archive, to: base + "/forged.zip")
    let before = try snapshot(base + "/forged.zip")
    let result = try TestSupport.run(["import", base + "/forged.zip"], in: ws)
    #expect(result.status == 1, "\(forgery): \(result.stderr)")
    #expect(result.stderr.contains(message), "\(forgery): \(result.stderr)")
    #expect(result.stderr.contains("nothing from this archive was imported"))
    #expect(try imageCount(ws) == 0)
    #expect((try? FileManager.default.contentsOfDirectory(atPath: ws + "/tmp"))?.isEmpty ?? true)
    #expect(try snapshot(base + "/forged.zip") == before)
  }

  // MARK: 31. One name twice

  @Test(
    "two sources named `images`: the second is images-2; dedup (and --dry-run) run, also on an older catalog with both named images"
  )
  func twoSourcesOneName() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 3)
    try TestSupport.write(jpegs[0], to: base + "/one/images/a.jpg")
    try TestSupport.write(jpegs[1], to: base + "/one/images/b.jpg")
    try TestSupport.write(jpegs[0], to: base + "/two/images/a.jpg")
    try TestSupport.write(jpegs[2], to: base + "/two/images/c.jpg")
    #expect(try TestSupport.run(["import", base + "/one/images"], in: ws).status == 0)
    let second = try TestSupport.run(["import", base + "/two/images"], in: ws)
    #expect(second.status == 0)
    #expect(second.stdout.contains("as source \"images-2\""), "\(second.stdout)")
    for arguments in [
      ["dedup", "--dry-run"], ["dedup", "--keep", "source-priority", "--priority", "images-2,images"],
    ] {
      let run = try TestSupport.run(arguments, in: ws)
      #expect(run.status == 0, "\(arguments): \(run.stderr)")
    }
    // A catalog written before names were made unique: both sources are `images`.
    try Catalog(workspace: Workspace(root: ws)).database.execute("UPDATE sources SET name = 'images'")
    for arguments in [
      ["dedup", "--dry-run"], ["dedup"], ["dedup", "--keep", "source-priority", "--priority", "images"],
      ["stats", "--by", "source"], ["split", "--name", "s", "--stratify", "source"],
    ] {
      let run = try TestSupport.run(arguments, in: ws)
      #expect(run.status == 0, "\(arguments): \(run.stderr)")
    }
    let twice = try TestSupport.run(["dedup", "--keep", "source-priority", "--priority", "images,images"], in: ws)
    #expect(twice.status == 64 && twice.stderr.contains("--priority names source \"images\" twice"), "\(twice.stderr)")
  }

  @Test(
    "labels equal after Unicode normalisation (café NFC and NFD): one class; split, yolo, coco and folders export run")
  func unicodeNormalisedLabels() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let nfc = "caf\u{E9}"
    let nfd = "cafe\u{301}"
    let jpegs = try TestSupport.distinctJPEGs(count: 4)
    try TestSupport.write(jpegs[0], to: base + "/data/\(nfc)/0.jpg")
    try TestSupport.write(jpegs[1], to: base + "/data/\(nfd)/1.jpg")
    try TestSupport.write(jpegs[2], to: base + "/data/tea/2.jpg")
    #expect(try TestSupport.run(["import", base + "/data"], in: ws).status == 0)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.rows("SELECT name FROM classes ORDER BY name") { $0.text(0) ?? "" } == [nfc, "tea"])
    // An older catalog holding both spellings as two classes.
    try catalog.database.execute("INSERT INTO classes (name) VALUES ('\(nfd)')")
    try catalog.database.execute(
      """
      UPDATE image_labels SET class_id = (SELECT id FROM classes WHERE name = '\(nfd)')
      WHERE image_id = (SELECT image_id FROM image_origins WHERE rel_path LIKE '%1.jpg')
      """)
    #expect(try catalog.database.scalarInt("SELECT count(*) FROM classes") == 3)
    let split = try TestSupport.run(["split", "--name", "v1"], in: ws)
    #expect(split.status == 0, "\(split.stderr)")
    for format in ["yolo", "coco", "folders", "csv"] {
      let export = try TestSupport.run(
        ["export", "--format", format, "--split", "v1", "--out", base + "/" + format], in: ws)
      #expect(export.status == 0, "\(format): \(export.stderr)")
    }
  }

  @Test("a recipe listing one folder twice (src and src/) is refused with both names")
  func recipeSourceTwice() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1)[0], to: base + "/src2/cat/0.jpg")
    let recipe = """
      sources:
        - {name: first, path: ../src2}
        - {name: second, path: ../src2/}
      views:
        - {name: v, classes: [cat, dog]}

      """
    try TestSupport.write(Array(recipe.utf8), to: base + "/recipes/r.yaml")
    let merged = try TestSupport.run(["merge", base + "/recipes/r.yaml"], in: ws)
    #expect(merged.status == 1, "\(merged.stderr)")
    #expect(merged.stderr.contains("sources first and second are one path"), "\(merged.stderr)")
  }

  // MARK: 7. Numbers on the command line

  @Test(
    "numeric options out of range: exit 64 naming the range",
    arguments: [
      (["dedup", "--keep", "source-priority", "--priority", "A,A"], "twice"),
      (["dedup", "--radius", "99"], "between 0 and 32"),
      (["check", "leakage", "--split", "v1", "--radius", "9223372036854775807"], "between 0 and 32"),
      (["crawl", "--query", "x", "--limit", "99999999999"], "--limit must be 1…1000000000"),
      (["crawl", "--query", "x", "--timeout", "9223372036854775807"], "--timeout must be 1…86400"),
      (["crawl", "--query", "x", "--per-host-rate", "nan"], "--per-host-rate must be 0…10000"),
      (["crawl", "--query", "x", "--per-host-rate", "inf"], "--per-host-rate must be 0…10000"),
      (["faces", "detect", "--scale-factor", "inf"], "--scale-factor must be above 1, at most 10"),
      (["faces", "detect", "--threshold", "2"], "--threshold must be in (0, 1)"),
      (["faces", "crop", "--margin", "nan"], "--margin must be between 0 and 4"),
      (["review", "serve", "--min-score", "inf"], "--min-score must be a finite number"),
    ])
  func numericOptions(arguments: [String], message: String) throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let result = try TestSupport.run(arguments, in: ws)
    #expect(result.status == 64, "\(arguments): \(result.stderr)")
    #expect(result.stderr.contains(message), "\(arguments): \(result.stderr)")
  }

  // MARK: 32–33. Labels and label files

  @Test("one RFC 4180 reader: quotes, quoted newlines, BOM, CR-only lines, TSV labels with spaces, UTF-16")
  func labelTables() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpegs = try TestSupport.distinctJPEGs(count: 5)
    for (index, jpeg) in jpegs.enumerated() { try TestSupport.write(jpeg, to: base + "/csv/\(index).jpg") }
    let csv = "\u{FEFF}file,label\r\"0.jpg\",\"a\"\"b\"\r1.jpg,\"with\nmask\"\r2.jpg,\"x, y\"\r3.jpg, plain \r"
    try TestSupport.write(Array(csv.utf8), to: base + "/csv/labels.csv")
    let imported = try TestSupport.run(["import", base + "/csv", "--layout", "csv", "--json"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(
      try catalog.database.rows("SELECT name FROM classes ORDER BY name") { $0.text(0) ?? "" } == [
        "a\"b", "plain", "with mask", "x, y",
      ])

    // TSV: a label with a space stays whole. UTF-16 LE with its BOM, as Excel writes "Unicode text".
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 2, seed: 3).enumerated() {
      try TestSupport.write(jpeg, to: base + "/tsv/\(index).jpg")
    }
    let tsv = "filename\tlabel\n0.jpg\twith mask\n1.jpg\tni\u{F1}o\n"
    try TestSupport.write(
      [0xFF, 0xFE] + tsv.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }, to: base + "/tsv/labels.tsv")
    let tsvImport = try TestSupport.run(["import", base + "/tsv", "--layout", "csv", "--json"], in: ws)
    #expect(tsvImport.status == 0, "\(tsvImport.stderr)")
    #expect(try importReport(tsvImport)["labels"] as? [String: Int] == ["with mask": 1, "ni\u{F1}o": 1])

    // cp1252: refused with the line, nothing imported from that folder.
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1, seed: 7)[0], to: base + "/cp1252/0.jpg")
    try TestSupport.write(
      Array("file,label\n0.jpg,ni".utf8) + [0xF1] + Array("o\n".utf8), to: base + "/cp1252/labels.csv")
    let before = try imageCount(ws)
    let refused = try TestSupport.run(["import", base + "/cp1252", "--layout", "csv"], in: ws)
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("labels.csv:2: byte 0xF1 at column 9 is not UTF-8"), "\(refused.stderr)")
    #expect(try imageCount(ws) == before)

    // An unterminated quote names the line it opens on.
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1, seed: 8)[0], to: base + "/open/0.jpg")
    try TestSupport.write(Array("file,label\n0.jpg,ok\n1.jpg,\"never closed\n".utf8), to: base + "/open/labels.csv")
    let open = try TestSupport.run(["import", base + "/open", "--layout", "csv"], in: ws)
    #expect(open.status == 1 && open.stderr.contains("labels.csv:3: a quoted field opened here is never closed"))
  }

  @Test(
    "labels with control characters, /, ., .. and %: one class file line each, one folder each, the mapping in the manifest"
  )
  func labelNamesStayOneToOne() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let labels = ["a/b", "a_b", "..", ".", "%2E", "tab\there", "new\nline"]
    let jpegs = try TestSupport.distinctJPEGs(count: labels.count)
    var csv = "file,label\n"
    for (index, label) in labels.enumerated() {
      try TestSupport.write(jpegs[index], to: base + "/data/\(index).jpg")
      csv += "\(index).jpg,\"\(label)\"\n"
    }
    try TestSupport.write(Array(csv.utf8), to: base + "/data/labels.csv")
    #expect(try TestSupport.run(["import", base + "/data", "--layout", "csv"], in: ws).status == 0)
    let stored = try Catalog(workspace: Workspace(root: ws)).database.rows("SELECT name FROM classes ORDER BY name") {
      $0.text(0) ?? ""
    }
    #expect(Set(stored) == ["a/b", "a_b", "..", ".", "%2E", "tab here", "new line"])

    let folders = try TestSupport.run(["export", "--out", base + "/folders"], in: ws)
    #expect(folders.status == 0, "\(folders.stderr)")
    let made = try FileManager.default.contentsOfDirectory(atPath: base + "/folders").filter { $0 != "manifest.json" }
    #expect(Set(made) == ["a%2Fb", "a_b", "%2E.", "%2E", "%252E", "tab here", "new line"], "\(made)")
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: base + "/folders/manifest.json")))
        as? [String: Any])
    #expect(manifest["folderNames"] as? [String: String] == ["a/b": "a%2Fb", "..": "%2E.", ".": "%2E", "%2E": "%252E"])

    // Images with no box: their labels are the export's classes (a class with no image is not).
    let yolo = try TestSupport.run(
      ["export", "--format", "yolo", "--include-unannotated", "--out", base + "/yolo"], in: ws)
    #expect(yolo.status == 0, "\(yolo.stderr)")
    let classes = try String(contentsOfFile: base + "/yolo/classes.txt", encoding: .utf8)
    #expect(classes.split(separator: "\n", omittingEmptySubsequences: false).count == labels.count + 1)
  }

  @Test("a VOC class name holding a newline: one class `with mask`, classes.txt one line per class")
  func vocClassWithNewline() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let fixture = TestSupport.testdata + "/voc-facemask"
    let xml = try String(contentsOfFile: fixture + "/annotations/maksssksksss0.xml", encoding: .utf8)
    try TestSupport.write(
      Array(xml.replacingOccurrences(of: "<name>with_mask</name>", with: "<name>with\nmask</name>").utf8),
      to: base + "/voc/annotations/maksssksksss0.xml")
    try TestSupport.write(
      Array(try Data(contentsOf: URL(fileURLWithPath: fixture + "/images/maksssksksss0.png"))),
      to: base + "/voc/images/maksssksksss0.png")
    #expect(try TestSupport.run(["import", base + "/voc"], in: ws).status == 0)
    let yolo = try TestSupport.run(["export", "--format", "yolo", "--out", base + "/yolo"], in: ws)
    #expect(yolo.status == 0, "\(yolo.stderr)")
    let classes = try String(contentsOfFile: base + "/yolo/classes.txt", encoding: .utf8)
    #expect(classes == "with mask\nwithout_mask\n", "\(classes)")
  }

  // MARK: 36. A damaged object

  @Test("a truncated object: doctor --deep names it, re-importing the source repairs it")
  func truncatedObjectRepaired() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    try TestSupport.write(jpeg, to: base + "/data/cat/0.jpg")
    #expect(try TestSupport.run(["import", base + "/data"], in: ws).status == 0)
    let sha = try #require(
      try Catalog(workspace: Workspace(root: ws)).database.scalarText("SELECT sha256 FROM images"))
    let object = ws + "/objects/" + sha.prefix(2) + "/" + sha.dropFirst(2)
    #expect(truncate(object, 100) == 0)
    let doctor = try TestSupport.run(["doctor", "--deep"], in: ws)
    #expect(doctor.status == 1)
    #expect(doctor.stdout.contains(String(sha.dropFirst(2).prefix(20))), "\(doctor.stdout)")
    let reimport = try TestSupport.run(["import", base + "/data"], in: ws)
    #expect(reimport.status == 0, "\(reimport.stderr)")
    #expect(FileManager.default.contents(atPath: object).map(Array.init) == jpeg)
    #expect(try TestSupport.run(["doctor", "--deep"], in: ws).status == 0)
  }

  // MARK: 11. Hangs and unclear errors

  @Test("import of a FIFO (named .zip or not) is refused at once; a plan with a 20-digit limit names the range")
  func fifoAndPlanLimit() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(mkfifo(base + "/fifo.zip", 0o600) == 0 && mkfifo(base + "/fifo", 0o600) == 0)
    let zip = try TestSupport.run(["import", base + "/fifo.zip"], in: ws)
    #expect(zip.status == 1 && zip.stderr.contains("not a regular file"), "\(zip.stderr)")
    let plain = try TestSupport.run(["import", base + "/fifo"], in: ws)
    #expect(plain.status == 1, "\(plain.stderr)")

    let plan = "{\"provider\": \"urls\", \"limit\": 99999999999999999999, \"labels\": {\"a\": [\"q\"]}}"
    try TestSupport.write(Array(plan.utf8), to: base + "/plan.json")
    let crawl = try TestSupport.run(["crawl", "--plan", base + "/plan.json"], in: ws)
    #expect(crawl.status == 1)
    #expect(crawl.stderr.contains("plan.json: limit is out of range"), "\(crawl.stderr)")
    #expect(crawl.stderr.contains("limit takes 1…1000000000"))
    #expect(!crawl.stderr.contains("not valid JSON"))
    try TestSupport.write(
      Array(plan.replacingOccurrences(of: "99999999999999999999", with: "0").utf8), to: base + "/zero.json")
    let zero = try TestSupport.run(["crawl", "--plan", base + "/zero.json"], in: ws)
    #expect(zero.status == 1 && zero.stderr.contains("limit 0 is out of range"), "\(zero.stderr)")
  }

  @Test(
    "a full disk: import and stats say disk full, not \"disk I/O error\"",
    .enabled(if: getuid() == 0, "needs root to mount a small tmpfs"))
  func diskFull() throws {
    let (mountPoint, unmount) = try TestSupport.mountTmpfs(size: "1200k")
    defer { unmount() }
    let ws = mountPoint + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let data = try TestSupport.temporaryFolder("full-data")
    defer { try? FileManager.default.removeItem(atPath: data) }
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 3).enumerated() {
      try TestSupport.write(jpeg, to: data + "/cat/\(index).jpg")
    }
    // Fill the disk to the last byte.
    let filler = open(mountPoint + "/filler", O_WRONLY | O_CREAT, 0o600)
    let block = [UInt8](repeating: 0, count: 4096)
    while block.withUnsafeBytes({ write(filler, $0.baseAddress, $0.count) }) > 0 {}
    while block.withUnsafeBytes({ write(filler, $0.baseAddress, 1) }) > 0 {}
    close(filler)
    let imported = try TestSupport.run(["import", data], in: ws)
    #expect(imported.status == 1)
    #expect(imported.stderr.contains("disk full: no space left for \(ws)/datasetkit.sqlite"), "\(imported.stderr)")
    #expect(imported.stderr.contains("free space on that disk and run the command again"))
    let stats = try TestSupport.run(["stats"], in: ws)
    #expect(stats.status == 1 && stats.stderr.contains("disk full"), "\(stats.stderr)")
  }
}
