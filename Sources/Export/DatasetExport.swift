import Annotations
import Catalog
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// An image to export.
public struct ExportItem: Sendable {
  public var imageID: Int64
  public var sha256: String
  public var width: Int
  public var height: Int
  /// The file name in the export, unique in it (case-insensitively, stem included).
  public var fileName: String
  public var license: String?
  public var boxes: [ExportBox]
  /// The VOC file this image was imported with, without its objects (written back byte for byte).
  public var vocSkeleton: String?
  /// LabelImg's `verified` as a LabelImg round trip decided it (nil: as the imported file says, else no).
  public var verified: Bool?
  /// Its label in the export's view (a split's frozen label): a class of the export even without a box.
  public var label: String? = nil
  /// Resized at export (`ExportPlan.resize`): its size in the catalog; `width`, `height` and the boxes are
  /// then the written image's.
  public var resizedFrom: (width: Int, height: Int)? = nil

  public var stem: String {
    guard let dot = fileName.lastIndex(of: ".") else { return fileName }
    return String(fileName[..<dot])
  }
}

/// A named subset of the export (`train`, `val`, `test` once splits exist; `all` until then).
public struct ExportSubset: Sendable {
  public var name: String
  public var items: [ExportItem]

  public init(name: String, items: [ExportItem]) {
    self.name = name
    self.items = items
  }
}

/// What to write: subsets of images and the class list.
public struct ExportPlan: Sendable {
  public var subsets: [ExportSubset]
  /// The classes by index (YOLO index; COCO category id = index + 1): only classes with at least one box
  /// in the export, sorted by name, or with a view in the view's order (`keepPresentClasses`).
  public var classes: [String]
  /// True when `classes` is a view's list, in its order (else sorted names).
  public var viewOrder = false
  /// Images left out because they have no box (in the view, of the labels): not a detection example.
  public var withoutBoxes: Int { withoutBoxImages.count }
  /// Those images' ids, so a caller narrowing the plan (`--kind`, `--source`, a split) counts only its own.
  public var withoutBoxImages: [Int64] = []
  /// The date written into the files that carry one (COCO `info`): a split's creation time, so an export
  /// of a split gives the same bytes every time; nil: now.
  public var createdAt: String?

  public init(subsets: [ExportSubset], classes: [String]) {
    self.subsets = subsets
    self.classes = classes
  }

  /// Keeps only the classes with at least one exported image (its label) or box: a class with none (a typo
  /// relabelled back, a class of images not exported) never appears in a class list. Sorted by name, or
  /// the view's classes in its order. `labels` (`export --label`): only those classes.
  public mutating func keepPresentClasses(labels: [String] = []) {
    var present: Set<String> = []
    for subset in subsets {
      for item in subset.items {
        for box in item.boxes { present.insert(box.className) }
        if let label = item.label { present.insert(label) }
      }
    }
    if !labels.isEmpty { present.formIntersection(labels) }
    classes = viewOrder ? classes.filter { present.contains($0) } : present.sorted()
  }
}

/// How image files are placed in the export.
/// How images are placed in an export (the store's one placement routine).
public typealias ExportLink = LinkMode

/// The VOC layout of an export.
public enum VOCExportLayout: String, Sendable, Codable, CaseIterable {
  /// `Annotations/`, `JPEGImages/`, `ImageSets/Main/<subset>.txt`, like the VOC devkit.
  case devkit
  /// Image and XML side by side, as LabelImg saves them by default.
  case flat
}

/// What an export wrote.
public struct ExportReport: Sendable, Codable {
  public var format: DatasetFormat
  public var out: String
  public var images = 0
  public var boxes = 0
  public var subsets: [String: Int] = [:]
  public var classes: [String] = []
  public var boxesByClass: [String: Int] = [:]
  public var files = 0
  /// What the user should know about the files written (e.g. YOLO's val is train when there is no split).
  public var notes: [String] = []
  /// WebDataset: each subset's shards in order.
  public var shards: [String: [String]] = [:]
  /// WebDataset: shards an interrupted run of the same export had finished, kept (verified) rather than rewritten.
  public var keptShards = 0
}

/// Exports the catalog's images and boxes as VOC, YOLO, COCO or Create ML.
///
/// `plan` picks the images (the whole catalog or some labels, one subset named `all`; a split issue
/// passes its own subsets to `write`). `write` builds the export in a temporary folder beside `out` and
/// renames it into place, so `out` is either complete or absent.
public enum DatasetExport {
  /// The images of a detection export, as one subset, each with its one effective box set
  /// (`Catalog.effectiveBoxes`: never two annotation files' boxes stacked).
  ///
  /// Without `view`: boxes with their found class names (an unmapped LabelImg file comes back byte for
  /// byte). With `view` (a view `merge` recorded): only the view's
  /// images and the view's sources' boxes, each box's class through the recipe's class map and the view's
  /// fold (dropped classes drop), and `classes` exactly the view's classes in the view's order.
  /// By default only images with at least one box are exported; `includeUnannotated` adds images with no
  /// box on purpose (background). `labels` keeps only boxes of those classes and the images that have one.
  /// An unknown view or label throws, naming what exists.
  ///
  /// `images`: the images to consider (a split's members as frozen, whatever their status now); nil: the
  /// active images (of the view). `imageLabels`: each image's label (a split's frozen labels); nil: its
  /// label in the view now. `boxSets`: each image's boxes, VOC skeleton and `verified` (a split's frozen
  /// box sets; an image absent has none); nil: its boxes in the view now (`Catalog.viewBoxes`). Classes are
  /// those with an image or box in the plan (`keepPresentClasses`).
  public static func plan(
    catalog: Catalog, labels: [String] = [], subsetName: String = "all", view: String = "",
    includeUnannotated: Bool = false, images: [ActiveImage]? = nil, imageLabels: [Int64: String]? = nil,
    boxSets: [Int64: ImageBoxSet]? = nil
  ) throws -> ExportPlan {
    let inView = try catalog.viewBoxes(view: view)
    let definition = inView.definition
    let classes = definition?.classes ?? []
    // `boxSets`: each image's boxes as frozen (a split's); else its boxes in the view now.
    let found: [Int64: ImageBoxSet] =
      boxSets
      ?? Dictionary(inView.imageIDs.map { ($0, inView.set(of: $0)) }, uniquingKeysWith: { first, _ in first })
    let known = Set(
      definition?.classes ?? inView.effective.boxes.values.flatMap { $0.map(\.className) }
        + found.values.flatMap { $0.boxes.map(\.className) })
    for label in labels where !known.contains(label) {
      throw ExportError.unknownLabel(label, known: known.sorted())
    }
    let wanted = Set(labels)
    var members: Set<Int64>?
    if !view.isEmpty && images == nil {
      members = Set(try catalog.imagesLabelled(inView: view))
    }
    var boxesByImage: [Int64: [ExportBox]] = [:]
    var skeletons: [Int64: String] = [:]
    var verified: [Int64: Bool] = [:]
    for (imageID, set) in found {
      let kept = set.boxes.filter { wanted.isEmpty || wanted.contains($0.className) }
      if !kept.isEmpty { boxesByImage[imageID] = kept }
      skeletons[imageID] = set.vocSkeleton
      verified[imageID] = set.verified
    }
    var firstOrigin: [Int64: (path: String, license: String?)] = [:]
    for origin in try catalog.imageOrigins() where firstOrigin[origin.imageID] == nil {
      firstOrigin[origin.imageID] = (origin.path, origin.license)
    }
    let labelOf = try imageLabels ?? catalog.creditedLabels(view: view).mapValues(\.label)
    let roots = try catalog.lineageRoots()
    var items: [ExportItem] = []
    var usedStems: Set<String> = []
    var withoutBoxes: [Int64] = []
    for image in try images ?? catalog.activeImages() {
      let id = image.id
      if let members, !members.contains(id) { continue }
      if boxesByImage[id] == nil {
        // Background: no box at all (in the view), added only on request; an image whose boxes are all of
        // other classes than `labels` is not background.
        guard includeUnannotated,
          wanted.isEmpty || ((boxSets == nil ? inView.effective.boxes[id] : found[id]?.boxes) ?? []).isEmpty
        else {
          if wanted.isEmpty { withoutBoxes.append(id) }
          continue
        }
      }
      let origin = firstOrigin[id]
      // A crop's license is its photo's (lineage).
      let license = roots[id].flatMap { firstOrigin[$0]?.license } ?? origin?.license
      // The name its annotation file gives it (so a LabelImg file is written back unchanged), else the
      // name it first arrived with.
      let annotated = skeletons[id].flatMap { skeletonFileName($0) }
      let fileName = uniqueName(
        preferred: annotated ?? origin.map { VOCLayout.lastComponent($0.path) }, sha256: image.sha256,
        fileExtension: image.fileExtension, used: &usedStems)
      items.append(
        ExportItem(
          imageID: id, sha256: image.sha256, width: image.width, height: image.height, fileName: fileName,
          license: license, boxes: boxesByImage[id] ?? [], vocSkeleton: skeletons[id], verified: verified[id],
          label: labelOf[id]))
    }
    var plan = ExportPlan(subsets: [ExportSubset(name: subsetName, items: items)], classes: classes)
    plan.withoutBoxImages = withoutBoxes
    plan.viewOrder = definition != nil
    plan.keepPresentClasses(labels: labels)
    return plan
  }

  /// The `<filename>` of a stored VOC skeleton when it is a plain image file name.
  static func skeletonFileName(_ skeleton: String) -> String? {
    guard let document = try? VOCReader.document(Array(skeleton.utf8), file: "skeleton"),
      let name = VOCLayout.safeName(document.filename).name, name == document.filename, VOCLayout.isImageName(name)
    else { return nil }
    return name
  }

  /// A file name that is safe (no folders, no control characters) and whose stem is unused.
  static func uniqueName(preferred: String?, sha256: String, fileExtension: String, used: inout Set<String>) -> String {
    var name = preferred ?? ""
    if name.isEmpty || name.hasPrefix(".")
      || name.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "/" || $0 == "\\" })
      || !VOCLayout.isImageName(name)
    {
      name = String(sha256.prefix(16)) + "." + fileExtension
    }
    let dot = name.lastIndex(of: ".") ?? name.endIndex
    var stem = String(name[..<dot])
    let ext = String(name[dot...])
    if used.contains(stem.lowercased()) { stem += "-" + sha256.prefix(8) }
    var counter = 2
    let base = stem
    while used.contains(stem.lowercased()) {
      stem = "\(base)-\(counter)"
      counter += 1
    }
    used.insert(stem.lowercased())
    return stem + ext
  }

  /// Writes `plan` in `format` (a format that writes boxes) to `out`, which must not exist or be an empty
  /// folder.
  public static func write(
    _ plan: ExportPlan, format: DatasetFormat, to out: String, store: ObjectStore, link: ExportLink = .copy,
    vocLayout: VOCExportLayout = .devkit, publishedAs: String? = nil
  ) throws -> ExportReport {
    try write(
      plan, format: format, to: out, store: store, link: link, vocLayout: vocLayout, publishedAs: publishedAs,
      extras: WriterExtras())
  }

  /// `write` with what `Exporter` adds: resizing, shard size and each image's provenance (WebDataset).
  static func write(
    _ plan: ExportPlan, format: DatasetFormat, to out: String, store: ObjectStore, link: ExportLink,
    vocLayout: VOCExportLayout, publishedAs: String?, extras: WriterExtras
  ) throws -> ExportReport {
    let final = URL(fileURLWithPath: out).standardizedFileURL.path
    guard format.writesBoxes else {
      throw ExportError.exportFailed(
        path: final, message: "\(format.rawValue) writes no boxes; export it with Exporter.run (nothing was written)")
    }
    var info = stat()
    if stat(final, &info) == 0 {
      let isFolder = (info.st_mode & S_IFMT) == S_IFDIR
      let entries = (try? FileManager.default.contentsOfDirectory(atPath: final)) ?? []
      guard isFolder, entries.isEmpty else {
        throw ExportError.exportFailed(
          path: final, message: "already exists and is not an empty folder; choose a new --out or remove it")
      }
    }
    let parent = URL(fileURLWithPath: final).deletingLastPathComponent().path
    try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
    let staging = parent + "/.\(URL(fileURLWithPath: final).lastPathComponent).partial-\(getpid())"
    try? FileManager.default.removeItem(atPath: staging)
    try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
    var report = ExportReport(format: format, out: final)
    report.classes = plan.classes
    do {
      // `publishedAs`: where a caller will move `out` (paths written into data.yaml and <path> name it).
      let writer = ExportWriter(
        root: staging, finalRoot: publishedAs.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? final,
        store: store, link: link, extras: extras)
      switch format {
      case .voc: try writer.voc(plan, layout: vocLayout)
      case .yolo: try writer.yolo(plan)
      case .coco: try writer.coco(plan)
      case .createml: try writer.createML(plan)
      case .webdataset: try writer.webDataset(plan)
      case .folders, .csv: break  // refused above: no boxes to write
      }
      try writer.manifest(plan, format: format)
      report.files = writer.files
      report.notes = writer.notes
      report.shards = writer.shardLists
      report.keptShards = writer.keptShards
      if stat(final, &info) == 0 { rmdir(final) }
      if rename(staging, final) != 0 {
        throw ExportError.exportFailed(
          path: final, message: "cannot move the export into place: \(String(cString: strerror(errno)))")
      }
    } catch {
      try? FileManager.default.removeItem(atPath: staging)
      if let error = error as? ExportError { throw error }
      throw ExportError.exportFailed(path: final, message: error.localizedDescription)
    }
    for subset in plan.subsets {
      report.subsets[subset.name] = subset.items.count
      report.images += subset.items.count
      for item in subset.items {
        report.boxes += item.boxes.count
        for box in item.boxes { report.boxesByClass[box.className, default: 0] += 1 }
      }
    }
    return report
  }
}

/// Writes the files of one export into a staging folder.
final class ExportWriter {
  let root: String
  let finalRoot: String
  let store: ObjectStore
  let link: ExportLink
  var files = 0
  var notes: [String] = []
  let extras: WriterExtras
  /// Where each image was placed (relative to the export), for the manifest's `path`.
  var placed: [Int64: String] = [:]
  /// What was written for each image (its SHA-256, the original's when resized).
  var written: [Int64: PlacedImage] = [:]
  /// WebDataset: each image's key in its shard.
  var keys: [Int64: String] = [:]
  /// WebDataset: each subset's shards in order.
  var shardLists: [String: [String]] = [:]
  /// WebDataset: shards kept from an interrupted run (`ShardJournal`).
  var keptShards = 0

  init(root: String, finalRoot: String, store: ObjectStore, link: ExportLink, extras: WriterExtras = WriterExtras()) {
    self.root = root
    self.finalRoot = finalRoot
    self.store = store
    self.link = link
    self.extras = extras
  }

  var placer: ImagePlacer { ImagePlacer(store: store, link: link, resize: extras.resize) }

  func folder(_ relative: String) throws {
    try FileManager.default.createDirectory(atPath: root + "/" + relative, withIntermediateDirectories: true)
  }

  func file(_ relative: String, _ bytes: [UInt8]) throws {
    try FileIO.writeNew(path: Array((root + "/" + relative).utf8), bytes: bytes.withUnsafeBytes { $0 })
    files += 1
  }

  func file(_ relative: String, _ text: String) throws { try file(relative, Array(text.utf8)) }

  /// Places an image: copied, hard-linked (falls back to a copy across file systems) or symlinked to
  /// the object store.
  func image(_ item: ExportItem, at relative: String) throws {
    let from = item.resizedFrom ?? (item.width, item.height)
    written[item.imageID] = try placer.place(
      sha256: item.sha256, width: from.width, height: from.height,
      size: item.resizedFrom == nil ? nil : (item.width, item.height),
      fileExtension: URL(fileURLWithPath: item.fileName).pathExtension, at: root + "/" + relative)
    placed[item.imageID] = relative
    files += 1
  }

  // MARK: VOC

  func voc(_ plan: ExportPlan, layout: VOCExportLayout) throws {
    let imageFolder = layout == .devkit ? "JPEGImages" : ""
    let annotationFolder = layout == .devkit ? "Annotations" : ""
    if layout == .devkit {
      try folder("JPEGImages")
      try folder("Annotations")
      try folder("ImageSets/Main")
    }
    func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }
    for subset in plan.subsets {
      for item in subset.items {
        try image(item, at: join(imageFolder, item.fileName))
        let document = try Self.vocDocument(
          item, folder: imageFolder.isEmpty ? URL(fileURLWithPath: finalRoot).lastPathComponent : imageFolder,
          path: finalRoot + "/" + join(imageFolder, item.fileName))
        try file(join(annotationFolder, item.stem + ".xml"), document.bytes())
      }
      if layout == .devkit {
        try file("ImageSets/Main/\(subset.name).txt", subset.items.map { $0.stem + "\n" }.joined())
      }
    }
  }

  /// The LabelImg document of an image: its imported file's skeleton when there is one (so a LabelImg
  /// file comes back byte for byte), else a new LabelImg document; boxes from elsewhere are converted
  /// the way LabelImg saves them (integers, min ≥ 1, inside the image, truncated by its rule).
  static func vocDocument(_ item: ExportItem, folder: String, path: String) throws -> VOCDocument {
    var document: VOCDocument
    if let skeleton = item.vocSkeleton, let read = try? VOCReader.document(Array(skeleton.utf8), file: "skeleton") {
      document = read
      if document.filename != item.fileName { document.filename = item.fileName }
      if document.size == nil || document.size?.width == 0 {
        document.size = VOCSize(width: item.width, height: item.height)
      } else if item.resizedFrom != nil {
        document.size?.width = item.width
        document.size?.height = item.height
      }
      // LabelImg always writes these; a foreign file gains them.
      if document.folder == nil { document.folder = folder }
      if document.path == nil { document.path = path }
      if document.source == nil { document.source = VOCDocument.labelImgSource }
      if document.segmented == nil { document.segmented = "0" }
      if let verified = item.verified, document.verified != verified { document.verified = verified }
    } else {
      document = VOCDocument.labelImg(
        folder: folder, filename: item.fileName, path: path, width: item.width, height: item.height,
        verified: item.verified ?? false)
    }
    let width = document.size?.width ?? item.width
    let height = document.size?.height ?? item.height
    document.objects = try item.boxes.map { box in
      if box.origin == "voc" {
        // Resized boxes are whole pixels already; kept inside the image with mins at least 1, as LabelImg saves.
        var object = VOCObject(
          name: box.className,
          box: item.resizedFrom == nil ? box.box : box.box.labelImgIntegers(width: width, height: height),
          pose: box.pose, truncated: box.truncated ? "1" : "0",
          difficult: box.difficult ? "1" : "0")
        if let extra = box.extraXML { try object.apply(extraXML: extra) }
        return object
      }
      return VOCObject(
        name: box.className, box: box.box.labelImgIntegers(width: width, height: height),
        difficult: box.difficult ? "1" : "0")
    }
    return document
  }

  // MARK: YOLO

  func yolo(_ plan: ExportPlan) throws {
    let index = Dictionary(plan.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    for subset in plan.subsets {
      try folder("images/\(subset.name)")
      try folder("labels/\(subset.name)")
      for item in subset.items {
        try image(item, at: "images/\(subset.name)/\(item.fileName)")
        var lines = ""
        for box in item.boxes {
          guard let classIndex = index[box.className] else { continue }
          lines += YOLOFormat.line(classIndex: classIndex, box: box.box, width: item.width, height: item.height)
        }
        try file("labels/\(subset.name)/\(item.stem).txt", lines)
      }
    }
    try file("classes.txt", plan.classes.map { $0 + "\n" }.joined())
    try file("data.yaml", dataYAML(plan))
  }

  /// Ultralytics' data.yaml for the plan's subsets. train/val/test map to theirs. A train/test split (80/20)
  /// has no val subset, but Ultralytics needs one and validates on it during training: val is the test
  /// subset (held-out images, never train), and the file says so. Folds: train is every fold but the last,
  /// val the last. One subset (no split): val is train, said in the file and in `notes`.
  func dataYAML(_ plan: ExportPlan) -> String {
    let names = plan.subsets.map(\.name)
    func folder(_ name: String) -> String { "images/\(name)" }
    var yaml =
      "# Written by datasetkit export --format yolo. Class indices: the classes with an image or box in this export, "
      + (plan.viewOrder ? "in the view's order.\n" : "sorted by name.\n")
    var train: String
    var val: String
    var test: String?
    if names.contains("train") && names.contains("val") {
      (train, val) = (folder("train"), folder("val"))
      test = names.contains("test") ? folder("test") : nil
    } else if names.contains("train") && names.contains("test") {
      (train, val, test) = (folder("train"), folder("test"), folder("test"))
      yaml +=
        "# The split has no val subset (train/test): val is the test subset, so training validates on held-out\n"
        + "# images, never on train. For a test set no training run has seen, split with --ratios 80/10/10.\n"
    } else if names.count > 1 {
      train = "[" + names.dropLast().map(folder).joined(separator: ", ") + "]"
      val = folder(names[names.count - 1])
      yaml += "# Folds: train is every fold but the last, val the last (\(names[names.count - 1])).\n"
    } else {
      train = folder(names.first ?? "all")
      val = train
      yaml += "# No split: val is the same images as train (run `datasetkit split`, then export --split).\n"
      notes.append(
        "no split: data.yaml's val is the same images as train; make a split (`datasetkit split`) and export it with --split"
      )
    }
    yaml += "path: \(YOLOFormat.quote(finalRoot))\ntrain: \(train)\nval: \(val)\n"
    if let test { yaml += "test: \(test)\n" }
    yaml += "names:\n"
    for (number, name) in plan.classes.enumerated() { yaml += "  \(number): \(YOLOFormat.quote(name))\n" }
    return yaml
  }

  // MARK: COCO

  func coco(_ plan: ExportPlan) throws {
    try folder("annotations")
    let categories = plan.classes.enumerated().map { COCOFile.Category(id: $0 + 1, name: $1, supercategory: "none") }
    let categoryID = Dictionary(categories.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
    for subset in plan.subsets {
      try folder("images/\(subset.name)")
      var licenses: [String] = []
      var images: [COCOFile.Image] = []
      var annotations: [COCOFile.Annotation] = []
      for item in subset.items {
        try image(item, at: "images/\(subset.name)/\(item.fileName)")
        var licenseID: Int?
        if let license = item.license {
          if !licenses.contains(license) { licenses.append(license) }
          licenseID = (licenses.firstIndex(of: license) ?? 0) + 1
        }
        images.append(
          COCOFile.Image(
            id: Int(item.imageID), file_name: item.fileName, width: item.width, height: item.height, license: licenseID)
        )
        for box in item.boxes {
          guard let category = categoryID[box.className] else { continue }
          let clamped = COCOFile.clamp(box.box, width: item.width, height: item.height)
          let w = clamped.xmax - clamped.xmin
          let h = clamped.ymax - clamped.ymin
          annotations.append(
            COCOFile.Annotation(
              id: Int(box.id), image_id: Int(item.imageID), category_id: category,
              bbox: [clamped.xmin, clamped.ymin, w, h],
              area: w * h, iscrowd: 0, segmentation: []))
        }
      }
      let document = COCOFile(
        info: COCOFile.Info(
          description: "datasetkit export, subset \(subset.name)", version: "1.0",
          year: plan.createdAt.flatMap { Int($0.prefix(4)) }
            ?? Calendar(identifier: .gregorian).component(.year, from: Date()),
          contributor: "datasetkit", date_created: plan.createdAt ?? Timestamp.now()),
        licenses: licenses.enumerated().map { COCOFile.License(id: $0 + 1, name: $1, url: "") },
        images: images, annotations: annotations, categories: categories)
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      try file("annotations/instances_\(subset.name).json", [UInt8](try encoder.encode(document)))
    }
  }

  // MARK: Create ML

  func createML(_ plan: ExportPlan) throws {
    for subset in plan.subsets {
      try folder(subset.name)
      var entries: [CreateMLFormat.Entry] = []
      for item in subset.items {
        try image(item, at: "\(subset.name)/\(item.fileName)")
        entries.append(
          CreateMLFormat.Entry(
            image: item.fileName,
            annotations: item.boxes.map { box in
              let b = COCOFile.clamp(box.box, width: item.width, height: item.height)
              return CreateMLFormat.Annotation(
                label: box.className,
                coordinates: CreateMLFormat.Coordinates(
                  x: (b.xmin + b.xmax) / 2, y: (b.ymin + b.ymax) / 2, width: b.xmax - b.xmin, height: b.ymax - b.ymin))
            }))
      }
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
      try file("\(subset.name)/annotations.json", [UInt8](try encoder.encode(entries)))
    }
  }

  // MARK: Manifest

  /// `manifest.json` in the one manifest shape of every format (`schemas/manifest.schema.json`): the class
  /// table (name → index) and each image under `files` with its path in the export, SHA-256, subset, size and
  /// box count. `Exporter` adds the tool, the split, the selection and each file's origins.
  func manifest(_ plan: ExportPlan, format: DatasetFormat) throws {
    struct Entry: Encodable {
      var path: String
      var sha256: String
      var subset: String
      var width: Int
      var height: Int
      var boxes: Int
      var origins: [ManifestOrigin] = []
      /// Resized: the original's SHA-256 and size (`sha256`, `width`, `height` are the written file's).
      var original: ManifestOriginal?
      /// WebDataset: the sample's key in its shard (`path`).
      var key: String?
    }
    struct Manifest: Encodable {
      var schemaVersion = ManifestSchema.version
      var format: String
      var classes: [String: Int]
      var files: [Entry]
      /// WebDataset: each subset's shards in order.
      var shards: [String: [String]]?
    }
    var entries: [Entry] = []
    for subset in plan.subsets {
      for item in subset.items {
        entries.append(
          Entry(
            path: placed[item.imageID] ?? item.fileName, sha256: written[item.imageID]?.sha256 ?? item.sha256,
            subset: subset.name, width: item.width, height: item.height, boxes: item.boxes.count,
            original: written[item.imageID]?.original, key: keys[item.imageID]))
      }
    }
    let classes = Dictionary(plan.classes.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    try file(
      "manifest.json",
      [UInt8](
        try encoder.encode(
          Manifest(
            format: format.rawValue, classes: classes, files: entries,
            shards: format == .webdataset ? shardLists : nil))))
  }
}
