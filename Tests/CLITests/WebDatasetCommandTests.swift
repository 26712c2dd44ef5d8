import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 26, item 2: `export --format webdataset` writes per-subset tar shards read back exactly (keys, labels,
/// boxes, subsets, shard sizes within the limit) by Python's `tarfile` with WebDataset's key rule, and an export
/// killed mid-way and run again gives the same shards as one never interrupted.
@Suite(.requiresBinary)
struct WebDatasetCommandTests {
  static let raccoon = TestSupport.testdata + "/labelimg-raccoon"

  /// Reads every shard of an export as WebDataset does: members grouped into samples by consecutive key, the
  /// key being the member's basename up to its first dot, the extension the rest. Prints per shard its size
  /// and samples (`jpg`/`png`: SHA-256 of the bytes, `json`: parsed, `cls`: the integer).
  static let reader = """
    import hashlib, json, os, sys, tarfile
    out = sys.argv[1]
    result = {}
    for name in sorted(os.listdir(out)):
        if not name.endswith('.tar'):
            continue
        samples = []
        with tarfile.open(os.path.join(out, name), mode='r:') as tar:
            for member in tar.getmembers():
                assert member.isfile(), member.name
                base = os.path.basename(member.name)
                key, ext = base.split('.', 1)
                data = tar.extractfile(member).read()
                if not samples or samples[-1]['key'] != key:
                    samples.append({'key': key, 'members': {}})
                assert ext not in samples[-1]['members'], (name, base)
                if ext == 'json':
                    value = json.loads(data)
                elif ext == 'cls':
                    value = int(data.decode())
                else:
                    value = hashlib.sha256(data).hexdigest()
                samples[-1]['members'][ext] = value
        result[name] = {'bytes': os.path.getsize(os.path.join(out, name)), 'samples': samples}
    print(json.dumps(result))
    """

  static func readShards(_ folder: String) throws -> [String: [String: Any]] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", reader, folder]
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    #expect(process.terminationStatus == 0, "python3 could not read the shards")
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
  }

  static func json(_ path: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
  }

  /// The 7 LabelImg raccoon photos (8 boxes, no label) and 4 labelled photos without a box (`cat`, `dog`).
  func workspace(_ name: String) throws -> (base: String, ws: String) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", Self.raccoon, "--layout", "voc"], in: ws).status == 0)
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 4, width: 120).enumerated() {
      try TestSupport.write(jpeg, to: base + "/pets/\(index < 2 ? "cat" : "dog")/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", base + "/pets"], in: ws).status == 0)
    return (base, ws)
  }

  @Test("webdataset export read back by tarfile with WebDataset's key rule: keys, labels, boxes, subsets, shard sizes")
  func readBack() throws {
    let (base, ws) = try workspace("dsk-wds-read")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(try TestSupport.run(["split", "--name", "v1", "--ratios", "60/20/20"], in: ws).status == 0)
    let limit = 150_000
    let out = base + "/wds"
    let run = try TestSupport.run(
      ["export", "--split", "v1", "--format", "webdataset", "--shard-size", "150KB", "--out", out], in: ws)
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.stdout.contains("Exported 11 images and 8 boxes as webdataset"), "\(run.stdout)")
    // The reference: the same split as COCO (background images included), its boxes and subsets.
    let coco = base + "/coco"
    #expect(
      try TestSupport.run(
        ["export", "--split", "v1", "--format", "coco", "--include-unannotated", "--out", coco], in: ws
      ).status == 0)
    var cocoSubset: [String: String] = [:]  // sha256 → subset
    var cocoBoxes: [String: [[Double]]] = [:]  // sha256 → [x, y, w, h] sorted
    let cocoManifest = try Self.json(coco + "/manifest.json")
    var shaOfPath: [String: String] = [:]
    for file in cocoManifest["files"] as? [[String: Any]] ?? [] {
      shaOfPath[file["path"] as? String ?? ""] = file["sha256"] as? String
    }
    for subset in ["train", "val", "test"] {
      let document = try Self.json(coco + "/annotations/instances_\(subset).json")
      var shaOfImage: [Int: String] = [:]
      for image in document["images"] as? [[String: Any]] ?? [] {
        let sha = try #require(shaOfPath["images/\(subset)/" + (image["file_name"] as? String ?? "")])
        shaOfImage[image["id"] as? Int ?? -1] = sha
        cocoSubset[sha] = subset
        cocoBoxes[sha] = []
      }
      for annotation in document["annotations"] as? [[String: Any]] ?? [] {
        let sha = try #require(shaOfImage[annotation["image_id"] as? Int ?? -1])
        cocoBoxes[sha]?.append(annotation["bbox"] as? [Double] ?? [])
      }
    }
    #expect(cocoSubset.count == 11)

    let manifest = try Self.json(out + "/manifest.json")
    let schema = try Self.json(TestSupport.repositoryRoot + "/schemas/manifest.schema.json")
    let problems = JSONSchemaSubset.validate(manifest, against: schema)
    #expect(problems.isEmpty, "\(problems.prefix(5))")
    let classes = try #require(manifest["classes"] as? [String: Int])
    #expect(classes == ["cat": 0, "dog": 1, "raccoon": 2])
    var manifestEntry: [String: [String: Any]] = [:]  // key → entry
    for file in manifest["files"] as? [[String: Any]] ?? [] { manifestEntry[file["key"] as? String ?? ""] = file }
    #expect(manifestEntry.count == 11)

    let shards = try Self.readShards(out)
    var seen: Set<String> = []
    var shardsOf: [String: [String]] = [:]
    for (name, shard) in shards {
      let subset = String(name.prefix { $0 != "-" })
      shardsOf[subset, default: []].append(name)
      let bytes = try #require(shard["bytes"] as? Int)
      #expect(bytes <= limit, "\(name) is \(bytes) bytes, over the 150KB limit")
      #expect(bytes % 512 == 0)
      for sample in shard["samples"] as? [[String: Any]] ?? [] {
        let key = try #require(sample["key"] as? String)
        #expect(!key.contains(".") && key.count == 16, "\(key)")
        #expect(seen.insert(key).inserted, "key \(key) twice")
        let members = try #require(sample["members"] as? [String: Any])
        let info = try #require(members["json"] as? [String: Any])
        let sha = try #require(info["sha256"] as? String)
        #expect(members["jpg"] as? String == sha, "\(key): the image's bytes are not its SHA-256")
        #expect(sha.hasPrefix(key))
        #expect(info["subset"] as? String == subset)
        #expect(cocoSubset[sha] == subset, "\(key) is in \(subset), the split says \(cocoSubset[sha] ?? "nothing")")
        #expect(manifestEntry[key]?["path"] as? String == name)
        #expect(manifestEntry[key]?["sha256"] as? String == sha)
        #expect((info["origins"] as? [Any])?.isEmpty == false, "\(key) has no origin")
        let boxes = (info["boxes"] as? [[String: Any]] ?? []).map { box in
          let (x0, y0) = (box["xmin"] as? Double ?? -1, box["ymin"] as? Double ?? -1)
          return [x0, y0, (box["xmax"] as? Double ?? -1) - x0, (box["ymax"] as? Double ?? -1) - y0]
        }
        #expect(
          boxes.sorted { $0.lexicographicallyPrecedes($1) }
            == (cocoBoxes[sha] ?? []).sorted { $0.lexicographicallyPrecedes($1) }, "\(key)")
        for box in info["boxes"] as? [[String: Any]] ?? [] {
          #expect(box["label"] as? String == "raccoon" && box["classIndex"] as? Int == 2)
        }
        if let label = info["label"] as? String {
          #expect(["cat", "dog"].contains(label))
          #expect(members["cls"] as? Int == classes[label], "\(key): .cls is not the label's index")
          #expect(info["classIndex"] as? Int == classes[label])
          #expect(Set(members.keys) == ["jpg", "json", "cls"])
        } else {
          #expect(Set(members.keys) == ["jpg", "json"], "\(key): a sample without a label has no .cls")
          #expect(!boxes.isEmpty)
        }
      }
    }
    #expect(seen.count == 11)
    // The limit is met by more than one shard somewhere, and each subset's list names its shards in order.
    #expect(shards.count > 3, "\(shards.keys.sorted())")
    for subset in ["train", "val", "test"] {
      let list = try String(contentsOfFile: out + "/\(subset)-shards.txt", encoding: .utf8)
      #expect(list == (shardsOf[subset] ?? []).sorted().map { $0 + "\n" }.joined(), "\(subset)")
      #expect((manifest["shards"] as? [String: [String]])?[subset] == (shardsOf[subset] ?? []).sorted())
    }

    // A sample larger than the limit gets a shard of its own, and the export says so.
    let tiny = try TestSupport.run(
      ["export", "--split", "v1", "--format", "webdataset", "--shard-size", "40KB", "--out", base + "/tiny"], in: ws)
    #expect(tiny.status == 0, "\(tiny.stderr)")
    #expect(tiny.stderr.contains("over --shard-size 40000: it has a shard of its own"), "\(tiny.stderr)")
    for (name, shard) in try Self.readShards(base + "/tiny") {
      let samples = shard["samples"] as? [[String: Any]] ?? []
      if (shard["bytes"] as? Int ?? 0) > 40_000 { #expect(samples.count == 1, "\(name) holds an oversized sample") }
    }
  }

  /// A file's inode and modification time (to the nanosecond).
  static func identity(_ path: String) -> [Int]? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return [Int(info.st_ino), info.st_mtim.tv_sec, info.st_mtim.tv_nsec]
  }

  @Test(
    "an export killed with SIGKILL after a seeded number of shards: the re-run keeps the finished shards (same inode and time), writes the rest, ends byte-identical; a damaged one is written again"
  )
  func killedAndResumed() throws {
    let base = try TestSupport.temporaryFolder("dsk-wds-kill")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    for (index, jpeg) in try TestSupport.distinctJPEGs(count: 200, width: 320).enumerated() {
      try TestSupport.write(jpeg, to: base + "/in/\(index % 2 == 0 ? "a" : "b")/\(index).jpg")
    }
    #expect(try TestSupport.run(["import", base + "/in"], in: ws).status == 0)
    let arguments = ["export", "--format", "webdataset", "--shard-size", "20KB", "--max-side", "96"]
    let reference = base + "/reference"
    #expect(try TestSupport.run(arguments + ["--out", reference], in: ws).status == 0)
    let names = try FileManager.default.contentsOfDirectory(atPath: reference).sorted()
    let shardCount = names.filter { $0.hasSuffix(".tar") }.count
    #expect(shardCount > 30, "\(shardCount) shards")
    #expect(!FileManager.default.fileExists(atPath: reference + ".datasetkit-resume"))

    let out = base + "/out"
    let resume = out + ".datasetkit-resume"
    var generator = SeededGenerator(seed: 0x7764_7331)
    // First a plain resume, then one with a kept shard damaged (same size, one byte changed).
    for damage in [false, true] {
      try? FileManager.default.removeItem(atPath: out)
      try? FileManager.default.removeItem(atPath: resume)
      let target = Int.random(in: 3...(shardCount / 4), using: &generator)
      let process = Process()
      process.executableURL = URL(fileURLWithPath: TestSupport.binary)
      process.arguments = arguments + ["--out", out]
      process.currentDirectoryURL = URL(fileURLWithPath: ws)
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      // Killed once the journal records `target` finished shards.
      func journal() -> [[String: Any]] {
        let text = (try? String(contentsOfFile: resume + "/journal.jsonl", encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
          try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
      }
      while process.isRunning && journal().count < target { usleep(1000) }
      kill(process.processIdentifier, SIGKILL)
      process.waitUntilExit()
      try #require(process.terminationReason == .uncaughtSignal, "the export finished before it could be killed")
      #expect(!FileManager.default.fileExists(atPath: out), "a killed export left something under --out")
      let finished = journal().compactMap { $0["shard"] as? String }
      #expect(finished.count >= target)
      var identities: [String: [Int]] = [:]
      for name in finished { identities[name] = Self.identity(resume + "/" + name) }
      #expect(identities.count == finished.count, "a journalled shard is missing")
      var damaged: String?
      if damage {
        let name = finished[Int.random(in: 0..<finished.count, using: &generator)]
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: resume + "/" + name))
        try handle.seek(toOffset: 600)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 600)
        try handle.write(contentsOf: [byte ^ 0x5a])
        try handle.close()
        damaged = name
      }

      let again = try TestSupport.run(arguments + ["--out", out], in: ws)
      #expect(again.status == 0, "\(again.stderr)")
      let kept = finished.count - (damage ? 1 : 0)
      #expect(
        again.stdout.contains("Resumed: kept \(kept) shards an interrupted export had finished"), "\(again.stdout)")
      #expect(!FileManager.default.fileExists(atPath: resume), "the resume folder was left")
      // The killed export's staging (`.out.datasetkit-export-PID.partial-PID`) is gone too.
      let hidden = try FileManager.default.contentsOfDirectory(atPath: base).filter { $0.hasPrefix(".") }
      #expect(hidden.isEmpty, "\(hidden)")
      for name in finished where name != damaged {
        #expect(Self.identity(out + "/" + name) == identities[name], "\(name) was written again")
      }
      if let damaged {
        #expect(Self.identity(out + "/" + damaged)?.first != identities[damaged]?.first, "damaged \(damaged) was kept")
      }
      #expect(try FileManager.default.contentsOfDirectory(atPath: out).sorted() == names)
      for name in names {
        #expect(
          FileManager.default.contents(atPath: out + "/" + name)
            == FileManager.default.contents(atPath: reference + "/" + name),
          "\(name) differs from the uninterrupted export's")
      }
    }
  }

  @Test("webdataset flags are range-checked: --shard-size, --link, --shard-size on another format")
  func usageErrors() throws {
    let base = try TestSupport.temporaryFolder("dsk-wds-usage")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(try TestSupport.run(["init", base + "/ws"]).status == 0)
    for (arguments, message) in [
      (["--format", "webdataset", "--shard-size", "5KB"], "--shard-size takes a size from 10KB to 1TB"),
      (["--format", "webdataset", "--shard-size", "lots"], "--shard-size takes a size"),
      (["--format", "webdataset", "--shard-size", "2TB"], "--shard-size takes a size"),
      (["--format", "folders", "--shard-size", "1GB"], "--shard-size applies to --format webdataset"),
      (["--format", "webdataset", "--link", "hard"], "--link applies to formats that place image files"),
    ] {
      let run = try TestSupport.run(["export"] + arguments, in: base + "/ws")
      #expect(run.status == 64, "\(arguments): \(run.status)")
      #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }
  }
}
