import Foundation

/// The knobs of the built-in default detector; the defaults are the setting tuned on
/// testdata/voc-facemask (see README, "Face detection and review").
public struct DefaultDetectorTuning: Sendable, Hashable, Codable {
  /// Images whose longer side is below this are upscaled 2× first (small faces become detectable).
  public var upscaleBelow = 1000
  public var scaleFactor = 1.1
  public var frontalNeighbors = 1
  public var alt2Neighbors = 1
  public var profileNeighbors = 1
  public var lbpNeighbors = 1
  public var useProfile = true
  public var useLBP = true
  /// Candidates from different cascades overlapping by at least this much are one face.
  public var mergeIoU = 0.3
  /// A face needs this many neighbour votes in total (1000: off; votes alone let too many false faces in
  /// on voc-facemask), …
  public var minVotes = 1000.0
  /// … or votes from this many different cascades.
  public var minSources = 2
  /// Weak faces (below `minVotes`, one cascade) are kept when eyes are found in their upper half.
  public var eyeCue = true
  /// Infer faces from pairs of eyes (masked faces keep their eyes).
  public var eyePairs = false
  public var minSize = 30
  /// Box convention of VOC face annotations (tighter than cascade boxes, centred lower): the final box is
  /// `boxWidth`×`boxHeight` of the merged cascade box, its centre moved down by `boxShiftY` of its height.
  public var boxWidth = 1.0
  public var boxHeight = 1.0
  public var boxShiftY = 0.0
  /// Per cascade (frontal, alt2, profile, mirrored profile, LBP, eye pairs): [width, height, shift down]
  /// relative to its own box, fitted on testdata/voc-facemask (median over matched faces), applied with
  /// `adjustStrength` (0 = cascade boxes as they are) before merging.
  public var adjust: [[Double]] = [
    [0.83, 0.89, 0.11], [0.82, 0.87, 0.12], [0.64, 0.71, 0.10], [0.64, 0.71, 0.10], [1.25, 1.34, 0.12], [1, 1, 0],
  ]
  public var adjustStrength = 1.0
  /// The merged box is the vote-weighted mean of its members (else the strongest member's box).
  public var meanBox = true

  public init() {}
}

/// The built-in default: frontal (default + alt2), profile (both directions) and LBP cascades with one
/// neighbour on a 2× upscaled image; each cascade's boxes reshaped to the VOC face convention, merged
/// across cascades (vote-weighted mean box); a face is kept when two cascades agree or, found by one,
/// when eyes are found in its upper 60 %. Tuned on testdata/voc-facemask with `faces-bench eval`.
public final class DefaultFaceDetector: FaceDetector {
  public let identity: DetectorIdentity
  let tuning: DefaultDetectorTuning
  let frontal: CascadeClassifier
  let alt2: CascadeClassifier
  let profile: CascadeClassifier?
  let lbp: CascadeClassifier?
  let eyes: CascadeClassifier?

  public convenience init(minSize: Int) throws {
    var tuning = DefaultDetectorTuning()
    tuning.minSize = minSize
    try self.init(tuning: tuning)
  }

  public init(tuning: DefaultDetectorTuning) throws {
    self.tuning = tuning
    frontal = try CascadeClassifier(path: CascadeLocations.defaultFrontalFace)
    alt2 = try CascadeClassifier(path: CascadeLocations.alt2FrontalFace)
    profile = tuning.useProfile ? try CascadeClassifier(path: CascadeLocations.profileFace) : nil
    lbp = tuning.useLBP ? try CascadeClassifier(path: CascadeLocations.lbpFrontalFace) : nil
    eyes = tuning.eyeCue || tuning.eyePairs ? try CascadeClassifier(path: CascadeLocations.eyes) : nil
    identity = DetectorIdentity(
      name: "default", version: "1 opencv-\(openCVVersion)", parameters: canonicalJSON(tuning))
  }

  struct Candidate {
    var box: PixelRect
    var score: Double
    var source: Int
  }

  public func detect(in image: DecodedImage) throws -> [FaceDetection] {
    let gray = try image.grayscale()
    let factor = max(gray.width, gray.height) < tuning.upscaleBelow ? 2 : 1
    let work =
      factor == 1
      ? gray : try gray.resized(width: gray.width * factor, height: gray.height * factor, interpolation: .linear)
    let minSide = tuning.minSize * factor
    func params(_ neighbours: Int) -> CascadeParameters {
      CascadeParameters(
        scaleFactor: tuning.scaleFactor, minNeighbors: neighbours, minSize: minSide, maxSize: 0, equalize: true)
    }
    var candidates: [Candidate] = []
    func add(_ found: [FaceDetection], source: Int) {
      let a = source < tuning.adjust.count && tuning.adjust[source].count == 3 ? tuning.adjust[source] : [1, 1, 0]
      let k = tuning.adjustStrength
      candidates += found.map {
        Candidate(
          box: reshaped($0.box, width: 1 + (a[0] - 1) * k, height: 1 + (a[1] - 1) * k, shiftY: a[2] * k),
          score: $0.score, source: source)
      }
    }
    add(try frontal.detectScored(in: work, parameters: params(tuning.frontalNeighbors)), source: 0)
    add(try alt2.detectScored(in: work, parameters: params(tuning.alt2Neighbors)), source: 1)
    if let profile {
      add(try profile.detectScored(in: work, parameters: params(tuning.profileNeighbors)), source: 2)
      let mirrored = try work.adjusted(mirrored: true)
      let width = work.width
      add(
        try profile.detectScored(in: mirrored, parameters: params(tuning.profileNeighbors)).map {
          var d = $0
          d.box.x = width - d.box.x - d.box.width
          return d
        }, source: 3)
    }
    if let lbp { add(try lbp.detectScored(in: work, parameters: params(tuning.lbpNeighbors)), source: 4) }
    if tuning.eyePairs, let eyes { add(try eyePairFaces(eyes, in: work, minSide: minSide), source: 5) }

    // Merge across cascades: strongest first, each candidate joins the first cluster it overlaps.
    var clusters: [(box: PixelRect, votes: Double, sources: Set<Int>, sum: [Double])] = []
    for c in candidates.sorted(by: { $0.score > $1.score }) {
      let w = max(c.score, 1)
      let b = c.box
      let weighted = [Double(b.x) * w, Double(b.y) * w, Double(b.x + b.width) * w, Double(b.y + b.height) * w, w]
      if let i = clusters.firstIndex(where: { $0.box.iou(c.box) >= tuning.mergeIoU }) {
        clusters[i].votes += c.score
        clusters[i].sources.insert(c.source)
        clusters[i].sum = zip(clusters[i].sum, weighted).map { $0 + $1 }
      } else {
        clusters.append((c.box, c.score, [c.source], weighted))
      }
    }
    if tuning.meanBox {
      for i in clusters.indices {
        let s = clusters[i].sum
        let x1 = s[0] / s[4]
        let y1 = s[1] / s[4]
        clusters[i].box = PixelRect(
          x: Int(x1.rounded()), y: Int(y1.rounded()), width: Int((s[2] / s[4] - x1).rounded()),
          height: Int((s[3] / s[4] - y1).rounded()))
      }
    }
    var faces: [FaceDetection] = []
    for cluster in clusters {
      var keep = cluster.votes >= tuning.minVotes || cluster.sources.count >= tuning.minSources
      if !keep, tuning.eyeCue, let eyes {
        let b = cluster.box
        let upper = PixelRect(x: b.x, y: b.y, width: b.width, height: max(1, b.height * 6 / 10))
        let region = try work.resized(upper, width: upper.width, height: upper.height, interpolation: .nearest)
        let found = try eyes.detectScored(
          in: region,
          parameters: CascadeParameters(
            scaleFactor: 1.1, minNeighbors: 3, minSize: max(8, b.width / 8), maxSize: max(9, b.width / 2),
            equalize: false))
        keep = !found.isEmpty
      }
      if keep { faces.append(FaceDetection(box: conventional(cluster.box), score: cluster.votes)) }
    }
    let scale = 1 / Double(factor)
    return nonMaximumSuppression(faces, iou: 0.3).map { FaceDetection(box: $0.box.scaled(by: scale), score: $0.score) }
  }

  func conventional(_ box: PixelRect) -> PixelRect {
    reshaped(box, width: tuning.boxWidth, height: tuning.boxHeight, shiftY: tuning.boxShiftY)
  }

  func reshaped(_ box: PixelRect, width: Double, height: Double, shiftY: Double) -> PixelRect {
    let w = Double(box.width) * width
    let h = Double(box.height) * height
    let cx = Double(box.x) + Double(box.width) / 2
    let cy = Double(box.y) + Double(box.height) / 2 + Double(box.height) * shiftY
    return PixelRect(
      x: Int((cx - w / 2).rounded()), y: Int((cy - h / 2).rounded()), width: Int(w.rounded()), height: Int(h.rounded()))
  }

  /// Faces inferred from two eyes side by side: the face is about 2.5 eye distances wide.
  func eyePairFaces(_ eyes: CascadeClassifier, in image: DecodedImage, minSide: Int) throws -> [FaceDetection] {
    let found = try eyes.detectScored(
      in: image,
      parameters: CascadeParameters(
        scaleFactor: 1.1, minNeighbors: 4, minSize: max(8, minSide / 5), maxSize: 0, equalize: true))
    var faces: [FaceDetection] = []
    for (i, a) in found.enumerated() {
      for b in found[(i + 1)...] {
        let (l, r) = a.box.x < b.box.x ? (a.box, b.box) : (b.box, a.box)
        let size = Double(l.width + r.width) / 2
        let dx = Double(r.x + r.width / 2 - l.x - l.width / 2)
        let dy = Double(abs((r.y + r.height / 2) - (l.y + l.height / 2)))
        guard dx > size * 1.2, dx < size * 3.5, dy < size * 0.5, abs(l.width - r.width) < Int(size / 2) else {
          continue
        }
        let cx = Double(l.x + l.width / 2 + r.x + r.width / 2) / 2
        let cy = Double(l.y + l.height / 2 + r.y + r.height / 2) / 2
        let side = dx * 2.3
        faces.append(
          FaceDetection(
            box: PixelRect(x: Int(cx - side / 2), y: Int(cy - side * 0.4), width: Int(side), height: Int(side)),
            score: min(a.score, b.score)))
      }
    }
    return faces
  }
}
