import Catalog
import Foundation
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
    try catalog.database.scalarText("SELECT name FROM splits ORDER BY id DESC LIMIT 1")
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
          let id = try db.scalarInt("SELECT id FROM splits WHERE name = ?", [.text(name)])
        else { throw SplitCatalog.unknownSplit(name, catalog: catalog) }
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
      let rows = try loadRows(db, splitID: splitID, view: view)
      for row in rows where !subsets.contains(row.subset) { subsets.append(row.subset) }
      while weights.count < subsets.count { weights.append(0) }
      let sourceNames = Dictionary(
        try db.rows("SELECT id, name FROM sources") { ($0.int64(0), $0.text(1) ?? "") }, uniquingKeysWith: { a, _ in a }
      )

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
      let samples = try sampleStrips(db, rows: rows, subsets: subsets, classes: classes, options: options)
      let quality = Quality(
        histograms: classes.map { label in
          let members = rows.filter { $0.label == label }
          return Quality.ClassHistograms(
            label: label, size: Bins.longerSide(members.map { max($0.width, $0.height) }),
            aspect: Bins.aspect(members.compactMap { $0.height > 0 ? Double($0.width) / Double($0.height) : nil }))
        },
        removed: try removedImages(db), duplicates: try duplicates(db, scope: scope),
        leakage: try options.split.map { try leakage(catalog, split: $0, radius: options.leakageRadius) },
        boxes: try boxes(db, scope: scope))
      let provenance = try provenance(db, scope: scope)
      let rule =
        "SHA-256 of the lines \"sha256<TAB>label<TAB>subset\" of every image described, sorted, after a line \"view<TAB>split\""
      return DatasetCard(
        toolVersion: options.toolVersion, catalogSchema: catalog.schemaVersion,
        fingerprint: fingerprint(rows, view: view, split: options.split ?? ""), fingerprintRule: rule, split: splitInfo,
        view: view, images: total, classes: classes, subsets: subsets, composition: composition, deviations: deviations,
        confounds: confounds, samples: samples, quality: quality, provenance: provenance, warnings: warnings)
    }
  }

  static func loadRows(_ db: Database, splitID: Int64?, view: String) throws -> [CardRow] {
    var labels: [Int64: String] = [:]
    for (image, label) in try db.rows(
      """
      SELECT l.image_id, MIN(c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
      WHERE l.view = ? GROUP BY l.image_id
      """, [.text(view)], { ($0.int64(0), $0.text(1) ?? "") })
    {
      labels[image] = label
    }
    var firstSource: [Int64: Int64] = [:]
    for (image, source) in try db.rows(
      "SELECT image_id, source_id FROM image_origins WHERE id IN (SELECT MIN(id) FROM image_origins GROUP BY image_id)",
      [],
      { ($0.int64(0), $0.int64(1)) })
    {
      firstSource[image] = source
    }
    let sql =
      splitID == nil
      ? "SELECT i.id, i.sha256, i.width, i.height, i.format, 'all' FROM images i WHERE i.status = 'active' ORDER BY i.id"
      : """
      SELECT i.id, i.sha256, i.width, i.height, i.format, a.subset FROM split_assignments a
      JOIN images i ON i.id = a.image_id WHERE a.split_id = ? AND i.status = 'active' ORDER BY i.id
      """
    return try db.rows(sql, splitID.map { [.int($0)] } ?? []) {
      let id = $0.int64(0)
      return CardRow(
        id: id, sha256: $0.text(1) ?? "", width: max(0, $0.int(2)), height: max(0, $0.int(3)), format: $0.text(4) ?? "",
        label: labels[id] ?? "", subset: $0.text(5) ?? "", source: firstSource[id])
    }
  }

  /// Per subset and class, the first `samplesPerStrip` images in the order of a seeded hash of their SHA-256.
  static func sampleStrips(_ db: Database, rows: [CardRow], subsets: [String], classes: [String], options: CardOptions)
    throws -> SampleStrips
  {
    var groups: [String: [CardRow]] = [:]
    for row in rows { groups["\(row.subset)\u{0}\(row.label)", default: []].append(row) }
    var strips: [SampleStrips.Strip] = []
    let lookup = ImageLookup(db)
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
  static func removedImages(_ db: Database) throws -> [Quality.StatusCount] {
    var grouped: [String: [String: Int]] = [:]
    for (status, reason, count) in try db.rows(
      "SELECT status, COALESCE(status_reason, ''), COUNT(*) FROM images WHERE status != 'active' GROUP BY 1, 2", [],
      { ($0.text(0) ?? "", $0.text(1) ?? "", $0.int(2)) })
    {
      let pattern = reason.replacingOccurrences(of: "[0-9]+", with: "N", options: .regularExpression)
      grouped[status, default: [:]][pattern, default: 0] += count
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

  static func duplicates(_ db: Database, scope: Set<Int64>) throws -> Duplicates {
    let methods = try db.rows(
      "SELECT method, radius, COUNT(DISTINCT cluster_id), COUNT(*) FROM dup_clusters GROUP BY 1, 2 ORDER BY 4 DESC, 1, 2"
    ) { Duplicates.Method(method: $0.text(0) ?? "", radius: $0.int(1), clusters: $0.int(2), images: $0.int(3)) }
    var largest: [Duplicates.Cluster] = []
    if let main = methods.first {
      var members: [Int64: [(Int64, Bool)]] = [:]
      for (image, cluster, kept) in try db.rows(
        "SELECT image_id, cluster_id, kept FROM dup_clusters WHERE method = ? AND radius = ? ORDER BY image_id",
        [.text(main.method), .int(Int64(main.radius))], { ($0.int64(0), $0.int64(1), $0.int(2) != 0) })
      {
        members[cluster, default: []].append((image, kept))
      }
      let touching = members.filter { $0.value.count > 1 && $0.value.contains { scope.contains($0.0) } }
        .sorted { ($0.value.count, -$0.key) > ($1.value.count, -$1.key) }.prefix(6)
      let lookup = ImageLookup(db)
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
      markedDuplicate: Int(try db.scalarInt("SELECT COUNT(*) FROM images WHERE status = 'duplicate'") ?? 0),
      largest: largest)
  }

  static func leakage(_ catalog: Catalog, split: String, radius: Int) throws -> Leakage {
    // Read-only: the card compares the hashes stored (it runs inside one read transaction and writes nothing).
    let report = try LeakageCheck.run(catalog: catalog, split: split, radius: radius, missing: .storedOnly)
    let lookup = ImageLookup(catalog.database)
    return Leakage(
      radius: report.radius, hashAlgorithm: report.hashAlgorithm, pairs: report.pairs.count,
      shown: try report.pairs.prefix(8).map {
        Leakage.Pair(
          first: try lookup.image($0.first), firstSubset: $0.firstSubset, second: try lookup.image($0.second),
          secondSubset: $0.secondSubset, distance: $0.distance, evidence: $0.evidence)
      })
  }

  static func boxes(_ db: Database, scope: Set<Int64>) throws -> Boxes? {
    var perImage: [Int64: Int] = [:]
    var sides: [Double] = []
    var byClass: [String: Int] = [:]
    for (image, width, height, label) in try db.rows(
      """
      SELECT b.image_id, b.xmax - b.xmin, b.ymax - b.ymin, COALESCE(c.name, '') FROM boxes b
      LEFT JOIN classes c ON c.id = b.class_id WHERE b.status != 'rejected'
      """, [], { ($0.int64(0), $0.double(1), $0.double(2), $0.text(3) ?? "") })
    where scope.contains(image) {
      perImage[image, default: 0] += 1
      byClass[label, default: 0] += 1
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

  static func provenance(_ db: Database, scope: Set<Int64>) throws -> Provenance {
    var licenseImages: [String: Set<Int64>] = [:]
    var sourceImages: [Int64: Set<Int64>] = [:]
    var sourceURL: [Int64: Set<Int64>] = [:]
    for (image, source, license, hasURL) in try db.rows(
      """
      SELECT o.image_id, o.source_id, COALESCE(o.license, s.license, 'unknown'), o.url IS NOT NULL
      FROM image_origins o JOIN sources s ON s.id = o.source_id
      """, [], { ($0.int64(0), $0.int64(1), $0.text(2) ?? "unknown", $0.int(3) != 0) })
    where scope.contains(image) {
      licenseImages[license, default: []].insert(image)
      sourceImages[source, default: []].insert(image)
      if hasURL { sourceURL[source, default: []].insert(image) }
    }
    let sources = try db.rows("SELECT id, name, kind, uri, recipe, license FROM sources ORDER BY id") {
      (
        $0.int64(0),
        Provenance.Source(
          name: $0.text(1) ?? "", kind: $0.text(2) ?? "", uri: $0.text(3) ?? "", recipe: $0.text(4),
          license: $0.text(5),
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
  let db: Database
  init(_ db: Database) { self.db = db }

  func image(_ id: Int64, known: CardRow? = nil) throws -> CardImage {
    var image: CardImage
    if let known {
      image = CardImage(id: id, sha256: known.sha256, width: known.width, height: known.height, parent: nil)
    } else {
      image =
        try db.rows("SELECT sha256, width, height FROM images WHERE id = ?", [.int(id)]) {
          CardImage(id: id, sha256: $0.text(0) ?? "", width: $0.int(1), height: $0.int(2), parent: nil)
        }.first ?? CardImage(id: id, sha256: "", width: 0, height: 0, parent: nil)
    }
    let crop = try db.rows(
      """
      SELECT c.parent_image_id, b.xmin, b.ymin, b.xmax, b.ymax, b.id IS NOT NULL FROM crops c
      LEFT JOIN boxes b ON b.id = c.box_id WHERE c.image_id = ? ORDER BY c.id LIMIT 1
      """, [.int(id)]
    ) { ($0.int64(0), $0.int(5) != 0 ? [$0.double(1), $0.double(2), $0.double(3), $0.double(4)] : nil) }.first
    let parentID = try crop?.0 ?? db.scalarInt("SELECT parent_image_id FROM images WHERE id = ?", [.int(id)])
    if let parentID, parentID != id {
      image.parent = try db.rows("SELECT sha256, width, height FROM images WHERE id = ?", [.int(parentID)]) {
        CardImage.Parent(
          id: parentID, sha256: $0.text(0) ?? "", width: $0.int(1), height: $0.int(2),
          box: crop?.1.flatMap { box in box.allSatisfy(\.isFinite) ? box : nil })
      }.first
    }
    return image
  }
}
