import Annotations
import Catalog
import Foundation
import Ingest
import Parallel

/// How `faces crop` cuts boxes out.
public struct FaceCropOptions: Sendable {
  /// Extra context on each side, as a fraction of the box's width/height.
  public var margin = 0.25
  /// Make the crop square (the longer side, centred) before clamping to the image.
  public var square = false
  /// Resize so the longer side is this many pixels (nil: as cut).
  public var size: Int?
  /// Proposed boxes too (else accepted ones only); rejected boxes never.
  public var all = false
  /// Only boxes whose origin is this source (a VOC or YOLO import; a merge recipe's `boxes: crops`).
  public var originSourceID: Int64?
  /// How the sources rank when several annotation files describe one image (lower first; see
  /// `Catalog.effectiveBoxes`). Empty: a view `merge` recorded, if any, else the order of import.
  public var rank: [Int64: Int] = [:]
  /// The sources whose annotation files compete for an image's one box set (nil: every source). Every
  /// source's files count even when only `originSourceID`'s boxes are cut, so a face another source's
  /// chosen file holds is not cut a second time from an alternate.
  public var annotationSources: Set<Int64>?
  public var maxPixels = ImageHeader.defaultMaxPixels
  public init() {}
}

/// What `faces crop` did.
public struct FaceCropReport: Sendable, Codable {
  public var boxes = 0
  /// Boxes of alternate annotation files (another file describing the same image counts; see
  /// `Catalog.effectiveBoxes`): not cut, never counted in `boxes`.
  public var alternates = 0
  /// Boxes cropped before (skipped).
  public var alreadyCropped = 0
  public var cropped = 0
  /// Crops whose bytes were already in the catalog.
  public var known = 0
  public var failed: [FaceImageIssue] = []
  public var labels: [String: Int] = [:]
  /// Images cut although their decoder warned (damaged data, a bad ICC profile, ...), by origin.
  public var decodeWarnings: [DecoderWarnings] = []
}

extension Catalog {
  /// Cuts accepted (or, with `all`, also proposed) boxes into crop images through the one ingest path
  /// (source `crops`, kind `derived`), carrying the box's label; each crop is linked to its parent image
  /// and box in `crops`. Boxes already cropped are skipped. Only each image's one effective box set is cut:
  /// the boxes of an alternate (twin) annotation file of the same image are not.
  public func cropFaces(_ options: FaceCropOptions) throws -> FaceCropReport {
    var report = FaceCropReport()
    let allJobs = try BoxStore(catalog: self).croppableBoxes(
      proposed: options.all, originSourceID: options.originSourceID)
    // A box of an annotation file that is not its image's chosen one is an alternate's: not cut. The choice
    // is made among every source's files (not only the source being cut), so two sources annotating one
    // photo give its faces once.
    var rank = options.rank
    if rank.isEmpty {
      for name in try viewNames() {
        guard let definition = try viewDefinition(name), !definition.sourceRank.isEmpty else { continue }
        rank = definition.sourceRank
        break
      }
    }
    let chosen = try effectiveBoxes(rank: rank, sources: options.annotationSources).chosen
    let jobs = allJobs.filter { job in
      guard let set = job.set, let kept = chosen[job.imageID] else { return true }
      return set == kept
    }
    report.alternates = allJobs.count - jobs.count
    report.boxes = jobs.count
    let cropStore = CropStore(catalog: self)
    let done = try cropStore.croppedBoxIDs()
    let work = jobs.filter { !done.contains($0.id) }
    report.alreadyCropped = jobs.count - work.count
    guard !work.isEmpty else { return report }

    let store = self.store
    setOpenCVThreads(0)
    let results = concurrentResults(work) { job -> (bytes: [UInt8], width: Int, height: Int, warnings: [String]) in
      // Only the rows the crop spans are decoded and held (not the whole photo: 507 MB at 13000²), clipped to the
      // photo as shown.
      let wanted = Self.cropRect(
        job.rect, margin: options.margin, square: options.square, width: Int(Int32.max), height: Int(Int32.max))
      let decoded = try store.read(job.sha256).withUnsafeBytes {
        try DecodedImage.decodePart($0, rect: wanted, maxPixels: options.maxPixels)
      }
      guard let image = decoded.part else {
        throw ImagingError.notAnImage("box \(job.id) lies outside its \(decoded.width)×\(decoded.height) image")
      }
      let rect = Box(x: 0, y: 0, width: image.width, height: image.height)
      var (w, h) = (rect.width, rect.height)
      if let size = options.size {
        let scale = Double(size) / Double(max(w, h))
        (w, h) = (max(1, Int((Double(w) * scale).rounded())), max(1, Int((Double(h) * scale).rounded())))
      }
      let crop = try image.cropped(to: rect, width: w, height: h)
      return (try crop.encoded(.jpeg(quality: 95)), w, h, image.warnings)
    }
    var candidates: [IngestCandidate] = []
    var made: [(job: CroppableBox, sha: String, width: Int, height: Int)] = []
    var warned: [(imageID: Int64, warnings: [String])] = []
    for (i, job) in work.enumerated() {
      switch results[i] {
      case .success(let crop):
        if !crop.warnings.isEmpty && !warned.contains(where: { $0.imageID == job.imageID }) {
          warned.append((job.imageID, crop.warnings))
        }
        let name = "box-\(job.id).jpg"
        candidates.append(
          IngestCandidate(
            content: .bytes(crop.bytes), origin: OriginFacts(relativePath: Array(name.utf8)), label: job.label,
            labelHow: "crop"))
        made.append((job, SHA256.hex(of: crop.bytes), crop.width, crop.height))
      case .failure(let error):
        report.failed.append(
          FaceImageIssue(
            imageID: job.imageID, sha256: job.sha256,
            reason: "box \(job.id): " + ((error as? LocalizedError)?.errorDescription ?? String(describing: error))))
      }
    }
    let ingest = try Ingester(catalog: self).ingest(
      candidates, source: SourceSpec(kind: "derived", name: "crops", uri: "datasetkit:crops", recipe: "faces crop"))
    report.known = ingest.knownBytes
    report.decodeWarnings = try decoderWarnings(warned)
    let ids = try imageIDs(sha256: made.map(\.sha))
    let now = Timestamp.now()
    try database.writeTransaction {
      for item in made {
        guard let id = ids[item.sha] else { continue }
        try cropStore.recordCrop(
          id, parent: item.job.imageID, box: item.job.id, margin: options.margin, width: item.width,
          height: item.height, at: now)
        try setParent(item.job.imageID, ofImage: id)
        report.cropped += 1
        if let label = item.job.label { report.labels[label, default: 0] += 1 }
      }
    }
    return report
  }

  /// The box grown by `margin` on each side (and made square), clamped to the image.
  static func cropRect(
    _ box: Box, margin: Double, square: Bool, width: Int, height: Int
  ) -> Box {
    var (x1, y1, x2, y2) = (box.xmin, box.ymin, box.xmax, box.ymax)
    let (w, h) = (x2 - x1, y2 - y1)
    x1 -= w * margin
    x2 += w * margin
    y1 -= h * margin
    y2 += h * margin
    if square {
      let side = max(x2 - x1, y2 - y1)
      let (cx, cy) = ((x1 + x2) / 2, (y1 + y2) / 2)
      (x1, x2, y1, y2) = (cx - side / 2, cx + side / 2, cy - side / 2, cy + side / 2)
    }
    let left = max(0, Int(x1.rounded()))
    let top = max(0, Int(y1.rounded()))
    let right = min(width, Int(x2.rounded()))
    let bottom = min(height, Int(y2.rounded()))
    return Box(x: left, y: top, width: max(0, right - left), height: max(0, bottom - top))
  }
}
