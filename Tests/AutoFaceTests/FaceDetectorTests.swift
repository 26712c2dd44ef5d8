import Annotations
import Catalog
import Foundation
import Imaging
import Ingest
import Labeling
import TestSupport
import Testing

@testable import AutoFace

@Suite("Face detectors, detection runs, crops, review")
struct FaceDetectorTests {
  /// The parameters OpenCV documents for detectMultiScale plus the seeds' values.
  static let documented: [CascadeParameters] = [
    .common,
    CascadeParameters(scaleFactor: 1.1, minNeighbors: 3, minSize: 0, maxSize: 0, equalize: false),
    CascadeParameters(scaleFactor: 1.05, minNeighbors: 4, minSize: 24, maxSize: 300, equalize: true),
  ]

  @Test("our Haar and LBP boxes are exactly OpenCV's own detectMultiScale with the same parameters")
  func identicalToDetectMultiScale() throws {
    for path in [
      CascadeLocations.defaultFrontalFace, CascadeLocations.alt2FrontalFace, CascadeLocations.lbpFrontalFace,
    ] {
      let cascade = try CascadeClassifier(path: path)
      let detector = try CascadeFaceDetector(name: "haar", path: path, parameters: .common)
      for photo in ["messi5.jpg", "home.jpg", "basketball1.png"] {
        let image = try DecodedImage(bytes: TestSupport.photo(photo))
        for parameters in Self.documented {
          // afs_cascade_detect is the plain cv::CascadeClassifier::detectMultiScale call.
          let plain = try cascade.detect(in: image, parameters: parameters)
          let scored = try cascade.detectScored(in: image, parameters: parameters)
          // Compared as sets: OpenCV's parallel scan may list the same boxes in another order.
          #expect(Set(scored.map(\.box)) == Set(plain) && scored.count == plain.count, "\(path) \(photo) \(parameters)")
          #expect(scored.allSatisfy { $0.score >= Double(parameters.minNeighbors) })
        }
        #expect(
          Set(try detector.detect(in: image).map(\.box)) == Set(try cascade.detect(in: image, parameters: .common)))
      }
    }
  }

  @Test("Haar boxes match values recorded from opencv-python 4.x (same cascade, same parameters)")
  func matchesOpenCVPython() throws {
    // Recorded with bench/faces/record-fixture.py: cv2.CascadeClassifier(haarcascade_frontalface_default.xml)
    // .detectMultiScale(gray, 1.1, 5, minSize=(30, 30)) on Debian's opencv-doc sample photos.
    // Recorded with opencv-python-headless 4.14.0 from PyPI; Debian's libopencv is 4.6.0.
    let fixture = try #require(Bundle.module.url(forResource: "Fixtures/opencv-python-haar", withExtension: "json"))
    let data = try Data(contentsOf: fixture)
    let recorded = try JSONDecoder().decode([String: [[Int]]].self, from: data)
    let detector = try DetectorSpec.seeds.make()
    for (photo, boxes) in recorded {
      let image = try DecodedImage(bytes: TestSupport.photo(photo))
      let ours = try detector.detect(in: image).map { [$0.box.x, $0.box.y, $0.box.width, $0.box.height] }
      #expect(ours == boxes, "\(photo)")
    }
  }

  @Test("known faces are found in real photographs (Tests/Fixtures/voc-facemask)")
  func knownFaces() throws {
    let testdata = TestSupport.testdata
    func image(_ n: Int) throws -> DecodedImage {
      try DecodedImage(
        bytes: [UInt8](Data(contentsOf: URL(fileURLWithPath: "\(testdata)/voc-facemask/images/maksssksksss\(n).png"))))
    }
    func found(_ kind: DetectorKind, _ n: Int, _ truth: Box) throws -> Bool {
      try DetectorSpec(kind: kind).make().detect(in: image(n)).contains { $0.box.iou(truth) >= 0.5 }
    }
    // Unmasked faces (boxes from the VOC files): both the seeds' Haar setting and the default find them.
    for kind in [DetectorKind.haar, .default] {
      #expect(try found(kind, 443, Box(x: 89, y: 155, width: 98, height: 109)), "\(kind)")
      #expect(try found(kind, 218, Box(x: 139, y: 223, width: 112, height: 148)), "\(kind)")
    }
    // A masked face the seeds' setting misses and the default finds.
    let masked = Box(x: 50, y: 99, width: 72, height: 68)
    #expect(try !found(.haar, 373, masked))
    #expect(try found(.default, 373, masked))
    #expect(try found(.lbp, 443, Box(x: 89, y: 155, width: 98, height: 109)))
  }

  @Test("a missing model or cascade is a clear error naming the file and where to get it")
  func missingModel() throws {
    #expect {
      try DetectorSpec(kind: .yunet, modelPath: "/no/such/face_detection_yunet_2022mar.onnx").make()
    } throws: { error in
      let text = (error as? LocalizedError)?.errorDescription ?? ""
      return text.contains("/no/such/face_detection_yunet_2022mar.onnx") && text.contains("libfacedetection.train")
    }
    #expect { try DetectorSpec(kind: .res10).make() } throws: { error in
      ((error as? LocalizedError)?.errorDescription ?? "").contains("--model")
    }
    #expect(throws: AutoFaceError.self) { try DetectorSpec(kind: .haar, cascadePath: "/no/cascade.xml").make() }
    // A file that is not a model: OpenCV's own message is carried.
    let folder = try TestSupport.temporaryFolder()
    try Data("not a network".utf8).write(to: URL(fileURLWithPath: folder + "/bad.onnx"))
    #expect(throws: AutoFaceError.self) { try DetectorSpec(kind: .yunet, modelPath: folder + "/bad.onnx").make() }
  }

  @Test("the default keeps a face with eyes, or found by two cascades with 9+ votes and skin in its upper half")
  func defaultKeepRule() throws {
    let tuning = DefaultDetectorTuning()
    func face(votes: Double, sources: [Int], eyes: Int, skin: Double) -> DefaultFaceCandidate {
      DefaultFaceCandidate(
        box: Box(x: 0, y: 0, width: 40, height: 40), votes: votes, scores: [], sources: sources, eyes: eyes,
        skin: skin, kept: false)
    }
    #expect(tuning.keeps(face(votes: 2, sources: [3], eyes: 1, skin: 0)))  // eyes: kept whatever else
    #expect(tuning.keeps(face(votes: 10, sources: [0, 1], eyes: 0, skin: 0.6)))
    #expect(!tuning.keeps(face(votes: 7, sources: [0, 1, 4], eyes: 0, skin: 0.69)))  // too few votes
    #expect(!tuning.keeps(face(votes: 23, sources: [0, 1, 3], eyes: 0, skin: 0.035)))  // no skin
    #expect(tuning.keeps(face(votes: 23, sources: [0, 1, 3], eyes: 0, skin: -1)))  // no colour to judge
    #expect(tuning.keeps(face(votes: 84, sources: [0, 1, 2, 3, 4], eyes: 0, skin: 0)))  // four cascades agree
    #expect(!tuning.keeps(face(votes: 40, sources: [0], eyes: 0, skin: 0.9)))  // one cascade, no eyes
    // Skin is measured in colour: a skin-toned patch counts, a gray one has no colour to judge, blue is not skin.
    let detector = try DefaultFaceDetector(tuning: tuning)
    let skinCanvas = try ImageCanvas(width: 40, height: 40, gray: 0)
    try skinCanvas.fillEllipse(centerX: 20, centerY: 20, radiusX: 40, radiusY: 40, blue: 120, green: 150, red: 210)
    let skin = skinCanvas.finished()
    #expect(detector.skinShare(skin, in: Box(x: 0, y: 0, width: 40, height: 20)) == 1)
    let gray = try DecodedImage.blank(width: 40, height: 40, gray: 128)
    #expect(detector.skinShare(gray, in: Box(x: 0, y: 0, width: 40, height: 20)) == -1)
    let blueCanvas = try ImageCanvas(width: 40, height: 40, gray: 0)
    try blueCanvas.fillEllipse(centerX: 20, centerY: 20, radiusX: 40, radiusY: 40, blue: 200, green: 120, red: 40)
    let blue = blueCanvas.finished()
    #expect(detector.skinShare(blue, in: Box(x: 0, y: 0, width: 40, height: 20)) == 0)
  }

  @Test("IoU, NMS and evaluation count what they should")
  func evaluation() {
    let a = Box(x: 0, y: 0, width: 10, height: 10)
    #expect(a.iou(a) == 1)
    #expect(a.iou(Box(x: 5, y: 0, width: 10, height: 10)) == 50.0 / 150.0)
    let kept = nonMaximumSuppression(
      [FaceDetection(box: a, score: 1), FaceDetection(box: Box(x: 1, y: 1, width: 10, height: 10), score: 5)],
      iou: 0.3)
    #expect(kept.count == 1 && kept[0].score == 5)
    let truth = [
      TruthFace(label: "with_mask", box: Box(x: 0, y: 0, width: 40, height: 40)),
      TruthFace(label: "without_mask", box: Box(x: 100, y: 0, width: 40, height: 40)),
      TruthFace(label: "with_mask", box: Box(x: 200, y: 0, width: 10, height: 10)),  // below min size
    ]
    let found = [
      FaceDetection(box: Box(x: 2, y: 2, width: 40, height: 40), score: 9),  // match
      FaceDetection(box: Box(x: 0, y: 0, width: 38, height: 38), score: 1),  // duplicate: false
      FaceDetection(box: Box(x: 200, y: 0, width: 11, height: 11), score: 3),  // small truth: ignored
    ]
    let e = FaceEvaluation.evaluate(
      identity: DetectorIdentity(name: "t", version: "1", parameters: "{}"), images: [(truth, found)],
      rules: FaceEvaluationRules())
    #expect(e.faces == 2 && e.found == 1 && e.detections == 2 && e.falsePositives == 1)
    #expect(e.classes.map(\.recall) == [1, 0])
  }

  func catalogWithPhotos() throws -> (Catalog, String) {
    let folder = try TestSupport.temporaryFolder()
    let catalog = try Workspace.create(at: folder)
    var candidates: [IngestCandidate] = []
    for name in ["home.jpg", "messi5.jpg", "baboon.jpg"] {
      candidates.append(
        IngestCandidate(
          content: .bytes(try TestSupport.photo(name)), origin: OriginFacts(relativePath: Array(name.utf8)),
          label: "photo"))
    }
    // A real JPEG with its entropy-coded data overwritten: the header is fine, the pixels are not.
    var corrupt = try TestSupport.photo("fruits.jpg")
    for i in stride(from: corrupt.count / 3, to: corrupt.count - 2, by: 1) { corrupt[i] = 0xFF }
    candidates.append(
      IngestCandidate(content: .bytes(corrupt), origin: OriginFacts(relativePath: Array("corrupt.jpg".utf8))))
    _ = try Ingester(catalog: catalog).ingest(
      candidates, source: SourceSpec(kind: "folder", name: "photos", uri: folder))
    return (catalog, folder)
  }

  @Test("detect over a catalog: proposals stored, incremental, bad and oversized images listed, run goes on")
  func detectRun() throws {
    let (catalog, _) = try catalogWithPhotos()
    var options = FaceDetectOptions(detector: .seeds)
    let first = try catalog.detectFaces(options)
    #expect(first.images == 4 && first.processed == 4 && first.faces > 0)
    let proposed = try catalog.database.scalarInt(
      "SELECT COUNT(*) FROM boxes WHERE status = 'proposed' AND origin = 'haar' AND score >= 5 AND detector_params LIKE '%\"minNeighbors\":5%'"
    )
    #expect(proposed == Int64(first.faces))
    // Same detector and parameters: nothing to do (the corrupt image, if it failed, is tried again).
    let second = try catalog.detectFaces(options)
    #expect(second.alreadyDone == 4 - first.failed.count && second.faces == 0)
    // Other parameters are another run; images over the pixel limit fail one by one, the others go on.
    options.detector.parameters.minNeighbors = 3
    options.maxPixels = 300_000  // baboon 512×512 = 262 144, home 512×384 = 196 608, messi5 548×342 = 187 416
    options.label = "photo"
    let limited = try catalog.detectFaces(options)
    #expect(limited.images == 3 && limited.failed.isEmpty)
    options.maxPixels = 190_000
    options.detector.parameters.minNeighbors = 4
    let tight = try catalog.detectFaces(options)
    #expect(tight.failed.count == 2 && tight.processed == 3)
    #expect(tight.failed.allSatisfy { $0.reason.contains("over the limit") })
  }

  @Test("crops carry the box's label and link to parent and box; review decisions are logged and applied")
  func cropAndReview() throws {
    let (catalog, folder) = try catalogWithPhotos()
    let eager = DetectorSpec(
      kind: .haar,
      parameters: CascadeParameters(scaleFactor: 1.1, minNeighbors: 2, minSize: 20, maxSize: 0, equalize: false))
    let run = try catalog.detectFaces(FaceDetectOptions(detector: eager))
    let ids = try catalog.database.rows("SELECT id FROM boxes ORDER BY id") { $0.int64(0) }
    #expect(ids.count == run.faces)
    try #require(ids.count >= 3)
    // Unknown ids refuse the whole call.
    #expect(throws: LabelingError.self) { try catalog.review(.accept, boxes: [ids[0], 999_999], reviewer: "t") }
    #expect(try catalog.database.scalarInt("SELECT COUNT(*) FROM reviews") == 0)
    // The photos are labelled `photo`: a mask class is not among the catalog's classes yet.
    #expect(throws: AnnotationsError.self) {
      try catalog.review(.relabel("without_mask"), boxes: [ids[0]], reviewer: "t")
    }
    _ = try catalog.review(
      .relabel("without_mask"), boxes: [ids[0]], reviewer: "t", classes: ClassPolicy(allowNew: true))
    _ = try catalog.review(.reject, boxes: [ids[1]], reviewer: "t")
    #expect(try catalog.database.scalarText("SELECT status FROM boxes WHERE id = ?", [.int(ids[1])]) == "rejected")
    #expect(
      try catalog.database.scalarText(
        "SELECT c.name FROM boxes b JOIN classes c ON c.id = b.class_id WHERE b.id = ? AND b.status = 'accepted'",
        [.int(ids[0])]) == "without_mask")
    #expect(
      try catalog.database.rows("SELECT action, value FROM reviews ORDER BY id") {
        "\($0.text(0)!) \($0.text(1) ?? "-")"
      } == [
        "relabel without_mask", "reject -",
      ])

    var options = FaceCropOptions()
    options.square = true
    options.size = 64
    let crops = try catalog.cropFaces(options)
    #expect(crops.cropped == 1 && crops.labels == ["without_mask": 1])
    let row = try catalog.database.rows(
      """
      SELECT c.box_id, c.width, c.height, i.parent_image_id = c.parent_image_id, l.name FROM crops c
      JOIN images i ON i.id = c.image_id JOIN image_labels il ON il.image_id = c.image_id JOIN classes l ON l.id = il.class_id
      """
    ) { [$0.int64(0), $0.int64(1), $0.int64(2), $0.int64(3)] }
    #expect(row == [[ids[0], 64, 64, 1]])
    #expect(try catalog.cropFaces(options).alreadyCropped == 1)
    // --all crops the proposed ones too, never the rejected.
    options.all = true
    let all = try catalog.cropFaces(options)
    #expect(all.cropped == ids.count - 2)
    // Cropped images are not searched for faces again.
    let again = try catalog.detectFaces(FaceDetectOptions(detector: eager))
    #expect(again.images == 4 && again.alreadyDone == 4)

    var sheet = ContactSheetOptions()
    sheet.status = nil
    sheet.columns = 2
    sheet.rows = 1
    let written = try catalog.contactSheets(sheet, path: folder + "/sheet.png")
    #expect(written.sheets.count == (ids.count + 1) / 2 && written.boxes == ids)
    let png = try Array(Data(contentsOf: URL(fileURLWithPath: written.sheets[0])).prefix(8))
    #expect(png == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
  }
}
