import Catalog
import Foundation
import TestSupport
import Testing

/// Hostile input, round three (`../shared/RELIABILITY.md` 38–57, issue 25): each case runs the built binary and
/// checks the exit code, the message, and that nothing outside the named target moved.
@Suite("Hostile input, round three: outputs never clobber, a catalog is never silently empty", .requiresBinary)
struct HostileRoundThreeTests {
  /// A folder with a workspace `ws` holding four real photographs (two labels) and a split `v1`.
  func workspace(split: Bool = false) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 4).enumerated() {
      try TestSupport.write(jpeg, to: base + "/data/" + (index < 2 ? "cat" : "dog") + "/\(index).jpg")
    }
    let imported = try TestSupport.run(["import", base + "/data"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    if split {
      let made = try TestSupport.run(["split", "--name", "v1", "--ratios", "50/50"], in: ws)
      #expect(made.status == 0, "\(made.stderr)")
    }
    return (base, ws)
  }

  /// Every entry under `folder` with its type and bytes (a FIFO or device by its type only, never opened).
  func snapshot(_ folder: String) -> [String: String] {
    var entries: [String: String] = [:]
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return entries }
    while let relative = walker.nextObject() as? String {
      let path = folder + "/" + relative
      var info = stat()
      guard lstat(path, &info) == 0 else { continue }
      switch info.st_mode & S_IFMT {
      case S_IFREG:
        entries[relative] =
          "file " + (FileManager.default.contents(atPath: path).map { "\($0.hashValue) \($0.count)" } ?? "?")
      case S_IFDIR: entries[relative] = "folder"
      default: entries[relative] = "mode \(info.st_mode & S_IFMT) rdev \(info.st_rdev)"
      }
    }
    return entries
  }

  func objectPaths(_ ws: String) throws -> [String] {
    let catalog = try Catalog(workspace: Workspace(root: ws))
    return try catalog.database.rows("SELECT sha256 FROM images ORDER BY id") {
      catalog.store.path(of: $0.text(0) ?? "")
    }
  }

  func fileType(_ path: String) -> mode_t {
    var info = stat()
    return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
  }

  // MARK: 38. Outputs never clobber

  @Test(
    "report --out, dedup --report, stats --html and review sheet --out refuse the catalog, an object, a FIFO, a device, a folder; nothing moves"
  )
  func outputsNeverClobber() throws {
    let (base, ws) = try workspace(split: true)
    defer { try? FileManager.default.removeItem(atPath: base) }
    let object = try #require(try objectPaths(ws).first)
    #expect(mkfifo(base + "/fifo", 0o600) == 0)
    // A device node of our own (as /dev/full is: character device 1,7), so the test never touches /dev.
    let device = base + "/full"
    let madeDevice = getuid() == 0 && mknod(device, S_IFCHR | 0o600, dev_t(1 << 8 | 7)) == 0
    try FileManager.default.createDirectory(atPath: base + "/folder", withIntermediateDirectories: true)
    #expect(symlink(ws + "/datasetkit.sqlite", base + "/card-link.html") == 0)
    // The current folder is the workspace, so a relative name is the catalog itself.
    var targets = [
      "datasetkit.sqlite", ws + "/datasetkit.sqlite-wal", ws + "/datasetkit.sqlite-shm", object,
      ws + "/objects/new.html", base + "/folder", base + "/card-link.html", base + "/fifo",
    ]
    if madeDevice { targets.append(device) }
    let commands: [(name: String, arguments: [String])] = [
      ("report", ["report", "--out"]), ("dedup", ["dedup", "--dry-run", "--report"]),
      ("stats", ["stats", "--html"]), ("review sheet", ["review", "sheet", "--status", "accepted", "--out"]),
    ]
    let before = snapshot(ws)
    let outside = snapshot(base).filter { !$0.key.hasPrefix("ws/") && $0.key != "ws" }
    for command in commands {
      for target in targets {
        // review sheet never wrote through Foundation's atomic write: a FIFO would block it on the old code.
        if command.name == "review sheet" && target.hasSuffix("/fifo") { continue }
        let result = try TestSupport.run(command.arguments + [target], in: ws)
        #expect(result.status == 1, "\(command.name) \(target): \(result.stdout) \(result.stderr)")
        #expect(
          result.stderr.contains("will not write") && result.stderr.contains("nothing was written"),
          "\(command.name) \(target): \(result.stderr)")
      }
    }
    #expect(snapshot(ws) == before, "the workspace changed")
    #expect(snapshot(base).filter { !$0.key.hasPrefix("ws/") && $0.key != "ws" } == outside)
    #expect(fileType(base + "/fifo") == S_IFIFO)
    if madeDevice { #expect(fileType(device) == S_IFCHR) }
    let stats = try TestSupport.run(["stats"], in: ws)
    #expect(stats.status == 0 && stats.stdout.contains("4 images"), "\(stats.stdout) \(stats.stderr)")

    // A regular file is replaced whole, keeping its permissions, with no temporary file left beside it.
    try TestSupport.write(Array("old".utf8), to: base + "/out/card.html")
    #expect(chmod(base + "/out/card.html", 0o600) == 0)
    for command in commands {
      let path = base + "/out/" + (command.name == "review sheet" ? "sheet.png" : "card.html")
      let result = try TestSupport.run(command.arguments + [path], in: ws)
      #expect(result.status == 0, "\(command.name): \(result.stderr)")
      #expect((FileManager.default.contents(atPath: path)?.count ?? 0) > 100)
    }
    var info = stat()
    #expect(stat(base + "/out/card.html", &info) == 0 && info.st_mode & 0o777 == 0o600)
    #expect(try FileManager.default.contentsOfDirectory(atPath: base + "/out").sorted() == ["card.html", "sheet.png"])
  }

  @Test("export --out naming the catalog, a folder inside objects/ or a FIFO is refused; nothing is written")
  func exportOutInsideWorkspace() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(mkfifo(base + "/fifo", 0o600) == 0)
    let before = snapshot(ws)
    for target in [ws + "/datasetkit.sqlite", ws + "/objects/export", ws + "/objects", base + "/fifo"] {
      let result = try TestSupport.run(["export", "--out", target], in: ws)
      #expect(result.status == 1, "\(target): \(result.stdout) \(result.stderr)")
      #expect(!result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr)")
    }
    #expect(snapshot(ws) == before)
    #expect(fileType(base + "/fifo") == S_IFIFO)
    // A new --out whose folders do not exist yet is made, as before.
    let nested = try TestSupport.run(["export", "--out", base + "/new/nested/out"], in: ws)
    #expect(nested.status == 0 && FileIO.exists(base + "/new/nested/out/manifest.json"), "\(nested.stderr)")
  }

  // MARK: 39. Objects are read-only; hard-link exports say so; doctor --deep names the export

  @Test("objects are 0444; a hard-link export says linkedObjects; an exported file edited in place is named by doctor")
  func hardLinkedExportEdited() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    for path in try objectPaths(ws) {
      var info = stat()
      #expect(
        stat(path, &info) == 0 && info.st_mode & 0o777 == 0o444, "\(path) \(String(info.st_mode & 0o777, radix: 8))")
    }
    let exported = try TestSupport.run(["export", "--link", "hard", "--json"], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    let out = ws + "/exports/all-folders"
    let manifest = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
        as? [String: Any])
    #expect(manifest["linkedObjects"] as? Bool == true)
    let files = try #require(manifest["files"] as? [[String: Any]])
    let first = try #require(files.first?["path"] as? String)
    let sha = try #require(files.first?["sha256"] as? String)
    var info = stat()
    #expect(stat(out + "/" + first, &info) == 0 && info.st_mode & 0o222 == 0, "the exported link is read-only too")
    // A copy export is the user's to edit: no flag, writable files.
    let copied = try TestSupport.run(["export", "--out", base + "/copy"], in: ws)
    #expect(copied.status == 0, "\(copied.stderr)")
    let copyManifest = try String(contentsOfFile: base + "/copy/manifest.json", encoding: .utf8)
    #expect(!copyManifest.contains("linkedObjects"))

    // Edited in place (root ignores the mode, as an editor run by root would).
    let fd = open(out + "/" + first, O_WRONLY)
    #expect(fd >= 0)
    #expect(pwrite(fd, [0x58, 0x58, 0x58], 3, 200) == 3)
    close(fd)
    let doctor = try TestSupport.run(["doctor", "--deep", "--json"], in: ws)
    #expect(doctor.status == 1)
    let checks = try #require(try TestSupport.jsonResult(doctor.stdout) as? [[String: Any]])
    let store = try #require(checks.first { $0["name"] as? String == "object store" })
    let detail = try #require(store["detail"] as? String)
    #expect(store["status"] as? String == "failed")
    #expect(detail.contains(String(sha.dropFirst(2))), "\(detail)")
    #expect(
      detail.contains("hard link") && detail.contains(out + "/" + first) && detail.contains("(export \(out))"),
      "\(detail)")
    // The way out the message gives: remove the object, re-import (the export is made again after).
    #expect(detail.contains("remove it and re-import"))
    let object = ws + "/objects/" + sha.prefix(2) + "/" + sha.dropFirst(2)
    #expect(unlink(object) == 0)
    #expect(try TestSupport.run(["import", base + "/data"], in: ws).status == 0)
    #expect(try TestSupport.run(["doctor", "--deep"], in: ws).status == 0)
  }

  // MARK: 40. A catalog is never silently empty

  @Test("a zero-byte or malformed catalog beside objects/ is an error with the way out; doctor exits 1")
  func emptyOrMalformedCatalog() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let catalog = ws + "/datasetkit.sqlite"
    for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: catalog + suffix) }
    #expect(truncate(catalog, 0) == 0)
    for arguments in [["stats"], ["import", base + "/data"], ["doctor", "--deep"], ["split", "list"]] {
      let result = try TestSupport.run(arguments, in: ws)
      let text = result.stdout + result.stderr
      #expect(result.status == 1, "\(arguments): \(text)")
      #expect(text.contains("is empty (0 bytes)") && text.contains("4 objects under objects/ are kept"), "\(text)")
      #expect(text.contains("Restore datasetkit.sqlite from a backup"), "\(text)")
    }
    var info = stat()
    #expect(stat(catalog, &info) == 0 && info.st_size == 0, "the empty catalog was left as it was")

    // Not a database at all.
    try TestSupport.write([UInt8](repeating: 0x41, count: 8192), to: catalog)
    for arguments in [["stats"], ["doctor"]] {
      let result = try TestSupport.run(arguments, in: ws)
      let text = result.stdout + result.stderr
      #expect(result.status == 1, "\(arguments): \(text)")
      #expect(text.contains("is not a readable SQLite database") && text.contains("4 objects"), "\(text)")
    }
    #expect(FileManager.default.contents(atPath: catalog) == Data(repeating: 0x41, count: 8192))
  }

  @Test("doctor reports the staged objects a killed import left, by count")
  func stagedObjectsReported() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    let dead = process.processIdentifier
    for index in 0..<7 { try TestSupport.write([1, 2, 3], to: ws + "/objects/tmp/\(dead)-\(index)") }
    let doctor = try TestSupport.run(["doctor", "--json"], in: ws)
    let checks = try #require(try TestSupport.jsonResult(doctor.stdout) as? [[String: Any]])
    let leftovers = try #require(checks.first { $0["name"] as? String == "leftovers" })
    #expect(leftovers["status"] as? String == "warning")
    #expect((leftovers["detail"] as? String)?.contains("removed 7 left by killed processes") == true, "\(leftovers)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: ws + "/objects/tmp").isEmpty)
  }

  // MARK: 41. Credentials in URLs are for the fetch only

  @Test("http://user:pass@host/… is fetched with basic auth; the password is never printed, stored or exported")
  func credentialsInURLs() throws {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let jpegs = try TestSupport.distinctJPEGs(count: 2)
    let expected = "Basic " + Data("alice:S3cret".utf8).base64EncodedString()
    let server = try LoopbackServer { request in
      guard request.headers["authorization"] == expected else {
        return .respond(status: 401, headers: [("WWW-Authenticate", "Basic realm=\"t\"")], body: [])
      }
      switch request.path {
      case "/a.jpg": return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: jpegs[0])
      case "/b.jpg": return .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: jpegs[1])
      default: return .status(404)
      }
    }
    defer { server.stop() }
    let authority = "alice:S3cret@127.0.0.1:\(server.port)"
    let list = base + "/urls.csv"
    let rows = ["a.jpg", "b.jpg", "missing.jpg"].map { "http://\(authority)/\($0),http://\(authority)/page" }
    try TestSupport.write(Array((["url,page_url"] + rows).joined(separator: "\n").utf8), to: list)
    let crawl = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "auth", "--allow-private-network", "--json"], in: ws)
    #expect(crawl.status == 0 || crawl.status == 1, "\(crawl.stderr)")
    let report = try #require((try TestSupport.jsonResult(crawl.stdout) as? [[String: Any]])?.first, "\(crawl.stderr)")
    #expect(report["stored"] as? Int == 2, "\(crawl.stdout)")
    let plain = try TestSupport.run(
      ["crawl", "--provider", "urls", "--urls", list, "--query", "auth", "--allow-private-network", "--verbose"], in: ws
    )
    let exported = try TestSupport.run(["export", "--format", "csv", "--out", base + "/csv"], in: ws)
    #expect(exported.status == 0, "\(exported.stderr)")
    let csv = try String(contentsOfFile: base + "/csv/data.csv", encoding: .utf8)
    #expect(csv.contains("http://127.0.0.1:\(server.port)/a.jpg"), "\(csv)")
    var texts = [
      "crawl": crawl.stdout + crawl.stderr, "crawl again": plain.stdout + plain.stderr, "data.csv": csv,
      "manifest.json": try String(contentsOfFile: base + "/csv/manifest.json", encoding: .utf8),
    ]
    for suffix in ["", "-wal"] {
      if let bytes = FileManager.default.contents(atPath: ws + "/datasetkit.sqlite" + suffix) {
        texts["datasetkit.sqlite" + suffix] = String(decoding: bytes, as: UTF8.self)
      }
    }
    for (name, text) in texts {
      #expect(!text.contains("S3cret") && !text.contains("alice:"), "\(name) holds the credentials")
    }
    #expect(texts["crawl"]?.contains("127.0.0.1:\(server.port)/missing.jpg") == true, "the failure is named")
    // The fetch itself used them: every image request carried the header.
    let images = server.requests.filter { $0.path.hasSuffix(".jpg") }
    #expect(!images.isEmpty && images.allSatisfy { $0.headers["authorization"] == expected })
  }

  // MARK: 52. A read-only workspace

  /// Runs a system tool and returns its exit status.
  @discardableResult
  func tool(_ path: String, _ arguments: [String]) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    guard (try? process.run()) != nil else { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
  }

  @Test(
    "a workspace on a read-only mount: stats, split show, report --json and doctor work; writing commands say read-only",
    .enabled(if: getuid() == 0, "needs root for a read-only bind mount (root ignores file modes)"))
  func readOnlyWorkspace() throws {
    let (base, ws) = try workspace(split: true)
    defer { try? FileManager.default.removeItem(atPath: base) }
    let mounted = base + "/ro"
    try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
    try #require(tool("/bin/mount", ["--bind", ws, mounted]) == 0)
    defer { tool("/bin/umount", [mounted]) }
    try #require(tool("/bin/mount", ["-o", "remount,bind,ro", mounted]) == 0)
    let before = snapshot(ws)
    let stats = try TestSupport.run(["stats"], in: mounted)
    #expect(stats.status == 0 && stats.stdout.contains("4 images"), "\(stats.stdout) \(stats.stderr)")
    for arguments in [["split", "show", "v1"], ["split", "list"], ["report", "--json"], ["doctor", "--deep"]] {
      let result = try TestSupport.run(arguments, in: mounted)
      #expect(result.status == 0, "\(arguments): \(result.stdout) \(result.stderr)")
      #expect(!result.stderr.contains("catalog error"), "\(arguments): \(result.stderr)")
    }
    for arguments in [["import", base + "/data"], ["split", "--name", "v2", "--ratios", "50/50"]] {
      let result = try TestSupport.run(arguments, in: mounted)
      #expect(result.status == 1, "\(arguments): \(result.stdout) \(result.stderr)")
      #expect(result.stderr.contains("is read-only") && !result.stderr.contains("catalog error"), "\(result.stderr)")
    }
    let initialised = try TestSupport.run(["init", mounted + "/inner"])
    #expect(
      initialised.status == 1 && initialised.stderr.contains("cannot make a workspace in"), "\(initialised.stderr)")
    #expect(initialised.stderr.contains("Read-only file system") && !initialised.stderr.contains("NSCocoaErrorDomain"))
    #expect(snapshot(ws) == before)
  }

  // MARK: 53. Labels over 255 bytes

  @Test("a label over 255 bytes is refused with the limit named: import (its file), relabel; nothing else changes")
  func longLabels() throws {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 2).enumerated() {
      try TestSupport.write(jpeg, to: base + "/csv/\(index).jpg")
    }
    let long = String(repeating: "é", count: 150)  // 300 bytes of UTF-8
    try TestSupport.write(Array("file,label\n0.jpg,\(long)\n1.jpg,cat\n".utf8), to: base + "/csv/labels.csv")
    let imported = try TestSupport.run(["import", base + "/csv", "--layout", "csv", "--json"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let results = try #require(try TestSupport.jsonResult(imported.stdout) as? [[String: Any]])
    let report = try #require(results.first?["report"] as? [String: Any])
    let rejected = report["rejected"] as? [[String: Any]] ?? []
    #expect(rejected.count == 1 && rejected.first?["path"] as? String == "0.jpg", "\(rejected)")
    #expect((rejected.first?["reason"] as? String)?.contains("is 300 bytes; labels are at most 255 bytes") == true)
    #expect(report["labels"] as? [String: Int] == ["cat": 1])

    let voc = TestSupport.testdata + "/labelimg-raccoon"
    let vocImport = try TestSupport.run(["import", voc, "--layout", "voc"], in: ws)
    #expect(vocImport.status == 0, "\(vocImport.stderr)")
    let relabel = try TestSupport.run(["review", "relabel", "--label", long, "1"], in: ws)
    #expect(relabel.status == 1)
    #expect(relabel.stderr.contains("labels are at most 255 bytes of UTF-8"), "\(relabel.stderr)")
    let classes = try Catalog(workspace: Workspace(root: ws)).database.rows("SELECT name FROM classes") {
      $0.text(0) ?? ""
    }
    #expect(classes.allSatisfy { $0.utf8.count <= 255 }, "\(classes)")

    // A catalog from before the limit holding such a label: the folders export says so, not NSCocoaErrorDomain.
    try Catalog(workspace: Workspace(root: ws)).database.run(
      "UPDATE classes SET name = ? WHERE name = 'cat'", [.text(long)])
    let exported = try TestSupport.run(["export", "--out", base + "/out"], in: ws)
    #expect(exported.status == 1)
    #expect(
      exported.stderr.contains("over the 255 a file name may hold") && !exported.stderr.contains("NSCocoaErrorDomain"))
    #expect(!FileManager.default.fileExists(atPath: base + "/out"), "\(exported.stderr)")
  }

  // MARK: 54. Two exports to one --out at once

  @Test("three exports to one --out at once: all succeed (they take turns), the folder is one whole export")
  func concurrentExports() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let out = base + "/out"
    for round in 0..<10 {
      let results = ResultsBox()
      DispatchQueue.concurrentPerform(iterations: 3) { index in
        let format = index == 1 ? "csv" : "folders"
        let result = try? TestSupport.run(["export", "--format", format, "--out", out], in: ws)
        results.append(result)
      }
      for result in results.all {
        #expect(result?.status == 0, "round \(round): \(result?.stderr ?? "did not run")")
        #expect(result?.stderr.contains("No such file") != true)
      }
      let manifest = try #require(
        try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/manifest.json")))
          as? [String: Any])
      let listed = Set((manifest["contents"] as? [String]) ?? [])
      let present = Set(
        (FileManager.default.enumerator(atPath: out)?.allObjects as? [String] ?? []).filter {
          var info = stat()
          return lstat(out + "/" + $0, &info) == 0 && info.st_mode & S_IFMT == S_IFREG && $0 != "manifest.json"
        })
      #expect(listed == present, "round \(round)")
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: base).sorted() == ["data", "out", "ws"])
  }

  // MARK: 56. init on a file, under /proc

  @Test("init on a file or under /proc prints our message, not a Foundation error")
  func initOnImpossiblePaths() throws {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    defer { try? FileManager.default.removeItem(atPath: base) }
    try TestSupport.write(Array("x".utf8), to: base + "/file")
    for (path, reason) in [
      (base + "/file", "it is a file"), (base + "/file/ws", "it is a file"), ("/proc/dsk-ws", "/proc/dsk-ws"),
    ] {
      let result = try TestSupport.run(["init", path])
      #expect(result.status == 1, "\(path): \(result.stdout)")
      #expect(
        result.stderr.contains("cannot make a workspace in") && result.stderr.contains(reason), "\(result.stderr)")
      #expect(!result.stderr.contains("NSCocoaErrorDomain") && !result.stderr.contains("Error Domain"))
    }
  }

  // MARK: 57. Names with control characters are escaped on a terminal

  @Test("import --name with a newline and an escape sequence prints them escaped; JSON keeps the name")
  func escapedNames() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 1, seed: 9).enumerated() {
      try TestSupport.write(jpeg, to: base + "/more/cat/\(index).jpg")
    }
    let name = "a\nb\u{1B}[31mRED"
    let result = try TestSupport.run(["import", base + "/more", "--name", name], in: ws)
    #expect(result.status == 0, "\(result.stderr)")
    #expect(!result.stdout.contains("\u{1B}") && !result.stderr.contains("\u{1B}"), "\(result.stdout)")
    #expect(result.stdout.contains(#"source "a\nb\x1B[31mRED""#), "\(result.stdout)")
    let stats = try TestSupport.run(["stats", "--by", "source"], in: ws)
    #expect(!stats.stdout.contains("\u{1B}"), "\(stats.stdout)")
  }

  // MARK: 51. import of the workspace itself

  @Test("import ., a folder inside the workspace, or a folder holding it is refused; nothing is imported")
  func importInsideWorkspace() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    let before = snapshot(ws)
    for (path, words) in [
      (".", "is inside the workspace"), (ws + "/objects", "is inside the workspace"),
      (ws + "/exports", "is inside the workspace"), (base, "holds the workspace"),
    ] {
      let result = try TestSupport.run(["import", path], in: ws)
      #expect(result.status == 1, "\(path): \(result.stdout)")
      #expect(result.stderr.contains(words) && result.stderr.contains("nothing was imported"), "\(result.stderr)")
    }
    #expect(snapshot(ws) == before)
  }

  // MARK: 50. Folder names under the label rule

  @Test("folder names equal under the label rule are counted as one label and every collision is named")
  func folderNameCollisions() throws {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let folders = ["x", "x ", "a b", "a\tb", "a\nb", "   "]
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: folders.count).enumerated() {
      try TestSupport.write(jpeg, to: base + "/data/" + folders[index] + "/\(index).jpg")
    }
    let result = try TestSupport.run(["import", base + "/data", "--json"], in: ws)
    #expect(result.status == 0, "\(result.stderr)")
    let results = try #require(try TestSupport.jsonResult(result.stdout) as? [[String: Any]])
    let report = try #require(results.first?["report"] as? [String: Any])
    #expect(report["labels"] as? [String: Int] == ["x": 2, "a b": 3, "_": 1], "\(report["labels"] ?? "")")
    #expect(
      report["mergedNames"] as? [String: [String]] == ["x": ["x", "x "], "a b": ["a\tb", "a\nb", "a b"]],
      "\(report["mergedNames"] ?? "")")
    let classes = try Catalog(workspace: Workspace(root: ws)).database.rows("SELECT name FROM classes ORDER BY name") {
      $0.text(0) ?? ""
    }
    #expect(classes == ["_", "a b", "x"])
    let again = try TestSupport.run(["import", base + "/data"], in: ws)
    #expect(again.stdout.contains(#"3 names became the label "a b""#), "\(again.stdout)")
    #expect(again.stdout.contains(#""a\tb", "a\nb", "a b""#), "\(again.stdout)")
  }

  // MARK: 55. Truncated BMP, plain GIF

  /// A 64×64 24-bit BMP cut to a third of its pixel rows, with `fileSize` in its header (0: not given, as many
  /// writers leave it).
  static func truncatedBMP(fileSize: UInt32) -> [UInt8] {
    let row = 64 * 3
    let pixels = (0..<(row * 64)).map { UInt8(truncatingIfNeeded: $0 * 7) }
    let le32 = { (v: UInt32) in [0, 8, 16, 24].map { UInt8(truncatingIfNeeded: v >> $0) } }
    let le16 = { (v: UInt16) in [UInt8(v & 0xFF), UInt8(v >> 8)] }
    var header: [UInt8] = Array("BM".utf8) + le32(fileSize) + le32(0) + le32(54)
    header +=
      le32(40) + le32(64) + le32(64) + le16(1) + le16(24) + le32(0) + le32(fileSize == 0 ? 0 : UInt32(pixels.count))
    header += le32(2835) + le32(2835) + le32(0) + le32(0)
    return header + pixels.prefix(pixels.count / 3)
  }

  @Test(
    "a truncated BMP (file size field 0) is quarantined and a GIF refused at import; dedup and faces print no OpenCV text"
  )
  func truncatedBMPAndGIF() throws {
    let (base, ws) = try workspace()
    defer { try? FileManager.default.removeItem(atPath: base) }
    try TestSupport.write(Self.truncatedBMP(fileSize: 0), to: base + "/odd/a/cut.bmp")
    try TestSupport.write(Self.truncatedBMP(fileSize: 54 + 64 * 64 * 3), to: base + "/odd/a/cut-sized.bmp")
    let gif: [UInt8] =
      Array("GIF89a".utf8) + [1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0]
      + [2, 2, 0x44, 1, 0, 0x3B]
    try TestSupport.write(gif, to: base + "/odd/a/plain.gif")
    let imported = try TestSupport.run(["import", base + "/odd", "--json"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    let results = try #require(try TestSupport.jsonResult(imported.stdout) as? [[String: Any]])
    let report = try #require(results.first?["report"] as? [String: Any])
    let quarantined = (report["quarantined"] as? [[String: Any]] ?? []).compactMap { $0["path"] as? String }
    #expect(Set(quarantined) == ["a/cut.bmp", "a/cut-sized.bmp"], "\(report)")
    let rejected = report["rejected"] as? [[String: Any]] ?? []
    #expect(rejected.first?["path"] as? String == "a/plain.gif")
    #expect((rejected.first?["reason"] as? String)?.contains("cannot decode GIF") == true, "\(rejected)")
    for arguments in [["dedup", "--dry-run"], ["faces", "detect"], ["review", "sheet", "--out", base + "/s.png"]] {
      let result = try TestSupport.run(arguments, in: ws)
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
      #expect(
        !result.stderr.contains("OpenCV") && !result.stderr.contains("imdecode"), "\(arguments): \(result.stderr)")
    }
  }

  // MARK: 49 (issue item 13). An unreachable host is a failure, never a robots refusal

  @Test("a closed port or a host that hangs up: the URLs fail (not robots.txt refusals) and a re-run stores them")
  func unreachableHostIsRetried() throws {
    let base = try TestSupport.temporaryFolder("dsk-round3")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let jpeg = try TestSupport.distinctJPEGs(count: 1)[0]
    let up = FlagBox()
    let server = try LoopbackServer { request in
      guard up.value else { return .close }
      return request.path == "/a.jpg"
        ? .respond(status: 200, headers: [("Content-Type", "image/jpeg")], body: jpeg) : .status(404)
    }
    defer { server.stop() }
    let closed = try LoopbackServer { _ in .close }
    let closedPort = closed.port
    closed.stop()
    let list = base + "/urls.txt"
    try TestSupport.write(
      Array("\(server.base)/a.jpg\nhttp://127.0.0.1:\(closedPort)/b.jpg\n".utf8), to: list)
    let arguments = [
      "crawl", "--provider", "urls", "--urls", list, "--query", "flaky", "--allow-private-network", "--json",
    ]
    let first = try TestSupport.run(arguments, in: ws)
    let report = try #require((try TestSupport.jsonResult(first.stdout) as? [[String: Any]])?.first, "\(first.stderr)")
    #expect((report["skipped"] as? [Any])?.isEmpty == true, "\(report)")
    let failed = report["failed"] as? [[String: Any]] ?? []
    #expect(failed.count == 2, "\(report)")
    for issue in failed {
      let reason = issue["reason"] as? String ?? ""
      #expect(reason.contains("could not be fetched") && !reason.contains("does not allow"), "\(reason)")
    }
    up.value = true
    let second = try TestSupport.run(arguments, in: ws)
    let again = try #require((try TestSupport.jsonResult(second.stdout) as? [[String: Any]])?.first, "\(second.stderr)")
    #expect(again["stored"] as? Int == 1, "\(again)")
    #expect((again["failed"] as? [Any])?.count == 1, "the closed port fails again: \(again)")
  }
}

final class FlagBox: @unchecked Sendable {
  private let lock = NSLock()
  private var flag = false
  var value: Bool {
    get { lock.withLock { flag } }
    set { lock.withLock { flag = newValue } }
  }
}

final class ResultsBox: @unchecked Sendable {
  private let lock = NSLock()
  private(set) var all: [TestSupport.ProcessResult?] = []
  func append(_ result: TestSupport.ProcessResult?) { lock.withLock { all.append(result) } }
}
