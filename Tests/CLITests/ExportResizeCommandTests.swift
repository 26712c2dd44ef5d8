import Annotations
import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Issue 26, item 3: `export --max-side N` / `--short-side N` in every format: aspect kept, never upscaled,
/// boxes scaled so that a drawn box still frames the same pixels within 1 px, the original's SHA-256 in the
/// manifest beside the written file's, and `--link` linking only the images left as they are.
@Suite(.requiresBinary)
struct ExportResizeCommandTests {
  /// A painted rectangle (gray 220 on gray 40) and its box, in an image of `width`×`height`.
  struct Fixture {
    var name: String
    var width: Int
    var height: Int
    var rect: (x: Int, y: Int, width: Int, height: Int)
  }

  static let fixtures = [
    Fixture(name: "wide.png", width: 400, height: 300, rect: (100, 60, 160, 140)),
    Fixture(name: "tall.jpg", width: 300, height: 400, rect: (50, 220, 150, 110)),
    Fixture(name: "small.jpg", width: 100, height: 80, rect: (10, 20, 40, 40)),
  ]

  /// A workspace holding the three fixtures as a VOC set (one box each, class `block`).
  func workspace(_ name: String) throws -> (base: String, ws: String, sha: [String: String]) {
    let base = try TestSupport.temporaryFolder(name)
    let ws = base + "/ws"
    var sha: [String: String] = [:]
    for fixture in Self.fixtures {
      let canvas = try ImageCanvas(width: fixture.width, height: fixture.height, gray: 40)
      try canvas.paste(
        try DecodedImage.blank(width: fixture.rect.width, height: fixture.rect.height, gray: 220), x: fixture.rect.x,
        y: fixture.rect.y)
      let image = canvas.finished()
      let bytes = try image.encoded(fixture.name.hasSuffix(".png") ? .png : .jpeg(quality: 95))
      try TestSupport.write(bytes, to: base + "/src/images/" + fixture.name)
      sha[fixture.name] = SHA256.hex(of: bytes)
      let stem = String(fixture.name.prefix { $0 != "." })
      let r = fixture.rect
      let document = VOCDocument.labelImg(
        folder: "images", filename: fixture.name, path: nil, width: fixture.width, height: fixture.height,
        objects: [
          VOCObject(name: "block", box: Box(x: r.x, y: r.y, width: r.width, height: r.height), difficult: "0")
        ])
      try TestSupport.write(document.bytes(), to: base + "/src/annotations/\(stem).xml")
    }
    #expect(try TestSupport.run(["init", ws]).status == 0)
    let imported = try TestSupport.run(["import", base + "/src", "--layout", "voc"], in: ws)
    #expect(imported.status == 0, "\(imported.stderr)")
    #expect(imported.stdout.contains("3 boxes added"), "\(imported.stdout)")
    return (base, ws, sha)
  }

  /// The bright (painted) pixels' bounding box: [xmin, ymin, xmax, ymax) in whole pixels, a pixel counting when
  /// over half of it is painted.
  static func paintedBox(_ bytes: [UInt8]) throws -> (box: [Double], width: Int, height: Int) {
    let image = try DecodedImage(bytes: bytes)
    let pixels = try image.pixels()
    var (x0, y0, x1, y1) = (Int.max, Int.max, -1, -1)
    for y in 0..<image.height {
      for x in 0..<image.width where Int(pixels[(y * image.width + x) * image.channels]) > 130 {
        (x0, y0, x1, y1) = (min(x0, x), min(y0, y), max(x1, x + 1), max(y1, y + 1))
      }
    }
    return ([Double(x0), Double(y0), Double(x1), Double(y1)], image.width, image.height)
  }

  static func json(_ path: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
  }

  static func bytes(_ path: String) throws -> [UInt8] {
    try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) }, "\(path) is missing")
  }

  /// Each exported image's file and its box as the format writes it ([xmin, ymin, xmax, ymax] in pixels).
  /// WebDataset names samples by key: they are named here after the fixture they came from (`sha`: fixture name →
  /// SHA-256), with the extension written.
  static func boxes(format: String, out: String, sha: [String: String]) throws -> [String: (
    file: [UInt8], box: [Double]
  )] {
    var found: [String: (file: [UInt8], box: [Double])] = [:]
    func stem(_ name: String) -> String { String(name.prefix { $0 != "." }) }
    func number(_ xml: String, _ tag: String) -> Double {
      guard let start = xml.range(of: "<\(tag)>"), let end = xml.range(of: "</\(tag)>") else { return -1 }
      return Double(xml[start.upperBound..<end.lowerBound]) ?? -1
    }
    switch format {
    case "voc":
      for name in try FileManager.default.contentsOfDirectory(atPath: out + "/JPEGImages") {
        let xml = try String(contentsOfFile: out + "/Annotations/\(stem(name)).xml", encoding: .utf8)
        found[name] = (
          try bytes(out + "/JPEGImages/" + name),
          ["xmin", "ymin", "xmax", "ymax"].map { number(xml, $0) }
        )
        #expect(
          number(xml, "width") == Double(try DecodedImage(bytes: bytes(out + "/JPEGImages/" + name)).width),
          "\(name): <size> is not the written size")
      }
    case "yolo":
      for name in try FileManager.default.contentsOfDirectory(atPath: out + "/images/all") {
        let file = try bytes(out + "/images/all/" + name)
        let image = try DecodedImage(bytes: file)
        let line = try String(contentsOfFile: out + "/labels/all/\(stem(name)).txt", encoding: .utf8)
        let v = line.split(separator: " ").dropFirst().compactMap { Double($0.trimmingCharacters(in: .newlines)) }
        let (w, h) = (Double(image.width), Double(image.height))
        found[name] = (
          file, [(v[0] - v[2] / 2) * w, (v[1] - v[3] / 2) * h, (v[0] + v[2] / 2) * w, (v[1] + v[3] / 2) * h]
        )
      }
    case "coco":
      let document = try #require(try json(out + "/annotations/instances_all.json") as? [String: Any])
      for image in document["images"] as? [[String: Any]] ?? [] {
        let name = image["file_name"] as? String ?? ""
        let bbox =
          (document["annotations"] as? [[String: Any]] ?? []).first {
            $0["image_id"] as? Int == image["id"] as? Int
          }?["bbox"] as? [Double] ?? []
        found[name] = (
          try bytes(out + "/images/all/" + name), [bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3]]
        )
      }
    case "createml":
      for entry in try #require(try json(out + "/all/annotations.json") as? [[String: Any]]) {
        let name = entry["image"] as? String ?? ""
        let c =
          ((entry["annotations"] as? [[String: Any]])?.first?["coordinates"] as? [String: Double]) ?? [:]
        let (x, y, w, h) = (c["x"] ?? -1, c["y"] ?? -1, c["width"] ?? -1, c["height"] ?? -1)
        found[name] = (try bytes(out + "/all/" + name), [x - w / 2, y - h / 2, x + w / 2, y + h / 2])
      }
    case "webdataset":
      // The one shard, read as tar: 512-byte headers, octal sizes, data padded to 512.
      let tar = try bytes(out + "/all-000000.tar")
      var members: [String: [UInt8]] = [:]
      var offset = 0
      while offset + 512 <= tar.count, tar[offset] != 0 {
        let name = String(decoding: tar[offset..<(offset + 100)].prefix { $0 != 0 }, as: UTF8.self)
        let size = Int(String(decoding: tar[(offset + 124)..<(offset + 135)], as: UTF8.self), radix: 8) ?? 0
        members[name] = Array(tar[(offset + 512)..<(offset + 512 + size)])
        offset += 512 + (size + 511) / 512 * 512
      }
      for (name, file) in members where !name.hasSuffix(".json") && !name.hasSuffix(".cls") {
        let info = try #require(
          try JSONSerialization.jsonObject(with: Data(members[stem(name) + ".json"] ?? [])) as? [String: Any])
        let box = try #require((info["boxes"] as? [[String: Any]])?.first)
        let source = (info["original"] as? [String: Any])?["sha256"] as? String ?? info["sha256"] as? String
        let fixture = try #require(sha.first { $0.value == source }?.key, "\(name) is no fixture's")
        let written = String(fixture.prefix { $0 != "." }) + "." + (name.split(separator: ".").last ?? "")
        found[written] = (file, ["xmin", "ymin", "xmax", "ymax"].map { box[$0] as? Double ?? -1 })
        #expect(info["width"] as? Int == (try DecodedImage(bytes: file)).width)
        #expect(info["sha256"] as? String == SHA256.hex(of: file))
      }
    default:
      Issue.record("no reader for \(format)")
    }
    return found
  }

  @Test("--max-side in every box format: sizes, aspect, no upscale, boxes on the painted pixels within 1 px")
  func boxesStayOnTheirPixels() throws {
    let (base, ws, sha) = try workspace("dsk-resize-boxes")
    defer { try? FileManager.default.removeItem(atPath: base) }
    // Bound 173: 400×300 → 173×130 (129.75 rounded), 300×400 → 130×173; 100×80 is within it.
    let expected: [String: (Int, Int)] = ["wide": (173, 130), "tall": (130, 173), "small": (100, 80)]
    for format in ["voc", "yolo", "coco", "createml", "webdataset"] {
      let out = base + "/" + format
      let run = try TestSupport.run(["export", "--format", format, "--max-side", "173", "--out", out], in: ws)
      #expect(run.status == 0, "\(format): \(run.stderr)")
      #expect(
        run.stdout.contains("2 images resized (max-side 173, JPEG quality 95, never upscaled; 1 within the bound"),
        "\(format): \(run.stdout)")
      let found = try Self.boxes(format: format, out: out, sha: sha)
      #expect(found.count == 3, "\(format): \(found.keys.sorted())")
      for (name, (file, box)) in found {
        let stem = String(name.prefix { $0 != "." })
        // A resized PNG stays PNG; JPEG stays JPEG (names keep their extension).
        #expect(name.hasSuffix(stem == "wide" ? ".png" : ".jpg"), "\(format): \(name)")
        let painted = try Self.paintedBox(file)
        #expect(painted.width == expected[stem]?.0 && painted.height == expected[stem]?.1, "\(format) \(name)")
        for (written, drawn) in zip(box, painted.box) {
          #expect(abs(written - drawn) <= 1, "\(format) \(name): box \(box), painted pixels \(painted.box)")
        }
        if stem == "small" {
          #expect(SHA256.hex(of: file) == sha["small.jpg"], "\(format): an image within the bound was rewritten")
        }
      }
      // The manifest: the written file's SHA-256, the original's under `original`, the resize it was made with.
      let manifest = try #require(try Self.json(out + "/manifest.json") as? [String: Any])
      let schema = try #require(
        try Self.json(TestSupport.repositoryRoot + "/schemas/manifest.schema.json") as? [String: Any])
      #expect(JSONSchemaSubset.validate(manifest, against: schema).isEmpty, "\(format)")
      let resize = manifest["resize"] as? [String: Any]
      #expect(resize?["maxSide"] as? Int == 173 && resize?["jpegQuality"] as? Int == 95, "\(format)")
      for entry in manifest["files"] as? [[String: Any]] ?? [] {
        let original = entry["original"] as? [String: Any]
        let path = entry["path"] as? String ?? ""
        if path.contains("small") || (format == "webdataset" && original == nil) {
          #expect(original == nil, "\(format) \(path)")
          #expect(entry["sha256"] as? String == sha["small.jpg"], "\(format) \(path)")
        } else {
          let source = try #require(sha.first { $0.value == original?["sha256"] as? String }?.key, "\(format) \(path)")
          #expect(entry["sha256"] as? String != original?["sha256"] as? String)
          #expect(original?["width"] as? Int == (source.hasPrefix("wide") ? 400 : 300), "\(format) \(path)")
          #expect(entry["width"] as? Int == (source.hasPrefix("wide") ? 173 : 130), "\(format) \(path)")
          #expect((entry["origins"] as? [Any])?.isEmpty == false, "\(format) \(path): origins lost with the resize")
        }
      }
    }
  }

  @Test("--short-side bounds the shorter side; csv with --link hard links only the images left as they are")
  func shortSideAndLinks() throws {
    let (base, ws, sha) = try workspace("dsk-resize-short")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let yolo = base + "/yolo"
    #expect(
      try TestSupport.run(["export", "--format", "yolo", "--short-side", "120", "--out", yolo], in: ws).status == 0)
    let expected: [String: (Int, Int)] = ["wide": (160, 120), "tall": (120, 160), "small": (100, 80)]
    for (name, (file, box)) in try Self.boxes(format: "yolo", out: yolo, sha: sha) {
      let painted = try Self.paintedBox(file)
      let stem = String(name.prefix { $0 != "." })
      #expect(painted.width == expected[stem]?.0 && painted.height == expected[stem]?.1, "\(name)")
      for (written, drawn) in zip(box, painted.box) { #expect(abs(written - drawn) <= 1, "\(name): \(box)") }
    }

    // CSV: the images without a label (folders need one) under images/all/.
    let folders = base + "/csv"
    let run = try TestSupport.run(
      ["export", "--format", "csv", "--max-side", "173", "--jpeg-quality", "80", "--link", "hard", "--out", folders],
      in: ws)
    #expect(run.status == 0, "\(run.stderr)")
    let manifest = try #require(try Self.json(folders + "/manifest.json") as? [String: Any])
    #expect(manifest["linkedObjects"] as? Bool == true)
    #expect((manifest["resize"] as? [String: Any])?["jpegQuality"] as? Int == 80)
    let entries = manifest["files"] as? [[String: Any]] ?? []
    #expect(entries.count == 3)
    for entry in entries {
      let path = folders + "/" + (entry["path"] as? String ?? "")
      var info = stat()
      #expect(stat(path, &info) == 0)
      if let original = entry["original"] as? [String: Any] {
        #expect(info.st_nlink == 1, "\(path): a resized file is a new file, never a link")
        #expect(SHA256.hex(of: try Self.bytes(path)) == entry["sha256"] as? String)
        #expect(sha.values.contains(original["sha256"] as? String ?? ""))
      } else {
        #expect(entry["sha256"] as? String == sha["small.jpg"])
        #expect(info.st_nlink >= 2, "\(path): the image within the bound is not hard-linked")
      }
    }
  }

  @Test("resize flags are range-checked and exclusive")
  func usageErrors() throws {
    let base = try TestSupport.temporaryFolder("dsk-resize-usage")
    defer { try? FileManager.default.removeItem(atPath: base) }
    #expect(try TestSupport.run(["init", base + "/ws"]).status == 0)
    for (arguments, message) in [
      (["--max-side", "4"], "--max-side takes 8 to 32768 pixels, not 4"),
      (["--short-side", "100000"], "--short-side takes 8 to 32768 pixels"),
      (["--max-side", "100", "--short-side", "100"], "--max-side and --short-side exclude each other"),
      (["--max-side", "100", "--jpeg-quality", "0"], "--jpeg-quality takes 1 to 100, not 0"),
      (["--jpeg-quality", "90"], "--jpeg-quality applies with --max-side or --short-side"),
    ] {
      let run = try TestSupport.run(["export"] + arguments, in: base + "/ws")
      #expect(run.status == 64, "\(arguments): \(run.status)")
      #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
    }
  }
}
