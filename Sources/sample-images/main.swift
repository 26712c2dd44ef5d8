// sample-images: makes sample photo trees for the demo, the tests and the benchmarks, from real
// photographs installed by Debian packages (opencv-doc's examples and manual), or any files given.
//
//   sample-images faces  --from FILE|DIR... --out DIR [--count N] [--size PX] [--seed S] [--face-order reading]
//       with_mask/ and without_mask/ face crops: faces found by the default Haar cascade, jittered
//       (shift, scale, mirror, brightness); the with_mask copy has a painted surgical-mask shape over
//       the lower face (the synthetic-mask technique of public mask datasets).
//   sample-images photos --from DIR... --out DIR [--count N] [--width PX] [--quality Q] [--seed S]
//       N distinct JPEGs cut from the photos at random places and scales (about 40 KB at 400 px, q85).
//   sample-images crops --from DIR... --out DIR [--count N] [--width PX] [--quality Q] [--seed S] [--jobs J]
//       The same for a million small ones (bench/scale): each photo decoded, turned 0-3
//       quarter turns and shrunk once, then N crops of those on J threads (default: one a core); crop i depends
//       only on the seed and i, so a smaller --count writes the first crops of a larger one (Crops.swift).
//   sample-images scenes --from FILE|DIR... --background FILE|DIR... --out DIR [--count N] [--seed S]
//       [--scene-width PX] [--face-sizes MIN-MAX]   (default 480 wide, 4:3; faces 36-130 px, the Haar box's side)
//       N 480×360 scenes (images/ + annotations/, Pascal VOC as LabelImg writes it, for
//       `datasetkit import DIR --layout voc` and `faces eval`): a background photo with 1–3 faces from the
//       --from photos pasted at 36–130 px, two in three with a painted mask (with_mask), the rest
//       without_mask. Truth boxes follow voc-facemask's convention (the Haar box 0.83 wide, 0.89 high,
//       centre 0.11 lower).
//   sample-images orientations --from FILE --out DIR [--quality Q]
//       The first photo in the eight EXIF orientations: o1.jpg…o8.jpg (APP1) and p1.png…p8.png (eXIf), pixels
//       stored turned or mirrored so that every file displays the photo upright (Orientations.swift).
import Annotations
import AutoFace
import Catalog
import Foundation
import Imaging
import Parallel

struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

func fail(_ message: String) -> Never {
  FileHandle.standardError.write(Data("sample-images: \(message)\n".utf8))
  exit(64)
}

var arguments = Array(CommandLine.arguments.dropFirst())
guard let mode = arguments.first, ["faces", "photos", "crops", "scenes", "orientations"].contains(mode) else {
  fail("usage: sample-images faces|photos|crops|scenes|orientations --from DIR... --out DIR [--count N] [--seed S]")
}
arguments.removeFirst()
var sources: [String] = []
var backgrounds: [String] = []
var out: String?
var count = 20
var size = 160
var width = 400
var quality = 85
var seed: UInt64 = 1
var sceneWidth = 480
var faceSizes = 36...130
var jobs: Int?
var readingOrder = false
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  guard !arguments.isEmpty else { fail("\(flag) needs a value") }
  let value = arguments.removeFirst()
  switch flag {
  case "--from": sources.append(value)
  case "--background": backgrounds.append(value)
  case "--out": out = value
  case "--count": count = Int(value) ?? count
  case "--size": size = Int(value) ?? size
  case "--width": width = Int(value) ?? width
  case "--quality": quality = Int(value) ?? quality
  case "--seed": seed = UInt64(value) ?? seed
  case "--jobs": jobs = max(1, min(64, Int(value) ?? 1))
  case "--scene-width": sceneWidth = max(64, min(8000, Int(value) ?? sceneWidth))
  case "--face-order":
    guard ["detected", "reading"].contains(value) else { fail("--face-order takes detected or reading") }
    readingOrder = value == "reading"
  case "--face-sizes":
    let bounds = value.split(separator: "-").compactMap { Int($0) }
    guard bounds.count == 2, bounds[0] >= 8, bounds[0] <= bounds[1] else { fail("--face-sizes takes MIN-MAX") }
    faceSizes = bounds[0]...bounds[1]
  default: fail("unknown flag \(flag)")
  }
}
guard let out else { fail("--out DIR is required") }
var random = SeededGenerator(state: seed)

func loadPhotos(_ sources: [String]) -> [(name: String, image: DecodedImage)] {
  var photos: [(name: String, image: DecodedImage)] = []
  for source in sources {
    var isFolder: ObjCBool = false
    _ = FileManager.default.fileExists(atPath: source, isDirectory: &isFolder)
    let files =
      isFolder.boolValue
      ? ((try? FileManager.default.contentsOfDirectory(atPath: source)) ?? []).sorted().map { source + "/" + $0 }
      : [source]
    for path in files where [".jpg", ".jpeg", ".png"].contains(where: path.lowercased().hasSuffix) {
      guard let data = FileManager.default.contents(atPath: path),
        let image = try? DecodedImage(bytes: Array(data))
      else { continue }
      photos.append((path, image))
    }
  }
  return photos
}
let photos = loadPhotos(sources)
guard !photos.isEmpty else { fail("no photos found in \(sources)") }

func write(_ bytes: [UInt8], _ path: String) {
  let url = URL(fileURLWithPath: path)
  try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fail("cannot write \(path)") }
}

/// The faces in the photos found by the default Haar cascade with strict settings (a sample of false faces
/// would teach nothing).
func strictFaces(readingOrder: Bool) -> [(DecodedImage, Box)] {
  guard let cascade = try? CascadeClassifier(path: CascadeLocations.defaultFrontalFace) else {
    fail("cannot load \(CascadeLocations.defaultFrontalFace); install opencv-data")
  }
  var faces: [(DecodedImage, Box)] = []
  for (_, image) in photos {
    let strict = CascadeParameters(scaleFactor: 1.1, minNeighbors: 8, minSize: 48, maxSize: 0, equalize: false)
    var found = (try? cascade.detect(in: image, parameters: strict)) ?? []
    // `--face-order reading`: top to bottom, left to right. As detected, OpenCV's threads may return a photo's
    // faces in another order from run to run on a loaded machine.
    if readingOrder { found.sort { ($0.y, $0.x, $0.width, $0.height) < ($1.y, $1.x, $1.width, $1.height) } }
    for face in found { faces.append((image, face)) }
  }
  guard !faces.isEmpty else { fail("no faces found in the photos") }
  return faces
}

switch mode {
case "orientations":
  do {
    let files = try orientedCopies(of: photos[0].image, quality: quality)
    for file in files { write(file.bytes, out + "/" + file.name) }
    print("wrote \(files.count) files of \(photos[0].name) in EXIF orientations 1-8 to \(out)")
  } catch {
    fail("\(error.localizedDescription)")
  }
case "faces":
  let faces = strictFaces(readingOrder: readingOrder)
  for index in 0..<count {
    let (image, face) = faces[index % faces.count]
    let scale = Double.random(in: 1.2...1.6, using: &random)
    let side = Int(Double(face.width) * scale)
    let cx = face.x + face.width / 2 + Int.random(in: -face.width / 12...face.width / 12, using: &random)
    let cy = face.y + face.height / 2 + Int.random(in: -face.height / 12...face.height / 12, using: &random)
    let rect = Box(x: max(0, cx - side / 2), y: max(0, cy - side / 2), width: side, height: side)
    do {
      let crop = try image.cropped(to: rect, width: size, height: size).adjusted(
        contrast: Double.random(in: 0.85...1.15, using: &random),
        brightness: Double.random(in: -20...20, using: &random), mirrored: Bool.random(using: &random))
      let name = String(format: "%04d.jpg", index + 1)
      write(try crop.encoded(.jpeg(quality: 90)), "\(out)/without_mask/\(name)")
      // The face sits in the middle of the crop: cover nose, mouth and chin.
      let faceSide = Double(size) / scale
      let colours = [(230, 200, 150), (240, 240, 240), (60, 60, 60), (200, 170, 110)]
      let colour = colours[Int.random(in: 0..<colours.count, using: &random)]
      let masked = try ImageCanvas(copying: crop)
      try masked.fillEllipse(
        centerX: size / 2, centerY: Int(Double(size) / 2 + faceSide * 0.28),
        radiusX: Int(faceSide * 0.42), radiusY: Int(faceSide * 0.26), blue: colour.0, green: colour.1,
        red: colour.2)
      write(try masked.finished().encoded(.jpeg(quality: 90)), "\(out)/with_mask/\(name)")
    } catch {
      fail("\(error.localizedDescription)")
    }
  }
  print("wrote \(count) with_mask and \(count) without_mask images to \(out)")
case "scenes":
  let scenery = loadPhotos(backgrounds)
  guard !scenery.isEmpty else { fail("no background photos found in \(backgrounds)") }
  let faces = strictFaces(readingOrder: readingOrder)
  let sceneHeight = sceneWidth * 3 / 4
  var counts: [String: Int] = [:]
  for index in 0..<count {
    let background = scenery[Int.random(in: 0..<scenery.count, using: &random)].image
    do {
      let side = min(background.width, background.height * 4 / 3)
      let bx = Int.random(in: 0...max(0, background.width - side), using: &random)
      let by = Int.random(in: 0...max(0, background.height - side * 3 / 4), using: &random)
      let scene = try ImageCanvas(
        copying: try background.cropped(
          to: Box(x: bx, y: by, width: side, height: side * 3 / 4), width: sceneWidth, height: sceneHeight))
      var placed: [Box] = []
      var objects: [VOCObject] = []
      let wanted = Int.random(in: 1...3, using: &random)
      for _ in 0..<12 where objects.count < wanted {
        let (photo, face) = faces[Int.random(in: 0..<faces.count, using: &random)]
        let target = Int.random(in: faceSizes, using: &random)  // the pasted Haar face's side
        // Head and some background around the face: up to 1.7 face sides, as much as the photo has.
        let (fx, fy) = (face.x + face.width / 2, face.y + face.height / 2)
        let room = 2 * min(fx, fy, photo.width - fx, photo.height - fy)
        let cut = min(Int(Double(face.width) * 1.7), room)
        guard cut > face.width else { continue }
        let context = Double(cut) / Double(face.width)
        let tile = Int(Double(target) * context)
        guard tile < sceneHeight - 4 else { continue }
        let x = Int.random(in: 0...(sceneWidth - tile), using: &random)
        let y = Int.random(in: 0...(sceneHeight - tile), using: &random)
        let rect = Box(x: x, y: y, width: tile, height: tile)
        if placed.contains(where: { $0.iou(rect) > 0 }) { continue }
        let source = Box(x: fx - cut / 2, y: fy - cut / 2, width: cut, height: cut)
        let mirrored = Bool.random(using: &random)
        let head = try ImageCanvas(
          copying: try photo.cropped(to: source, width: tile, height: tile).adjusted(
            contrast: Double.random(in: 0.8...1.2, using: &random),
            brightness: Double.random(in: -25...25, using: &random), mirrored: mirrored))
        let masked = Int.random(in: 0..<3, using: &random) < 2
        let f = Double(target)
        let c = Double(tile) / 2
        if masked {
          // A mask over nose, mouth and chin: surgical blue or white, cloth black or beige, a little tilted.
          let colours = [(230, 200, 150), (240, 240, 240), (50, 50, 55), (160, 190, 215), (200, 120, 70)]
          let colour = colours[Int.random(in: 0..<colours.count, using: &random)]
          try head.fillEllipse(
            centerX: Int(c), centerY: Int(c + f * Double.random(in: 0.22...0.3, using: &random)),
            radiusX: Int(f * Double.random(in: 0.4...0.48, using: &random)),
            radiusY: Int(f * Double.random(in: 0.24...0.3, using: &random)),
            angle: Double.random(in: -8...8, using: &random), blue: colour.0, green: colour.1, red: colour.2)
        }
        try scene.paste(head.finished(), x: x, y: y)
        placed.append(rect)
        // voc-facemask's convention relative to the Haar box.
        let w = f * 0.83
        let h = f * 0.89
        let cy = Double(y) + c + f * 0.11
        let label = masked ? "with_mask" : "without_mask"
        counts[label, default: 0] += 1
        objects.append(
          VOCObject(
            name: label,
            box: Box(
              xmin: Double(x) + c - w / 2, ymin: cy - h / 2, xmax: Double(x) + c + w / 2, ymax: cy + h / 2
            ).labelImgIntegers(width: sceneWidth, height: sceneHeight)))
      }
      let name = String(format: "scene%04d", index + 1)
      write(try scene.finished().encoded(.jpeg(quality: 90)), "\(out)/images/\(name).jpg")
      let document = VOCDocument.labelImg(
        folder: "images", filename: name + ".jpg", path: nil, width: sceneWidth, height: sceneHeight,
        objects: objects)
      write(document.bytes(), "\(out)/annotations/\(name).xml")
    } catch {
      fail("\(error.localizedDescription)")
    }
  }
  print(
    "wrote \(count) scenes to \(out): "
      + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
case "crops":
  let variants = photoVariants(photos.map(\.image))
  let start = Date()
  if let failure = writeCrops(
    count: count, from: variants, width: width, quality: quality, seed: seed, out: out,
    workers: jobs ?? defaultWorkerCount)
  {
    fail(failure)
  }
  print(
    "wrote \(count) crops to \(out) in \(String(format: "%.1f", Date().timeIntervalSince(start))) s"
      + " (\(variants.count) source variants)")
default:
  for index in 0..<count {
    let (_, image) = photos[Int.random(in: 0..<photos.count, using: &random)]
    let side = min(image.width, image.height)
    let cropWidth = Int(Double(side) * Double.random(in: 0.5...1.0, using: &random))
    let cropHeight = cropWidth * 3 / 4
    let x = Int.random(in: 0...max(0, image.width - cropWidth), using: &random)
    let y = Int.random(in: 0...max(0, image.height - cropHeight), using: &random)
    do {
      let crop = try image.cropped(
        to: Box(x: x, y: y, width: cropWidth, height: cropHeight), width: width, height: width * 3 / 4
      ).adjusted(
        contrast: Double.random(in: 0.9...1.1, using: &random),
        brightness: Double.random(in: -15...15, using: &random), mirrored: Bool.random(using: &random))
      write(try crop.encoded(.jpeg(quality: quality)), String(format: "%@/%06d.jpg", out, index + 1))
    } catch {
      fail("\(error.localizedDescription)")
    }
  }
  print("wrote \(count) photos to \(out)")
}
