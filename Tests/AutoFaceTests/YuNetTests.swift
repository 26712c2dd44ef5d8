import Annotations
import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

@testable import AutoFace

@Suite("YuNet: the built-in default detector")
struct YuNetTests {
  static let facemask = TestSupport.testdata + "/voc-facemask"

  func fixture(_ name: String) throws -> [UInt8] {
    [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.facemask + "/images/" + name)))
  }

  @Test("the model compiled in is models/yunet/face_detection_yunet_n_320.onnx, with the SHA-256 of SHA256SUMS")
  func builtInModelIsTheShippedFile() throws {
    let folder = TestSupport.repositoryRoot + "/models/yunet"
    let file = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/face_detection_yunet_n_320.onnx")))
    #expect(YuNetModel.builtInBytes == file)
    let sums = try String(contentsOfFile: folder + "/SHA256SUMS", encoding: .utf8)
    #expect(sums.contains(YuNetModel.builtInSHA256 + "  face_detection_yunet_n_320.onnx"))
    #expect(SHA256.hex(of: file) == YuNetModel.builtInSHA256)
    #expect(FileManager.default.fileExists(atPath: folder + "/LICENSE-yunet"))
  }

  @Test("a face on a real photograph: box, score and five landmarks inside it")
  func landmarks() throws {
    // maksssksksss142.png: one masked face, VOC box 144,110 – 244,235.
    let detector = try YuNetFaceDetector()
    let faces = try detector.detect(in: DecodedImage(bytes: fixture("maksssksksss142.png")))
    let truth = Box(x: 144, y: 110, width: 100, height: 125)
    let face = try #require(faces.first { $0.box.iou(truth) >= 0.5 }, "\(faces)")
    #expect(face.score >= 0.6 && face.score <= 1)
    let points = try #require(face.landmarks)
    #expect(points.count == 10)
    for i in 0..<5 {
      #expect(Double(face.box.x) <= points[2 * i] && points[2 * i] <= Double(face.box.x + face.box.width))
      #expect(Double(face.box.y) <= points[2 * i + 1] && points[2 * i + 1] <= Double(face.box.y + face.box.height))
    }
    // Eyes above the nose, the nose above the mouth corners.
    #expect(points[1] < points[5] && points[3] < points[5] && points[5] < points[7] && points[5] < points[9])
  }

  @Test("a 6000×4000 photo with one small masked face: found through the reduced decode and the tiles")
  func smallFaceInLargePhoto() throws {
    // A real masked face (maksssksksss142.png) cut out with some context, scaled to a ~60 px face, pasted on a plain
    // 6000×4000 background; JPEG, so the detector decodes it at half size (DCT-scaled).
    let source = try DecodedImage(bytes: fixture("maksssksksss142.png"))
    let cut = Box(x: 104, y: 70, width: 180, height: 205)
    let factor = 0.6
    let piece = try source.cropped(
      to: cut, width: Int(Double(cut.width) * factor), height: Int(Double(cut.height) * factor))
    let canvas = try ImageCanvas(width: 6000, height: 4000, gray: 125)
    let at = (x: 4321, y: 2789)
    try canvas.paste(piece, x: at.x, y: at.y)
    let bytes = try canvas.finished().encoded(.jpeg(quality: 90))
    let expected = Box(
      x: at.x + Int(40 * factor), y: at.y + Int(40 * factor), width: Int(100 * factor), height: Int(125 * factor))

    let photo = try DetectionImage(bytes: bytes)
    #expect(photo.image.width == 3000 && photo.image.height == 2000)
    let detector = try YuNetFaceDetector()
    // The whole-image pass alone sees this face at ~6 px: the tiles are what find it.
    #expect(!detector.tiles(width: 3000, height: 2000).rects.isEmpty)
    let faces = photo.original(try detector.detect(in: photo.image))
    #expect(faces.contains { $0.box.iou(expected) >= 0.4 }, "\(faces)")
    #expect(faces.count == 1, "\(faces)")
  }

  @Test("tiles cover the image with overlap; small photos get none")
  func tiling() throws {
    let detector = try YuNetFaceDetector()
    #expect(detector.tiles(width: 640, height: 480).rects.isEmpty)
    #expect(detector.tiles(width: 800, height: 600).rects.isEmpty)
    let (scale, rects) = detector.tiles(width: 4000, height: 3000)
    #expect(scale == 0.8)
    for x in stride(from: 0, to: 4000, by: 50) {
      for y in stride(from: 0, to: 3000, by: 50) {
        #expect(rects.contains { x >= $0.x && x < $0.x + $0.width && y >= $0.y && y < $0.y + $0.height })
      }
    }
    #expect(rects.allSatisfy { $0.x >= 0 && $0.y >= 0 && $0.x + $0.width <= 4000 && $0.y + $0.height <= 3000 })
  }

  @Test("a truncated model, a file that is not ONNX and an ONNX that is not YuNet are clear errors")
  func badModels() throws {
    let folder = try TestSupport.temporaryFolder("dsk-yunet")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let model = YuNetModel.builtInBytes
    try TestSupport.write(Array(model.prefix(model.count / 2)), to: folder + "/truncated.onnx")
    try TestSupport.write(try fixture("maksssksksss0.png"), to: folder + "/photo.onnx")
    for name in ["truncated.onnx", "photo.onnx", "missing.onnx"] {
      let error = #expect(throws: AutoFaceError.self) { try YuNetFaceDetector(model: .file(folder + "/" + name)) }
      let message = error?.errorDescription ?? ""
      #expect(message.contains(folder + "/" + name), "\(message)")
      #expect(message.contains("ONNX") || message.contains("no such file"), "\(message)")
    }
  }
}
