import Catalog
import Foundation
import Imaging

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
  /// A face is kept when it has this many neighbour votes in total (1000: off; votes alone let too many false
  /// faces in on voc-facemask) …
  public var minVotes = 1000.0
  /// … or eyes are found in its upper 60 % …
  public var eyeCue = true
  /// … or this many cascades found it …
  public var minSources = 2
  /// … with this many votes together (without eyes, the 4–7 votes of voc-facemask's false faces) …
  public var minAgreeingVotes = 9.0
  /// … and, in a colour photo, this share of its upper half is skin-coloured (the false faces of voc-facemask:
  /// 2–7 %; the true ones 46–98 %, masked or not) …
  public var minSkin = 0.25
  /// … which is not needed when this many cascades agree.
  public var skinExemptSources = 4
  /// Infer faces from pairs of eyes (masked faces keep their eyes): one masked face more on voc-facemask, one
  /// and four on the two scene sets, no false one more; ~40 % slower.
  public var eyePairs = true
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

/// One merged face candidate of the default detector and the cues its keep rule looks at.
public struct DefaultFaceCandidate: Sendable, Hashable, Codable {
  /// The final box, in the image's pixels.
  public var box: PixelRect
  /// Neighbour votes of all its members.
  public var votes: Double
  /// Votes per cascade (frontal, alt2, profile, mirrored profile, LBP, eye pairs).
  public var scores: [Double]
  /// The cascades that found it.
  public var sources: [Int]
  /// Eyes found in its upper 60 %.
  public var eyes: Int
  /// Share of skin-coloured pixels in its upper half (-1: grayscale image).
  public var skin: Double
  public var kept: Bool
}

extension DefaultDetectorTuning {
  /// The keep rule: a face is kept when eyes are found in its upper part, or when enough cascades agree with
  /// enough votes and — in a colour photo — its upper half shows skin (masks hide only the lower half;
  /// `skinExemptSources` agreeing cascades need no skin).
  func keeps(_ c: DefaultFaceCandidate) -> Bool {
    let skin = minSkin <= 0 || c.skin < 0 || c.skin >= minSkin || c.sources.count >= skinExemptSources
    return c.votes >= minVotes || (eyeCue && c.eyes > 0)
      || (c.sources.count >= minSources && c.votes >= minAgreeingVotes && skin)
  }
}

/// The built-in default: frontal (default + alt2), profile (both directions) and LBP cascades with one
/// neighbour on a 2× upscaled image, and faces inferred from pairs of eyes; each cascade's boxes reshaped to the VOC face convention, merged
/// across cascades (vote-weighted mean box). A face is kept when eyes are found in its upper 60 %, or when two
/// cascades agree with at least 9 votes and — in a colour photo — a quarter of its upper half is skin
/// (masks hide only the lower half; four agreeing cascades need no skin). Tuned on testdata/voc-facemask with
/// `faces-bench eval` / `faces-bench features`, checked on scenes made by `sample-images scenes`.
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
    eyes = try CascadeClassifier(path: CascadeLocations.eyes)
    identity = DetectorIdentity(
      name: "cascades", version: "2 opencv-\(openCVVersion)", parameters: canonicalJSON(tuning))
  }

  struct Candidate {
    var box: PixelRect
    var score: Double
    var source: Int
  }

  public func detect(in image: DecodedImage) throws -> [FaceDetection] {
    let kept = try candidates(in: image).filter(\.kept).map { FaceDetection(box: $0.box, score: $0.votes) }
    return nonMaximumSuppression(kept, iou: 0.3)
  }

  /// Every merged candidate with the cues the keep rule looks at (`kept`: what `detect` returns before NMS);
  /// for tuning (`faces-bench features`).
  public func candidates(in image: DecodedImage) throws -> [DefaultFaceCandidate] {
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
    var clusters: [(box: PixelRect, votes: Double, sources: Set<Int>, sum: [Double], scores: [Double])] = []
    for c in candidates.sorted(by: { $0.score > $1.score }) {
      let w = max(c.score, 1)
      let b = c.box
      let weighted = [Double(b.x) * w, Double(b.y) * w, Double(b.x + b.width) * w, Double(b.y + b.height) * w, w]
      if let i = clusters.firstIndex(where: { $0.box.iou(c.box) >= tuning.mergeIoU }) {
        clusters[i].votes += c.score
        clusters[i].sources.insert(c.source)
        clusters[i].sum = zip(clusters[i].sum, weighted).map { $0 + $1 }
        clusters[i].scores[c.source] += c.score
      } else {
        var scores = [Double](repeating: 0, count: 6)
        scores[c.source] = c.score
        clusters.append((c.box, c.score, [c.source], weighted, scores))
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
    let scale = 1 / Double(factor)
    var found: [DefaultFaceCandidate] = []
    for cluster in clusters {
      var eyeCount = 0
      if let eyes {
        let b = cluster.box
        let upper = PixelRect(x: b.x, y: b.y, width: b.width, height: max(1, b.height * 6 / 10))
        if let region = try? work.resized(upper, width: upper.width, height: upper.height, interpolation: .nearest) {
          eyeCount = try eyes.detectScored(
            in: region,
            parameters: CascadeParameters(
              scaleFactor: 1.1, minNeighbors: 3, minSize: max(8, b.width / 8), maxSize: max(9, b.width / 2),
              equalize: false)
          ).count
        }
      }
      let box = conventional(cluster.box).scaled(by: scale)
      var candidate = DefaultFaceCandidate(
        box: box, votes: cluster.votes, scores: cluster.scores, sources: cluster.sources.sorted(), eyes: eyeCount,
        skin: skinShare(image, in: PixelRect(x: box.x, y: box.y, width: box.width, height: box.height / 2)),
        kept: false)
      candidate.kept = tuning.keeps(candidate)
      found.append(candidate)
    }
    return found
  }

  /// Share of skin-coloured pixels (YCrCb rule) in `rect` of a colour image; -1 where there is no colour
  /// (a grayscale image, or a gray region of a colour one).
  func skinShare(_ image: DecodedImage, in rect: PixelRect) -> Double {
    guard image.channels == 3, rect.width > 0, rect.height > 0,
      let region = try? image.resized(rect, width: 16, height: 16, interpolation: .area),
      let pixels = try? region.pixels()
    else { return -1 }
    var skin = 0
    var chroma = 0.0
    let count = pixels.count / 3
    for i in 0..<count {
      let b = Double(pixels[i * 3])
      let g = Double(pixels[i * 3 + 1])
      let r = Double(pixels[i * 3 + 2])
      let y = 0.299 * r + 0.587 * g + 0.114 * b
      let cr = (r - y) * 0.713 + 128
      let cb = (b - y) * 0.564 + 128
      chroma += abs(cr - 128) + abs(cb - 128)
      if cr >= 133, cr <= 173, cb >= 77, cb <= 127 { skin += 1 }
    }
    guard count > 0, chroma / Double(count) >= 3 else { return -1 }
    return Double(skin) / Double(count)
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
