// sample-images: makes sample photo trees for the demo, the tests and the benchmarks, from real
// photographs installed by Debian packages (opencv-doc's examples and manual), or any files given.
//
//   sample-images faces  --from FILE|DIR... --out DIR [--count N] [--size PX] [--seed S]
//       with_mask/ and without_mask/ face crops: faces found by the default Haar cascade, jittered
//       (shift, scale, mirror, brightness); the with_mask copy has a painted surgical-mask shape over
//       the lower face (the synthetic-mask technique of public mask datasets).
//   sample-images photos --from DIR... --out DIR [--count N] [--width PX] [--quality Q] [--seed S]
//       N distinct JPEGs cut from the photos at random places and scales (about 40 KB at 400 px, q85).
import AutoFace
import Foundation

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
guard let mode = arguments.first, ["faces", "photos"].contains(mode) else {
  fail("usage: sample-images faces|photos --from DIR... --out DIR [--count N] [--seed S]")
}
arguments.removeFirst()
var sources: [String] = []
var out: String?
var count = 20
var size = 160
var width = 400
var quality = 85
var seed: UInt64 = 1
while !arguments.isEmpty {
  let flag = arguments.removeFirst()
  guard !arguments.isEmpty else { fail("\(flag) needs a value") }
  let value = arguments.removeFirst()
  switch flag {
  case "--from": sources.append(value)
  case "--out": out = value
  case "--count": count = Int(value) ?? count
  case "--size": size = Int(value) ?? size
  case "--width": width = Int(value) ?? width
  case "--quality": quality = Int(value) ?? quality
  case "--seed": seed = UInt64(value) ?? seed
  default: fail("unknown flag \(flag)")
  }
}
guard let out else { fail("--out DIR is required") }
var random = SeededGenerator(state: seed)

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
guard !photos.isEmpty else { fail("no photos found in \(sources)") }

func write(_ bytes: [UInt8], _ path: String) {
  let url = URL(fileURLWithPath: path)
  try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
  guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { fail("cannot write \(path)") }
}

switch mode {
case "faces":
  guard let cascade = try? CascadeClassifier(path: CascadeLocations.defaultFrontalFace) else {
    fail("cannot load \(CascadeLocations.defaultFrontalFace); install opencv-data")
  }
  var faces: [(DecodedImage, PixelRect)] = []
  for (_, image) in photos {
    // Strict settings: a sample of false faces would teach the demo nothing.
    let strict = CascadeParameters(scaleFactor: 1.1, minNeighbors: 8, minSize: 48, maxSize: 0, equalize: false)
    for face in (try? cascade.detect(in: image, parameters: strict)) ?? [] { faces.append((image, face)) }
  }
  guard !faces.isEmpty else { fail("no faces found in the photos") }
  for index in 0..<count {
    let (image, face) = faces[index % faces.count]
    let scale = Double.random(in: 1.2...1.6, using: &random)
    let side = Int(Double(face.width) * scale)
    let cx = face.x + face.width / 2 + Int.random(in: -face.width / 12...face.width / 12, using: &random)
    let cy = face.y + face.height / 2 + Int.random(in: -face.height / 12...face.height / 12, using: &random)
    let rect = PixelRect(x: max(0, cx - side / 2), y: max(0, cy - side / 2), width: side, height: side)
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
      try crop.fillEllipse(
        centerX: size / 2, centerY: Int(Double(size) / 2 + faceSide * 0.28),
        radiusX: Int(faceSide * 0.42), radiusY: Int(faceSide * 0.26), blue: colour.0, green: colour.1,
        red: colour.2)
      write(try crop.encoded(.jpeg(quality: 90)), "\(out)/with_mask/\(name)")
    } catch {
      fail("\(error.localizedDescription)")
    }
  }
  print("wrote \(count) with_mask and \(count) without_mask images to \(out)")
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
        to: PixelRect(x: x, y: y, width: cropWidth, height: cropHeight), width: width, height: width * 3 / 4
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
