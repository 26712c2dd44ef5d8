import Catalog
import Foundation
import TestSupport
import Testing

/// The built binary with its built-in YuNet default on the Kaggle face-mask sample, bad models, and a
/// decompression bomb among real photos.
extension FacesCommandTests {
  func workspace(_ name: String) throws -> (folder: String, ws: String) { try facemaskWorkspace(name) }

  @Test(
    "the default finds at least 85 % of the sample's masked faces, with five landmarks per box",
    .requiresBinary)
  func defaultOnSample() throws {
    let (folder, ws) = try workspace("dsk-yunet")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let detect = try TestSupport.run(["faces", "detect", "--json"], in: ws)
    #expect(detect.status == 0, "\(detect.stderr)")
    let report = try #require(try TestSupport.jsonResult(detect.stdout) as? [String: Any])
    #expect(report["processed"] as? Int == 23)
    #expect((report["failed"] as? [Any])?.isEmpty == true)
    let eval = try TestSupport.run(["faces", "eval", "--truth", "voc-facemask", "--json"], in: ws)
    #expect(eval.status == 0, "\(eval.stderr)")
    let result = try #require(try TestSupport.jsonResult(eval.stdout) as? [String: Any])
    let detectors = try #require(result["detectors"] as? [[String: Any]])
    let ours = try #require(detectors.first { $0["detector"] as? String == "default" })
    let classes = try #require(ours["classes"] as? [[String: Any]])
    // Masked: a mask on the face, worn properly (with_mask) or not (mask_weared_incorrect); faces >= 30 px.
    let masked = classes.filter { ["with_mask", "mask_weared_incorrect"].contains($0["label"] as? String ?? "") }
    let faces = masked.reduce(0) { $0 + ($1["faces"] as? Int ?? 0) }
    let found = masked.reduce(0) { $0 + ($1["found"] as? Int ?? 0) }
    #expect(faces == 43)
    #expect(Double(found) >= 0.85 * Double(faces), "\(found)/\(faces)")

    // Every proposed box carries ten landmark coordinates inside (or at) its box.
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let rows = try catalog.database.rows(
      "SELECT xmin, ymin, xmax, ymax, landmarks FROM boxes WHERE origin = 'default'"
    ) { ($0.double(0), $0.double(1), $0.double(2), $0.double(3), $0.text(4) ?? "") }
    #expect(rows.count >= 20)
    for (x1, y1, x2, y2, json) in rows {
      let points = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Double], "\(json)")
      #expect(points.count == 10)
      for i in 0..<5 {
        #expect(
          points[2 * i] >= x1 - 2 && points[2 * i] <= x2 + 2 && points[2 * i + 1] >= y1 - 2
            && points[2 * i + 1] <= y2 + 2)
      }
    }
  }

  @Test(
    "a damaged built-in model (one byte changed in the binary) is refused by its SHA-256: exit 1",
    .requiresBinary)
  func damagedBuiltInModel() throws {
    let (folder, ws) = try workspace("dsk-yunet-damaged")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    var binary = try Data(contentsOf: URL(fileURLWithPath: TestSupport.binary))
    let model = try Data(
      contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/models/yunet/face_detection_yunet_n_320.onnx"))
    // Somewhere in the middle of the weights, so the bytes still look like a model.
    let probe = model.subdata(in: 150_000..<150_064)
    let found = try #require(binary.range(of: probe), "the model's bytes are not in the binary")
    binary[found.lowerBound + 10] ^= 0x5A
    let copy = folder + "/datasetkit-damaged"
    try binary.write(to: URL(fileURLWithPath: copy))
    try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: copy)
    process.arguments = ["faces", "detect"]
    process.currentDirectoryURL = URL(fileURLWithPath: ws)
    let err = Pipe()
    process.standardError = err
    process.standardOutput = Pipe()
    try process.run()
    let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 1, "\(stderr)")
    #expect(
      stderr.contains("built-in YuNet model") && stderr.contains("damaged") && stderr.contains("SHA-256"), "\(stderr)")
    #expect(stderr.split(separator: "\n").count <= 2, "\(stderr)")
    // Nothing was stored.
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM detection_runs") == 0)
  }

  @Test(
    "a truncated --model and a file that is not ONNX: one clear error naming the file, exit 1",
    .requiresBinary)
  func badModelFiles() throws {
    let (folder, ws) = try workspace("dsk-yunet-bad")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let model = try Data(
      contentsOf: URL(fileURLWithPath: TestSupport.repositoryRoot + "/models/yunet/face_detection_yunet_n_320.onnx"))
    try model.prefix(model.count / 3).write(to: URL(fileURLWithPath: folder + "/truncated.onnx"))
    try Data("name,label\na.jpg,cat\n".utf8).write(to: URL(fileURLWithPath: folder + "/labels.onnx"))
    for name in ["truncated.onnx", "labels.onnx"] {
      let r = try TestSupport.run(["faces", "detect", "--detector", "yunet", "--model", folder + "/" + name], in: ws)
      #expect(r.status == 1, "\(r.stderr)")
      #expect(r.stderr.contains(folder + "/" + name) && r.stderr.contains("not a readable ONNX model"), "\(r.stderr)")
      // OpenCV's own log does not reach the terminal: one line, ours.
      #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
  }

  @Test(
    "models with YuNet's or res10's output names but the wrong shapes: one clear error before any image, exit 1",
    .requiresBinary)
  func wrongShapedModels() throws {
    let (folder, ws) = try workspace("dsk-bad-shapes")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Tests/Fixtures/bad-models/make-bad-models.py made them (onnx from PyPI).
    let models = TestSupport.testdata + "/bad-models/"
    let yunet = try TestSupport.run(
      ["faces", "detect", "--detector", "yunet", "--model", models + "yunet-wrong-shapes.onnx"], in: ws)
    #expect(yunet.status == 1, "\(yunet.stdout)\(yunet.stderr)")
    #expect(yunet.stderr.contains("yunet-wrong-shapes.onnx"), "\(yunet.stderr)")
    #expect(yunet.stderr.contains("cls_8 holds 3 values, expected 1600"), "\(yunet.stderr)")
    let res10 = try TestSupport.run(
      [
        "faces", "detect", "--detector", "res10", "--model", models + "res10-wrong-shapes.caffemodel", "--config",
        models + "res10-wrong-shapes.prototxt",
      ], in: ws)
    #expect(res10.status == 1, "\(res10.stdout)\(res10.stderr)")
    #expect(res10.stderr.contains("res10-wrong-shapes.caffemodel"), "\(res10.stderr)")
    #expect(res10.stderr.contains("output is 1x3x1x1, expected 1x1xNx7"), "\(res10.stderr)")
    for r in [yunet, res10] {
      #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
    // Refused before any image was searched: nothing recorded.
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM detection_runs") == 0)
  }

  @Test(
    "a 13000×13000 PNG among real photos: detected on a bounded copy, under 1.5 GB, the others' results kept",
    .requiresBinary)
  func decompressionBomb() throws {
    let (folder, ws) = try workspace("dsk-yunet-bomb")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let bomb = folder + "/bomb/huge.png"
    try TestSupport.write(ZeroPNG.make(side: 13_000), to: bomb)
    #expect(try TestSupport.run(["import", folder + "/bomb", "--name", "bomb"], in: ws).status == 0)
    let r = try TestSupport.run(["faces", "detect", "--json"], in: ws)
    #expect(r.status == 0, "\(r.stderr)")
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    // ru_maxrss is in KiB: the largest child so far (this one did the most work of any in this suite).
    #expect(usage.ru_maxrss < 1_500_000, "peak RSS \(usage.ru_maxrss) KiB")
    let report = try #require(try TestSupport.jsonResult(r.stdout) as? [String: Any])
    #expect(report["processed"] as? Int == 24)
    #expect((report["faces"] as? Int ?? 0) >= 20)
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM detection_runs WHERE error IS NULL") == 24)
  }
}

extension FacesCommandTests {
  @Test(
    "seeds' workflow: --label-from image, id ranges, eval --sheet, labelimg-export --include-empty, loud failure",
    .requiresBinary)
  func seedsWorkflow() throws {
    let folder = try TestSupport.temporaryFolder("dsk-yunet-flow")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Crawled per phrase: the folder names the class. Two photos with faces, one without (a plain image).
    let images = Self.testdata + "/images/"
    try FileManager.default.createDirectory(atPath: folder + "/src/with_mask", withIntermediateDirectories: true)
    for name in ["maksssksksss0.png", "maksssksksss142.png"] {
      try FileManager.default.copyItem(atPath: images + name, toPath: folder + "/src/with_mask/" + name)
    }
    try TestSupport.write(try TestSupport.distinctJPEGs(count: 1)[0], to: folder + "/src/with_mask/empty.jpg")
    let ws = folder + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    #expect(try TestSupport.run(["import", folder + "/src"], in: ws).status == 0)
    let detect = try TestSupport.run(["faces", "detect", "--label-from", "image"], in: ws)
    #expect(detect.status == 0, "\(detect.stderr)")
    let catalog = try Catalog(workspace: Workspace(root: ws))
    let labels = try catalog.database.rows(
      "SELECT b.id, COALESCE(c.name, '') FROM boxes b LEFT JOIN classes c ON c.id = b.class_id WHERE b.origin = 'default' ORDER BY b.id"
    ) { ($0.int64(0), $0.text(1) ?? "") }
    #expect(labels.count >= 3 && labels.allSatisfy { $0.1 == "with_mask" }, "\(labels)")
    let ids = labels.map(\.0)

    // Ranges: "first-second,last" accepts three boxes; a reversed range is a usage error.
    let accept = try TestSupport.run(["review", "accept", "\(ids[0])-\(ids[1]),\(ids[ids.count - 1])"], in: ws)
    #expect(accept.status == 0 && accept.stdout.contains("accept: 3 boxes"), "\(accept.stdout)\(accept.stderr)")
    let reversed = try TestSupport.run(["review", "reject", "5-2"], in: ws)
    #expect(reversed.status == 64 && reversed.stderr.contains("ends before it starts"), "\(reversed.stderr)")
    #expect(try TestSupport.run(["review", "reject", "1-99999999999"], in: ws).status == 64)

    // The image without a face is exported too, with an empty annotation, so a missed face can be drawn.
    let plain = try TestSupport.run(["review", "labelimg-export", "--status", "any", "--out", folder + "/li1"], in: ws)
    #expect(plain.status == 0, "\(plain.stderr)")
    let withEmpty = try TestSupport.run(
      ["review", "labelimg-export", "--status", "any", "--include-empty", "--out", folder + "/li2", "--json"], in: ws)
    #expect(withEmpty.status == 0, "\(withEmpty.stderr)")
    let xml = { (path: String) in
      ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).filter { $0.hasSuffix(".xml") }.count
    }
    #expect(xml(folder + "/li1") == 2 && xml(folder + "/li2") == 3)

    // Contact sheets of misses and false alarms need a truth: the VOC sample.
    let (evalFolder, evalWS) = try facemaskWorkspace("dsk-yunet-sheet")
    defer { try? FileManager.default.removeItem(atPath: evalFolder) }
    #expect(try TestSupport.run(["faces", "detect"], in: evalWS).status == 0)
    let eval = try TestSupport.run(
      ["faces", "eval", "--truth", "voc-facemask", "--sheet", evalFolder + "/sheets"], in: evalWS)
    #expect(eval.status == 0, "\(eval.stderr)")
    let sheets = try FileManager.default.contentsOfDirectory(atPath: evalFolder + "/sheets").sorted()
    #expect(sheets.contains("default-1-misses.png") && sheets.contains("default-1-false-alarms.png"), "\(sheets)")
    #expect(eval.stdout.contains("misses and false alarms"))
  }

  @Test(
    "a detector failing on every image exits 1 with the first error, once; the failures are recorded",
    .requiresBinary)
  func failingEverywhere() throws {
    let (folder, ws) = try facemaskWorkspace("dsk-yunet-fail")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // Every stored photo damaged: the store refuses bytes whose SHA-256 differs.
    let objects = ws + "/objects"
    let enumerator = FileManager.default.enumerator(atPath: objects)
    while let path = enumerator?.nextObject() as? String {
      var isFolder: ObjCBool = false
      if FileManager.default.fileExists(atPath: objects + "/" + path, isDirectory: &isFolder), !isFolder.boolValue,
        !path.hasPrefix("tmp")
      {
        try Data([0x89, 0x50]).write(to: URL(fileURLWithPath: objects + "/" + path))
      }
    }
    let r = try TestSupport.run(["faces", "detect"], in: ws)
    #expect(r.status == 1)
    #expect(r.stderr.contains("failed on every image (23)"), "\(r.stderr)")
    #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    let catalog = try Catalog(workspace: Workspace(root: ws))
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM detection_runs WHERE error IS NOT NULL") == 23)
  }
}

/// A valid all-black grayscale PNG of side×side pixels, small on disk (fixed-Huffman deflate of long zero runs):
/// a decompression bomb that is under the pixel limit.
enum ZeroPNG {
  static func make(side: Int) -> [UInt8] {
    let raw = (side + 1) * side  // a filter byte and `side` zeros per row
    var bits = BitWriter()
    bits.write(1, count: 1)  // final block
    bits.write(1, count: 2)  // fixed Huffman codes (BTYPE 01, LSB first)
    func literalZero() { bits.writeCode(0b0011_0000, length: 8) }  // literal 0: 00110000
    literalZero()
    var left = raw - 1
    while left >= 258 {
      bits.writeCode(0b1100_0101, length: 8)  // length code 285 = 258
      bits.writeCode(0, length: 5)  // distance code 0 = 1
      left -= 258
    }
    for _ in 0..<left { literalZero() }
    bits.writeCode(0, length: 7)  // end of block (256)
    var zlib: [UInt8] = [0x78, 0x01] + bits.finished
    // Adler-32 of `raw` zeros: a stays 1, b grows by 1 a byte.
    let b = UInt32(raw % 65_521)
    zlib += TestSupport.bigEndian32((b << 16) | 1)
    var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    png += TestSupport.pngChunk(
      "IHDR", TestSupport.bigEndian32(UInt32(side)) + TestSupport.bigEndian32(UInt32(side)) + [8, 0, 0, 0, 0])
    png += TestSupport.pngChunk("IDAT", zlib)
    png += TestSupport.pngChunk("IEND", [])
    return png
  }

  struct BitWriter {
    var bytes: [UInt8] = []
    var current: UInt32 = 0
    var used = 0
    /// Writes `count` bits of `value`, least significant first (deflate's header fields).
    mutating func write(_ value: UInt32, count: Int) {
      for i in 0..<count { push((value >> UInt32(i)) & 1) }
    }
    /// Writes a Huffman code, most significant bit first.
    mutating func writeCode(_ code: UInt32, length: Int) {
      for i in stride(from: length - 1, through: 0, by: -1) { push((code >> UInt32(i)) & 1) }
    }
    mutating func push(_ bit: UInt32) {
      current |= bit << UInt32(used)
      used += 1
      if used == 8 {
        bytes.append(UInt8(current))
        current = 0
        used = 0
      }
    }
    var finished: [UInt8] { used > 0 ? bytes + [UInt8(current)] : bytes }
  }
}
