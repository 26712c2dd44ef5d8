import Catalog
import Foundation
import Imaging
import Ingest
import Parallel

/// What `Catalog.computeHashes` does.
public struct HashingOptions: Sendable {
  public var algorithms: Set<HashAlgorithm>
  /// Images hashed per catalog transaction.
  public var batchSize = 256
  public var maxPixels = ImageHeader.defaultMaxPixels
  /// Compute but do not store (a dry run).
  public var store = true
  /// Keep the fingerprint views of the images hashed now (from the same decode), up to this many images (2.5 KB
  /// each, in a temporary file: see `FingerprintViewStore`), for a confirmation that follows; 0 keeps none.
  public var keepViews = 0

  public init(algorithms: Set<HashAlgorithm>) {
    self.algorithms = algorithms
  }
}

/// An image that could not be hashed, and why. It stays in the catalog untouched.
public struct SkippedImage: Sendable, Codable, Hashable {
  public var imageID: Int64
  public var sha256: String
  /// The first place it came from ("source/relative path"), for people.
  public var origin: String
  public var reason: String
}

/// What a hashing run did.
public struct HashingReport: Sendable, Codable {
  public var algorithms: [String] = []
  /// Images eligible for hashing (status active or duplicate).
  public var images = 0
  /// Images that already had every requested hash at its current version.
  public var upToDate = 0
  /// Images hashed in this run.
  public var hashed = 0
  public var skipped: [SkippedImage] = []
  /// Images hashed although their decoder warned (damaged data, a bad ICC profile, ...), by origin.
  public var decodeWarnings: [DecoderWarnings] = []
}

public struct HashingProgress: Sendable {
  public var processed: Int
  public var total: Int
}

/// Per image: the hashes of the requested algorithms (current versions).
public typealias ImageHashes = [Int64: [HashAlgorithm: UInt64]]

extension Catalog {
  /// Hashes every active or duplicate image that lacks a current-version hash of one of the
  /// algorithms: each image is read and decoded once for all of its missing hashes, on all cores,
  /// and the values are written in one transaction per batch. Images that cannot be decoded are
  /// skipped with a reason; the run goes on. Returns the report and (for dry runs, where nothing is
  /// stored) the values computed.
  public func computeHashes(
    _ options: HashingOptions, progress: (HashingProgress) -> Void = { _ in }
  ) throws -> (report: HashingReport, computed: ImageHashes) {
    let all = try computeHashesAndViews(options, progress: progress)
    return (all.report, all.computed)
  }

  /// ``computeHashes(_:progress:)`` and the fingerprint views of the images hashed now (see
  /// `HashingOptions.keepViews`).
  public func computeHashesAndViews(
    _ options: HashingOptions, progress: (HashingProgress) -> Void = { _ in }
  ) throws -> (report: HashingReport, computed: ImageHashes, views: FingerprintViewStore?) {
    var report = HashingReport()
    report.algorithms = options.algorithms.map(\.rawValue).sorted()
    let dedupStore = DedupStore(catalog: self)
    let eligible = try dedupStore.deduplicableImages()
    report.images = eligible.count
    var present: [Int64: Set<HashAlgorithm>] = [:]
    for algorithm in options.algorithms {
      for id in try dedupStore.imagesHashed(algorithm) {
        present[id, default: []].insert(algorithm)
      }
    }
    let work = eligible.compactMap { image -> (id: Int64, sha256: String, missing: Set<HashAlgorithm>)? in
      let missing = options.algorithms.subtracting(present[image.id] ?? [])
      return missing.isEmpty ? nil : (image.id, image.sha256, missing)
    }
    report.upToDate = eligible.count - work.count
    // Views for all the images hashed now, or for none (a partial set would save little and cost memory).
    let keepViews = !work.isEmpty && work.count <= options.keepViews
    let keptViews = keepViews ? try FingerprintViewStore(folder: workspace.root) : nil
    var computed: ImageHashes = [:]
    progress(HashingProgress(processed: 0, total: work.count))
    // One image per task on every core: OpenCV's own threads would only contend with them for small shrinks.
    setOpenCVThreads(0)
    var start = 0
    while start < work.count {
      let batch = Array(work[start..<min(work.count, start + options.batchSize)])
      let store = self.store
      let maxPixels = options.maxPixels
      let results = concurrentResults(batch) { item in
        try store.read(item.sha256).withUnsafeBytes {
          try PerceptualHash.hashesWarningsAndViews(
            of: $0, algorithms: item.missing, views: keepViews, maxPixels: maxPixels)
        }
      }
      var rows: [(Int64, [HashAlgorithm: UInt64])] = []
      for (item, result) in zip(batch, results) {
        switch result {
        case .success(let (values, warnings, views)):
          rows.append((item.id, values))
          if let views { try keptViews?.append(item.id, views) }
          report.decodeWarnings += try decoderWarnings([(item.id, warnings)])
        case .failure(let error):
          let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
          report.skipped.append(
            SkippedImage(
              imageID: item.id, sha256: item.sha256, origin: try originName(imageID: item.id) ?? "image \(item.id)",
              reason: message))
        }
      }
      if options.store {
        try dedupStore.storeHashes(rows)
      } else {
        for (id, values) in rows { computed[id, default: [:]].merge(values) { $1 } }
      }
      report.hashed += rows.count
      start += batch.count
      progress(HashingProgress(processed: start, total: work.count))
    }
    return (report, computed, keptViews)
  }

  /// Stored hashes (current versions) of the active and duplicate images.
  public func storedHashes(_ algorithms: Set<HashAlgorithm>) throws -> ImageHashes {
    try DedupStore(catalog: self).storedHashes(algorithms)
  }
}
