import Annotations
import Catalog
import Foundation
import Imaging
import Ingest
import Parallel

/// What `faces detect` runs over and with what.
public struct FaceDetectOptions: Sendable {
  public var detector: DetectorSpec
  /// Only images carrying this label.
  public var label: String?
  /// Only images from this source (by name).
  public var source: String?
  public var maxPixels = ImageHeader.defaultMaxPixels
  /// Images per committed batch.
  public var batchSize = 64
  public var workers = ProcessInfo.processInfo.activeProcessorCount
  /// Proposed boxes take the image's label (`--label-from image`: crawl per phrase → boxes labelled by phrase)
  /// when the image has exactly one label (view ''); else they have none.
  public var labelFromImage = false

  public init(detector: DetectorSpec) {
    self.detector = detector
  }
}

/// What `faces detect` did.
public struct FaceDetectReport: Sendable, Codable {
  public var detector: DetectorIdentity
  /// Images matching the filters.
  public var images = 0
  /// Skipped: already done with the same detector and parameters.
  public var alreadyDone = 0
  public var processed = 0
  /// Proposals stored.
  public var faces = 0
  public var failed: [FaceImageIssue] = []
  /// Images searched although their decoder warned (damaged data, a bad ICC profile, ...), by origin.
  public var decodeWarnings: [DecoderWarnings] = []
}

/// Progress after each committed batch.
public struct FaceProgress: Sendable {
  public var processed: Int
  public var total: Int
}

/// Detectors for concurrent workers: each job takes one, uses it alone and gives it back.
final class DetectorPool: @unchecked Sendable {
  private var idle: [any FaceDetector] = []
  private let lock = NSLock()
  let spec: DetectorSpec
  init(spec: DetectorSpec, first: any FaceDetector) {
    self.spec = spec
    idle = [first]
  }
  func take() throws -> any FaceDetector {
    if let d = lock.withLock({ idle.popLast() }) { return d }
    return try spec.make()
  }
  func give(_ detector: any FaceDetector) { lock.withLock { idle.append(detector) } }
}

extension Catalog {
  /// Runs a detector over the catalog's active images (not crops), one image per task on all cores with
  /// OpenCV's own threads off, storing faces as `proposed` boxes. Images already done with the same
  /// detector and parameters are skipped. A missing model throws before any image is read; an
  /// undecodable or oversized image is listed in `failed` (and recorded in `detection_runs` with its error, to be
  /// tried again next run) and the run goes on. Each image is decoded as a bounded copy (`DetectionImage`).
  public func detectFaces(_ options: FaceDetectOptions, progress: (FaceProgress) -> Void = { _ in }) throws
    -> FaceDetectReport
  {
    let first = try options.detector.make()
    let identity = first.identity
    let pool = DetectorPool(spec: options.detector, first: first)
    setOpenCVThreads(0)
    var report = FaceDetectReport(detector: identity)
    let all = try uncroppedActiveImages(label: options.label, source: options.source)
    report.images = all.count
    let detections = DetectionStore(catalog: self)
    let done = try detections.imagesSearched(byKey: identity.key)
    let work = all.filter { !done.contains($0.0) }
    report.alreadyDone = all.count - work.count
    progress(FaceProgress(processed: 0, total: work.count))
    let imageLabel: [Int64: Int64] = options.labelFromImage ? try singleFoundClasses() : [:]
    let store = self.store
    let maxPixels = options.maxPixels
    var start = 0
    var warned: [(imageID: Int64, warnings: [String])] = []
    while start < work.count {
      let batch = Array(work[start..<min(work.count, start + options.batchSize)])
      let searched = concurrentResults(batch) { item in
        // A bounded working copy (reduced decode), so one huge image cannot exhaust memory.
        let photo = try DetectionImage(bytes: try store.read(item.1), maxPixels: maxPixels)
        let detector = try pool.take()
        defer { pool.give(detector) }
        return (faces: photo.original(try detector.detect(in: photo.image)), warnings: photo.warnings)
      }
      warned += zip(batch, searched).compactMap { item, result in (try? result.get()).map { (item.0, $0.warnings) } }
      let results = searched.map { $0.map(\.faces) }
      let now = Timestamp.now()
      try database.writeTransaction {
        for (i, item) in batch.enumerated() {
          switch results[i] {
          case .success(let faces):
            for face in faces {
              try detections.addProposal(
                face, image: item.0, identity: identity, classID: imageLabel[item.0], at: now)
            }
            report.faces += faces.count
            try detections.recordRun(image: item.0, detectorKey: identity.key, faces: faces.count, at: now)
          case .failure(let error):
            let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
            report.failed.append(FaceImageIssue(imageID: item.0, sha256: item.1, reason: message))
            // Recorded (and tried again by the next run); the other images' results stand.
            try detections.recordFailedRun(image: item.0, detectorKey: identity.key, error: message, at: now)
          }
        }
      }
      report.processed += batch.count
      start += batch.count
      progress(FaceProgress(processed: report.processed, total: work.count))
    }
    // A detector that fails on every image is broken (a bad model, a missing library), not the images: say so
    // once, with the first error, instead of one line per image.
    if let first = report.failed.first, report.failed.count == report.processed {
      throw AutoFaceError.everyImageFailed(count: report.processed, first: first.reason)
    }
    report.decodeWarnings = try decoderWarnings(warned)
    return report
  }
}
