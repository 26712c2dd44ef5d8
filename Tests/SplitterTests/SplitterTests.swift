import Catalog
import Foundation
import TestSupport
import Testing

@testable import Leakage
@testable import Splitter

func items(_ counts: [String: Int], startID: Int64 = 1) -> [SplitItem] {
  var result: [SplitItem] = []
  var id = startID
  for (label, count) in counts.sorted(by: { $0.key < $1.key }) {
    for _ in 0..<count {
      result.append(SplitItem(imageID: id, groupKey: "sha-\(id)", stratum: label))
      id += 1
    }
  }
  return result
}

/// The usual 80/10/10 plan, written out as `SplitPlan.subsets(ratios: "80/10/10")` makes it.
let plan801010 = SplitPlan(
  subsets: [
    SplitPlan.Subset(name: "train", weight: 80), SplitPlan.Subset(name: "val", weight: 10),
    SplitPlan.Subset(name: "test", weight: 10),
  ],
  seed: 42)

@Suite("Split assignment: stratified, grouped, stable")
struct SplitAssignerTests {
  @Test("the written-out 80/10/10 plan is what the ratio parser makes of \"80/10/10\"")
  func writtenOutPlanMatchesTheParser() throws {
    #expect(try SplitPlan.subsets(ratios: "80/10/10") == plan801010.subsets)
  }

  @Test("skewed classes like the real 3-class set: every stratum within one image of its target")
  func skewedProportions() {
    let all = items(["with_mask": 3232, "without_mask": 717, "mask_weared_incorrect": 123, "tiny": 7])
    let (subsets, outcome) = SplitAssigner.assign(all, plan: plan801010)
    let report = SplitCatalog.report(name: "v", created: true, plan: plan801010, items: all, outcome: outcome)
    for stratum in report.strata {
      #expect(stratum.deviation <= 1, "\(stratum.stratum): \(stratum.actual) vs \(stratum.target)")
    }
    let incorrect = report.strata.first { $0.stratum == "mask_weared_incorrect" }
    #expect(
      incorrect?.actual == ["train": 98, "val": 13, "test": 12]
        || incorrect?.actual == ["train": 99, "val": 12, "test": 12])
    #expect(SplitAssigner.largestRemainder(total: 123, weights: [80, 10, 10]) == [99, 12, 12])
    #expect(subsets.count == all.count)
  }

  @Test("a class too small for a subset is reported, not crashed on")
  func tinyClass() {
    let all = items(["big": 100, "two": 2, "one": 1])
    let (subsets, outcome) = SplitAssigner.assign(all, plan: plan801010)
    let report = SplitCatalog.report(name: "v", created: true, plan: plan801010, items: all, outcome: outcome)
    #expect(report.warnings.contains { $0.contains("two has 2 images: too few for val, test") })
    #expect(report.warnings.contains { $0.contains("one has 1 image: too few for val, test") })
    #expect(subsets.count == 103)
  }

  @Test("split 1,000, add 100, split again: none of the first 1,000 moves; targets still met")
  func stability() {
    let first = items(["a": 700, "b": 300])
    let before = SplitAssigner.assign(first, plan: plan801010).subsets
    var grown = first.map { item -> SplitItem in
      var copy = item
      copy.assigned = before[item.imageID]
      return copy
    }
    grown += items(["a": 70, "b": 30], startID: 5000)
    let (afterSubsets, after) = SplitAssigner.assign(grown, plan: plan801010)
    #expect(first.allSatisfy { afterSubsets[$0.imageID] == before[$0.imageID] })
    #expect(after.newlyAssigned == 100 && after.moved == 0)
    let report = SplitCatalog.report(name: "v", created: false, plan: plan801010, items: grown, outcome: after)
    #expect(report.strata.allSatisfy { $0.deviation <= 1 })
  }

  @Test("the same seed on a shuffled insertion order gives identical assignments; another seed differs")
  func orderIndependent() {
    let all = items(["a": 500, "b": 120])
    var shuffled = all
    var generator = SeededGenerator(seed: 0x5eed)
    shuffled.shuffle(using: &generator)
    #expect(
      SplitAssigner.assign(all, plan: plan801010).subsets == SplitAssigner.assign(shuffled, plan: plan801010).subsets)
    var other = plan801010
    other.seed = 43
    #expect(SplitAssigner.assign(all, plan: plan801010).subsets != SplitAssigner.assign(all, plan: other).subsets)
  }

  @Test("members of a group always share a subset; the deviation is reported")
  func groups() {
    var all = items(["a": 300])
    for index in all.indices { all[index].groupKey = "g\(index / 7)" }  // groups of 7
    let (subsets, outcome) = SplitAssigner.assign(all, plan: plan801010)
    var subsetOfGroup: [String: String] = [:]
    for item in all {
      let subset = subsets[item.imageID]
      if let known = subsetOfGroup[item.groupKey] { #expect(known == subset) }
      subsetOfGroup[item.groupKey] = subset
    }
    let report = SplitCatalog.report(name: "v", created: true, plan: plan801010, items: all, outcome: outcome)
    #expect(report.strata[0].deviation <= 7)
  }

  @Test("k folds are equal within one image")
  func folds() throws {
    let plan = SplitPlan(subsets: try SplitPlan.folds(5), seed: 1)
    let all = items(["a": 103, "b": 51])
    let (subsets, outcome) = SplitAssigner.assign(all, plan: plan)
    let report = SplitCatalog.report(name: "k", created: true, plan: plan, items: all, outcome: outcome)
    #expect(report.strata.allSatisfy { $0.deviation <= 1 })
    #expect(Set(subsets.values) == ["fold1", "fold2", "fold3", "fold4", "fold5"])
  }

  @Test("the order key is pinned, the same from bytes as from a String; keys compare bytewise")
  func orderKeyAndKeyTable() {
    // A change here reorders every new split: existing ones keep their stored subsets, new ones differ.
    #expect(SplitAssigner.orderKey(seed: 0, key: "abc") == 0x0dd4_9049_0804_b508)
    let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    #expect(SplitAssigner.orderKey(seed: 42, key: empty) == 0x4e9a_f9db_5111_3762)
    var keys = KeyTable()
    for key in ["b", "ab", "a", "", "abc", empty] { keys.append(key) }
    #expect(keys.count == 6 && keys[1] == "ab" && keys[3] == "" && keys[5] == empty)
    #expect(keys.less(2, 1) && keys.less(1, 4) && keys.less(3, 2) && keys.less(4, 0))
    #expect(!keys.less(0, 1) && !keys.less(2, 2) && !keys.less(2, 3))
    keys.withKey(5) { bytes in
      #expect(SplitAssigner.orderKey(seed: 42, utf8: bytes) == SplitAssigner.orderKey(seed: 42, key: empty))
    }
  }

  @Test("bad ratios and folds are refused")
  func badInput() throws {
    #expect(throws: SplitterError.badRatios("80/x")) { try SplitPlan.subsets(ratios: "80/x") }
    #expect(throws: SplitterError.badRatios("100")) { try SplitPlan.subsets(ratios: "100") }
    #expect(throws: SplitterError.badFolds(1)) { try SplitPlan.folds(1) }
    // Ratios sum to 100, each finite and within 0...100; folds 2...100.
    for ratios in ["80/30", "inf/1/1", "1e308/1e308/1e308", "nan/50/50", "8/1/1", "50/50/50/-50", "80//20"] {
      #expect(throws: SplitterError.badRatios(ratios)) { try SplitPlan.subsets(ratios: ratios) }
    }
    #expect(try SplitPlan.subsets(ratios: "80/20").map(\.name) == ["train", "test"])
    #expect(try SplitPlan.subsets(ratios: "33.3/33.3/33.4").map(\.weight) == [33.3, 33.3, 33.4])
    #expect(throws: SplitterError.badFolds(1_000_000)) { try SplitPlan.folds(1_000_000) }
    #expect(throws: SplitterError.badFolds(Int.max)) { try SplitPlan.folds(Int.max) }
    #expect(try SplitPlan.folds(100).count == 100)
  }
}

@Suite("Splits in the catalog and the leakage check")
struct SplitCatalogTests {
  /// A catalog with `labels` images per class (synthetic rows: splitting needs no pixels).
  func catalog(_ labels: [String: Int], folder: String = "") throws -> Catalog {
    let catalog = try Workspace.create(at: try TestSupport.temporaryFolder() + "/ws")
    let (source, _) = try catalog.sourceID(for: SourceSpec(kind: "folder", name: "s", uri: "/s"))
    var arrivals: [ArrivingImage] = []
    var n = 0
    for (label, count) in labels.sorted(by: { $0.key < $1.key }) {
      for _ in 0..<count {
        n += 1
        let path = "\(folder)\(label)/person\(n % 50)_\(n).jpg"
        arrivals.append(
          ArrivingImage(
            image: ImageFacts(
              sha256: SHA256.hex(of: Array("image \(n)".utf8)), size: 10, width: 10, height: 10, format: "jpeg",
              fileExtension: "jpg"),
            origin: OriginFacts(relativePath: Array(path.utf8), originalSplit: n % 5 == 0 ? "test" : "train"),
            label: label, labelHow: "folder"))
      }
    }
    _ = try catalog.database.writeTransaction { try catalog.record(arrivals, sourceID: source) }
    return catalog
  }

  @Test("split is stored, re-running on a grown catalog assigns only the new images")
  func storedAndGrown() throws {
    let catalog = try catalog(["with_mask": 300, "without_mask": 100])
    let first = try SplitCatalog.split(catalog: catalog, name: "v1", plan: plan801010)
    #expect(first.created && first.newlyAssigned == 400)
    let before = try SplitCatalog.assignments(catalog: catalog, name: "v1")
    // Grow the catalog.
    let (source, _) = try catalog.sourceID(for: SourceSpec(kind: "folder", name: "t", uri: "/t"))
    let more = (0..<40).map { n in
      ArrivingImage(
        image: ImageFacts(
          sha256: SHA256.hex(of: Array("new \(n)".utf8)), size: 1, width: 1, height: 1, format: "jpeg",
          fileExtension: "jpg"),
        origin: OriginFacts(relativePath: Array("x/\(n).jpg".utf8)), label: "with_mask", labelHow: "folder")
    }
    _ = try catalog.database.writeTransaction { try catalog.record(more, sourceID: source) }
    let second = try SplitCatalog.split(catalog: catalog, name: "v1", plan: plan801010)
    #expect(second.newlyAssigned == 40 && second.kept == 400 && second.moved == 0)
    let after = try SplitCatalog.assignments(catalog: catalog, name: "v1")
    #expect(before.allSatisfy { after[$0.key] == $0.value })
    #expect(second.strata.allSatisfy { $0.deviation <= 1 })
    // Other parameters under the same name are refused; --rebalance says how many moved.
    var other = plan801010
    other.seed = 7
    #expect(throws: SplitterError.planChanged(name: "v1")) {
      try SplitCatalog.split(catalog: catalog, name: "v1", plan: other)
    }
    let rebalanced = try SplitCatalog.split(catalog: catalog, name: "v1", plan: other, rebalance: true)
    #expect(rebalanced.moved > 0)
    #expect(try SplitCatalog.list(catalog: catalog).map(\.name) == ["v1"])
  }

  @Test("what is stored is what the assigner decides for the same images, written in batches and row by row")
  func storedRowsMatchAssigner() throws {
    // 333 images: two multi-row statements of 128 rows, then 77 rows one at a time.
    let catalog = try catalog(["a": 250, "b": 83])
    let db = catalog.database
    try db.writeTransaction {
      for id in 1...60 {  // clusters of 3 among the "a" images
        try db.run(
          "INSERT INTO dup_clusters (image_id, cluster_id, method, radius) VALUES (?, ?, 'phash', 8)",
          [.int(Int64(id)), .int(Int64((id - 1) / 3))])
      }
    }
    let report = try SplitCatalog.split(catalog: catalog, name: "s", plan: plan801010)
    let rows = try db.rows(
      "SELECT a.image_id, a.subset, a.group_key, i.sha256 FROM split_assignments a JOIN images i ON i.id = a.image_id"
    ) { ($0.int64(0), $0.text(1) ?? "", $0.text(2), $0.text(3) ?? "") }
    #expect(rows.count == 333 && report.newlyAssigned == 333 && report.groups == 333 - 40)
    #expect(try db.rows("PRAGMA foreign_key_check") { $0.text(0) }.isEmpty)
    // The same images as items; a cluster's group key is its smallest SHA-256.
    let sha = Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.3) })
    let items = (1...333).map { id -> SplitItem in
      let key = id <= 60 ? (1...3).map { sha[Int64((id - 1) / 3 * 3 + $0)]! }.min()! : sha[Int64(id)]!
      return SplitItem(imageID: Int64(id), groupKey: key, stratum: id <= 250 ? "a" : "b")
    }
    let expected = SplitAssigner.assign(items, plan: plan801010).subsets
    #expect(Dictionary(uniqueKeysWithValues: rows.map { ($0.0, $0.1) }) == expected)
    // Only grouped images store their group key.
    for (id, _, groupKey, _) in rows { #expect(groupKey == (id <= 60 ? items[Int(id) - 1].groupKey : nil)) }
  }

  @Test("duplicate clusters and --group-by keys never cross subsets")
  func clustersStayWhole() throws {
    let catalog = try catalog(["a": 200])
    // Clusters of 4 consecutive images.
    try catalog.database.writeTransaction {
      for id in 1...80 {
        try catalog.database.run(
          "INSERT INTO dup_clusters (image_id, cluster_id, method, radius) VALUES (?, ?, 'phash', 8)",
          [.int(Int64(id)), .int(Int64((id - 1) / 4))])
      }
    }
    var plan = plan801010
    plan.groupBy = #"person(\d+)_"#
    let report = try SplitCatalog.split(catalog: catalog, name: "g", plan: plan)
    #expect(
      report.groupBy
        == GroupByReport(
          pattern: plan.groupBy!, matchedAgainst: "file name", files: 200, filesMatched: 200, keys: 50, groups: 50))
    // Anchored at the start of the file name, not of the path (a/person…): it still matches.
    plan.groupBy = #"^person(\d+)_"#
    #expect(try SplitCatalog.split(catalog: catalog, name: "anchored", plan: plan).groupBy?.filesMatched == 200)
    // On the path it does not, and a pattern matching nothing is refused.
    plan.groupByPath = true
    #expect(
      throws: SplitterError.groupPatternMatchedNothing(
        pattern: plan.groupBy!, scope: "relative path", files: 200, example: "a/person1_1.jpg")
    ) {
      try SplitCatalog.split(catalog: catalog, name: "onPath", plan: plan)
    }
    plan.groupBy = "nothing"
    plan.groupByPath = nil
    #expect(throws: SplitterError.self) { try SplitCatalog.split(catalog: catalog, name: "none", plan: plan) }
    let subsets = try SplitCatalog.assignments(catalog: catalog, name: "g")
    for cluster in 0..<20 {
      let members = (1...4).map { Int64(cluster * 4 + $0) }
      #expect(Set(members.compactMap { subsets[$0] }).count == 1)
    }
    let names = try catalog.database.rows("SELECT image_id, rel_path FROM image_origins") {
      ($0.int64(0), $0.text(1) ?? "")
    }
    var byPerson: [String: Set<String>] = [:]
    for (id, path) in names {
      let person = String(path.split(separator: "/")[1].split(separator: "_")[0])
      byPerson[person, default: []].insert(subsets[id] ?? "?")
    }
    #expect(byPerson.values.allSatisfy { $0.count == 1 })
    #expect(try LeakageCheck.run(catalog: catalog, split: "g").pairs.isEmpty)
  }

  @Test("a crop goes where its parent goes; crops of one photo stay together in a crops-only split")
  func lineage() throws {
    let catalog = try catalog(["a": 100])
    let db = catalog.database
    // Images 51...70 are crops of 1...20; image 71 is a second crop of 1.
    try db.writeTransaction {
      for (crop, parent) in (1...20).map({ (Int64($0 + 50), Int64($0)) }) + [(71, 1)] {
        try db.run(
          "INSERT INTO crops (image_id, parent_image_id, margin, width, height, created_at) VALUES (?, ?, 0.25, 8, 8, 'now')",
          [.int(crop), .int(parent)])
      }
    }
    let report = try SplitCatalog.split(catalog: catalog, name: "all", plan: plan801010)
    #expect(report.lineageLinks == 21 && report.groups == 100 - 21)
    let subsets = try SplitCatalog.assignments(catalog: catalog, name: "all")
    for parent in 1...20 { #expect(subsets[Int64(parent + 50)] == subsets[Int64(parent)]) }
    #expect(subsets[71] == subsets[1])

    var plan = plan801010
    plan.kind = .crops
    let crops = try SplitCatalog.split(catalog: catalog, name: "crops", plan: plan)
    #expect(crops.images == 21 && crops.groups == 20)
    let cropSubsets = try SplitCatalog.assignments(catalog: catalog, name: "crops")
    #expect(Set(cropSubsets.keys) == Set((51...71).map(Int64.init)))
    #expect(cropSubsets[51] == cropSubsets[71])
    plan.kind = .photos
    #expect(try SplitCatalog.split(catalog: catalog, name: "photos", plan: plan).images == 79)
    plan.kind = nil
    plan.sources = ["nope"]
    #expect(throws: SplitterError.unknownSource("nope", known: ["s"])) {
      try SplitCatalog.split(catalog: catalog, name: "nope", plan: plan)
    }

    // Two crops of one photo in different subsets leak through the photo, though it is not in the split.
    let away = cropSubsets[51] == "train" ? "test" : "train"
    try db.run(
      "UPDATE split_assignments SET subset = ? WHERE image_id = 71 AND split_id = (SELECT id FROM splits WHERE name = 'crops')",
      [.text(away)])
    let leak = try LeakageCheck.run(catalog: catalog, split: "crops")
    #expect(leak.pairs.map { [$0.first, $0.second] } == [[51, 71]] && leak.pairs.first?.evidence == "lineage+group")
    // And a crop moved away from its parent in the whole split is a lineage leak.
    try db.run(
      "UPDATE split_assignments SET subset = ? WHERE image_id = 52 AND split_id = (SELECT id FROM splits WHERE name = 'all')",
      [.text(subsets[2] == "train" ? "val" : "train")])
    #expect(try LeakageCheck.run(catalog: catalog, split: "all").pairs.map(\.evidence) == ["lineage"])
  }

  @Test("check leakage catches a planted near-duplicate pair across an imported split")
  func plantedLeak() throws {
    let catalog = try catalog(["a": 20])
    let split = try SplitCatalog.fromOriginal(catalog: catalog, name: "kaggle")
    #expect(split.counts == ["train": 16, "test": 4])
    // Hashes: all far apart, except image 5 (test) and 6 (train) which differ in 3 bits.
    try catalog.database.writeTransaction {
      for id in 1...20 {
        var value = UInt64(id) &* 0x9E37_79B9_7F4A_7C15
        if id == 6 { value = (UInt64(5) &* 0x9E37_79B9_7F4A_7C15) ^ 0b1011 }
        try catalog.database.run(
          "INSERT INTO hashes (image_id, algorithm, version, value) VALUES (?, 'phash', 1, ?)",
          [.int(Int64(id)), .int(Int64(bitPattern: value))])
      }
    }
    // These rows have no pixels, so the pair cannot be confirmed: it is reported by its hash, unconfirmed.
    let report = try LeakageCheck.run(catalog: catalog, split: "kaggle", radius: 8, method: .phash, missing: .refuse)
    #expect(
      report.pairs.map { [$0.first, $0.second] } == [[5, 6]] && report.pairs.first?.distance == 3
        && report.pairs.first?.evidence == "hash:phash" && report.pairs.first?.relation == nil)
    #expect(report.pairs.allSatisfy { !$0.firstPath.isEmpty && !$0.secondPath.isEmpty })
    #expect(report.hashAlgorithm == "phash")
    #expect(try LeakageCheck.run(catalog: catalog, split: "kaggle", radius: 2, method: .phash).pairs.isEmpty)
    // Only the candidates that cross subsets are confirmed (decoded): a planted pair inside one subset is left
    // out of the first pass, and the report is the one every candidate gives.
    let subsets = try SplitCatalog.assignments(catalog: catalog, name: "kaggle")
    let train = subsets.filter { $0.value == "train" && $0.key != 6 }.keys.sorted()
    let (a, b) = (train[0], train[1])
    try catalog.database.run(
      "UPDATE hashes SET value = ? WHERE image_id = ? AND algorithm = 'phash'",
      [.int(Int64(bitPattern: (UInt64(a) &* 0x9E37_79B9_7F4A_7C15) ^ 0b11)), .int(b)])
    func pass(_ crossingOnly: Bool) throws -> (report: LeakageReport, chained: Bool, candidates: Int) {
      try LeakageCheck.search(
        catalog: catalog, split: "kaggle", radius: 8, method: .phash, missing: .refuse, groupBy: nil,
        crossingCandidatesOnly: crossingOnly)
    }
    let (crossing, every) = (try pass(true), try pass(false))
    #expect(crossing.candidates == 1 && every.candidates == 2 && !crossing.chained)
    #expect(crossing.report.pairs == every.report.pairs && crossing.report.pairs.map(\.first) == [5])
    #expect(
      try LeakageCheck.run(catalog: catalog, split: "kaggle", radius: 8, method: .phash, missing: .refuse).pairs
        == every.report.pairs)
    // Without the phash+centre hashes (these rows have no pixels to hash), --no-hash refuses.
    #expect(throws: SplitterError.unhashedImages(split: "kaggle", count: 20, method: "phash+centre")) {
      try LeakageCheck.run(catalog: catalog, split: "kaggle", missing: .refuse)
    }
  }
}
