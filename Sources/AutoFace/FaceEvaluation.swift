import Annotations
import Catalog
import Foundation
import Imaging
import Labeling

/// A true face: its class and box.
public struct TruthFace: Sendable, Hashable {
  public var label: String
  public var box: Box
  public init(label: String, box: Box) {
    self.label = label
    self.box = box
  }
  /// A face's size is the shorter side of its box.
  public var size: Int { min(box.width, box.height) }
}

/// Recall for one class.
public struct ClassRecall: Sendable, Codable, Hashable {
  public var label: String
  public var faces: Int
  public var found: Int
  public var recall: Double
}

/// Recall and precision for faces (and detections) of one size range.
public struct SizeBucket: Sendable, Codable, Hashable {
  /// e.g. "30-59"; "120+".
  public var range: String
  public var faces: Int
  public var found: Int
  public var recall: Double
  public var detections: Int
  public var falsePositives: Int
  public var precision: Double
}

/// How one detector setting did against the truth.
public struct DetectorEvaluation: Sendable, Codable {
  public var detector: String
  public var version: String
  public var parameters: String
  public var images: Int
  public var faces: Int
  public var found: Int
  public var recall: Double
  public var detections: Int
  public var falsePositives: Int
  public var precision: Double
  public var classes: [ClassRecall]
  public var sizes: [SizeBucket]
  /// Contact sheets of the misses and false alarms (`faces eval --sheet`); tiles captioned with the image id.
  public var sheets: [String]? = nil
}

/// The matching rules of `faces eval`.
public struct FaceEvaluationRules: Sendable, Hashable, Codable {
  public var iou = 0.5
  /// Truth faces whose shorter side is below this are left out; detections matching only such faces are
  /// not counted as false positives, and unmatched detections below it are left out too.
  public var minSize = 30
  public init() {}
}

public enum FaceEvaluation {
  static let bucketEdges = [0, 30, 60, 120]

  static func bucket(_ size: Int) -> Int { bucketEdges.lastIndex { size >= $0 } ?? 0 }

  static func bucketName(_ index: Int) -> String {
    index + 1 < bucketEdges.count ? "\(bucketEdges[index])-\(bucketEdges[index + 1] - 1)" : "\(bucketEdges[index])+"
  }

  /// One image's matching: strongest detection first, each to the unmatched truth face it overlaps most
  /// (IoU ≥ rules.iou). `matched[i]`: truth face i was found; `pairs`: each detection and its truth face (nil: a
  /// false alarm), strongest first.
  static func match(truth: [TruthFace], detections: [FaceDetection], rules: FaceEvaluationRules) -> (
    matched: [Bool], pairs: [(FaceDetection, Int?)]
  ) {
    var matched = [Bool](repeating: false, count: truth.count)
    var pairs: [(FaceDetection, Int?)] = []
    for d in detections.sorted(by: { $0.score > $1.score }) {
      var best: Int?
      var bestIoU = rules.iou
      for (i, t) in truth.enumerated() where !matched[i] {
        let v = d.box.iou(t.box)
        if v >= bestIoU {
          best = i
          bestIoU = v
        }
      }
      if let best { matched[best] = true }
      pairs.append((d, best))
    }
    return (matched, pairs)
  }

  /// The faces a detector missed and its false alarms (both at least rules.minSize), per image index.
  public static func mistakes(
    images: [(truth: [TruthFace], detections: [FaceDetection])], rules: FaceEvaluationRules
  ) -> (misses: [(image: Int, face: TruthFace)], falseAlarms: [(image: Int, detection: FaceDetection)]) {
    var misses: [(image: Int, face: TruthFace)] = []
    var falseAlarms: [(image: Int, detection: FaceDetection)] = []
    for (n, image) in images.enumerated() {
      let (matched, pairs) = match(truth: image.truth, detections: image.detections, rules: rules)
      for (i, t) in image.truth.enumerated() where !matched[i] && t.size >= rules.minSize { misses.append((n, t)) }
      for (d, best) in pairs where best == nil && min(d.box.width, d.box.height) >= rules.minSize {
        falseAlarms.append((n, d))
      }
    }
    return (misses, falseAlarms)
  }

  /// Matches detections to truth image by image: strongest detection first, each to the unmatched truth
  /// face it overlaps most (IoU ≥ rules.iou).
  public static func evaluate(
    identity: DetectorIdentity, images: [(truth: [TruthFace], detections: [FaceDetection])],
    rules: FaceEvaluationRules
  ) -> DetectorEvaluation {
    var classFaces: [String: Int] = [:]
    var classFound: [String: Int] = [:]
    var sizeFaces = [Int](repeating: 0, count: bucketEdges.count)
    var sizeFound = sizeFaces
    var sizeDetections = sizeFaces
    var sizeFalse = sizeFaces
    var detections = 0
    var falsePositives = 0
    for image in images {
      let (matched, pairs) = match(truth: image.truth, detections: image.detections, rules: rules)
      for (d, best) in pairs {
        let size = min(d.box.width, d.box.height)
        if let best {
          if image.truth[best].size < rules.minSize { continue }
          detections += 1
          sizeDetections[bucket(image.truth[best].size)] += 1
        } else {
          if size < rules.minSize { continue }
          detections += 1
          falsePositives += 1
          sizeDetections[bucket(size)] += 1
          sizeFalse[bucket(size)] += 1
        }
      }
      for (i, t) in image.truth.enumerated() where t.size >= rules.minSize {
        classFaces[t.label, default: 0] += 1
        sizeFaces[bucket(t.size)] += 1
        if matched[i] {
          classFound[t.label, default: 0] += 1
          sizeFound[bucket(t.size)] += 1
        }
      }
    }
    func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : (Double(a) / Double(b) * 10_000).rounded() / 10_000 }
    let faces = classFaces.values.reduce(0, +)
    let found = classFound.values.reduce(0, +)
    return DetectorEvaluation(
      detector: identity.name, version: identity.version, parameters: identity.parameters, images: images.count,
      faces: faces, found: found, recall: ratio(found, faces), detections: detections, falsePositives: falsePositives,
      precision: ratio(detections - falsePositives, detections),
      classes: classFaces.keys.sorted().map {
        ClassRecall(
          label: $0, faces: classFaces[$0] ?? 0, found: classFound[$0] ?? 0,
          recall: ratio(classFound[$0] ?? 0, classFaces[$0] ?? 0))
      },
      sizes: bucketEdges.indices.compactMap { i in
        guard sizeFaces[i] > 0 || sizeDetections[i] > 0 else { return nil }
        return SizeBucket(
          range: bucketName(i), faces: sizeFaces[i], found: sizeFound[i], recall: ratio(sizeFound[i], sizeFaces[i]),
          detections: sizeDetections[i], falsePositives: sizeFalse[i],
          precision: ratio(sizeDetections[i] - sizeFalse[i], sizeDetections[i]))
      })
  }
}

/// What `faces eval` found: one evaluation per detector setting that ran over the truth's images.
public struct FaceEvalReport: Sendable, Codable {
  public var truth: String
  public var rules: FaceEvaluationRules
  public var truthImages: Int
  public var detectors: [DetectorEvaluation]
  /// nil until a reviewer has decided on a box.
  public var review: ReviewedFaces?
}

extension Catalog {
  /// The truth: boxes imported from annotation files of source `name` (origin `voc` or `yolo`), per image.
  public func truthFaces(source name: String) throws -> [Int64: [TruthFace]] {
    let sources = try sourceIDs(named: name)
    guard !sources.isEmpty else { throw AutoFaceError.noSuchSource(name) }
    var truth: [Int64: [TruthFace]] = [:]
    let boxStore = BoxStore(catalog: self)
    for source in sources {
      for found in try boxStore.importedBoxes(sourceID: source) {
        let r = found.box
        let box = Box(x: Int(r.xmin), y: Int(r.ymin), width: Int(r.xmax - r.xmin), height: Int(r.ymax - r.ymin))
        truth[found.imageID, default: []].append(TruthFace(label: r.label ?? "", box: box))
      }
    }
    return truth
  }

  /// Evaluates every detector setting that ran over the truth's images, on the images it ran on. With
  /// `sheets`, also writes contact sheets of each setting's missed faces and false alarms into that folder
  /// (`DETECTOR-N-misses.png`, `DETECTOR-N-false-alarms.png`, more pages as `…-2.png`).
  public func evaluateFaces(truth name: String, rules: FaceEvaluationRules, sheets: String? = nil) throws
    -> FaceEvalReport
  {
    let truth = try truthFaces(source: name)
    let detections = DetectionStore(catalog: self)
    var runs: [String: Set<Int64>] = [:]
    for run in try detections.successfulRuns() where truth[run.imageID] != nil {
      runs[run.detectorKey, default: []].insert(run.imageID)
    }
    var evaluations: [DetectorEvaluation] = []
    for key in runs.keys.sorted() {
      guard let images = runs[key] else { continue }
      var found: [Int64: [FaceDetection]] = [:]
      var identity: DetectorIdentity?
      for proposal in try detections.proposals(detectorKey: key) where images.contains(proposal.imageID) {
        let r = proposal.rect
        let box = Box(x: Int(r.xmin), y: Int(r.ymin), width: Int(r.xmax - r.xmin), height: Int(r.ymax - r.ymin))
        found[proposal.imageID, default: []].append(FaceDetection(box: box, score: proposal.score))
        if identity == nil, let origin = proposal.origin, let detector = proposal.detector {
          identity = DetectorIdentity(
            name: origin, version: String(detector.dropFirst(origin.count + 1)), parameters: proposal.parameters ?? "")
        }
      }
      let fallback = DetectorIdentity(name: String(key.prefix { $0 != " " }), version: "", parameters: key)
      let ids = images.sorted()
      let pairs = ids.map { (truth: truth[$0] ?? [], detections: found[$0] ?? []) }
      var evaluation = FaceEvaluation.evaluate(identity: identity ?? fallback, images: pairs, rules: rules)
      if let sheets {
        let (misses, falseAlarms) = FaceEvaluation.mistakes(images: pairs, rules: rules)
        let stem = sheets + "/" + Self.sheetName(evaluation.detector) + "-\(evaluations.count + 1)"
        func tile(_ image: Int, _ box: Box, _ caption: String) throws -> SheetTile {
          let id = ids[image]
          let sha = try imageFacts(id: id)?.sha256 ?? ""
          return SheetTile(
            image: id, sha256: sha,
            rect: box,
            caption: caption)
        }
        try FileManager.default.createDirectory(atPath: sheets, withIntermediateDirectories: true)
        let missTiles = try misses.map {
          try tile($0.image, $0.face.box, "#\(ids[$0.image]) \($0.face.label.prefix(12))")
        }
        let alarmTiles = try falseAlarms.map {
          try tile($0.image, $0.detection.box, String(format: "#%lld %.2f", ids[$0.image], $0.detection.score))
        }
        evaluation.sheets =
          try writeSheets(missTiles, path: stem + "-misses.png", options: ContactSheetOptions()).sheets
          + writeSheets(alarmTiles, path: stem + "-false-alarms.png", options: ContactSheetOptions()).sheets
      }
      evaluations.append(evaluation)
    }
    return FaceEvalReport(
      truth: name, rules: rules, truthImages: truth.count, detectors: evaluations, review: try reviewedFaces())
  }
}
