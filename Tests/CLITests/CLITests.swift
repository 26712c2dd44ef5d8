import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

/// End-to-end: the built binary, its stdout, stderr and exit codes.
@Suite("datasetkit init/import/stats/doctor end to end")
struct CLITests {
  func workspace() throws -> String {
    let root = try TestSupport.temporaryFolder() + "/ws"
    let result = try TestSupport.run(["init", root])
    #expect(result.status == 0)
    #expect(result.stdout.contains("Initialized an empty datasetkit workspace in \(root)"))
    return root
  }

  @Test("import then stats: text and --json, labels and sources counted")
  func importAndStats() throws {
    let ws = try workspace()
    let data = try TestSupport.temporaryFolder() + "/masks"
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 5).enumerated() {
      try TestSupport.write(jpeg, to: data + (index < 3 ? "/with_mask/" : "/without_mask/") + "\(index).jpg")
    }
    try TestSupport.write(Array("not an image".utf8), to: data + "/notes.txt")
    let imported = try TestSupport.run(["import", data, "--json"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let results = try #require(try TestSupport.jsonResult(imported.stdout) as? [[String: Any]])
    let report = try #require(results.first?["report"] as? [String: Any])
    #expect(report["added"] as? Int == 5)
    #expect(report["filesSeen"] as? Int == 6)
    #expect((report["notImages"] as? [[String: Any]])?.first?["path"] as? String == "notes.txt")
    #expect(results.first?["layout"] as? String == "folders")

    let again = try TestSupport.run(["import", data], in: ws)
    #expect(again.status == 0)
    #expect(again.stdout.contains("Nothing new"))

    let stats = try TestSupport.run(["stats", "--json"], in: ws + "/objects")  // found upward
    #expect(stats.status == 0)
    let result = try #require(try TestSupport.jsonResult(stats.stdout) as? [String: Any])
    #expect(result["images"] as? Int == 5)
    let labels = try #require(result["labels"] as? [[String: Any]])
    #expect(labels.map { $0["label"] as? String } == ["with_mask", "without_mask"])
    #expect(labels.map { $0["images"] as? Int } == [3, 2])
    let licenses = try #require(result["licenses"] as? [[String: Any]])
    #expect(licenses.count == 1 && licenses[0]["license"] as? String == "unknown" && licenses[0]["images"] as? Int == 5)
    let text = try TestSupport.run(["stats"], in: ws)
    #expect(text.stdout.contains("with_mask"))
    #expect(text.stdout.contains("masks"))
  }

  @Test("errors: missing path, no workspace → exit 1 with a message; bad usage → exit 64")
  func exitCodes() throws {
    let ws = try workspace()
    let missing = try TestSupport.run(["import", "/no/such/dir"], in: ws)
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("/no/such/dir: no such file or folder"))
    #expect(missing.stdout.isEmpty)
    let missingJSON = try TestSupport.run(["import", "/no/such/dir", "--json"], in: ws)
    #expect(missingJSON.status == 1)
    #expect((try TestSupport.jsonResult(missingJSON.stdout) as? [String: Any])?["error"] is String)

    let nowhere = try TestSupport.temporaryFolder()
    let noWorkspace = try TestSupport.run(["stats"], in: nowhere)
    #expect(noWorkspace.status == 1)
    #expect(noWorkspace.stderr.contains("no datasetkit workspace"))

    #expect(try TestSupport.run(["import"], in: ws).status == 64)
    #expect(try TestSupport.run(["stats", "--no-such-flag"], in: ws).status == 64)
    #expect(try TestSupport.run(["stats", "--quiet", "--verbose"], in: ws).status == 64)
    #expect(try TestSupport.run(["init", ws]).status == 1)
  }

  @Test("doctor finds the four libraries, the cascades and a healthy workspace")
  func doctor() throws {
    let ws = try workspace()
    let result = try TestSupport.run(["doctor", "--json", "--deep"], in: ws)
    #expect(result.status == 0, "\(result.stdout)")
    let checks = try #require(try TestSupport.jsonResult(result.stdout) as? [[String: Any]])
    let names = checks.compactMap { $0["name"] as? String }
    for name in [
      "sqlite3", "libcurl", "libxml2", "opencv", "opencv imgcodecs", "haar cascades", "catalog integrity",
      "object store",
    ] {
      #expect(names.contains(name))
    }
    #expect(checks.allSatisfy { $0["status"] as? String == "ok" })
  }

  @Test(
    "start-up loads only the OpenCV modules linked, not imgcodecs (~120 libraries); JPEG is decoded without it, the first BMP opens it"
  )
  func startupLibraries() throws {
    // glibc's dynamic linker lists every library it loads ("file=NAME [0];  needed by ...") on stderr.
    let version = try TestSupport.run(["--version"], environment: ["LD_DEBUG": "files"])
    #expect(version.status == 0)
    #expect(version.stderr.contains("file=libopencv_core"), "LD_DEBUG gave no list")
    #expect(!version.stderr.contains("libopencv_imgcodecs"))
    for module in ["libopencv_highgui", "libopencv_videoio", "libgdal", "libopencv_stitching"] {
      #expect(!version.stderr.contains(module), "\(module) is loaded at start-up")
    }
    let ws = try workspace()
    let image = try TestSupport.distinctJPEGs(count: 1)[0]
    let folder = try TestSupport.temporaryFolder("dsk-startup-decode")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    try TestSupport.write(image, to: folder + "/one.jpg")
    let imported = try TestSupport.run(["import", folder, "--name", "one"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let detect = try TestSupport.run(["faces", "detect", "--json"], in: ws, environment: ["LD_DEBUG": "files"])
    #expect(detect.status == 0)
    #expect(detect.stderr.contains("file=libjpeg"), "LD_DEBUG gave no list")
    #expect(!detect.stderr.contains("libopencv_imgcodecs"), "JPEG is decoded by libjpeg directly")
    // A format of imgcodecs' own (BMP, 24-bit, 64×48) opens it on its first decode.
    let (width, height) = (64, 48)
    let row = (width * 3 + 3) / 4 * 4
    func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    var bmp: [UInt8] = Array("BM".utf8) + le32(54 + row * height) + le32(0) + le32(54)
    bmp += le32(40) + le32(width) + le32(height) + [1, 0, 24, 0] + le32(0) + le32(row * height) + le32(2835)
    bmp += le32(2835) + le32(0) + le32(0)
    for y in 0..<height { bmp += (0..<row).map { UInt8(truncatingIfNeeded: $0 * 3 + y * 5) } }
    try TestSupport.write(bmp, to: folder + "/two.bmp")
    #expect(try TestSupport.run(["import", folder, "--name", "one"], in: ws).status == 0)
    let second = try TestSupport.run(["faces", "detect", "--json"], in: ws, environment: ["LD_DEBUG": "files"])
    #expect(second.status == 0, "\(second.stdout)")
    #expect(second.stderr.contains("libopencv_imgcodecs"))
  }
}

@Suite("Crash safety: kill -9 during imports, two importers at once", .serialized)
struct CrashSafetyTests {
  /// Every image row has its object with the right SHA-256, every file under a final object name
  /// hashes to that name, and SQLite's integrity check passes.
  func assertConsistent(_ ws: String) throws {
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.integrityCheck() == ["ok"])
    #expect(try catalog.verifyObjects(rehash: true) == [])
    let objects = ws + "/objects"
    for shard in try FileManager.default.contentsOfDirectory(atPath: objects) where shard != "tmp" {
      for rest in try FileManager.default.contentsOfDirectory(atPath: objects + "/" + shard) {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: "\(objects)/\(shard)/\(rest)"))
        #expect(SHA256.hex(of: bytes) == shard + rest, "partial or foreign file under \(shard)/\(rest)")
      }
    }
  }

  /// Files stored under final object names (not staging): how far an import has got.
  func storedObjects(_ ws: String) -> Int {
    let objects = ws + "/objects"
    let shards = (try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? []
    return shards.filter { $0 != "tmp" }.reduce(0) {
      $0 + ((try? FileManager.default.contentsOfDirectory(atPath: objects + "/" + $1).count) ?? 0)
    }
  }

  @Test("20 kills at random points: catalog intact every time, and re-running completes the import")
  func killNine() throws {
    let data = try TestSupport.temporaryFolder() + "/big"
    let count = 1200
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: count, width: 160).enumerated() {
      try TestSupport.write(jpeg, to: "\(data)/class\(index % 3)/\(index).jpg")
    }
    // How long a whole import takes here, to spread the kills over it.
    let probe = try TestSupport.temporaryFolder() + "/probe"
    #expect(try TestSupport.run(["init", probe]).status == 0)
    let started = Date()
    #expect(try TestSupport.run(["import", data, "--quiet"], in: probe).status == 0)
    let full = Date().timeIntervalSince(started)

    // Five rounds of four kills, each round on a fresh workspace so that there is always an import to
    // interrupt; after every kill the catalog must be consistent, after every round the import completes.
    // Kill points differ from kill to kill (a seeded share of what is left), the test's outcome does not.
    var generator = SeededGenerator(seed: 0x6b69_6c6c)
    var killedMidway = 0
    for _ in 0..<5 {
      let ws = try TestSupport.temporaryFolder() + "/ws"
      #expect(try TestSupport.run(["init", ws]).status == 0)
      for _ in 0..<4 {
        let stored = storedObjects(ws)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestSupport.binary)
        process.arguments = ["import", data, "--quiet", "--workspace", ws]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // The kill point is a seeded number of newly stored objects, at most half of what is left, plus a
        // seeded few milliseconds: it lands inside the import however loaded the machine is.
        let left = count - stored
        let target = stored + Int.random(in: 1...max(1, left / 2), using: &generator)
        while process.isRunning && storedObjects(ws) < target { usleep(1_000) }
        usleep(UInt32.random(in: 0...5_000, using: &generator))
        if process.isRunning {
          kill(process.processIdentifier, SIGKILL)
          killedMidway += 1
        }
        process.waitUntilExit()
        try assertConsistent(ws)
      }
      let finish = try TestSupport.run(["import", data, "--json", "--workspace", ws])
      #expect(finish.status == 0)
      try assertConsistent(ws)
      let catalog = try Catalog(workspace: Workspace(root: ws))
      #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == Int64(count))
      #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_origins") == Int64(count))
      #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_labels") == Int64(count))
      // The next run has nothing left to do.
      let after = try TestSupport.run(["import", data, "--workspace", ws])
      #expect(after.stdout.contains("Nothing new"))
    }
    // Each kill waits for a point at most half way through what is left, so nearly all land mid-import.
    #expect(killedMidway >= 16, "most runs should have been killed mid-import (full run: \(full) s)")
  }

  @Test("two processes importing into one workspace at once both succeed")
  func twoImporters() throws {
    let ws = try TestSupport.temporaryFolder() + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let jpegs = try TestSupport.distinctJPEGs(count: 400, width: 160)
    let first = try TestSupport.temporaryFolder() + "/a"
    let second = try TestSupport.temporaryFolder() + "/b"
    for (index, jpeg) in jpegs.enumerated() {
      // 100 images in both folders: the same bytes arriving from two processes at once.
      if index < 250 { try TestSupport.write(jpeg, to: "\(first)/x/\(index).jpg") }
      if index >= 150 { try TestSupport.write(jpeg, to: "\(second)/y/\(index).jpg") }
    }
    let processes = [first, second].map { folder -> Process in
      let process = Process()
      process.executableURL = URL(fileURLWithPath: TestSupport.binary)
      process.arguments = ["import", folder, "--quiet", "--workspace", ws]
      process.standardOutput = FileHandle.nullDevice
      return process
    }
    for process in processes { try process.run() }
    for process in processes { process.waitUntilExit() }
    #expect(processes.map(\.terminationStatus) == [0, 0])
    try assertConsistent(ws)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM images") == 400)
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM image_origins") == 500)
  }
}

@Suite("datasetkit split and check leakage end to end")
struct SplitCLITests {
  @Test("split from folders, list, show, diff, original split, and a clean leakage check")
  func splitCommands() throws {
    let ws = try TestSupport.temporaryFolder() + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let data = try TestSupport.temporaryFolder() + "/kaggle"
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 30, width: 120).enumerated() {
      let subset = index % 5 == 0 ? "Test" : "Train"
      try TestSupport.write(jpeg, to: "\(data)/\(subset)/\(index % 3 == 0 ? "WithMask" : "WithoutMask")/\(index).png")
    }
    #expect(try TestSupport.run(["import", data, "--quiet"], in: ws).status == 0)
    let made = try TestSupport.run(["split", "--name", "v1", "--ratios", "80/20", "--seed", "3"], in: ws)
    #expect(made.status == 0, "\(made.stderr)")
    #expect(made.stdout.contains("Split \"v1\" created: 30 images"))
    let json = try TestSupport.run(["split", "--name", "v1", "--ratios", "80/20", "--seed", "3", "--json"], in: ws)
    let report = try #require(try TestSupport.jsonResult(json.stdout) as? [String: Any])
    #expect(report["newlyAssigned"] as? Int == 0 && report["kept"] as? Int == 30)
    #expect(try TestSupport.run(["split", "--name", "v1", "--ratios", "70/30"], in: ws).status == 1)
    #expect(try TestSupport.run(["split", "--name", "v2", "--ratios", "80/x"], in: ws).status == 64)
    #expect(try TestSupport.run(["split", "--name", "v2", "--group", "bogus"], in: ws).status == 64)
    let original = try TestSupport.run(["split", "--name", "kaggle", "--from-original", "--json"], in: ws)
    let originalReport = try #require(try TestSupport.jsonResult(original.stdout) as? [String: Any])
    #expect(originalReport["counts"] as? [String: Int] == ["train": 24, "test": 6])
    let list = try TestSupport.run(["split", "list"], in: ws)
    #expect(list.stdout.contains("v1") && list.stdout.contains("kaggle"))
    #expect(try TestSupport.run(["split", "show", "v1"], in: ws).stdout.contains("stratify: label"))
    #expect(try TestSupport.run(["split", "diff", "kaggle", "v1"], in: ws).status == 0)
    let leakage = try TestSupport.run(["check", "leakage", "--split", "v1"], in: ws)
    #expect(leakage.status == 0)
    #expect(leakage.stdout.contains("No pair crosses subsets."))
    #expect(try TestSupport.run(["check", "leakage", "--split", "nope"], in: ws).status == 1)
  }
}

@Suite("datasetkit export end to end")
struct ExportCLITests {
  @Test("export a split as folders, JSON report; a foreign folder is refused with exit 1")
  func exportCommand() throws {
    let ws = try TestSupport.temporaryFolder() + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let data = try TestSupport.temporaryFolder() + "/d"
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 10, width: 120).enumerated() {
      try TestSupport.write(jpeg, to: "\(data)/\(index % 2 == 0 ? "a" : "b")/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", data, "--quiet"], in: ws).status == 0)
    #expect(try TestSupport.run(["split", "--name", "v", "--ratios", "80/20"], in: ws).status == 0)
    let result = try TestSupport.run(["export", "--split", "v", "--json"], in: ws)
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(try TestSupport.jsonResult(result.stdout) as? [String: Any])
    #expect(report["files"] as? Int == 10)
    #expect(FileManager.default.fileExists(atPath: ws + "/exports/v-folders/train/a"))
    let foreign = try TestSupport.temporaryFolder()
    try TestSupport.write([1], to: foreign + "/x")
    let refused = try TestSupport.run(["export", "--split", "v", "--out", foreign], in: ws)
    #expect(refused.status == 1 && refused.stderr.contains("not a datasetkit export"))
    #expect(try TestSupport.run(["export", "--format", "nope"], in: ws).status == 64)
  }
}

@Suite("datasetkit stats --split --html")
struct StatsSplitCLITests {
  @Test("subset × label × source counts in text, JSON and a self-contained HTML page")
  func statsBySplit() throws {
    let ws = try TestSupport.temporaryFolder() + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let data = try TestSupport.temporaryFolder() + "/d"
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 12, width: 120).enumerated() {
      try TestSupport.write(jpeg, to: "\(data)/\(index % 3 == 0 ? "without_mask" : "with_mask")/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", data, "--quiet"], in: ws).status == 0)
    #expect(try TestSupport.run(["split", "--name", "v", "--ratios", "50/50"], in: ws).status == 0)
    let html = ws + "/report.html"
    let text = try TestSupport.run(["stats", "--split", "v", "--html", html], in: ws)
    #expect(text.status == 0)
    #expect(text.stdout.contains("split v: subset × label (actual/target)"))
    #expect(text.stdout.contains("4/4"))
    let page = try String(contentsOfFile: html, encoding: .utf8)
    #expect(
      page.contains("id=\"composition\"") && page.contains("with_mask") && !page.contains("<script")
        && !page.contains("src=\"http"))
    let json = try #require(
      try TestSupport.jsonResult(try TestSupport.run(["stats", "--split", "v", "--json"], in: ws).stdout)
        as? [String: Any])
    #expect(json["images"] as? Int == 12)
    #expect((json["split"] as? [String: Any])?["subsets"] as? [String] == ["train", "test"])
    // --by split uses the newest split; --by filters the tables; unknown keys are usage errors.
    let bySplit = try TestSupport.run(["stats", "--by", "split,label"], in: ws)
    #expect(
      bySplit.status == 0 && bySplit.stdout.contains("split v: subset × label")
        && !bySplit.stdout.contains("source    kind"))
    #expect(try TestSupport.run(["stats", "--by", "colour"], in: ws).status == 64)
  }
}

@Suite("import flags near-duplicates of earlier images once the catalog is hashed")
struct ImportNearDuplicateTests {
  @Test("a resized copy arriving after dedup ran is named with the image it looks like")
  func flagsArrivals() throws {
    let ws = try TestSupport.temporaryFolder() + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let first = try TestSupport.temporaryFolder() + "/first"
    let originals = try TestSupport.distinctJPEGs(count: 4, width: 320)
    for (index, jpeg) in originals.enumerated() { try TestSupport.write(jpeg, to: "\(first)/faces/\(index).jpg") }
    #expect(try TestSupport.run(["import", first, "--quiet"], in: ws).status == 0)
    // Before any dedup: nothing to compare against, no flag.
    let copies = try TestSupport.temporaryFolder() + "/copies"
    let resized = try DecodedImage(bytes: originals[2]).cropped(
      to: Box(x: 0, y: 0, width: 320, height: 240), width: 160, height: 120
    ).encoded(.jpeg(quality: 70))
    try TestSupport.write(resized, to: "\(copies)/faces/small.jpg")
    #expect(try TestSupport.run(["dedup", "--quiet"], in: ws).status == 0)
    let imported = try TestSupport.run(["import", copies, "--json"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let results = try #require(try TestSupport.jsonResult(imported.stdout) as? [[String: Any]])
    let notes = try #require(results.first?["nearDuplicates"] as? [[String: Any]])
    #expect(notes.count == 1)
    #expect(notes.first?["image"] as? String == "copies/faces/small.jpg")
    #expect(notes.first?["looksLike"] as? String == "first/faces/2.jpg")
    let text = try TestSupport.run(["import", copies], in: ws)
    #expect(text.status == 0)
  }
}
