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
  /// What `--group-by` matched.
  public var groupBy: GroupByReport? = nil
  /// Derived images (crops) split with their parent: links between two images of the split.
  public var lineageLinks: Int = 0
  /// A re-run (`split --update`): the catalog's changes to the members taken in, each with the image's
  /// id and path (empty for a new split). `left` members left the split, `relabelled` took a new label.
  public var changes: [SplitChange] = []
  public var left = 0
  public var relabelled = 0
  /// Members whose boxes changed since and took the new ones.
  public var boxesChanged = 0
}

/// What a `--group-by` pattern did.
public struct GroupByReport: Sendable, Codable, Equatable {
  public var pattern: String
  /// "file name" or "relative path".
  public var matchedAgainst: String
  /// Images of the split with an original file name, and how many of them the pattern matched.
  public var files: Int
  public var filesMatched: Int
  /// Distinct keys, and the keys shared by two or more images (groups the pattern made).
  public var keys: Int
  public var groups: Int
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
  ///
  /// One write transaction from the first read to the last assignment: the images read are the images
  /// assigned, and a second run of the same split waits for this one instead of failing on its rows.
  public static func split(
    catalog: Catalog, name: String, plan: SplitPlan, rebalance: Bool = false
  ) throws -> SplitReport {
    let db = catalog.database
    return try db.writeTransaction {
      let existing = try db.rows("SELECT id, params FROM splits WHERE name = ?", [.text(name)]) {
        ($0.int64(0), $0.text(1) ?? "")
      }.first
      if let (_, params) = existing, !rebalance {
        let stored = try? JSONDecoder().decode(SplitPlan.self, from: Data(params.utf8))
        if stored != plan { throw SplitterError.planChanged(name: name) }
      }
      let loaded = try load(catalog: catalog, plan: plan, splitID: existing?.0)
      let input = loaded.input
      if input.count == 0 { throw SplitterError.nothingToSplit(view: plan.view) }
      let outcome = SplitAssigner.assign(input, plan: plan, rebalance: rebalance)
      var result = report(
        name: name, created: existing == nil, plan: plan, input: input, outcome: outcome,
        groups: loaded.groupSizes.count)
      result.groupBy = loaded.groupBy
      result.lineageLinks = loaded.lineageLinks
      if let id = existing?.0 {
        try freezeBoxesIfNeeded(catalog: catalog, splitID: id, view: plan.view, inTransaction: true)
        let leaving = Set(loaded.changes.filter(\.leaves).map(\.imageID))
        result.changes = try describe(
          catalog: catalog,
          loaded.changes + boxChanges(catalog: catalog, splitID: id, view: plan.view, leaving: leaving))
        result.left = result.changes.filter(\.leaves).count
        result.relabelled = result.changes.filter { !$0.leaves && $0.kind != .new && $0.kind != .boxesChanged }.count
        result.boxesChanged = result.changes.filter { $0.kind == .boxesChanged }.count
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let reportJSON = (try? encoder.encode(result)).map { String(decoding: $0, as: UTF8.self) }

      let now = Timestamp.now()
      let splitID: Int64
      if let id = existing?.0 {
        splitID = id
        if rebalance {
          try db.run(
            "UPDATE splits SET params = ?, seed = ? WHERE id = ?",
            [.text(plan.canonicalJSON()), .int(Int64(bitPattern: plan.seed)), .int(id)])
        }
      } else {
        try db.run(
          "INSERT INTO splits (name, params, seed, created_at) VALUES (?, ?, ?, ?)",
          [.text(name), .text(plan.canonicalJSON()), .int(Int64(bitPattern: plan.seed)), .text(now)])
        splitID = db.lastInsertRowID
      }
      try db.run(
        """
        INSERT INTO split_runs (split_id, created_at, rebalance, assigned, moved, report, origins_through)
        VALUES (?, ?, ?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM image_origins))
        """,
        [
          .int(splitID), .text(now), .int(rebalance ? 1 : 0), .int(Int64(outcome.newlyAssigned)),
          .int(Int64(outcome.moved)), .optional(reportJSON),
        ])
      try store(
        db, input: input, outcome: outcome, groupSizes: loaded.groupSizes, subsets: plan.subsets.map(\.name),
        splitID: splitID, runID: db.lastInsertRowID, labels: loaded.labels, labelNames: loaded.labelNames)
      // Members that left (no longer active, no label in the view, outside --kind/--source) go; members
      // whose label changed take the new one. Nobody else is touched.
      let remove = try db.prepare("DELETE FROM split_assignments WHERE split_id = ? AND image_id = ?")
      let relabel = try db.prepare("UPDATE split_assignments SET label = ? WHERE split_id = ? AND image_id = ?")
      defer { for statement in [remove, relabel] { statement.reset() } }
      for change in result.changes where change.kind != .new && change.kind != .boxesChanged {
        if change.leaves {
          try remove.bind([.int(splitID), .int(change.imageID)])
          while try remove.step() {}
          remove.rewind()
        } else {
          try relabel.bind([.optional(change.newLabel), .int(splitID), .int(change.imageID)])
          while try relabel.step() {}
          relabel.rewind()
        }
      }
      // Every member's boxes as an export writes them now (members whose boxes changed take the new ones).
      try freezeBoxes(catalog: catalog, splitID: splitID, view: plan.view)
      return result
    }
  }

  /// Rows of one multi-row INSERT: a statement per row would cost as much as the rows themselves.
  static let rowsPerInsert = 128

  /// Writes the assignments that are new or changed. New ones go in batches of `rowsPerInsert` rows per
  /// statement, in image id order (the key order of the WITHOUT ROWID table: a new split's rows are
  /// appended at the right edge of its B-tree); the split and run ids are bound once.
  static func store(
    _ db: Database, input: SplitInput, outcome: SplitOutcome, groupSizes: [Int], subsets: [String],
    splitID: Int64, runID: Int64, labels: [Int32], labelNames: [String]
  ) throws {
    let subsetBytes = subsets.map { Array($0.utf8) }
    let labelBytes = labelNames.map { Array($0.utf8) }
    func values(_ first: Int32) -> String { "(?1, ?\(first), ?\(first + 1), ?\(first + 2), ?2, ?\(first + 3))" }
    let columns = "INSERT INTO split_assignments (split_id, image_id, subset, group_key, run_id, label) VALUES "
    let batch = try db.prepare(
      columns + (0..<Int32(rowsPerInsert)).map { values(3 + 4 * $0) }.joined(separator: ", "))
    let single = try db.prepare(columns + values(3))
    let update = try db.prepare(
      "UPDATE split_assignments SET subset = ?3, run_id = ?2 WHERE split_id = ?1 AND image_id = ?4")
    for statement in [batch, single, update] {
      try statement.bind(splitID, at: 1)
      try statement.bind(runID, at: 2)
    }
    defer { for statement in [batch, single, update] { statement.reset() } }

    /// Binds row `index`'s image, subset and group key (only grouped images store one; a singleton's key
    /// is its own SHA-256) from parameter `first` on.
    func bindRow(_ statement: Statement, _ index: Int, from first: Int32) throws {
      try statement.bind(input.imageIDs[index], at: first)
      try subsetBytes[Int(outcome.subsetIndex[index])].withUnsafeBufferPointer {
        try statement.bind(utf8: $0, at: first + 1)
      }
      let group = Int(input.group[index])
      if groupSizes[group] > 1 {
        try input.keys.withKey(Int(input.groupKey[group])) { try statement.bind(utf8: $0, at: first + 2) }
      } else {
        try statement.bind(utf8: nil, at: first + 2)
      }
      // The label it is assigned with: frozen, what every export of the split writes.
      if labels[index] >= 0 {
        try labelBytes[Int(labels[index])].withUnsafeBufferPointer { try statement.bind(utf8: $0, at: first + 3) }
      } else {
        try statement.bind(utf8: nil, at: first + 3)
      }
    }
    func run(_ statement: Statement) throws {
      while try statement.step() {}
      statement.rewind()
    }

    var pending: [Int] = []
    pending.reserveCapacity(rowsPerInsert)
    for index in 0..<input.count {
      let subset = outcome.subsetIndex[index]
      guard subset >= 0, subset != input.assigned[index] else { continue }
      if input.assigned[index] >= 0 {
        try update.bind(input.imageIDs[index], at: 4)
        try subsetBytes[Int(subset)].withUnsafeBufferPointer { try update.bind(utf8: $0, at: 3) }
        try run(update)
        continue
      }
      pending.append(index)
      if pending.count == rowsPerInsert {
        for (row, index) in pending.enumerated() { try bindRow(batch, index, from: 3 + 4 * Int32(row)) }
        try run(batch)
        pending.removeAll(keepingCapacity: true)
      }
    }
    for index in pending {
      try bindRow(single, index, from: 3)
      try run(single)
    }
  }

  /// Builds the report from the items-form input (tests use this form).
  static func report(
    name: String, created: Bool, plan: SplitPlan, items: [SplitItem], outcome: SplitOutcome
  ) -> SplitReport {
    let input = SplitInput(items, subsets: plan.subsets.map(\.name))
    return report(name: name, created: created, plan: plan, input: input, outcome: outcome, groups: input.groupCount)
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
          stratum: stratum, total: total,
          target: Dictionary(zip(names, targets), uniquingKeysWith: { first, _ in first }),
          actual: Dictionary(zip(names, actual), uniquingKeysWith: { first, _ in first }), deviation: deviation))
      let empty = names.indices.filter { plan.subsets[$0].weight > 0 && targets[$0] == 0 }.map { names[$0] }
      if !empty.isEmpty {
        warnings.append(
          "\(display(stratum)) has \(total) image\(total == 1 ? "" : "s"): too few for \(empty.joined(separator: ", "))"
        )
      }
      if deviation > 1 {
        warnings.append(
          "\(display(stratum)) is \(deviation) images off its target: duplicate groups or earlier assignments must stay whole"
        )
      }
    }
    return SplitReport(
      name: name, created: created, plan: plan, images: input.count, newlyAssigned: outcome.newlyAssigned,
      kept: kept, moved: outcome.moved, groups: groups,
      counts: Dictionary(zip(names, totals), uniquingKeysWith: { first, _ in first }), strata: strata,
      warnings: warnings)
  }

  static func display(_ stratum: String) -> String { stratum.isEmpty ? "(no label)" : stratum }

  /// Every active image of the plan's view with its group, stratum and current subset, in dense arrays.
  /// Called inside the split's transaction. Rows are read into integer-indexed arrays; the only strings
  /// made per image are none (SHA-256 keys go into one flat `KeyTable`).
  static func load(catalog: Catalog, plan: SplitPlan, splitID: Int64?) throws -> LoadedSplit {
    let db = catalog.database
    for key in plan.stratify where key != "label" && key != "source" {
      throw SplitterError.unknownStratum(key)
    }
    let pattern = try plan.groupBy.map { try GroupKeyPattern($0, path: plan.groupByPath == true) }
    // Images, dense by position; `positions` maps catalog ids to it (an array: ids are rowids).
    let capacity = Int(try db.scalarInt("SELECT COALESCE(MAX(id), 0) FROM images") ?? 0)
    var ids: [Int64] = []
    ids.reserveCapacity(capacity)
    var shas = KeyTable()
    shas.reserveCapacity(keys: capacity, bytesPerKey: 64)
    // `+status`: scanning the table in id order reads each page once; going through the status index
    // would add a table lookup per image.
    try scan(db, "SELECT id, sha256 FROM images WHERE +status = 'active' ORDER BY id") { row in
      ids.append(row.int64(0))
      row.withText(1) { shas.append($0) }
    }
    let n = ids.count
    let positions = IDMap(ids)
    // --kind and --source, then the view: which positions the split takes.
    var included = [Bool](repeating: true, count: n)
    if let selected = try ImageSelection(kind: plan.kind, sources: plan.sources ?? []).imageIDs(in: catalog) {
      for p in 0..<n { included[p] = selected.contains(ids[p]) }
    }
    // Labels: the one label `stats` credits (`Catalog.creditedLabels`): the view's label, or as found the
    // label of the first-imported source labelling the image (then the first name); and that source.
    let classes = try db.rows("SELECT id, name FROM classes") { ($0.int64(0), $0.text(1) ?? "") }
    let labelNames = classes.map(\.1).sorted()
    let labelIndex = Dictionary(
      labelNames.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
    let labelOfClass = IDMap(classes.map(\.0), values: classes.map { labelIndex[$0.1] ?? -1 })
    var label = [Int32](repeating: -1, count: n)
    var labelSource = [Int64](repeating: Int64.max, count: n)
    try scan(db, "SELECT image_id, class_id, source_id FROM image_labels WHERE view = ?", [.text(plan.view)]) { row in
      guard let p = positions[row.int64(0)].map(Int.init), let index = labelOfClass[row.int64(1)] else { return }
      let from = row.isNull(2) ? Int64.max : row.int64(2)
      if label[p] < 0 || from < labelSource[p] || (from == labelSource[p] && index < label[p]) {
        label[p] = index
        labelSource[p] = from
      }
    }
    // Sources (by name: two sources of one name are one stratum) and original file names, from each
    // image's first origin.
    var source = [Int32](repeating: -1, count: n)
    var sourceNames: [String] = []
    var fileName = [String?](repeating: nil, count: pattern == nil ? 0 : n)
    if plan.stratify.contains("source") || pattern != nil {
      let sources = try db.rows("SELECT id, name FROM sources ORDER BY id") { ($0.int64(0), $0.text(1) ?? "") }
      sourceNames = Array(Set(sources.map(\.1))).sorted()
      let nameIndex = Dictionary(
        sourceNames.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { first, _ in first })
      let sourceIndex = IDMap(sources.map(\.0), values: sources.map { nameIndex[$0.1] ?? -1 })
      try scan(db, "SELECT image_id, source_id, rel_path FROM image_origins ORDER BY id") { row in
        guard let p = positions[row.int64(0)].map(Int.init), source[p] < 0,
          let index = sourceIndex[row.int64(1)]
        else { return }
        source[p] = index
        if let pattern, let path = row.text(2) { fileName[p] = pattern.subject(path) }
      }
      // A labelled image counts for the source credited with its label, as in `stats` and `merge`.
      for p in 0..<n where labelSource[p] != Int64.max {
        if let index = sourceIndex[labelSource[p]] { source[p] = index }
      }
    }
    var assigned = [Int8](repeating: -1, count: n)
    // Each member's frozen label (a label index; -1: none; -2: a name no class has now) and the members
    // that are no longer active images.
    var frozen = [Int32](repeating: -1, count: splitID == nil ? 0 : n)
    var frozenName: [Int: String] = [:]
    var inactive: [FrozenRow] = []
    if let splitID {
      let subsetBytes = plan.subsets.map { Array($0.name.utf8) }
      let labelBytes = labelNames.map { Array($0.utf8) }
      try scan(db, "SELECT image_id, subset, label FROM split_assignments WHERE split_id = ?", [.int(splitID)]) {
        row in
        guard let p = positions[row.int64(0)].map(Int.init) else {
          inactive.append(FrozenRow(imageID: row.int64(0), subset: row.text(1) ?? "", label: row.text(2)))
          return
        }
        guard let index = row.withText(1, { text in subsetBytes.firstIndex { $0.elementsEqual(text) } }) else {
          return
        }
        assigned[p] = Int8(index)
        if !row.isNull(2) {
          if let known = row.withText(2, { text in labelBytes.firstIndex { $0.elementsEqual(text) } }) {
            frozen[p] = Int32(known)
          } else {
            frozen[p] = -2
            frozenName[p] = row.text(2)
          }
        }
      }
    }
    let selectedBeforeView = included
    for p in 0..<n where included[p] && !plan.view.isEmpty && label[p] < 0 { included[p] = false }
    // What changed in the catalog since the members were assigned (nothing for a new split).
    var changes: [SplitChange] = []
    if splitID != nil {
      func name(_ index: Int32) -> String? { index >= 0 ? labelNames[Int(index)] : nil }
      for row in inactive {
        changes.append(
          SplitChange(kind: .excluded, imageID: row.imageID, subset: row.subset, label: row.label, leaves: true))
      }
      let subsetNames = plan.subsets.map(\.name)
      for p in 0..<n {
        let old = frozen[p] == -2 ? frozenName[p] : name(frozen[p])
        if assigned[p] >= 0 {
          let subset = subsetNames[Int(assigned[p])]
          if !included[p] {
            let kind: SplitChange.Kind = selectedBeforeView[p] ? .unlabelled : .deselected
            changes.append(SplitChange(kind: kind, imageID: ids[p], subset: subset, label: old, leaves: true))
          } else if frozen[p] != label[p] || frozen[p] == -2 {
            changes.append(
              SplitChange(
                kind: label[p] < 0 ? .unlabelled : .relabelled, imageID: ids[p], subset: subset, label: old,
                newLabel: name(label[p])))
          }
        } else if included[p] {
          changes.append(SplitChange(kind: .new, imageID: ids[p], newLabel: name(label[p])))
        }
      }
    }
    // Groups: union-find over positions, joining near-duplicate groups, lineage and --group-by keys.
    // Images that are not active (a duplicate, the parent of a crop) join groups as nodes past `n`, so a
    // crop of a duplicate still goes with the duplicate's kept image.
    var parent = (0..<n).map { Int32($0) }
    var otherNodes: [Int64: Int32] = [:]
    func node(_ id: Int64) -> Int32 {
      if let p = positions[id] { return p }
      if let known = otherNodes[id] { return known }
      let fresh = Int32(parent.count)
      parent.append(fresh)
      otherNodes[id] = fresh
      return fresh
    }
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
    func union(_ first: Int32, _ p: Int32) {
      let (a, b) = (find(first), find(p))
      if a != b { parent[Int(max(a, b))] = min(a, b) }
    }
    if plan.groupDuplicates {
      /// A near-duplicate group: group ids are per (method, radius). Rows stored before groups existed
      /// have none; their cluster was transitive, so it is their group.
      struct Cluster: Hashable {
        var method: String
        var radius: Int
        var id: Int64
      }
      var firstOfCluster: [Cluster: Int32] = [:]
      try catalog.forEachDuplicateGroupMember { member in
        let p = node(member.imageID)
        let cluster = Cluster(method: member.method, radius: member.radius, id: member.group)
        if let first = firstOfCluster[cluster] { union(first, p) } else { firstOfCluster[cluster] = p }
      }
    }
    // Lineage, always: a crop (or any derived image) goes where its parent goes.
    var lineageLinks = 0
    try forEachLineageLink(catalog: catalog) { childID, parentID in
      let (child, parentNode) = (node(childID), node(parentID))
      if child < n && parentNode < n && included[Int(child)] && included[Int(parentNode)] { lineageLinks += 1 }
      union(child, parentNode)
    }
    var groupBy: GroupByReport?
    if let pattern {
      let text = pattern.text
      var firstOfName: [Substring: Int32] = [:]
      var sizeOfKey: [Substring: Int] = [:]
      var report = GroupByReport(
        pattern: text, matchedAgainst: pattern.path ? "relative path" : "file name", files: 0,
        filesMatched: 0, keys: 0, groups: 0)
      var example: String?
      for p in 0..<n where included[p] {
        guard let name = fileName[p] else { continue }
        report.files += 1
        if example == nil { example = name }
        guard let key = pattern.key(name) else { continue }
        report.filesMatched += 1
        sizeOfKey[key, default: 0] += 1
        if let first = firstOfName[key] { union(first, Int32(p)) } else { firstOfName[key] = Int32(p) }
      }
      if report.filesMatched == 0 {
        throw SplitterError.groupPatternMatchedNothing(
          pattern: text, scope: report.matchedAgainst, files: report.files, example: example)
      }
      report.keys = sizeOfKey.count
      report.groups = sizeOfKey.values.filter { $0 > 1 }.count
      groupBy = report
    }
    // Dense groups; a group's key is the smallest SHA-256 among its members. Strata are looked up by
    // (label, source) index pair; a stratum's name is made once.
    var input = SplitInput()
    var memberLabel: [Int32] = []
    memberLabel.reserveCapacity(n)
    input.imageIDs.reserveCapacity(n)
    input.group.reserveCapacity(n)
    input.stratum.reserveCapacity(n)
    input.assigned.reserveCapacity(n)
    var groupOfRoot = [Int32](repeating: -1, count: n)
    var groupSizes: [Int] = []
    let byLabel = plan.stratify.contains("label")
    let bySource = plan.stratify.contains("source")
    let sourceSlots = sourceNames.count + 1
    var stratumOfPair = [Int32](repeating: -1, count: (labelNames.count + 1) * sourceSlots)
    var strataIndex: [String: Int32] = [:]
    for p in 0..<n {
      if !included[p] { continue }
      let root = Int(find(Int32(p)))
      var group = groupOfRoot[root]
      if group < 0 {
        group = Int32(input.groupKey.count)
        groupOfRoot[root] = group
        input.groupKey.append(Int32(p))
        groupSizes.append(0)
      } else if shas.less(p, Int(input.groupKey[Int(group)])) {
        input.groupKey[Int(group)] = Int32(p)
      }
      groupSizes[Int(group)] += 1
      let pair = (byLabel ? Int(label[p]) + 1 : 0) * sourceSlots + (bySource ? Int(source[p]) + 1 : 0)
      var stratumIndex = stratumOfPair[pair]
      if stratumIndex < 0 {
        var parts: [String] = []
        if byLabel { parts.append(label[p] >= 0 ? labelNames[Int(label[p])] : "") }
        if bySource { parts.append(source[p] >= 0 ? sourceNames[Int(source[p])] : "") }
        let stratum = parts.joined(separator: "|")
        if let known = strataIndex[stratum] {
          stratumIndex = known
        } else {
          stratumIndex = Int32(input.strata.count)
          strataIndex[stratum] = stratumIndex
          input.strata.append(stratum)
        }
        stratumOfPair[pair] = stratumIndex
      }
      input.imageIDs.append(ids[p])
      input.group.append(group)
      input.stratum.append(stratumIndex)
      input.assigned.append(assigned[p])
      memberLabel.append(label[p])
    }
    input.keys = shas
    return LoadedSplit(
      input: input, groupSizes: groupSizes, groupBy: groupBy, lineageLinks: lineageLinks, labels: memberLabel,
      labelNames: labelNames, changes: changes)
  }

  /// An assignment row as stored.
  struct FrozenRow {
    var imageID: Int64
    var subset: String
    var label: String?
  }

  /// What `load` read: the assigner's input, and per input image its label now (an index into
  /// `labelNames`, -1 for none), and the changes since the split's members were assigned.
  struct LoadedSplit {
    var input: SplitInput
    var groupSizes: [Int]
    var groupBy: GroupByReport?
    var lineageLinks: Int
    var labels: [Int32]
    var labelNames: [String]
    var changes: [SplitChange]
  }

  /// Catalog id → a small integer (a position, a label index): an array when ids are dense enough
  /// (they are rowids), else a dictionary.
  struct IDMap {
    var dense: [Int32] = []
    var sparse: [Int64: Int32] = [:]

    /// Maps each of `ids` to `values` at the same index, or to its own index.
    init(_ ids: [Int64], values: [Int32]? = nil) {
      let largest = ids.max() ?? -1
      if largest < Int64(ids.count) * 4 + 1024 {
        dense = [Int32](repeating: -1, count: Int(largest) + 1)
        for (index, id) in ids.enumerated() where id >= 0 { dense[Int(id)] = values?[index] ?? Int32(index) }
      } else {
        for (index, id) in ids.enumerated() { sparse[id] = values?[index] ?? Int32(index) }
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

  /// The error for a split name that does not exist, naming those that do.
  public static func unknownSplit(_ name: String, catalog: Catalog) -> SplitterError {
    .unknownSplit(name, known: ((try? list(catalog: catalog)) ?? []).map(\.name))
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
        try db.rows(
          "SELECT subset, COUNT(*) FROM split_assignments WHERE split_id = ? GROUP BY subset", [.int(id)]
        ) { ($0.text(0) ?? "", $0.int(1)) }, uniquingKeysWith: { first, _ in first })
      return SplitSummary(name: name, createdAt: created, plan: plan, counts: counts)
    }
  }

  /// Subset of every assigned image of split `name`.
  public static func assignments(catalog: Catalog, name: String) throws -> [Int64: String] {
    let db = catalog.database
    guard let id = try splitID(catalog: catalog, name: name) else {
      throw unknownSplit(name, catalog: catalog)
    }
    var result: [Int64: String] = [:]
    for (image, subset) in try db.rows(
      "SELECT image_id, subset FROM split_assignments WHERE split_id = ?", [.int(id)],
      { ($0.int64(0), $0.text(1) ?? "") })
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
    if try splitID(catalog: catalog, name: name) != nil {
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
        """
        INSERT INTO split_runs (split_id, created_at, assigned, origins_through)
        VALUES (?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM image_origins))
        """,
        [.int(id), .text(now), .int(Int64(rows.count))])
      let run = db.lastInsertRowID
      let labels = try catalog.creditedLabels(view: "")
      for (image, subset) in rows {
        try db.run(
          "INSERT INTO split_assignments (split_id, image_id, subset, group_key, run_id, label) VALUES (?, ?, ?, NULL, ?, ?)",
          [.int(id), .int(image), .text(subset), .int(run), .optional(labels[image]?.label)])
      }
      try freezeBoxes(catalog: catalog, splitID: id, view: "")
    }
    var counts: [String: Int] = [:]
    for (_, subset) in rows { counts[subset, default: 0] += 1 }
    return SplitReport(
      name: name, created: true, plan: plan, images: rows.count, newlyAssigned: rows.count, kept: 0, moved: 0,
      groups: rows.count, counts: counts, strata: [], warnings: [])
  }
}

/// An active image of a split with the subset it is assigned to.
public struct AssignedImage: Sendable, Hashable {
  public var image: ActiveImage
  public var subset: String

  public init(image: ActiveImage, subset: String) {
    self.image = image
    self.subset = subset
  }
}

/// A member of a split: its subset, the label frozen with it and the name of the source it first arrived
/// from (`""` for none).
public struct SplitMember: Sendable, Hashable {
  public var imageID: Int64
  public var subset: String
  public var firstSource: String
  public var label: String?
}

extension SplitCatalog {
  /// The id of split `name`, or nil when there is no such split.
  public static func splitID(catalog: Catalog, name: String) throws -> Int64? {
    try catalog.database.scalarInt("SELECT id FROM splits WHERE name = ?", [.text(name)])
  }

  /// The newest split's name (nil when there is none).
  public static func newestSplit(catalog: Catalog) throws -> String? {
    try catalog.database.scalarText("SELECT name FROM splits ORDER BY id DESC LIMIT 1")
  }

  /// The active images assigned in split `splitID`, with their subsets, in image id order.
  public static func assignedImages(catalog: Catalog, splitID: Int64) throws -> [AssignedImage] {
    try catalog.database.rows(
      """
      SELECT i.id, i.sha256, i.extension, i.width, i.height, i.format, a.subset FROM split_assignments a
      JOIN images i ON i.id = a.image_id WHERE a.split_id = ? AND i.status = 'active' ORDER BY i.id
      """, [.int(splitID)]
    ) {
      AssignedImage(
        image: ActiveImage(
          id: $0.int64(0), sha256: $0.text(1) ?? "", fileExtension: $0.text(2) ?? "jpg", format: $0.text(5) ?? "",
          width: $0.int(3), height: $0.int(4)),
        subset: $0.text(6) ?? "")
    }
  }

  /// The members of split `splitID` as frozen (whatever their status now), each with its subset, frozen
  /// label and first source's name.
  public static func members(catalog: Catalog, splitID: Int64) throws -> [SplitMember] {
    try catalog.database.rows(
      """
      SELECT a.image_id, a.subset,
        COALESCE((SELECT s.name FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE o.image_id = a.image_id ORDER BY o.id LIMIT 1), ''), a.label
      FROM split_assignments a WHERE a.split_id = ?
      """, [.int(splitID)]
    ) {
      SplitMember(imageID: $0.int64(0), subset: $0.text(1) ?? "", firstSource: $0.text(2) ?? "", label: $0.text(3))
    }
  }

  /// Calls `body` with every lineage link (derived image, parent image): each crop row's image and parent,
  /// and each image whose row names a parent. A link recorded both ways is given once.
  public static func forEachLineageLink(catalog: Catalog, _ body: (_ child: Int64, _ parent: Int64) throws -> Void)
    throws
  {
    try scan(
      catalog.database,
      """
      SELECT image_id, parent_image_id FROM crops
      UNION SELECT id, parent_image_id FROM images WHERE parent_image_id IS NOT NULL
      """
    ) { row in try body(row.int64(0), row.int64(1)) }
  }
}
