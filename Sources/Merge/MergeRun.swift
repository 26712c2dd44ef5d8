import Annotations
import Catalog
import Foundation
import Imaging
import Ingest

/// What `datasetkit merge` did.
public struct MergeReport: Sendable, Encodable {
  public struct SourceResult: Sendable, Encodable {
    public var name: String
    public var path: String
    public var layout: String
    public var added: Int
    public var knownBytes: Int
    public var unchanged: Int
    public var notImported: Int
    public var labels: [String: Int]
    /// Boxes of the source's annotation files in the catalog (VOC, YOLO).
    public var boxes = 0
    /// `boxes: crops`: what the crop step did for this source's boxes.
    public var crops: Crops?
    /// Annotation or label-table problems (file:line and why); those files or lines gave nothing.
    public var problems: [FileIssue] = []
  }

  /// The crop step of one `boxes: crops` source.
  public struct Crops: Sendable, Encodable {
    public var boxes: Int
    public var cut: Int
    /// Boxes cut on an earlier run (or by `faces crop`): their crops are used as they are.
    public var cutBefore: Int
    /// Boxes of alternate annotation files of an image (another file's boxes count): not cut.
    public var alternates: Int
    /// Crops whose bytes were already in the catalog.
    public var knownBytes: Int
    /// Boxes that could not be cut (the box and why).
    public var failed: [String]
  }

  /// The same bytes labelled differently by two sources; the recipe's priority decided.
  public struct Conflict: Sendable, Encodable {
    public var sha256: String
    public var labels: [String: String]
    public var chosen: String
    public var decidedBy: String
  }

  public struct ViewResult: Sendable, Encodable {
    public var name: String
    public var images: Int
    public var classes: [String: Int]
    /// Source → class → images (an image counts for the source whose label decided it).
    public var bySource: [String: [String: Int]]
    public var labelsAdded: Int
    public var labelsRemoved: Int
    /// Quotas the sources could not fill (asked more than there was), per class and per source.
    public var shortfalls: [Shortfall] = []
  }

  /// A quota that could not be met: `asked` images of a class (`quotas.per_class`) or from a source
  /// (`quotas.per_source`), `got` fewer.
  public struct Shortfall: Sendable, Encodable, Equatable {
    /// `per_class` or `per_source`.
    public var quota: String
    /// The class or the source.
    public var name: String
    public var asked: Int
    public var got: Int
    public var shortBy: Int
  }

  public var recipe: String
  public var sources: [SourceResult] = []
  /// Found class → images carrying it in the recipe's sources.
  public var foundClasses: [String: Int] = [:]
  /// Found classes the map does not name, dropped because the recipe says `unmapped: drop`.
  public var droppedUnmapped: [String] = []
  public var ignoredImages = 0
  public var conflicts: [Conflict] = []
  /// Images labelled by two or more sources (each image is still counted once, in one class).
  public var labelledBySeveralSources = 0
  /// How a majority tie (an image's boxes as many of one class as of another) is decided.
  public var tieRule = ""
  /// How many classes of the tie order `tieRule` names (the rest are counted).
  public static let tieRuleNames = 50
  /// Images whose majority class was a tie, decided by `tieRule`.
  public var majorityTies = 0
  /// Images whose bytes two or more annotation files describe: one file's boxes count (recipe priority,
  /// then the file named like the image), the others are kept as alternates, never stacked.
  public var twins: [AnnotationTwin] = []
  /// Of `twins`, images annotated by files of two or more sources.
  public var annotatedBySeveralSources = 0
  public var views: [ViewResult] = []

  /// Every view's unmet quotas, as `view: class asked N, got M (short by K)` lines.
  public var shortfallLines: [String] {
    views.flatMap { view in
      view.shortfalls.map {
        "view \(view.name): \($0.quota == "per_source" ? "source" : "class") \($0.name) asked \($0.asked), got \($0.got) (short by \($0.shortBy))"
      }
    }
  }
}

/// Runs a recipe: imports each source (idempotent: a source seen before adds nothing), maps its classes,
/// and writes each view as labels with `view = <name>` in `image_labels` (label sets, not copies).
/// Re-running the same recipe changes nothing; the views are diffed, not rewritten.
public enum MergeRun {
  ///
  /// A quota the sources cannot fill is reported per view in ``MergeReport/ViewResult/shortfalls``; with
  /// `strict`, any such shortfall refuses the merge before a view is written (the sources are imported).
  public static func run(
    _ recipe: Recipe, catalog: Catalog, dropUnmapped: Bool = false, strict: Bool = false,
    options: IngestOptions = IngestOptions(),
    progress: (String, IngestProgress) -> Void = { _, _ in }
  ) throws -> MergeReport {
    var report = MergeReport(recipe: recipe.name)
    var sourceIDs: [Int64] = []
    var cropSources: [Int64] = []
    for source in recipe.sources {
      var request = LayoutImport.Request(path: source.path)
      request.majorityLabels = source.boxes == .majority
      request.layout = source.layout
      request.table = source.table
      request.patterns = source.patterns
      request.name = source.name
      request.license = source.license
      request.recipe = recipe.name
      request.options = options
      let result = try LayoutImport.run(request, catalog: catalog) { progress(source.name, $0) }
      let images = result.images
      sourceIDs.append(images.sourceID)
      let sourceResult = MergeReport.SourceResult(
        name: source.name, path: source.path, layout: result.layout.layout, added: images.added,
        knownBytes: images.knownBytes, unchanged: images.unchanged,
        notImported: images.rejected.count + images.notImages.count + images.errors.count, labels: images.labels,
        boxes: result.layout.boxes, problems: result.layout.problems)
      if source.boxes == .crops {
        guard [LayoutChoice.voc, .yolo, .coco].map(\.rawValue).contains(result.layout.layout) else {
          throw MergeError.recipe(
            path: recipe.path, line: source.line,
            reason:
              "source \(source.name) has `boxes: crops` but its layout is \(result.layout.layout) (\(result.layout.reason)), which has no boxes; give `layout: voc`, `yolo` or `coco`. The sources before it were imported; no view was written"
          )
        }
        cropSources.append(images.sourceID)
      }
      report.sources.append(sourceResult)
    }
    let rank = Self.sourceRank(recipe, sourceIDs: sourceIDs)
    // Crops are cut once every source is in: an image's one box set is chosen among all the recipe's
    // annotation files (recipe priority first), so a photo two sources annotate gives each face one crop,
    // whichever source is listed first.
    for (index, source) in recipe.sources.enumerated() where source.boxes == .crops {
      var options = source.crop
      options.originSourceID = sourceIDs[index]
      options.rank = rank
      options.annotationSources = Set(sourceIDs)
      let cut = try catalog.cropFaces(options)
      report.sources[index].crops = MergeReport.Crops(
        boxes: cut.boxes, cut: cut.cropped, cutBefore: cut.alreadyCropped, alternates: cut.alternates,
        knownBytes: cut.known,
        failed: cut.failed.map(\.reason))
    }

    let labelled = sourceIDs.filter { !cropSources.contains($0) }
    // Every box's found class counts as found too (a class that never wins a majority still needs a mapping).
    let majoritySources = Set(labelled).intersection(
      zip(recipe.sources, sourceIDs).filter { $0.0.boxes == .majority }.map(\.1))
    var perSourceBoxes: [Int64: EffectiveBoxes] = [:]
    var boxClasses: [String: Set<Int64>] = [:]
    for sourceID in sourceIDs {
      let boxes = try catalog.effectiveBoxes(sources: [sourceID])
      for (image, list) in boxes.boxes {
        for box in list where AnnotationOrigin.isFile(box.origin) {
          boxClasses[box.className, default: []].insert(image)
        }
      }
      if majoritySources.contains(sourceID) { perSourceBoxes[sourceID] = boxes }
    }
    // The boxes whose crops count: each image's one box set among all the recipe's files (as cut above), when
    // that set belongs to a `boxes: crops` source.
    var cropBoxes: Set<Int64> = []
    if !cropSources.isEmpty {
      let effective = try catalog.effectiveBoxes(rank: rank, sources: Set(sourceIDs))
      for (image, set) in effective.chosen where cropSources.contains(set.sourceID) {
        cropBoxes.formUnion((effective.boxes[image] ?? []).map(\.id))
      }
    }
    // Labels as found, per image and source: the images' labels, and for `boxes: crops` sources the crops of
    // their effective boxes (not rejected; an alternate file's crops, cut by an older version, are left out),
    // each labelled by its box's class as it is now.
    var found = try catalog.labelsAsFound(sourceIDs: labelled).map {
      (image: $0.imageID, source: $0.sourceID, label: $0.label, sha: $0.sha256)
    }
    var cropLabels = Set<String>()
    found += try CropStore(catalog: catalog).cropLabels(sourceIDs: cropSources)
      .filter {
        cropBoxes.contains($0.boxID) && cropLabels.insert("\($0.imageID) \($0.sourceID) \($0.className)").inserted
      }
      .map { (image: $0.imageID, source: $0.sourceID, label: $0.className, sha: $0.sha256) }
    found.sort { $0.image != $1.image ? $0.image < $1.image : $0.source < $1.source }
    var imagesByClass: [String: Set<Int64>] = [:]
    for row in found { imagesByClass[row.label, default: []].insert(row.image) }
    report.foundClasses = imagesByClass.mapValues(\.count)
    let targets = recipe.targets
    let allFound = Set(imagesByClass.keys).union(boxClasses.keys)
    let unmapped = allFound.filter { recipe.classMap[$0] == nil && !targets.contains($0) }.sorted()
    if !unmapped.isEmpty {
      if recipe.dropUnmapped || dropUnmapped {
        report.droppedUnmapped = unmapped
      } else {
        let listed = unmapped.map { "\($0) (\(imagesByClass[$0, default: boxClasses[$0] ?? []].count) images)" }
          .joined(separator: ", ")
        throw MergeError.recipe(
          path: recipe.path, line: nil,
          reason:
            "classes found in the sources but not mapped: \(listed). Map each under `classes:` (to a class, drop or ignore), or set `unmapped: drop` (or --drop-unmapped) to leave them out. The sources were imported; no view was written"
        )
      }
    }

    // A VOC or YOLO source labels an image by the majority of its one effective box set (never two
    // files' boxes stacked), counted after the class map, so English and Spanish copies agree; a tie is
    // decided by the tie order (the recipe's `tie_order`, else the views' classes in recipe order).
    let tieOrder = recipe.tieOrder
    let tieRank = Dictionary(tieOrder.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    let shown = tieOrder.prefix(MergeReport.tieRuleNames).joined(separator: ", ")
    let more = tieOrder.count > MergeReport.tieRuleNames ? " and \(tieOrder.count - MergeReport.tieRuleNames) more" : ""
    report.tieRule =
      "class order " + shown + more
      + (!recipe.explicitTieOrder.isEmpty ? " (tie_order)" : " (the views' classes)")
    if !perSourceBoxes.isEmpty {
      let shaByImage = Dictionary(found.map { ($0.image, $0.sha) }, uniquingKeysWith: { a, _ in a })
      found.removeAll {
        majoritySources.contains($0.source) && shaByImage[$0.image] != nil
          && perSourceBoxes[$0.source]?.chosen[$0.image] != nil
      }
      for (sourceID, boxes) in perSourceBoxes.sorted(by: { $0.key < $1.key }) {
        for (image, _) in boxes.chosen.sorted(by: { $0.key < $1.key }) {
          guard let sha = shaByImage[image] else { continue }
          let list = (boxes.boxes[image] ?? []).filter { AnnotationOrigin.isFile($0.origin) }
          let decision = Self.majority(list.map(\.className), recipe: recipe, targets: targets, tieRank: tieRank)
          if decision.tie { report.majorityTies += 1 }
          guard let label = decision.label else { continue }
          found.append((image, sourceID, label, sha))
        }
      }
      found.sort { $0.image != $1.image ? $0.image < $1.image : $0.source < $1.source }
    }

    // One target class per image; conflicts decided by priority, then recipe order.
    let order = Dictionary(sourceIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    var decided: [Int64: (target: String, source: Int64, sha: String)] = [:]
    var byImage: [Int64: [(source: Int64, label: String, sha: String)]] = [:]
    for row in found { byImage[row.image, default: []].append((row.source, row.label, row.sha)) }
    for (image, labels) in byImage.sorted(by: { $0.key < $1.key }) {
      var mapped: [(source: Int64, target: String)] = []
      var ignored = false
      for label in labels {
        switch recipe.classMap[label.label] ?? (targets.contains(label.label) ? .to(label.label) : .drop) {
        case .to(let target): mapped.append((label.source, target))
        case .drop: continue
        case .ignore: ignored = true
        }
      }
      if ignored {
        report.ignoredImages += 1
        continue
      }
      guard !mapped.isEmpty else { continue }
      if Set(mapped.map(\.source)).count > 1 { report.labelledBySeveralSources += 1 }
      let ranked = mapped.sorted { a, b in
        let pa = recipe.sources[order[a.source] ?? 0].priority
        let pb = recipe.sources[order[b.source] ?? 0].priority
        return pa != pb ? pa > pb : (order[a.source] ?? 0) < (order[b.source] ?? 0)
      }
      let winner = ranked[0]
      if Set(mapped.map(\.target)).count > 1 {
        var labelsBySource: [String: String] = [:]
        for label in labels { labelsBySource[recipe.sources[order[label.source] ?? 0].name] = label.label }
        report.conflicts.append(
          MergeReport.Conflict(
            sha256: labels[0].sha, labels: labelsBySource, chosen: winner.target,
            decidedBy: "priority of source \(recipe.sources[order[winner.source] ?? 0].name)"))
      }
      decided[image] = (winner.target, winner.source, labels[0].sha)
    }

    // Each view: fold, quotas (seeded); every view's members are known (and a strict merge's quotas
    // checked) before any view is written; then each is diffed against what is stored.
    typealias Member = (image: Int64, viewClass: String, source: Int64, key: UInt64)
    var planned: [(view: Recipe.View, members: [Member], shortfalls: [MergeReport.Shortfall])] = []
    for view in recipe.views {
      var members: [Member] = []
      for (image, choice) in decided {
        let viewClass = view.fold[choice.target] ?? (view.classSet.contains(choice.target) ? choice.target : nil)
        guard let viewClass else { continue }
        members.append((image, viewClass, choice.source, sampleKey(seed: recipe.seed, sha256: choice.sha)))
      }
      members.sort { $0.key != $1.key ? $0.key < $1.key : $0.image < $1.image }
      var shortfalls: [MergeReport.Shortfall] = []
      if !recipe.perSource.isEmpty {
        var taken: [Int64: Int] = [:]
        members = members.filter { member in
          let name = recipe.sources[order[member.source] ?? 0].name
          guard let quota = recipe.perSource[name] else { return true }
          taken[member.source, default: 0] += 1
          return taken[member.source, default: 0] <= quota
        }
        for (source, sourceID) in zip(recipe.sources, sourceIDs) {
          guard let asked = recipe.perSource[source.name] else { continue }
          let got = min(asked, taken[sourceID] ?? 0)
          if got < asked {
            shortfalls.append(
              MergeReport.Shortfall(
                quota: "per_source", name: source.name, asked: asked, got: got, shortBy: asked - got))
          }
        }
      }
      var perClass: [String: Int] = view.classes.reduce(into: [:]) { $0[$1] = recipe.perClass[$1] ?? Int.max }
      if recipe.balance {
        let counts = Dictionary(grouping: members, by: \.viewClass).mapValues(\.count)
        let smallest = view.classes.map { counts[$0] ?? 0 }.min() ?? 0
        for name in view.classes { perClass[name] = min(perClass[name] ?? Int.max, smallest) }
      }
      var taken: [String: Int] = [:]
      members = members.filter { member in
        taken[member.viewClass, default: 0] += 1
        return taken[member.viewClass, default: 0] <= (perClass[member.viewClass] ?? Int.max)
      }
      for name in view.classes {
        guard let asked = recipe.perClass[name] else { continue }
        let got = min(asked, taken[name] ?? 0, perClass[name] ?? Int.max)
        if got < asked {
          shortfalls.append(
            MergeReport.Shortfall(quota: "per_class", name: name, asked: asked, got: got, shortBy: asked - got))
        }
      }
      planned.append((view, members, shortfalls))
    }
    if strict {
      let unmet = planned.flatMap { plan in
        plan.shortfalls.map {
          "view \(plan.view.name): \($0.quota == "per_source" ? "source" : "class") \($0.name) asked \($0.asked), got \($0.got)"
        }
      }
      if !unmet.isEmpty {
        throw MergeError.recipe(
          path: recipe.path, line: nil,
          reason:
            "--strict: quotas not met: \(unmet.joined(separator: "; ")). Lower the quotas or add sources. The sources were imported; no view was written"
        )
      }
    }
    for (view, members, shortfalls) in planned {
      let definition = ViewDefinition(
        name: view.name, classes: view.classes,
        map: Dictionary(
          allFound.map { found in (found, Self.action(of: found, in: view, recipe: recipe, targets: targets)) },
          uniquingKeysWith: { a, _ in a }),
        sourceRank: rank)
      let (added, removed) = try catalog.database.writeTransaction { () -> (Int, Int) in
        try catalog.recordView(definition)
        var classIDs: [String: Int64] = [:]
        for name in view.classes { classIDs[name] = try catalog.classID(named: name) }
        let existing = try catalog.viewLabels(view: view.name)
        let wanted = Dictionary(members.map { ($0.image, $0) }, uniquingKeysWith: { first, _ in first })
        // An image a person relabelled in this view keeps that label (`review image relabel`).
        var kept = Set(existing.filter { $0.reviewed }.map(\.imageID))
        var removed = 0
        for row in existing where !row.reviewed {
          if let member = wanted[row.imageID], classIDs[member.viewClass] == row.classID, !kept.contains(row.imageID) {
            kept.insert(row.imageID)
          } else {
            try catalog.removeLabel(id: row.id)
            removed += 1
          }
        }
        let now = Timestamp.now()
        var added = 0
        for member in members where !kept.contains(member.image) {
          guard let classID = classIDs[member.viewClass] else { continue }
          try catalog.addViewLabel(
            imageID: member.image, classID: classID, sourceID: member.source, view: view.name,
            how: "recipe:\(recipe.name)", at: now)
          added += 1
        }
        return (added, removed)
      }
      var classes: [String: Int] = [:]
      var bySource: [String: [String: Int]] = [:]
      for member in members {
        classes[member.viewClass, default: 0] += 1
        bySource[recipe.sources[order[member.source] ?? 0].name, default: [:]][member.viewClass, default: 0] += 1
      }
      report.views.append(
        MergeReport.ViewResult(
          name: view.name, images: members.count, classes: classes, bySource: bySource, labelsAdded: added,
          labelsRemoved: removed, shortfalls: shortfalls))
    }
    report.conflicts.sort { $0.sha256 < $1.sha256 }
    // Images two or more annotation files describe, as the views see them (by the first view's classes).
    if let first = recipe.views.first {
      let twins = try catalog.effectiveBoxes(rank: rank, sources: Set(sourceIDs)) { found in
        if case .map(let name) = Self.action(of: found, in: first, recipe: recipe, targets: targets) { return name }
        return nil
      }
      report.twins = twins.twins
      report.annotatedBySeveralSources = twins.annotatedBySeveralSources
    }
    return report
  }

  /// Source id → rank: higher recipe priority first, then recipe order.
  static func sourceRank(_ recipe: Recipe, sourceIDs: [Int64]) -> [Int64: Int] {
    let ordered = zip(recipe.sources, sourceIDs).enumerated().sorted { a, b in
      a.element.0.priority != b.element.0.priority ? a.element.0.priority > b.element.0.priority : a.offset < b.offset
    }
    var rank: [Int64: Int] = [:]
    for (position, entry) in ordered.enumerated() where rank[entry.element.1] == nil {
      rank[entry.element.1] = position
    }
    return rank
  }

  /// What a found class becomes in `view`: the class map (or the class itself when a view names it), then
  /// the view's fold; a class the view does not hold is dropped.
  static func action(of found: String, in view: Recipe.View, recipe: Recipe, targets: Set<String>)
    -> ViewDefinition.Action
  {
    switch recipe.classMap[found] ?? (targets.contains(found) ? .to(found) : .drop) {
    case .to(let target):
      if let folded = view.fold[target] { return .map(folded) }
      return view.classSet.contains(target) ? .map(target) : .drop
    case .drop: return .drop
    case .ignore: return .ignore
    }
  }

  /// The majority target class of an image's boxes (found names): each mapped by the class map first;
  /// dropped classes do not vote; an ignored class makes the image's label that class (so it is ignored).
  /// A tie goes to the class first in the tie order (`tieRank`: class → position; then by name).
  static func majority(_ names: [String], recipe: Recipe, targets: Set<String>, tieRank: [String: Int]) -> (
    label: String?, tie: Bool
  ) {
    var counts: [String: Int] = [:]
    for name in names {
      switch recipe.classMap[name] ?? (targets.contains(name) ? .to(name) : .drop) {
      case .to(let target): counts[target, default: 0] += 1
      case .drop: continue
      case .ignore: return (name, false)
      }
    }
    guard let best = counts.values.max() else { return (nil, false) }
    let leaders = counts.filter { $0.value == best }.map(\.key)
    let winner = leaders.min { a, b in
      let pa = tieRank[a] ?? Int.max
      let pb = tieRank[b] ?? Int.max
      return pa != pb ? pa < pb : a < b
    }
    return (winner, leaders.count > 1)
  }

  /// A stable pseudo-random rank of an image for sampling: FNV-1a over the seed and the image's digest.
  static func sampleKey(seed: UInt64, sha256: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in withUnsafeBytes(of: seed.littleEndian, Array.init) + Array(sha256.utf8) {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return hash
  }
}
