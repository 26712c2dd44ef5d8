import Catalog
import Foundation

/// How one stratum came out: target and actual count per subset.
public struct StratumReport: Sendable, Codable, Equatable {
  public var stratum: String
  public var total: Int
  public var target: [String: Int]
  public var actual: [String: Int]
  /// Largest |actual − target| over the subsets.
  public var deviation: Int
}

/// The result of `datasetkit split`.
public struct SplitReport: Sendable, Codable {
  public var name: String
  public var created: Bool
  public var plan: SplitPlan
  public var images: Int
  public var newlyAssigned: Int
  public var kept: Int
  public var moved: Int
  public var groups: Int
  public var counts: [String: Int]
  public var strata: [StratumReport]
  /// Things a user should know: classes too small for a subset, group-induced deviation.
  public var warnings: [String]
}

/// A stored split version.
public struct SplitSummary: Sendable, Codable, Equatable {
  public var name: String
  public var createdAt: String
  public var plan: SplitPlan
  public var counts: [String: Int]
}

/// Reads the catalog into split items, runs `SplitAssigner`, and stores the assignments.
public enum SplitCatalog {
  /// Creates split `name` or extends it to images added since (never moving assigned ones, unless
  /// `rebalance`).
  public static func split(
    catalog: Catalog, name: String, plan: SplitPlan, rebalance: Bool = false
  ) throws -> SplitReport {
    let db = catalog.database
    let existing = try db.rows("SELECT id, params FROM splits WHERE name = ?", [.text(name)]) {
      ($0.int64(0), $0.text(1) ?? "")
    }.first
    var splitID = existing?.0
    if let (_, params) = existing, !rebalance {
      let stored = try? JSONDecoder().decode(SplitPlan.self, from: Data(params.utf8))
      if stored != plan { throw SplitterError.planChanged(name: name) }
    }
    let items = try loadItems(catalog: catalog, plan: plan, splitID: splitID)
    if items.isEmpty { throw SplitterError.nothingToSplit(view: plan.view) }
    let outcome = SplitAssigner.assign(items, plan: plan, rebalance: rebalance)

    let now = Timestamp.now()
    try db.writeTransaction {
      if let id = splitID {
        if rebalance {
          try db.run("UPDATE splits SET params = ?, seed = ? WHERE id = ?", [
            .text(plan.canonicalJSON()), .int(Int64(bitPattern: plan.seed)), .int(id),
          ])
        }
      } else {
        try db.run(
          "INSERT INTO splits (name, params, seed, created_at) VALUES (?, ?, ?, ?)",
          [.text(name), .text(plan.canonicalJSON()), .int(Int64(bitPattern: plan.seed)), .text(now)])
        splitID = db.lastInsertRowID
      }
      guard let splitID else { return }
      let statement = try db.prepare(
        """
        INSERT INTO split_assignments (split_id, image_id, subset, group_key, assigned_at)
        VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (split_id, image_id) DO UPDATE SET subset = excluded.subset,
          group_key = excluded.group_key, assigned_at = excluded.assigned_at
        """)
      for item in items {
        guard let subset = outcome.subsets[item.imageID], subset != item.assigned else { continue }
        try statement.bind([.int(splitID), .int(item.imageID), .text(subset), .text(item.groupKey), .text(now)])
        while try statement.step() {}
        statement.reset()
      }
    }
    return report(name: name, created: existing == nil, plan: plan, items: items, outcome: outcome)
  }

  static func report(
    name: String, created: Bool, plan: SplitPlan, items: [SplitItem], outcome: SplitOutcome
  ) -> SplitReport {
    let names = plan.subsets.map(\.name)
    var perStratum: [String: [String: Int]] = [:]
    var counts: [String: Int] = Dictionary(uniqueKeysWithValues: names.map { ($0, 0) })
    for item in items {
      guard let subset = outcome.subsets[item.imageID] else { continue }
      perStratum[item.stratum, default: [:]][subset, default: 0] += 1
      counts[subset, default: 0] += 1
    }
    var strata: [StratumReport] = []
    var warnings: [String] = []
    for stratum in perStratum.keys.sorted() {
      let actual = perStratum[stratum] ?? [:]
      let total = actual.values.reduce(0, +)
      let targets = SplitAssigner.largestRemainder(total: total, weights: plan.subsets.map(\.weight))
      let target = Dictionary(uniqueKeysWithValues: zip(names, targets))
      let deviation = names.map { abs((actual[$0] ?? 0) - (target[$0] ?? 0)) }.max() ?? 0
      strata.append(
        StratumReport(
          stratum: stratum, total: total, target: target,
          actual: Dictionary(uniqueKeysWithValues: names.map { ($0, actual[$0] ?? 0) }), deviation: deviation))
      let empty = zip(names, plan.subsets).filter { $0.1.weight > 0 && (target[$0.0] ?? 0) == 0 }.map(\.0)
      if !empty.isEmpty {
        warnings.append(
          "\(display(stratum)) has \(total) image\(total == 1 ? "" : "s"): too few for \(empty.joined(separator: ", "))")
      }
      if deviation > 1 {
        warnings.append(
          "\(display(stratum)) is \(deviation) images off its target: duplicate groups or earlier assignments must stay whole")
      }
    }
    let groups = Set(items.map(\.groupKey)).count
    return SplitReport(
      name: name, created: created, plan: plan, images: items.count, newlyAssigned: outcome.newlyAssigned,
      kept: items.filter { $0.assigned != nil }.count - outcome.moved, moved: outcome.moved, groups: groups,
      counts: counts, strata: strata, warnings: warnings)
  }

  static func display(_ stratum: String) -> String { stratum.isEmpty ? "(no label)" : stratum }

  /// Every active image of the plan's view with its group key, stratum and current subset.
  static func loadItems(catalog: Catalog, plan: SplitPlan, splitID: Int64?) throws -> [SplitItem] {
    let db = catalog.database
    for key in plan.stratify where key != "label" && key != "source" {
      throw SplitterError.unknownStratum(key)
    }
    var pattern: NSRegularExpression?
    if let groupBy = plan.groupBy {
      do { pattern = try NSRegularExpression(pattern: groupBy) } catch {
        throw SplitterError.badGroupPattern(groupBy)
      }
    }
    return try db.readTransaction {
      var shas: [Int64: String] = [:]
      var order: [Int64] = []
      let images = try db.prepare("SELECT id, sha256 FROM images WHERE status = 'active' ORDER BY id")
      defer { images.reset() }
      while try images.step() {
        let id = images.int64(0)
        shas[id] = images.text(1) ?? ""
        order.append(id)
      }
      var labels: [Int64: String] = [:]
      let labelRows = try db.prepare(
        """
        SELECT l.image_id, MIN(c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
        WHERE l.view = ? GROUP BY l.image_id
        """)
      defer { labelRows.reset() }
      try labelRows.bind([.text(plan.view)])
      while try labelRows.step() { labels[labelRows.int64(0)] = labelRows.text(1) ?? "" }
      var sources: [Int64: String] = [:]
      var names: [Int64: String] = [:]
      let origins = try db.prepare(
        "SELECT o.image_id, s.name, o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id ORDER BY o.id")
      defer { origins.reset() }
      while try origins.step() {
        let id = origins.int64(0)
        if sources[id] == nil {
          sources[id] = origins.text(1) ?? ""
          names[id] = origins.text(2) ?? ""
        }
      }
      var assigned: [Int64: String] = [:]
      if let splitID {
        let rows = try db.prepare("SELECT image_id, subset FROM split_assignments WHERE split_id = ?")
        defer { rows.reset() }
        try rows.bind([.int(splitID)])
        while try rows.step() { assigned[rows.int64(0)] = rows.text(1) }
      }
      // Groups: union of duplicate clusters and --group-by keys.
      var parent: [Int64: Int64] = [:]
      func find(_ x: Int64) -> Int64 {
        var root = x
        while let p = parent[root], p != root { root = p }
        var node = x
        while let p = parent[node], p != root {
          parent[node] = root
          node = p
        }
        return root
      }
      func union(_ a: Int64, _ b: Int64) {
        let (ra, rb) = (find(a), find(b))
        if ra != rb { parent[max(ra, rb)] = min(ra, rb) }
      }
      var firstByKey: [String: Int64] = [:]
      func join(_ id: Int64, key: String) {
        if let first = firstByKey[key] { union(first, id) } else { firstByKey[key] = id }
      }
      if plan.groupDuplicates {
        let clusters = try db.prepare("SELECT image_id, method, radius, cluster_id FROM dup_clusters")
        defer { clusters.reset() }
        while try clusters.step() {
          let id = clusters.int64(0)
          guard shas[id] != nil else { continue }
          join(id, key: "dup:\(clusters.text(1) ?? ""):\(clusters.int(2)):\(clusters.int64(3))")
        }
      }
      if let pattern {
        for id in order {
          guard let name = names[id] else { continue }
          let range = NSRange(name.startIndex..., in: name)
          guard let match = pattern.firstMatch(in: name, range: range) else { continue }
          let captured = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
          guard let swiftRange = Range(captured, in: name) else { continue }
          join(id, key: "name:" + name[swiftRange])
        }
      }
      // A group's key: the smallest SHA-256 among its members (stable as the group grows only if
      // no smaller member arrives; assignments already stored keep the group in place either way).
      var groupKey: [Int64: String] = [:]
      for id in order {
        let root = find(id)
        let sha = shas[id] ?? ""
        if let current = groupKey[root], current <= sha { continue }
        groupKey[root] = sha
      }
      var items: [SplitItem] = []
      items.reserveCapacity(order.count)
      for id in order {
        if !plan.view.isEmpty && labels[id] == nil { continue }
        var strata: [String] = []
        if plan.stratify.contains("label") { strata.append(labels[id] ?? "") }
        if plan.stratify.contains("source") { strata.append(sources[id] ?? "") }
        items.append(
          SplitItem(
            imageID: id, groupKey: groupKey[find(id)] ?? shas[id] ?? "", stratum: strata.joined(separator: "|"),
            assigned: assigned[id]))
      }
      return items
    }
  }

  /// Every stored split version with its counts.
  public static func list(catalog: Catalog) throws -> [SplitSummary] {
    let db = catalog.database
    let splits = try db.rows("SELECT id, name, created_at, params FROM splits ORDER BY id") {
      ($0.int64(0), $0.text(1) ?? "", $0.text(2) ?? "", $0.text(3) ?? "")
    }
    return try splits.map { id, name, created, params in
      let plan = try JSONDecoder().decode(SplitPlan.self, from: Data(params.utf8))
      let counts = Dictionary(
        uniqueKeysWithValues: try db.rows(
          "SELECT subset, COUNT(*) FROM split_assignments WHERE split_id = ? GROUP BY subset", [.int(id)]
        ) { ($0.text(0) ?? "", $0.int(1)) })
      return SplitSummary(name: name, createdAt: created, plan: plan, counts: counts)
    }
  }

  /// Subset of every assigned image of split `name`.
  public static func assignments(catalog: Catalog, name: String) throws -> [Int64: String] {
    let db = catalog.database
    guard let id = try db.scalarInt("SELECT id FROM splits WHERE name = ?", [.text(name)]) else {
      throw SplitterError.unknownSplit(name)
    }
    var result: [Int64: String] = [:]
    for (image, subset) in try db.rows(
      "SELECT image_id, subset FROM split_assignments WHERE split_id = ?", [.int(id)], { ($0.int64(0), $0.text(1) ?? "") })
    {
      result[image] = subset
    }
    return result
  }

  /// How images moved between two split versions: "from → to" counts ("-" for absent).
  public static func diff(catalog: Catalog, from: String, to: String) throws -> [String: Int] {
    let a = try assignments(catalog: catalog, name: from)
    let b = try assignments(catalog: catalog, name: to)
    var transitions: [String: Int] = [:]
    for image in Set(a.keys).union(b.keys) {
      transitions["\(a[image] ?? "-") → \(b[image] ?? "-")", default: 0] += 1
    }
    return transitions
  }
}

extension SplitCatalog {
  /// Makes split `name` from the splits the images came with (`Train/`, `Validation/`, `Test/` folders
  /// recorded as each origin's original split), so it can be checked for leakage. Images without one
  /// are left out.
  public static func fromOriginal(catalog: Catalog, name: String) throws -> SplitReport {
    let db = catalog.database
    if try db.scalarInt("SELECT id FROM splits WHERE name = ?", [.text(name)]) != nil {
      throw SplitterError.planChanged(name: name)
    }
    let rows = try db.rows(
      """
      SELECT o.image_id, MIN(o.original_split) FROM image_origins o JOIN images i ON i.id = o.image_id
      WHERE i.status = 'active' AND o.original_split IS NOT NULL GROUP BY o.image_id ORDER BY o.image_id
      """
    ) { ($0.int64(0), $0.text(1) ?? "") }
    if rows.isEmpty { throw SplitterError.nothingToSplit(view: "") }
    let names = Array(Set(rows.map(\.1))).sorted()
    let plan = SplitPlan(
      subsets: names.map { SplitPlan.Subset(name: $0, weight: 0) }, stratify: [], groupDuplicates: false,
      groupBy: "original", view: "", seed: 0)
    let now = Timestamp.now()
    try db.writeTransaction {
      try db.run(
        "INSERT INTO splits (name, params, seed, created_at) VALUES (?, ?, 0, ?)",
        [.text(name), .text(plan.canonicalJSON()), .text(now)])
      let id = db.lastInsertRowID
      for (image, subset) in rows {
        try db.run(
          "INSERT INTO split_assignments (split_id, image_id, subset, group_key, assigned_at) VALUES (?, ?, ?, NULL, ?)",
          [.int(id), .int(image), .text(subset), .text(now)])
      }
    }
    var counts: [String: Int] = [:]
    for (_, subset) in rows { counts[subset, default: 0] += 1 }
    return SplitReport(
      name: name, created: true, plan: plan, images: rows.count, newlyAssigned: rows.count, kept: 0, moved: 0,
      groups: rows.count, counts: counts, strata: [], warnings: [])
  }
}
