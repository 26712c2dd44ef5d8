import Annotations
import Catalog
import Foundation
import Imaging
import Splitter

#if canImport(Glibc)
  import Glibc
#endif

/// Every export format (the raw values are the `--format` values). `folders` and `csv` are written by
/// `Exporter`; the box formats `voc`, `yolo`, `coco`, `createml` and `webdataset` by `DatasetExport`, one
/// subset per split subset.
public enum DatasetFormat: String, Sendable, Codable, CaseIterable {
  /// `train/<label>/…` for Keras `image_dataset_from_directory` and torchvision `ImageFolder`.
  case folders
  /// One row per image with provenance (`data.csv`), plus the files.
  case csv
  /// Pascal VOC as LabelImg writes it (devkit layout or image + XML side by side).
  case voc
  /// One txt per image, `classes.txt`, an Ultralytics `data.yaml`.
  case yolo
  /// One COCO detection JSON per subset.
  case coco
  /// Apple Create ML object-detection JSON, one per subset.
  case createml
  /// WebDataset tar shards per subset: `<key>.jpg`, `<key>.cls` (the label's index), `<key>.json` (label,
  /// boxes, provenance, license).
  case webdataset

  /// True for the formats written from an image's box set (`DatasetExport`): the detection formats, and
  /// WebDataset, which writes each image's label and boxes. False for those that write one label per image.
  public var writesBoxes: Bool {
    switch self {
    case .folders, .csv: false
    case .voc, .yolo, .coco, .createml, .webdataset: true
    }
  }

  /// True when image files are placed one by one (so `--link` applies); WebDataset writes them into shards.
  public var placesFiles: Bool { self != .webdataset }
}

public struct ExportRequest: Sendable {
  public var format: DatasetFormat
  public var output: String
  /// The split version to export; nil exports every active image under "all".
  public var split: String?
  public var link: LinkMode
  /// The label view ("" = labels as imported).
  public var view: String
  public var toolVersion: String
  /// Box formats: only images and boxes of these classes (empty: all).
  public var labels: [String]
  /// VOC: devkit (Annotations/, JPEGImages/, ImageSets/Main) or flat (image and XML side by side).
  public var vocLayout: VOCExportLayout
  /// Only crops or only photos, only some sources (`--kind`, `--source`).
  public var selection = ImageSelection()
  /// Box formats: also images with no box (background), which are left out by default.
  public var includeUnannotated: Bool
  /// Resize at export (`--max-side` / `--short-side`); nil: images as stored.
  public var resize: ExportResize?
  /// WebDataset: the most bytes a shard may hold (`--shard-size`).
  public var shardSize = ShardSize.defaultBytes

  public init(
    format: DatasetFormat, output: String, split: String?, link: LinkMode = .copy, view: String = "",
    toolVersion: String, labels: [String] = [], vocLayout: VOCExportLayout = .devkit, includeUnannotated: Bool = false
  ) {
    self.includeUnannotated = includeUnannotated
    self.format = format
    self.output = output
    self.split = split
    self.link = link
    self.view = view
    self.toolVersion = toolVersion
    self.labels = labels
    self.vocLayout = vocLayout
  }
}

/// What an export wrote.
public struct ExportSummary: Sendable, Codable {
  public var output: String
  public var format: String
  public var split: String?
  public var files: Int
  /// Boxes written (box formats).
  public var boxes: Int = 0
  /// Class names in index order: only classes with an exported image or box (sorted, or the view's order).
  public var classes: [String] = []
  /// Per subset, per label.
  public var counts: [String: [String: Int]]
  /// Images left out because they have no label (folders need one); box formats: because they have no
  /// box (in the view), unless --include-unannotated.
  public var unlabeled: Int
  /// Hard links that fell back to copies (another file system).
  public var copiedInsteadOfLinked: Int
  public var replacedPreviousExport: Bool
  /// The images left out (counted in `unlabeled`), each named.
  public var leftOut: [LeftOutImage] = []
  /// With a split: what changed in the catalog since its members were assigned, which this export does
  /// not take in (it writes the split as made; `split --update` takes them in).
  public var splitChanges: [SplitChange] = []
  /// Things the user should know about the export (e.g. YOLO's val is train when there is no split).
  public var notes: [String] = []
  /// Images written resized (`--max-side` / `--short-side`), and the bound as said (`max-side 512, JPEG
  /// quality 95`); images within the bound are written as they are.
  public var resized = 0
  public var resize: String?
  /// WebDataset: each subset's shard files, in order.
  public var shards: [String: [String]]?
  /// WebDataset: shards an interrupted run of the same export had finished, kept after checking their size and
  /// SHA-256 (the rest were written); nil for other formats.
  public var keptShards: Int?
}

/// An image an export left out, and why.
public struct LeftOutImage: Sendable, Codable, Equatable {
  public var imageID: Int64
  public var sha256: String
  /// Its first origin, `source/relative path`.
  public var path: String
  public var subset: String
}

/// The one `manifest.json` shape every format writes (`schemas/manifest.schema.json`).
public enum ManifestSchema {
  /// 2: every format lists its images under `files` (box formats wrote `images` before), `classes` is
  /// name → index everywhere.
  public static let version = 2
}

/// One entry of `manifest.json`.
struct ManifestFile: Codable {
  var path: String
  var sha256: String
  var label: String?
  var subset: String
  var origins: [ManifestOrigin]
  /// A derived image (a face crop): the photo it was cut from, the box, and the photo's origins.
  var parent: ManifestParent?
  /// Resized at export: the original's SHA-256 and size (`sha256` is the written file's).
  var original: ManifestOriginal?
}

/// Lineage in the manifest: the parent photo of a derived image, the box it was cut from (the parent's pixels)
/// and the parent's origins.
struct ManifestParent: Codable {
  struct Corners: Codable {
    var xmin: Double
    var ymin: Double
    var xmax: Double
    var ymax: Double
  }

  var sha256: String
  var box: Corners?
  var origins: [ManifestOrigin]

  /// Each derived image's parent entry, by image id (`origins`: every image's credited origins).
  static func all(catalog: Catalog, origins: [Int64: [ManifestOrigin]]) throws -> [Int64: ManifestParent] {
    try catalog.imageParents().mapValues { parent in
      ManifestParent(
        sha256: parent.parentSHA256,
        box: parent.box.map { Corners(xmin: $0.xmin, ymin: $0.ymin, xmax: $0.xmax, ymax: $0.ymax) },
        origins: origins[parent.parentID] ?? [])
    }
  }

  /// The entry as a JSON object (the box formats' manifest is built as one).
  var json: [String: Any] {
    var object: [String: Any] = ["sha256": sha256, "origins": origins.map(\.json)]
    if let box { object["box"] = ["xmin": box.xmin, "ymin": box.ymin, "xmax": box.xmax, "ymax": box.ymax] }
    return object
  }
}

struct ManifestOrigin: Codable {
  var source: String
  var path: String
  var license: String?
  var url: String?
  var pageURL: String?
  var creator: String?
  var attribution: String?
  var caption: String?

  init(_ credit: OriginCredit) {
    source = credit.source
    path = credit.path
    license = credit.license
    url = credit.url
    pageURL = credit.pageURL
    creator = credit.creator
    attribution = credit.attribution
    caption = credit.caption
  }

  /// The origin as a JSON object, absent fields left out (as `JSONEncoder` writes it).
  var json: [String: Any] {
    var object: [String: Any] = ["source": source, "path": path]
    for (key, value) in [
      ("license", license), ("url", url), ("pageURL", pageURL), ("creator", creator), ("attribution", attribution),
      ("caption", caption),
    ] {
      if let value { object[key] = value }
    }
    return object
  }
}

struct Manifest: Codable {
  var schemaVersion = ManifestSchema.version
  var tool: String
  var format: String
  var split: ManifestSplit?
  var selection: ManifestSelection?
  var view: String
  /// Class name → index (sorted names, 0-based): the same table every format and re-run uses.
  var classes: [String: Int]
  var counts: [String: [String: Int]]
  var files: [ManifestFile]
  /// Every file the export wrote besides manifest.json: what a later export may replace.
  var contents: [String]?
  /// Folders format: each label's folder name (`Exporter.safeComponent`), where they differ.
  var folderNames: [String: String]?
  /// True when image files are hard or symbolic links into the workspace's object store (`--link hard|sym`):
  /// they share the store's bytes, so they must not be edited in place (copy a file before changing it).
  var linkedObjects: Bool?
  /// The resize the export was made with (`--max-side` / `--short-side`); absent: images as stored.
  var resize: ManifestResize?
}

/// The `--kind` / `--source` selection an export was made with (absent: every image); sources sorted, so
/// the same selection gives the same bytes.
struct ManifestSelection: Codable {
  var kind: String?
  var sources: [String]?

  init?(_ selection: ImageSelection) {
    guard !selection.selectsEverything else { return nil }
    kind = selection.kind?.rawValue
    sources = selection.sources.isEmpty ? nil : Set(selection.sources).sorted()
  }

  var json: [String: Any] {
    var object: [String: Any] = [:]
    if let kind { object["kind"] = kind }
    if let sources { object["sources"] = sources }
    return object
  }
}

struct ManifestSplit: Codable {
  var name: String
  var createdAt: String
  var plan: SplitPlan
}

/// Writes an export tree: every file first into a temporary sibling folder, then swapped in whole, so
/// an interrupted export leaves no half-written file under a final name. `manifest.json` (tool version,
/// split parameters, class → index table, each file's SHA-256 and provenance) is byte-identical for the
/// same catalog and command.
public enum Exporter {
  public static func run(catalog: Catalog, request: ExportRequest) throws -> ExportSummary {
    let output = URL(fileURLWithPath: request.output).standardizedFileURL.path
    try OutputFile.check(output, workspace: catalog.workspace, folder: true)
    // Two exports to one --out: the second waits for the first (a lock on the folder holding both), then
    // replaces its export as it would any earlier one.
    let lock = try OutputFile.lockFolder(containing: output)
    defer { lock.unlock() }
    Leftovers.clean(in: URL(fileURLWithPath: output).deletingLastPathComponent().path)
    var request = request
    // A split is the whole recipe of its export: its view, kind and sources, its members with the
    // labels they were assigned with. Flags may repeat the recipe, never change it.
    var frozen: FrozenSplit?
    if let name = request.split {
      let summary = try SplitCatalog.summary(catalog: catalog, name: name)
      // `view` and `selection` as asked may repeat the split's recipe; anything else is refused.
      try SplitRecipeFlags(
        view: request.view.isEmpty ? nil : request.view, kind: request.selection.kind,
        sources: request.selection.sources
      ).check(against: summary.plan, split: name)
      request.view = summary.plan.view
      request.selection = ImageSelection(kind: summary.plan.kind, sources: summary.plan.sources ?? [])
      guard let id = try SplitCatalog.splitID(catalog: catalog, name: name) else {
        throw SplitCatalog.unknownSplit(name, catalog: catalog)
      }
      frozen = FrozenSplit(
        summary: summary, members: try SplitCatalog.frozenMembers(catalog: catalog, splitID: id),
        changes: try SplitCatalog.status(catalog: catalog, name: name).changes,
        originsThrough: try SplitCatalog.originsThrough(catalog: catalog, splitID: id),
        boxSets: request.format.writesBoxes
          ? try SplitCatalog.frozenBoxSets(catalog: catalog, splitID: id, view: summary.plan.view) : [:])
    }
    let replacing = try checkTarget(output)
    if request.format.writesBoxes {
      return try runBoxFormat(
        catalog: catalog, request: request, output: output, replacing: replacing,
        selected: frozen == nil ? try request.selection.imageIDs(in: catalog) : nil, frozen: frozen)
    }
    if !request.view.isEmpty, try !catalog.viewNames().contains(request.view) {
      throw AnnotationsError.unknownView(request.view, known: try catalog.viewNames())
    }
    let selected = frozen == nil ? try request.selection.imageIDs(in: catalog) : nil
    var splitInfo: ManifestSplit?
    /// The images written: a split's members as frozen, else every active image with its label now.
    var rows: [(row: ExportRow, subset: String)]
    if let frozen {
      splitInfo = ManifestSplit(
        name: frozen.summary.name, createdAt: frozen.summary.createdAt, plan: frozen.summary.plan)
      rows = frozen.members.map {
        (
          ExportRow(
            id: $0.image.id, sha256: $0.image.sha256, fileExtension: $0.image.fileExtension, label: $0.label,
            width: $0.image.width, height: $0.image.height),
          $0.subset
        )
      }
    } else {
      // Sizes are needed only to resize.
      var sizes: [Int64: (Int, Int)] = [:]
      if request.resize != nil {
        for image in try catalog.activeImages() { sizes[image.id] = (image.width, image.height) }
      }
      rows = try catalog.activeImagesLabelled(view: request.view).map {
        (
          ExportRow(
            id: $0.id, sha256: $0.sha256, fileExtension: $0.fileExtension, label: $0.label,
            width: sizes[$0.id]?.0 ?? 0, height: sizes[$0.id]?.1 ?? 0), "all"
        )
      }
    }
    var origins: [Int64: [ManifestOrigin]] = [:]
    for origin in try catalog.originCredits(through: frozen?.originsThrough) {
      origins[origin.imageID, default: []].append(ManifestOrigin(origin))
    }
    let parents = try ManifestParent.all(catalog: catalog, origins: origins)

    let staging = output + ".datasetkit-export-\(getpid())"
    try? FileManager.default.removeItem(atPath: staging)
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    var files: [ManifestFile] = []
    var counts: [String: [String: Int]] = [:]
    var leftOut: [Int64: String] = [:]
    var copied = 0
    var resized = 0
    let placer = ImagePlacer(store: catalog.store, link: request.link, resize: request.resize)
    do {
      for (row, subset) in rows where selected?.contains(row.id) ?? true {
        if request.format == .folders && row.label == nil {
          leftOut[row.id] = subset
          continue
        }
        let size = request.resize?.target(width: row.width, height: row.height)
        let fileExtension = size == nil ? row.fileExtension : ExportResize.writtenExtension(row.fileExtension)
        let name = "\(row.sha256.prefix(16)).\(fileExtension)"
        let labelFolder = safeComponent(row.label ?? "")
        if labelFolder.utf8.count > 255 { throw ExportError.folderNameTooLong(label: row.label ?? "") }
        let folder =
          request.format == .folders
          ? (request.split == nil ? labelFolder : "\(subset)/\(labelFolder)") : "images/\(subset)"
        let relative = "\(folder)/\(name)"
        try FileManager.default.createDirectory(atPath: "\(staging)/\(folder)", withIntermediateDirectories: true)
        let placed = try placer.place(
          sha256: row.sha256, width: row.width, height: row.height, size: size, fileExtension: fileExtension,
          at: "\(staging)/\(relative)")
        if placed.copiedInsteadOfLinked { copied += 1 }
        if placed.original != nil { resized += 1 }
        files.append(
          ManifestFile(
            path: relative, sha256: placed.sha256, label: row.label, subset: subset, origins: origins[row.id] ?? [],
            parent: parents[row.id], original: placed.original))
        counts[subset, default: [:]][row.label ?? "", default: 0] += 1
      }
      let labels = Set(files.compactMap(\.label)).sorted()
      let classes = Dictionary(labels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
      files.sort { $0.path < $1.path }
      if request.format == .csv {
        var csv = "path,label,subset,sha256,source,license,url,caption\n"
        for file in files {
          let origin = file.origins.first
          csv +=
            [
              file.path, file.label ?? "", file.subset, file.sha256, origin?.source ?? "", origin?.license ?? "",
              origin?.url ?? "", origin?.caption ?? "",
            ]
            .map(csvField).joined(separator: ",") + "\n"
        }
        try Data(csv.utf8).write(to: URL(fileURLWithPath: staging + "/data.csv"))
      }
      let manifest = Manifest(
        tool: "datasetkit \(request.toolVersion)", format: request.format.rawValue, split: splitInfo,
        selection: ManifestSelection(request.selection), view: request.view,
        classes: classes, counts: counts, files: files, contents: try contents(of: staging),
        folderNames: request.format == .folders ? folderNames(labels) : nil,
        linkedObjects: request.link != .copy && files.count > copied + resized ? true : nil,
        resize: request.resize?.manifest)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
      try encoder.encode(manifest).write(to: URL(fileURLWithPath: staging + "/manifest.json"))
      try swapIn(staging, output, replacing: try checkTarget(output))
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
    var summary = ExportSummary(
      output: output, format: request.format.rawValue, split: request.split, files: files.count,
      classes: Set(files.compactMap(\.label)).sorted(), counts: counts, unlabeled: leftOut.count,
      copiedInsteadOfLinked: copied, replacedPreviousExport: replacing)
    summary.leftOut = try describe(leftOut, catalog: catalog)
    summary.splitChanges = frozen?.changes ?? []
    summary.resized = resized
    summary.resize = request.resize?.summary
    return summary
  }

  /// An image of a folders or CSV export with its label.
  struct ExportRow {
    var id: Int64
    var sha256: String
    var fileExtension: String
    var label: String?
    /// Its size in the catalog (0 when not needed: no resize).
    var width = 0
    var height = 0
  }

  /// A split as an export reads it: its recipe, its members as frozen, and the catalog's changes since.
  struct FrozenSplit {
    var summary: SplitSummary
    var members: [FrozenMember]
    var changes: [SplitChange]
    /// The origins credited: those recorded up to the split's last run.
    var originsThrough: Int64?
    /// Box formats: each member's boxes, VOC skeleton and `verified` as frozen (absent: none).
    var boxSets: [Int64: ImageBoxSet] = [:]
  }

  /// The images left out, each with its SHA-256 and first origin, in image id order.
  static func describe(_ images: [Int64: String], catalog: Catalog) throws -> [LeftOutImage] {
    try images.keys.sorted().map { id in
      let origin = try catalog.origins(ofImage: id).first
      return LeftOutImage(
        imageID: id, sha256: try catalog.imageDigestAndFormat(id: id)?.sha256 ?? "",
        path: origin.map { $0.source + "/" + $0.path } ?? "", subset: images[id] ?? "")
    }
  }

  /// VOC, YOLO, COCO, Create ML: the Annotations writers, with the split's subsets (train, val, test in
  /// the plan's order) or one subset `all`; the manifest gains the tool, the split and each image's
  /// origins.
  static func runBoxFormat(
    catalog: Catalog, request: ExportRequest, output: String, replacing: Bool, selected: Set<Int64>?,
    frozen: FrozenSplit?
  ) throws -> ExportSummary {
    let format = request.format
    // A split's members as frozen (whatever their status now) with their labels and boxes as frozen, in
    // image id order; else the active images with their boxes now.
    let members = frozen?.members.sorted { $0.image.id < $1.image.id }
    var frozenLabels: [Int64: String]?
    if let members {
      frozenLabels = [:]
      for member in members { if let label = member.label { frozenLabels?[member.image.id] = label } }
    }
    // WebDataset holds classification and detection samples: every image with a label or a box.
    let webDataset = format == .webdataset
    var plan = try DatasetExport.plan(
      catalog: catalog, labels: request.labels, view: request.view,
      includeUnannotated: request.includeUnannotated || webDataset,
      images: members?.map(\.image), imageLabels: frozenLabels, boxSets: frozen?.boxSets)
    if webDataset && !request.includeUnannotated {
      for index in plan.subsets.indices {
        plan.subsets[index].items.removeAll { item in
          guard item.label == nil && item.boxes.isEmpty else { return false }
          plan.withoutBoxImages.append(item.imageID)
          return true
        }
      }
    }
    if let selected {
      for index in plan.subsets.indices { plan.subsets[index].items.removeAll { !selected.contains($0.imageID) } }
      // "N images without a box left out" counts only images of the selection (not other kinds or sources).
      plan.withoutBoxImages.removeAll { !selected.contains($0) }
    }
    var splitInfo: [String: Any]?
    var leftOut: [Int64: String] = [:]
    if let frozen, let members {
      let summary = frozen.summary
      let subsets = Dictionary(members.map { ($0.image.id, $0.subset) }, uniquingKeysWith: { a, _ in a })
      let items = plan.subsets.flatMap(\.items)
      plan.subsets = summary.plan.subsets.map { subset in
        ExportSubset(name: subset.name, items: items.filter { subsets[$0.imageID] == subset.name })
      }
      plan.withoutBoxImages.removeAll { subsets[$0] == nil }
      for id in plan.withoutBoxImages { leftOut[id] = subsets[id] ?? "" }
      plan.createdAt = summary.createdAt
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys]
      let planJSON = try JSONSerialization.jsonObject(with: try encoder.encode(summary.plan))
      splitInfo = ["name": summary.name, "createdAt": summary.createdAt, "plan": planJSON]
    }
    // Without a split, the images left out are named too (never only counted).
    if frozen == nil { for id in plan.withoutBoxImages { leftOut[id] = "" } }
    // Only the classes with a box in this export, in the view's order (sorted names without a view).
    plan.keepPresentClasses(labels: request.labels)
    if let resize = request.resize { plan.resize(resize) }
    let staging = output + ".datasetkit-export-\(getpid())"
    try? FileManager.default.removeItem(atPath: staging)
    do {
      // Provenance in the manifest (and in each WebDataset sample): the tool, the split, every origin of every
      // image (the same origin object as the folder formats'), and a crop's parent photo.
      var credits: [Int64: [ManifestOrigin]] = [:]
      for credit in try catalog.originCredits(through: frozen?.originsThrough) {
        credits[credit.imageID, default: []].append(ManifestOrigin(credit))
      }
      var extras = WriterExtras(resize: request.resize, shardSize: request.shardSize)
      if webDataset {
        extras.resumeFolder = ShardJournal.folder(forOutput: output)
        extras.toolVersion = request.toolVersion
      }
      for item in plan.subsets.flatMap(\.items) { extras.origins[item.imageID] = credits[item.imageID]?.map(\.json) }
      for (image, parent) in try ManifestParent.all(catalog: catalog, origins: credits)
      where extras.origins[image] != nil {
        extras.parents[image] = parent.json
      }
      let report = try DatasetExport.write(
        plan, format: format, to: staging, store: catalog.store, link: request.link, vocLayout: request.vocLayout,
        publishedAs: output, extras: extras)
      var counts: [String: [String: Int]] = [:]
      for subset in plan.subsets {
        for item in subset.items {
          // WebDataset counts an image with a label once, by its label; the detection formats (and WebDataset
          // samples without a label) by its boxes' classes.
          if webDataset, let label = item.label {
            counts[subset.name, default: [:]][label, default: 0] += 1
            continue
          }
          for name in Set(item.boxes.map(\.className)) { counts[subset.name, default: [:]][name, default: 0] += 1 }
          if item.boxes.isEmpty { counts[subset.name, default: [:]]["", default: 0] += 1 }
        }
      }
      // The manifest's entries are found by their original's SHA-256 (a resized file has its own).
      var origins: [String: [[String: Any]]] = [:]
      var parents: [String: [String: Any]] = [:]
      for item in plan.subsets.flatMap(\.items) {
        origins[item.sha256] = extras.origins[item.imageID]
        parents[item.sha256] = extras.parents[item.imageID]
      }
      let resized = plan.subsets.reduce(0) { $0 + $1.items.filter { $0.resizedFrom != nil }.count }
      let manifestPath = staging + "/manifest.json"
      if let data = FileManager.default.contents(atPath: manifestPath),
        var manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any]
      {
        manifest["schemaVersion"] = ManifestSchema.version
        manifest["tool"] = "datasetkit \(request.toolVersion)"
        manifest["split"] = splitInfo ?? NSNull()
        if let selection = ManifestSelection(request.selection) { manifest["selection"] = selection.json }
        manifest["view"] = request.view
        manifest["counts"] = counts
        manifest["contents"] = try contents(of: staging)
        if request.link != .copy && format.placesFiles && report.images > resized { manifest["linkedObjects"] = true }
        if let resize = request.resize { manifest["resize"] = resize.manifest.jsonObject }
        if let files = manifest["files"] as? [[String: Any]] {
          manifest["files"] = files.map { entry -> [String: Any] in
            var entry = entry
            let sha =
              (entry["original"] as? [String: Any])?["sha256"] as? String ?? entry["sha256"] as? String ?? ""
            entry["origins"] = origins[sha] ?? []
            if let parent = parents[sha] { entry["parent"] = parent }
            return entry
          }
        }
        let bytes = try JSONSerialization.data(
          withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
        try bytes.write(to: URL(fileURLWithPath: manifestPath))
      }
      try swapIn(staging, output, replacing: try checkTarget(output))
      // The export is in place: an interrupted WebDataset export's shards (kept or not) are no longer needed.
      try? FileManager.default.removeItem(atPath: ShardJournal.folder(forOutput: output))
      var summary = ExportSummary(
        output: output, format: format.rawValue, split: request.split, files: report.images, boxes: report.boxes,
        classes: report.classes, counts: counts, unlabeled: plan.withoutBoxes, copiedInsteadOfLinked: 0,
        replacedPreviousExport: replacing)
      summary.leftOut = try describe(leftOut, catalog: catalog)
      summary.splitChanges = frozen?.changes ?? []
      summary.notes = report.notes
      summary.resized = resized
      summary.resize = request.resize?.summary
      if webDataset {
        summary.shards = report.shards
        summary.keptShards = report.keptShards
      }
      return summary
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      throw error
    }
  }

  /// True when `output` holds an earlier datasetkit export (to be replaced); throws for a non-empty
  /// folder that is not one, and for an earlier export holding anything its manifest does not list
  /// (a user's notes, a trained model, a workspace): the first such file is named and nothing is touched.
  static func checkTarget(_ output: String) throws -> Bool {
    var isFolder: ObjCBool = false
    guard FileManager.default.fileExists(atPath: output, isDirectory: &isFolder) else { return false }
    guard isFolder.boolValue else { throw ExportError.notAFolder(output) }
    let entries = try FileManager.default.contentsOfDirectory(atPath: output)
    if entries.isEmpty { return false }
    guard let data = FileManager.default.contents(atPath: output + "/manifest.json"),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      (object["tool"] as? String)?.hasPrefix("datasetkit") == true
    else {
      throw ExportError.foreignFolder(output)
    }
    var written: Set<String> = ["manifest.json"]
    if let contents = object["contents"] as? [String] {
      written.formUnion(contents)
    } else {
      // An export made before manifests listed their contents: the image files it lists, data.csv; for
      // box formats every file named after a listed image (its label file) and the formats' fixed files.
      for file in object["files"] as? [[String: Any]] ?? [] {
        if let path = file["path"] as? String { written.insert(path) }
      }
      if object["format"] as? String == "csv" { written.insert("data.csv") }
      // Box formats: `images[].file` before schemaVersion 2, `files[].path` since.
      let boxFormat = DatasetFormat(rawValue: object["format"] as? String ?? "")?.writesBoxes == true
      let stems = Set(
        (object["images"] as? [[String: Any]] ?? []).compactMap { ($0["file"] as? String).map(Self.stem) }
          + (boxFormat
            ? (object["files"] as? [[String: Any]] ?? []).compactMap { ($0["path"] as? String).map(Self.stem) } : []))
      if !stems.isEmpty {
        for path in try contents(of: output) {
          let name = String(path.split(separator: "/").last ?? "")
          if stems.contains(Self.stem(name)) || ["classes.txt", "data.yaml", "annotations.json"].contains(name)
            || path.hasPrefix("ImageSets/") || path.hasPrefix("annotations/")
          {
            written.insert(path)
          }
        }
      }
    }
    if let foreign = try contents(of: output).first(where: { !written.contains($0) }) {
      throw ExportError.foreignFile(output: output, file: foreign)
    }
    return true
  }

  /// A file name without its last extension.
  static func stem(_ name: String) -> String {
    let base = String(name.split(separator: "/").last ?? "")
    return base.lastIndex(of: ".").map { String(base[..<$0]) } ?? base
  }

  /// Every file (and symbolic link) under `folder`, relative and sorted; folders themselves are not
  /// listed and links are not followed.
  static func contents(of folder: String) throws -> [String] {
    var found: [String] = []
    var pending = [""]
    while let relative = pending.popLast() {
      let path = relative.isEmpty ? folder : folder + "/" + relative
      for name in try FileManager.default.contentsOfDirectory(atPath: path) {
        let child = relative.isEmpty ? name : relative + "/" + name
        var info = stat()
        guard lstat(folder + "/" + child, &info) == 0 else {
          throw ExportError.io(path: folder + "/" + child, errno: errno)
        }
        if info.st_mode & S_IFMT == S_IFDIR {
          pending.append(child)
        } else if child != "manifest.json" {
          found.append(child)
        }
      }
    }
    return found.sorted()
  }

  /// Moves the finished staging folder to `output` (an earlier export is moved aside first and removed
  /// after, so at every instant `output` is either the old export or the new one).
  static func swapIn(_ staging: String, _ output: String, replacing: Bool) throws {
    let aside = output + ".datasetkit-old-\(getpid())"
    if FileManager.default.fileExists(atPath: output) {
      guard rename(output, aside) == 0 else { throw ExportError.io(path: output, errno: errno) }
    }
    guard rename(staging, output) == 0 else {
      let code = errno
      _ = rename(aside, output)
      throw ExportError.io(path: output, errno: code)
    }
    try? FileManager.default.removeItem(atPath: aside)
  }

  /// A label as a folder name, one to one: `%`, `/`, `\` and control characters become `%XX` (each
  /// UTF-8 byte, upper-case hex), as does a leading `.` (so `.`, `..` and hidden names cannot occur);
  /// an empty label is `%`. Distinct labels always get distinct folders (`a/b` → `a%2Fb`, `a_b` stays).
  static func safeComponent(_ label: String) -> String {
    if label.isEmpty { return "%" }
    var name = ""
    for (offset, scalar) in label.unicodeScalars.enumerated() {
      let escape =
        scalar == "%" || scalar == "/" || scalar == "\\" || scalar.properties.generalCategory == .control
        || (offset == 0 && scalar == ".")
      if escape {
        for byte in String(scalar).utf8 { name += String(format: "%%%02X", byte) }
      } else {
        name.unicodeScalars.append(scalar)
      }
    }
    return name
  }

  /// The labels whose folder name differs from the label, for the manifest (nil when none does).
  static func folderNames(_ labels: [String]) -> [String: String]? {
    let renamed = labels.filter { safeComponent($0) != $0 }
    return renamed.isEmpty
      ? nil : Dictionary(renamed.map { ($0, safeComponent($0)) }, uniquingKeysWith: { first, _ in first })
  }

  static func csvField(_ text: String) -> String {
    if text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
      return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
    return text
  }
}

/// Export errors; each says what to do.
public enum ExportError: LocalizedError, Equatable {
  case foreignFolder(String)
  /// An earlier export's folder holding a file that export did not write.
  case foreignFile(output: String, file: String)
  case notAFolder(String)
  case io(path: String, errno: Int32)
  /// Writing an export failed.
  case exportFailed(path: String, message: String)
  /// A label whose folder name (escaped) is over the 255 bytes a file name may hold (a catalog from before
  /// labels were limited, or one full of escaped characters).
  case folderNameTooLong(label: String)
  /// `export --label` names a class the export does not have.
  case unknownLabel(String, known: [String])

  public var errorDescription: String? {
    switch self {
    case .foreignFolder(let path):
      return "\(path) is not empty and is not a datasetkit export; choose an empty or new folder (nothing was written)"
    case .foreignFile(let output, let file):
      return
        "\(output) holds an earlier export, but also \(file), which that export did not write (its manifest does not list it); move it out of the folder or choose another --out (nothing was written or removed)"
    case .notAFolder(let path): return "\(path) exists and is not a folder"
    case .io(let path, let code): return "\(path): \(String(cString: strerror(code)))"
    case .exportFailed(let path, let message):
      return "\(path): export failed: \(message)"
    case .folderNameTooLong(let label):
      let shown = String(String.UnicodeScalarView(label.unicodeScalars.prefix(40)))
      return
        "the label \"\(shown)…\" makes a folder name of \(Exporter.safeComponent(label).utf8.count) bytes, over the 255 a file name may hold; relabel those images (review relabel, or a view of a merge recipe) and export again (nothing was written)"
    case .unknownLabel(let name, let known):
      return
        "no class named \(name) in this export; classes: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))"
    }
  }
}
