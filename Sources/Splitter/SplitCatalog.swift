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
    let loaded = try load(catalog: catalog, plan: plan, splitID: splitID)
    let input = loaded.input
    if input.count == 0 { throw SplitterError.nothingToSplit(view: plan.view) }
    let outcome = SplitAssigner.assign(input, plan: plan, rebalance: rebalance)
    let names = plan.subsets.map(\.name)
    let result = report(
      name: name, created: existing == nil, plan: plan, input: input, outcome: outcome,
      groups: loaded.groupSizes.count)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let reportJSON = (try? encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) }

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
      try db.run(
        "INSERT INTO split_runs (split_id, created_at, rebalance, assigned, moved, report) VALUES (?, ?, ?, ?, ?, ?)",
        [
          .int(splitID), .text(now), .int(rebalance ? 1 : 0), .int(Int64(outcome.newlyAssigned)),
          .int(Int64(outcome.moved)), .optional(reportJSON),
        ])
      let run = db.lastInsertRowID
      let insert = try db.prepare(
        "INSERT INTO split_assignments (split_id, image_id, subset, group_key, run_id) VALUES (?, ?, ?, ?, ?)")
      let update = try db.prepare(
        "UPDATE split_assignments SET subset = ?, run_id = ? WHERE split_id = ? AND image_id = ?")
      for index in 0..<input.count {
        let subset = outcome.subsetIndex[index]
        guard subset >= 0, subset != input.assigned[index] else { continue }
        let group = Int(input.group[index])
        // Only grouped images store their group key; a singleton's key is its own SHA-256.
        let key: SQLValue = loaded.groupSizes[group] > 1 ? .text(input.groupKeys[group]) : .null
        let statement = input.assigned[index] < 0 ? insert : update
        if input.assigned[index] < 0 {
          try insert.bind([.int(splitID), .int(input.imageIDs[index]), .text(names[Int(subset)]), key, .int(run)])
        } else {
          try update.bind([.text(names[Int(subset)]), .int(run), .int(splitID), .int(input.imageIDs[index])])
        }
        while try statement.step() {}
        statement.reset()
      }
    }
    return result
  }

  /// Builds the report from the items-form input (tests use this form).
  static func report(
    name: String, created: Bool, plan: SplitPlan, items: [SplitItem], outcome: SplitOutcome
  ) -> SplitReport {
    let input = SplitInput(items, subsets: plan.subsets.map(\.name))
    return report(name: name, created: created, plan: plan, input: input, outcome: outcome, groups: input.groupKeys.count)
  }

  static func report(
    name: String, created: Bool, plan: SplitPlan, input: SplitInput, outcome: SplitOutcome, groups: Int
  ) -> SplitReport {
    let names = plan.subsets.map(\.name)
    var perStratum = [[Int]](repeating: [Int](repeating: 0, count: names.count), count: input.strata.count)
    var totals = [Int](repeating: 0, count: names.count)
    var kept = 0
    for index in 0..<input.count {
      let subset = Int(outcome.subsetIndex[index])
      guard subset >= 0 else { continue }
      perStratum[Int(input.stratum[index])][subset] += 1
      totals[subset] += 1
      if input.assigned[index] >= 0 && Int(input.assigned[index]) == subset { kept += 1 }
    }
    var strata: [StratumReport] = []
    var warnings: [String] = []
    for stratumIndex in input.strata.indices.sorted(by: { input.strata[$0] < input.strata[$1] }) {
      let stratum = input.strata[stratumIndex]
      let actual = perStratum[stratumIndex]
      let total = actual.reduce(0, +)
      let targets = SplitAssigner.largestRemainder(total: total, weights: plan.subsets.map(\.weight))
      let deviation = zip(actual, targets).map { abs($0 - $1) }.max() ?? 0
      strata.append(
        StratumReport(
          stratum: stratum, total: total, target: Dictionary(uniqueKeysWithValues: zip(names, targets)),
          actual: Dictionary(uniqueKeysWithValues: zip(names, actual)), deviation: deviation))
      let empty = names.indices.filter { plan.subsets[$0].weight > 0 && targets[$0] == 0 }.map { names[$0] }
      if !empty.isEmpty {
        warnings.append(
          "\(display(stratum)) has \(total) image\(total == 1 ? "" : "s"): too few for \(empty.joined(separator: ", "))")
      }
      if deviation > 1 {
        warnings.append(
          "\(display(stratum)) is \(deviation) images off its target: duplicate groups or earlier assignments must stay whole")
      }
    }
    return SplitReport(
      name: name, created: created, plan: plan, images: input.count, newlyAssigned: outcome.newlyAssigned,
      kept: kept, moved: outcome.moved, groups: groups,
      counts: Dictionary(uniqueKeysWithValues: zip(names, totals)), strata: strata, warnings: warnings)
  }

  static func display(_ stratum: String) -> String { stratum.isEmpty ? "(no label)" : stratum }

  /// Every active image of the plan's view with its group, stratum and current subset, in dense arrays.
  static func load(catalog: Catalog, plan: SplitPlan, splitID: Int64?) throws -> (
    input: SplitInput, groupSizes: [Int]
  ) {
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
    let subsetNames = plan.subsets.map(\.name)
    return try db.readTransaction {
      // Images, dense by position; `position` maps catalog ids to it (an array: ids are rowids).
      var ids: [Int64] = []
      var shas: [String] = []
      try scan(db, "SELECT id, sha256 FROM images WHERE status = 'active' ORDER BY id") { row in
        ids.append(row.int64(0))
        shas.append(row.text(1) ?? "")
      }
      let n = ids.count
      let positions = Positions(ids)
      func position(_ id: Int64) -> Int32? { positions[id] }
      // Labels: the alphabetically first class of the view per image.
      let classNames = Dictionary(
        uniqueKeysWithValues: try db.rows("SELECT id, name FROM classes") { ($0.int64(0), $0.text(1) ?? "") })
      let labelNames = classNames.values.sorted()
      let labelIndex = Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($1, Int32($0)) })
      var label = [Int32](repeating: -1, count: n)
      try scan(db, "SELECT image_id, class_id FROM image_labels WHERE view = ?", [.text(plan.view)]) { row in
        guard let p = position(row.int64(0)).map(Int.init),
          let index = classNames[row.int64(1)].flatMap({ labelIndex[$0] })
        else { return }
        if label[p] < 0 || index < label[p] { label[p] = index }
      }
      var source = [Int32](repeating: -1, count: n)
      var sourceNames: [String] = []
      var fileName = [String?](repeating: nil, count: pattern == nil ? 0 : n)
      if plan.stratify.contains("source") || pattern != nil {
        try scan(
          db,
          "SELECT o.image_id, s.name, o.rel_path FROM image_origins o JOIN sources s ON s.id = o.source_id ORDER BY o.id"
        ) { row in
          guard let p = position(row.int64(0)).map(Int.init), source[p] < 0 else { return }
          let name = row.text(1) ?? ""
          if let index = sourceNames.firstIndex(of: name) {
            source[p] = Int32(index)
          } else {
            source[p] = Int32(sourceNames.count)
            sourceNames.append(name)
          }
          if pattern != nil { fileName[p] = row.text(2) }
        }
      }
      var assigned = [Int8](repeating: -1, count: n)
      if let splitID {
        try scan(db, "SELECT image_id, subset FROM split_assignments WHERE split_id = ?", [.int(splitID)]) { row in
          guard let p = position(row.int64(0)), let subset = row.text(1),
            let index = subsetNames.firstIndex(of: subset)
          else { return }
          assigned[Int(p)] = Int8(index)
        }
      }
      // Groups: union-find over positions, joining duplicate clusters and --group-by keys.
      var parent = (0..<n).map { Int32($0) }
      func find(_ x: Int32) -> Int32 {
        var root = x
        while parent[Int(root)] != root { root = parent[Int(root)] }
        var node = x
        while parent[Int(node)] != root {
          let next = parent[Int(node)]
          parent[Int(node)] = root
          node = next
        }
        return root
      }
      var firstByKey: [String: Int32] = [:]
      func join(_ p: Int32, key: String) {
        guard let first = firstByKey[key] else {
          firstByKey[key] = p
          return
        }
        let (a, b) = (find(first), find(p))
        if a != b { parent[Int(max(a, b))] = min(a, b) }
      }
      if plan.groupDuplicates {
        try scan(db, "SELECT image_id, method, radius, cluster_id FROM dup_clusters") { row in
          guard let p = position(row.int64(0)) else { return }
          join(p, key: "dup:\(row.text(1) ?? ""):\(row.int(2)):\(row.int64(3))")
        }
      }
      if let pattern {
        for p in 0..<n {
          guard let name = fileName[p] else { continue }
          let range = NSRange(name.startIndex..., in: name)
          guard let match = pattern.firstMatch(in: name, range: range) else { continue }
          let captured = match.numberOfRanges > 1 ? match.range(at: 1) : match.range
          guard let swiftRange = Range(captured, in: name) else { continue }
          join(Int32(p), key: "name:" + name[swiftRange])
        }
      }
      // Dense groups; a group's key is the smallest SHA-256 among its members.
      var input = SplitInput()
      var groupOfRoot = [Int32](repeating: -1, count: n)
      var groupSizes: [Int] = []
      var strataIndex: [String: Int32] = [:]
      for p in 0..<n {
        if !plan.view.isEmpty && label[p] < 0 { continue }
        let root = Int(find(Int32(p)))
        var group = groupOfRoot[root]
        if group < 0 {
          group = Int32(input.groupKeys.count)
          groupOfRoot[root] = group
          input.groupKeys.append(shas[p])
          groupSizes.append(0)
        } else if shas[p] < input.groupKeys[Int(group)] {
          input.groupKeys[Int(group)] = shas[p]
        }
        groupSizes[Int(group)] += 1
        var parts: [String] = []
        if plan.stratify.contains("label") { parts.append(label[p] >= 0 ? labelNames[Int(label[p])] : "") }
        if plan.stratify.contains("source") { parts.append(source[p] >= 0 ? sourceNames[Int(source[p])] : "") }
        let stratum = parts.joined(separator: "|")
        let stratumIndex: Int32
        if let known = strataIndex[stratum] {
          stratumIndex = known
        } else {
          stratumIndex = Int32(input.strata.count)
          strataIndex[stratum] = stratumIndex
          input.strata.append(stratum)
        }
        input.imageIDs.append(ids[p])
        input.group.append(group)
        input.stratum.append(stratumIndex)
        input.assigned.append(assigned[p])
      }
      return (input, groupSizes)
    }
  }

  /// Catalog id → dense position: an array when ids are dense enough (they are rowids), else a
  /// dictionary.
  struct Positions {
    var dense: [Int32] = []
    var sparse: [Int64: Int32] = [:]

    init(_ ids: [Int64]) {
      if let last = ids.last, last < Int64(ids.count) * 4 + 1024 {
        dense = [Int32](repeating: -1, count: Int(last) + 1)
        for (index, id) in ids.enumerated() where id >= 0 { dense[Int(id)] = Int32(index) }
      } else {
        for (index, id) in ids.enumerated() { sparse[id] = Int32(index) }
      }
    }

    subscript(id: Int64) -> Int32? {
      if !dense.isEmpty {
        guard id >= 0, id < Int64(dense.count), dense[Int(id)] >= 0 else { return nil }
        return dense[Int(id)]
      }
      return sparse[id]
    }
  }

  /// Steps through a query's rows.
  static func scan(_ db: Database, _ sql: String, _ values: [SQLValue] = [], _ row: (Statement) throws -> Void) throws {
    let statement = try db.prepare(sql)
    defer { statement.reset() }
    try statement.bind(values)
    while try statement.step() { try row(statement) }
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
      try db.run(
        "INSERT INTO split_runs (split_id, created_at, assigned) VALUES (?, ?, ?)", [.int(id), .text(now), .int(Int64(rows.count))])
      let run = db.lastInsertRowID
      for (image, subset) in rows {
        try db.run(
          "INSERT INTO split_assignments (split_id, image_id, subset, group_key, run_id) VALUES (?, ?, ?, NULL, ?)",
          [.int(id), .int(image), .text(subset), .int(run)])
      }
    }
    var counts: [String: Int] = [:]
    for (_, subset) in rows { counts[subset, default: 0] += 1 }
    return SplitReport(
      name: name, created: true, plan: plan, images: rows.count, newlyAssigned: rows.count, kept: 0, moved: 0,
      groups: rows.count, counts: counts, strata: [], warnings: [])
  }
}
