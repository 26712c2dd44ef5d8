import Annotations
import Catalog
import Dedup
import Foundation
import Imaging
import Leakage
import Splitter

/// What a dataset card describes and how it is drawn.
public struct CardOptions: Sendable {
  /// The split described, or nil for every active image (one subset, "all").
  public var split: String?
  /// The label set counted; nil: the split's view, else the labels as found.
  public var view: String?
  /// The datasetkit version printed on the card.
  public var toolVersion: String
  /// Seed of the sample choice.
  public var seed: UInt64 = 1
  /// Sample thumbnails per subset and class.
  public var samplesPerStrip = 8
  public var thresholds = ConfoundThresholds()
  /// Near-duplicate radius of the leakage check (as `check leakage --radius`).
  public var leakageRadius = 8

  public init(split: String? = nil, view: String? = nil, toolVersion: String) {
    self.split = split
    self.view = view
    self.toolVersion = toolVersion
  }
}

/// The facts of one described image the figures are computed from.
struct CardRow {
  var id: Int64
  var sha256: String
  var width: Int
  var height: Int
  var format: String
  var label: String
  var subset: String
  var source: Int64?
}

extension DatasetCard {
  /// The newest split of the catalog, the one a card describes by default (nil when there is none).
  public static func newestSplit(catalog: Catalog) throws -> String? {
    try SplitCatalog.newestSplit(catalog: catalog)
  }

  /// Reads the catalog and computes every figure of the card. Reads only; a split that does not exist
  /// is an error (`SplitterError.unknownSplit`).
  public static func build(catalog: Catalog, options: CardOptions) throws -> DatasetCard {
    let db = catalog.database
    return try db.readTransaction {
      var splitInfo: SplitInfo?
      var splitID: Int64?
      var subsets = ["all"]
      var weights = [1.0]
      var view = options.view ?? ""
      if let name = options.split {
        guard let summary = try SplitCatalog.list(catalog: catalog).first(where: { $0.name == name }),
          let id = try SplitCatalog.splitID(catalog: catalog, name: name)
        else { throw SplitCatalog.unknownSplit(name, catalog: catalog) }
        // The split's view; a --view that says otherwise is refused.
        try SplitRecipeFlags(view: options.view).check(against: summary.plan, split: name)
        splitID = id
        subsets = summary.plan.subsets.map(\.name)
        weights = summary.plan.subsets.map { max(0, $0.weight.isFinite ? $0.weight : 0) }
        let sum = weights.reduce(0, +)
        if sum > 0 { weights = weights.map { $0 / sum } }
        view = options.view ?? summary.plan.view
        splitInfo = SplitInfo(
          name: name, createdAt: summary.createdAt, seed: summary.plan.seed,
          ratios: zip(subsets, weights).map { SubsetRatio(subset: $0, ratio: $1) })
      }
      let rows = try loadRows(catalog, splitID: splitID, view: view)
      for row in rows where !subsets.contains(row.subset) { subsets.append(row.subset) }
      while weights.count < subsets.count { weights.append(0) }
      let sourceNames = Dictionary(try catalog.sourceNames(), uniquingKeysWith: { a, _ in a })

      let labelled = Set(rows.map(\.label))
      let classes = labelled.filter { !$0.isEmpty }.sorted() + (labelled.contains("") ? [""] : [])
      let total = rows.count
      var classTotals: [String: Int] = [:]
      var cellCounts: [String: [String: Int]] = [:]
      for row in rows {
        classTotals[row.label, default: 0] += 1
        cellCounts[row.subset, default: [:]][row.label, default: 0] += 1
      }
      let composition = zip(subsets, weights).map { subset, weight -> SubsetComposition in
        let counts = cellCounts[subset] ?? [:]
        let images = counts.values.reduce(0, +)
        return SubsetComposition(
          subset: subset, images: images, share: ratio(images, total), targetShare: weight,
          classes: classes.map {
            SubsetComposition.Share(
              label: $0, images: counts[$0] ?? 0, share: ratio(counts[$0] ?? 0, images),
              targetShare: ratio(classTotals[$0] ?? 0, total))
          })
      }
      var deviations: [ClassDeviation] = []
      if splitInfo != nil {
        for label in classes {
          let actual = subsets.map { cellCounts[$0]?[label] ?? 0 }
          let classTotal = actual.reduce(0, +)
          let targets = SplitAssigner.largestRemainder(total: classTotal, weights: weights)
          let cells = subsets.indices.map {
            ClassDeviation.Cell(
              subset: subsets[$0], actual: actual[$0], target: targets[$0], share: ratio(actual[$0], classTotal),
              targetShare: weights[$0])
          }
          deviations.append(
            ClassDeviation(
              label: label, total: classTotal, subsets: cells,
              deviation: zip(actual, targets).map { abs($0 - $1) }.max() ?? 0,
              deviationPoints: cells.map { abs($0.share - $0.targetShare) * 100 }.max() ?? 0))
        }
      }

      let (confounds, warnings) = ConfoundAnalysis.run(
        rows: rows, classes: classes.filter { !$0.isEmpty }, sourceNames: sourceNames, thresholds: options.thresholds)
      let scope = Set(rows.map(\.id))
      let samples = try sampleStrips(catalog, rows: rows, subsets: subsets, classes: classes, options: options)
      let quality = Quality(
        histograms: classes.map { label in
          let members = rows.filter { $0.label == label }
          return Quality.ClassHistograms(
            label: label, size: Bins.longerSide(members.map { max($0.width, $0.height) }),
            aspect: Bins.aspect(members.compactMap { $0.height > 0 ? Double($0.width) / Double($0.height) : nil }))
        },
        removed: try removedImages(catalog), duplicates: try duplicates(catalog, scope: scope),
        leakage: try options.split.map { try leakage(catalog, split: $0, radius: options.leakageRadius) },
        boxes: try boxes(catalog, scope: scope))
      let provenance = try provenance(catalog, scope: scope)
      let rule =
        "SHA-256 of the lines \"sha256<TAB>label<TAB>subset\" of every image described, sorted, after a line \"view<TAB>split\""
      return DatasetCard(
        toolVersion: options.toolVersion, catalogSchema: try catalog.schemaVersion,
        fingerprint: fingerprint(rows, view: view, split: options.split ?? ""), fingerprintRule: rule, split: splitInfo,
        view: view, images: total, classes: classes, subsets: subsets, composition: composition, deviations: deviations,
        confounds: confounds, samples: samples, quality: quality, provenance: provenance, warnings: warnings)
    }
  }

  static func loadRows(_ catalog: Catalog, splitID: Int64?, view: String) throws -> [CardRow] {
    let firstSource = try catalog.firstSourceByImage()
    if let splitID {
      // A split's members as frozen, with the labels they were assigned with: what its export writes.
      return try SplitCatalog.frozenMembers(catalog: catalog, splitID: splitID).sorted { $0.image.id < $1.image.id }
        .map { row in
          let id = row.image.id
          return CardRow(
            id: id, sha256: row.image.sha256, width: max(0, row.image.width), height: max(0, row.image.height),
            format: row.image.format, label: row.label ?? "", subset: row.subset, source: firstSource[id])
        }
    }
    let labels = try catalog.firstLabelByImage(view: view)
    return try catalog.activeImages().map { image in
      CardRow(
        id: image.id, sha256: image.sha256, width: max(0, image.width), height: max(0, image.height),
        format: image.format, label: labels[image.id] ?? "", subset: "all", source: firstSource[image.id])
    }
  }

  /// Per subset and class, the first `samplesPerStrip` images in the order of a seeded hash of their SHA-256.
  static func sampleStrips(
    _ catalog: Catalog, rows: [CardRow], subsets: [String], classes: [String], options: CardOptions
  )
    throws -> SampleStrips
  {
    var groups: [String: [CardRow]] = [:]
    for row in rows { groups["\(row.subset)\u{0}\(row.label)", default: []].append(row) }
    var strips: [SampleStrips.Strip] = []
    let lookup = ImageLookup(catalog)
    for subset in subsets {
      for label in classes {
        let members = groups["\(subset)\u{0}\(label)"] ?? []
        guard !members.isEmpty else { continue }
        let chosen = members.map { (SampleOrder.key($0.sha256, seed: options.seed), $0) }
          .sorted { ($0.0, $0.1.sha256) < ($1.0, $1.1.sha256) }.prefix(max(0, options.samplesPerStrip))
        strips.append(
          SampleStrips.Strip(
            subset: subset, label: label, images: members.count,
            samples: try chosen.map { try lookup.image($0.1.id, known: $0.1) }))
      }
    }
    return SampleStrips(seed: options.seed, perStrip: options.samplesPerStrip, strips: strips)
  }

  /// Images that are not active, by status and reason; numbers in reasons ("near-duplicate of image 25
  /// (… distance 8, cluster 9)") are written N so that one kind of reason is one row.
  static func removedImages(_ catalog: Catalog) throws -> [Quality.StatusCount] {
    var grouped: [String: [String: Int]] = [:]
    for row in try catalog.removedImageCounts() {
      let pattern = row.reason.replacingOccurrences(of: "[0-9]+", with: "N", options: .regularExpression)
      grouped[row.status.rawValue, default: [:]][pattern, default: 0] += row.images
    }
    let all = grouped.sorted { $0.key < $1.key }.flatMap { status, reasons in
      reasons.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
        Quality.StatusCount(status: status, reason: $0.key, images: $0.value)
      }
    }
    // At most 12 reasons per status; the rest are counted together.
    var result: [Quality.StatusCount] = []
    for status in Array(Set(all.map(\.status))).sorted() {
      let rows = all.filter { $0.status == status }
      result += rows.prefix(12)
      if rows.count > 12 {
        result.append(
          Quality.StatusCount(
            status: status, reason: "(\(rows.count - 12) other reasons)",
            images: rows.dropFirst(12).map(\.images).reduce(0, +)))
      }
    }
    return result
  }

  static func duplicates(_ catalog: Catalog, scope: Set<Int64>) throws -> Duplicates {
    let store = DedupStore(catalog: catalog)
    let methods = try store.clusterMethodCounts().map {
      Duplicates.Method(method: $0.method, radius: $0.radius, clusters: $0.clusters, images: $0.images)
    }
    var largest: [Duplicates.Cluster] = []
    if let main = methods.first {
      var members: [Int64: [(Int64, Bool)]] = [:]
      for member in try store.clusterMembers(method: main.method, radius: main.radius) {
        members[member.clusterID, default: []].append((member.imageID, member.kept))
      }
      let touching = members.filter { $0.value.count > 1 && $0.value.contains { scope.contains($0.0) } }
        .sorted { ($0.value.count, -$0.key) > ($1.value.count, -$1.key) }.prefix(6)
      let lookup = ImageLookup(catalog)
      for (cluster, list) in touching {
        let ordered = list.filter(\.1) + list.filter { !$0.1 }
        largest.append(
          Duplicates.Cluster(
            id: cluster, method: main.method, members: list.count,
            shown: try ordered.prefix(6).map { try lookup.image($0.0) }, kept: list.first(where: \.1)?.0))
      }
    }
    return Duplicates(
      methods: methods,
      markedDuplicate: try catalog.imageCount(status: .duplicate),
      largest: largest)
  }

  static func leakage(_ catalog: Catalog, split: String, radius: Int) throws -> Leakage {
    // Read-only: the card compares the hashes stored (it runs inside one read transaction and writes nothing).
    let report = try LeakageCheck.run(catalog: catalog, split: split, radius: radius, missing: .storedOnly)
    let lookup = ImageLookup(catalog)
    return Leakage(
      radius: report.radius, hashAlgorithm: report.hashAlgorithm, pairs: report.pairs.count,
      shown: try report.pairs.prefix(8).map {
        Leakage.Pair(
          first: try lookup.image($0.first), firstSubset: $0.firstSubset, second: try lookup.image($0.second),
          secondSubset: $0.secondSubset, distance: $0.distance, evidence: $0.evidence)
      })
  }

  static func boxes(_ catalog: Catalog, scope: Set<Int64>) throws -> Boxes? {
    var perImage: [Int64: Int] = [:]
    var sides: [Double] = []
    var byClass: [String: Int] = [:]
    for box in try BoxStore(catalog: catalog).liveBoxExtents() where scope.contains(box.imageID) {
      let (width, height) = (box.width, box.height)
      perImage[box.imageID, default: 0] += 1
      byClass[box.className, default: 0] += 1
      if width.isFinite, height.isFinite, width >= 0, height >= 0 { sides.append((width * height).squareRoot()) }
    }
    guard !perImage.isEmpty else { return nil }
    let counts = scope.map { perImage[$0] ?? 0 }
    return Boxes(
      images: perImage.count, boxes: perImage.values.reduce(0, +), perImage: Bins.boxesPerImage(counts),
      size: Bins.boxSide(sides),
      byClass: byClass.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
        Boxes.ClassCount(label: $0.key, boxes: $0.value)
      })
  }

  static func provenance(_ catalog: Catalog, scope: Set<Int64>) throws -> Provenance {
    var licenseImages: [String: Set<Int64>] = [:]
    var sourceImages: [Int64: Set<Int64>] = [:]
    var sourceURL: [Int64: Set<Int64>] = [:]
    for origin in try catalog.originLicenses() where scope.contains(origin.imageID) {
      let (image, source) = (origin.imageID, origin.sourceID)
      licenseImages[origin.license, default: []].insert(image)
      sourceImages[source, default: []].insert(image)
      if origin.hasURL { sourceURL[source, default: []].insert(image) }
    }
    let sources = try catalog.sources().map {
      (
        $0.id,
        Provenance.Source(
          name: $0.spec.name, kind: $0.spec.kind, uri: $0.spec.uri, recipe: $0.spec.recipe, license: $0.spec.license,
          images: 0, withURL: 0)
      )
    }
    return Provenance(
      licenses: licenseImages.map { Provenance.License(license: $0.key, images: $0.value.count) }
        .sorted { ($0.images, $1.license) > ($1.images, $0.license) },
      sources: sources.compactMap { id, source in
        guard let images = sourceImages[id] else { return nil }
        var source = source
        source.images = images.count
        source.withURL = sourceURL[id]?.count ?? 0
        return source
      })
  }

  static func fingerprint(_ rows: [CardRow], view: String, split: String) -> String {
    var text = "\(view)\t\(split)\n"
    for line in rows.map({ "\($0.sha256)\t\($0.label)\t\($0.subset)\n" }).sorted() { text += line }
    return SHA256.hex(of: Data(text.utf8))
  }
}

func ratio(_ part: Int, _ whole: Int) -> Double { whole > 0 ? Double(part) / Double(whole) : 0 }

/// A seeded order over images: SplitMix64 of the seed and the first 16 hex digits of the SHA-256.
enum SampleOrder {
  static func key(_ sha256: String, seed: UInt64) -> UInt64 {
    var z = (UInt64(sha256.prefix(16), radix: 16) ?? 0) &+ seed &* 0x9E37_79B9_7F4A_7C15
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// Reads the card's view of single images: SHA-256, size and the parent photo of a crop (from `crops`,
/// else `images.parent_image_id`).
struct ImageLookup {
  let catalog: Catalog
  init(_ catalog: Catalog) { self.catalog = catalog }

  func image(_ id: Int64, known: CardRow? = nil) throws -> CardImage {
    var image: CardImage
    if let known {
      image = CardImage(id: id, sha256: known.sha256, width: known.width, height: known.height, parent: nil)
    } else {
      image =
        try catalog.imageFacts(id: id).map {
          CardImage(id: id, sha256: $0.sha256, width: $0.width, height: $0.height, parent: nil)
        } ?? CardImage(id: id, sha256: "", width: 0, height: 0, parent: nil)
    }
    let crop = try CropStore(catalog: catalog).cropSource(ofImage: id)
    let parentID = try crop?.parentImageID ?? catalog.parentImageID(ofImage: id)
    if let parentID, parentID != id {
      image.parent = try catalog.imageFacts(id: parentID).map {
        CardImage.Parent(
          id: parentID, sha256: $0.sha256, width: $0.width, height: $0.height,
          box: crop?.box.map { [$0.xmin, $0.ymin, $0.xmax, $0.ymax] }.flatMap { box in
            box.allSatisfy(\.isFinite) ? box : nil
          })
      }
    }
    return image
  }
}
