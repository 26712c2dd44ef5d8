import Annotations
import Catalog
import Foundation
import Ingest

/// How an import finds each image's label.
public enum LayoutChoice: String, Sendable, Codable, CaseIterable {
  /// Guess from the files, and say what was guessed and why.
  case auto
  /// The folder holding an image names its class (at any depth; `Train/Validation/Test` kept as the
  /// origin's original split).
  case folders
  /// Pascal VOC XML, in a folder or a zip archive (see `VOCImport`).
  case voc
  /// A label table: `filename,label` CSV, or a CelebA-style attribute table (column + value → label).
  case csv
  /// YOLO: one `.txt` per image (`class cx cy w h`) and `classes.txt` / `obj.names`; every line is stored
  /// as a box (origin `yolo`) and the image's label is the majority class of its boxes.
  case yolo
  /// File-name regular expressions → label (MaskedFace-Net's `_Mask_Chin.jpg` …).
  case pattern
  /// COCO detection JSON (`images`, `annotations`, `categories`): every `bbox` is stored as a box (origin
  /// `coco`), crowd regions and segmentations as provenance; the image's label is its boxes' majority class.
  case coco
}

/// Options of the `csv` layout.
public struct LabelTableOptions: Sendable, Equatable {
  /// The label file, relative to the import root (default: the one CSV / TXT table naming images).
  public var file: String?
  /// The column holding the label (default: `label` / `class` / `category`, else the second).
  public var column: String?
  /// Value → label (`1` → `without_mask`). When given, rows with other values get no label.
  public var values: [String: String] = [:]

  public init(file: String? = nil, column: String? = nil, values: [String: String] = [:]) {
    self.file = file
    self.column = column
    self.values = values
  }
}

/// One rule of the `pattern` layout: a regular expression searched in the relative path.
public struct PatternRule: Sendable, Equatable, Codable {
  public var regex: String
  public var label: String

  public init(regex: String, label: String) {
    self.regex = regex
    self.label = label
  }

  /// Parses `REGEX=label` (the last `=` splits, so the expression may contain `=`).
  public static func parse(_ text: String) -> PatternRule? {
    guard let split = text.lastIndex(of: "=") else { return nil }
    let label = String(text[text.index(after: split)...])
    let regex = String(text[..<split])
    return regex.isEmpty || label.isEmpty ? nil : PatternRule(regex: regex, label: label)
  }
}

/// What the layout step found, beside the ingest report.
public struct LayoutReport: Sendable, Codable {
  public var layout: String
  public var guessed: Bool
  /// Why this layout (for `auto`), or what was used.
  public var reason: String
  public var labelFile: String?
  /// Label-file rows naming no image in the dataset (first 50) and how many there were.
  public var rowsWithoutImage: [String] = []
  public var rowsWithoutImageCount = 0
  /// Rows or annotation lines that could not be used, with the reason.
  public var problems: [FileIssue] = []
  /// Images for which the layout found no label.
  public var unlabeled = 0
  /// Boxes of the source's annotation files (VOC, YOLO, COCO) in the catalog after the import (not rejected).
  public var boxes = 0
  /// COCO: annotations in the files, and crowd regions among them (kept as provenance, never boxes).
  public var annotations: Int?
  public var crowdRegions: Int?
  /// COCO: boxes clamped to their image, sizes disagreeing with the image.
  public var warnings: [FileIssue]?
}

/// Everything one `import` of a folder or archive did.
public struct LayoutImportResult: Sendable, Encodable {
  public var layout: LayoutReport
  public var archive: ZipEntryReport?
  public var images: IngestReport
  /// Layout voc: what the annotation files gave (boxes, warnings, files naming no image).
  public var annotations: VOCImportReport?
}

/// Imports a folder or zip archive with a label layout, through the one ingest path.
public enum LayoutImport {
  public struct Request: Sendable {
    public var path: String
    public var layout: LayoutChoice = .auto
    public var table = LabelTableOptions()
    public var patterns: [PatternRule] = []
    public var name: String?
    public var license: String?
    /// The recipe that brought this source, recorded on the source row.
    public var recipe: String?
    public var options = IngestOptions()
    public var limits = ZipLimits()
    /// VOC and YOLO: label each image by its boxes' majority class. Off when the boxes become labelled
    /// crops instead (a recipe's `boxes: crops`): the images and boxes are imported, the images unlabelled.
    public var majorityLabels = true

    public init(path: String) { self.path = path }
  }

  public static func run(
    _ request: Request, catalog: Catalog, progress: (IngestProgress) -> Void = { _ in }
  ) throws -> LayoutImportResult {
    let path = request.path
    try catalog.workspace.checkImportPath(path)
    let isArchive = ZipImport.looksLikeArchive(path)
    var archiveReport: ZipEntryReport?
    var files: [FoundFile]
    var walkSkipped: [WalkSkip] = []
    var staged: StagedArchive?
    if isArchive {
      let archive = try ZipImport.stage(
        path: path, stagingRoot: catalog.workspace.root + "/tmp", limits: request.limits)
      staged = archive
      files = archive.files
      archiveReport = archive.report
    } else {
      (files, walkSkipped) = try FolderWalker.walk(root: path)
      if files.isEmpty && walkSkipped.isEmpty { throw IngestError.emptyFolder(path) }
    }
    defer { staged?.remove() }

    let relative = files.map { FileIO.display($0.relativePath) }
    let (layout, reason) = try choose(request, relative: relative)
    let source: SourceSpec
    if isArchive {
      source = ZipImport.source(path: path, name: request.name, license: request.license)
    } else {
      let root = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
      // The source's kind (`sources.kind`): the annotation format when there is one, else `folder`.
      let kind =
        switch layout {
        case .csv: "csv"
        case .yolo: "yolo"
        case .voc: "voc"
        case .coco: "coco"
        case .auto, .folders, .pattern: "folder"
        }
      source = SourceSpec(
        kind: kind, name: request.name ?? SourceSpec.defaultName(forPath: root), uri: root,
        license: request.license)
    }
    var withRecipe = source
    withRecipe.recipe = request.recipe
    if layout == .voc {
      var result = try voc(
        request, files: files, skipped: walkSkipped, source: withRecipe, reason: reason, catalog: catalog,
        progress: progress)
      result.archive = archiveReport
      return result
    }
    var report = LayoutReport(layout: layout.rawValue, guessed: request.layout == .auto, reason: reason)
    let candidates: [IngestCandidate]
    var yoloFiles: [YOLOLabels.LabelFile] = []
    var cocoEntries: [COCOLabels.Entry] = []
    switch layout {
    case .csv:
      candidates = try LabelTable.candidates(files, relative: relative, request: request, report: &report)
    case .yolo:
      (candidates, yoloFiles) = try YOLOLabels.candidates(files, relative: relative, request: request, report: &report)
    case .pattern:
      candidates = try patternCandidates(files, relative: relative, request: request, report: &report)
    case .coco:
      (candidates, cocoEntries) = try COCOLabels.candidates(
        files, relative: relative, request: request, report: &report)
    case .folders, .auto, .voc:
      candidates = FolderImport.candidates(files, license: request.license)
      report.unlabeled = candidates.filter { $0.label == nil }.count
    }
    var images = try Ingester(catalog: catalog, options: request.options).ingest(
      candidates, source: withRecipe, progress: progress)
    images.walkSkipped = walkSkipped
    if layout == .yolo {
      try YOLOLabels.record(yoloFiles, sourceID: images.sourceID, catalog: catalog, report: &report)
    }
    if layout == .coco {
      try COCOLabels.record(cocoEntries, sourceID: images.sourceID, catalog: catalog, report: &report)
      if request.majorityLabels {
        let labelled = try labelByMajority(origin: "coco", sourceID: images.sourceID, catalog: catalog)
        images.labels = labelled.labels
        report.unlabeled = max(0, images.added + images.knownBytes + images.unchanged - labelled.images)
      } else {
        report.unlabeled = images.added + images.knownBytes + images.unchanged
      }
    }
    return LayoutImportResult(layout: report, archive: archiveReport, images: images)
  }

  /// A VOC dataset (a folder, or a verified zip archive's staged entries) through `VOCImport` (images and
  /// boxes). Unless `majorityLabels` is off, each image is then labelled by the majority class of its boxes
  /// in this source (a tie goes to the first name in sort order), with `how = voc-majority`. Annotation
  /// files with errors, or naming no image here, are listed in `problems`; the others import.
  static func voc(
    _ request: Request, files: [FoundFile], skipped: [WalkSkip], source: SourceSpec, reason: String,
    catalog: Catalog, progress: (IngestProgress) -> Void
  ) throws -> LayoutImportResult {
    let voc = try VOCImport.run(
      files: files, skipped: skipped, source: source, catalog: catalog, options: request.options
    ) { event in
      if case .images(let images) = event { progress(images) }
    }
    var images = voc.images
    var report = LayoutReport(layout: LayoutChoice.voc.rawValue, guessed: request.layout == .auto, reason: reason)
    report.problems = voc.rejectedFiles + voc.annotationsWithoutImage
    let sourceID = images.sourceID
    report.boxes = try storedBoxes(origin: "voc", sourceID: sourceID, catalog: catalog)
    guard request.majorityLabels else {
      report.unlabeled = images.added + images.knownBytes + images.unchanged
      return LayoutImportResult(layout: report, archive: nil, images: images, annotations: voc)
    }
    let labelled = try labelByMajority(origin: "voc", sourceID: sourceID, catalog: catalog)
    images.labels = labelled.labels
    report.unlabeled = max(0, images.added + images.knownBytes + images.unchanged - labelled.images)
    return LayoutImportResult(layout: report, archive: nil, images: images, annotations: voc)
  }

  /// Labels each image of the source by the majority class of the boxes its annotation files of `origin`
  /// gave (a tie goes to the first name in sort order), with `how = <origin>-majority`; returns the labels
  /// given by class and how many images got one.
  static func labelByMajority(origin: String, sourceID: Int64, catalog: Catalog) throws -> (
    labels: [String: Int], images: Int
  ) {
    var best: [Int64: (label: String, count: Int)] = [:]
    for row in try BoxStore(catalog: catalog).boxClassCounts(origin: origin, sourceID: sourceID)
    where row.boxes > (best[row.imageID]?.count ?? 0) {
      best[row.imageID] = (row.className, row.boxes)
    }
    try catalog.database.writeTransaction {
      let now = Timestamp.now()
      for (image, choice) in best {
        try catalog.addFoundLabel(
          imageID: image, className: choice.label, sourceID: sourceID, how: "\(origin)-majority", at: now)
      }
    }
    return (best.values.reduce(into: [:]) { $0[$1.label, default: 0] += 1 }, best.count)
  }

  static func storedBoxes(origin: String, sourceID: Int64, catalog: Catalog) throws -> Int {
    try BoxStore(catalog: catalog).liveBoxCount(origin: origin, sourceID: sourceID)
  }

  /// The layout to use, and why.
  static func choose(_ request: Request, relative: [String]) throws -> (LayoutChoice, String) {
    if request.layout != .auto { return (request.layout, "forced with --layout \(request.layout.rawValue)") }
    if !request.patterns.isEmpty { return (.pattern, "--label-pattern given") }
    if let classes = relative.first(where: YOLOLabels.isClassesFile),
      YOLOLabels.annotatedImages(relative: relative) > 0
    {
      return (.yolo, "\(classes) and .txt files named like the images")
    }
    if VOCLayout.looksLikeVOC(relativePaths: relative) {
      return (.voc, "XML annotation files beside the images")
    }
    if let json = relative.first(where: COCOLayout.isAnnotationFile), relative.contains(where: VOCLayout.isImageName) {
      return (.coco, "COCO file \(json) beside the images")
    }
    if request.table.file != nil || request.table.column != nil || !request.table.values.isEmpty {
      return (.csv, "label table options given")
    }
    let tables = relative.filter(LabelTable.isTableName)
    if !tables.isEmpty, tables.count <= 4 {
      return (.csv, "label table \(tables[0]) beside the images")
    }
    return (.folders, "no label file found: the folder holding each image names its class")
  }

  static func patternCandidates(
    _ files: [FoundFile], relative: [String], request: Request, report: inout LayoutReport
  ) throws -> [IngestCandidate] {
    guard !request.patterns.isEmpty else {
      throw MergeError.layout(
        path: request.path, reason: "layout pattern needs at least one --label-pattern 'REGEX=label'")
    }
    let rules = try request.patterns.map { rule -> (NSRegularExpression, String) in
      do {
        return (try NSRegularExpression(pattern: rule.regex), rule.label)
      } catch {
        throw MergeError.layout(
          path: request.path, reason: "--label-pattern \(rule.regex): not a valid regular expression")
      }
    }
    var candidates = FolderImport.candidates(files, license: request.license)
    for index in candidates.indices {
      let name = relative[index]
      let range = NSRange(name.startIndex..., in: name)
      let label = rules.first { $0.0.firstMatch(in: name, range: range) != nil }?.1
      candidates[index].label = label
      candidates[index].labelHow = "pattern"
      if label == nil { report.unlabeled += 1 }
    }
    return candidates
  }
}

/// The `csv` layout: a label table naming images.
enum LabelTable {
  static func isTableName(_ path: String) -> Bool {
    let lower = path.lowercased()
    return lower.hasSuffix(".csv") || lower.hasSuffix(".tsv")
      || (lower.hasSuffix(".txt") && (lower.contains("list_") || lower.contains("label")))
  }

  static func candidates(
    _ files: [FoundFile], relative: [String], request: LayoutImport.Request, report: inout LayoutReport
  ) throws -> [IngestCandidate] {
    let tableIndex: Int
    if let wanted = request.table.file {
      guard let found = relative.firstIndex(of: wanted) else {
        throw MergeError.layout(
          path: request.path, reason: "no label file \(wanted) inside; give its path relative to the dataset")
      }
      tableIndex = found
    } else {
      guard let found = relative.firstIndex(where: isTableName) else {
        throw MergeError.layout(
          path: request.path, reason: "layout csv: no .csv/.tsv label file found; name it with --label-file")
      }
      tableIndex = found
    }
    let tableName = relative[tableIndex]
    report.labelFile = tableName
    // The one label-text reader: UTF-8/UTF-16, RFC 4180 quoting; bad bytes refused with their line.
    let text = try LabelText.decode(try FileIO.read(path: files[tableIndex].path, limit: 512 << 20), path: tableName)
    let rows = try LabelText.records(text, path: tableName)
    guard var header = rows.first?.fields else {
      throw MergeError.layout(path: tableName, reason: "the label file is empty")
    }
    var body = Array(rows.dropFirst())
    // CelebA's original text format: a count line, then attribute names without the image column.
    if header.count == 1, Int(header[0]) != nil, let next = body.first {
      header = next.fields
      body.removeFirst()
    }
    if looksLikeImageName(header.first ?? "") {
      body.insert((header, 1), at: 0)
      header = ["filename"] + (1..<header.count).map { "column\($0 + 1)" }
    }
    if let width = body.first?.fields.count, width == header.count + 1 { header.insert("image_id", at: 0) }
    let lowered = header.map { $0.lowercased() }
    let nameColumn =
      lowered.firstIndex(where: { ["filename", "file", "image", "image_id", "path", "name", "file_name"].contains($0) })
      ?? 0
    let labelColumn: Int
    if let wanted = request.table.column {
      guard let found = header.firstIndex(of: wanted) ?? lowered.firstIndex(of: wanted.lowercased()) else {
        throw MergeError.layout(
          path: tableName,
          reason:
            "no column \"\(wanted)\"; columns are \(header.prefix(12).joined(separator: ", "))\(header.count > 12 ? ", …" : "")"
        )
      }
      labelColumn = found
    } else {
      labelColumn =
        lowered.firstIndex(where: { ["label", "class", "category", "classname", "class_name"].contains($0) })
        ?? (nameColumn == 0 ? 1 : 0)
    }
    guard labelColumn < header.count else {
      throw MergeError.layout(
        path: tableName, reason: "the table has one column; name the label column with --label-column")
    }

    // Find each row's image: exact relative path, then a path ending with it, then a unique base name.
    var byPath: [String: Int] = [:]
    var byBase: [String: [Int]] = [:]
    for (index, name) in relative.enumerated() where index != tableIndex {
      byPath[name] = index
      byBase[String(name.split(separator: "/").last ?? ""), default: []].append(index)
    }
    var labels: [Int: String] = [:]
    for row in body {
      guard row.fields.count > max(nameColumn, labelColumn) else {
        report.problems.append(FileIssue(path: "\(tableName):\(row.line)", reason: "too few fields"))
        continue
      }
      var name = row.fields[nameColumn]
      if name.hasPrefix("./") { name.removeFirst(2) }
      let value = row.fields[labelColumn]
      let label: String?
      if request.table.values.isEmpty { label = value } else { label = request.table.values[value] }
      let matches = byPath[name].map { [$0] } ?? byBase[String(name.split(separator: "/").last ?? "")] ?? []
      let chosen: Int?
      if matches.count == 1 {
        chosen = matches[0]
      } else {
        chosen = matches.first { relative[$0].hasSuffix("/" + name) }
        if chosen == nil && matches.count > 1 {
          report.problems.append(
            FileIssue(path: "\(tableName):\(row.line)", reason: "\(name) matches \(matches.count) files; give its path")
          )
          continue
        }
      }
      guard let index = chosen else {
        report.rowsWithoutImageCount += 1
        if report.rowsWithoutImage.count < 50 { report.rowsWithoutImage.append(name) }
        continue
      }
      guard let label, !label.isEmpty else { continue }
      if let earlier = labels[index], earlier != label {
        report.problems.append(
          FileIssue(
            path: "\(tableName):\(row.line)",
            reason: "\(name) labelled \(label) here but \(earlier) earlier; the first is kept"))
        continue
      }
      labels[index] = label
    }
    var candidates: [IngestCandidate] = []
    for (index, file) in files.enumerated() where index != tableIndex && !isTableName(relative[index]) {
      var candidate = FolderImport.candidates([file], license: request.license)[0]
      candidate.label = labels[index]
      candidate.labelHow = "csv"
      if candidate.label == nil { report.unlabeled += 1 }
      candidates.append(candidate)
    }
    return candidates
  }

  static func looksLikeImageName(_ text: String) -> Bool {
    let lower = text.lowercased()
    return [".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif"].contains { lower.hasSuffix($0) }
  }
}

/// The `yolo` layout.
enum YOLOLabels {
  static func isClassesFile(_ path: String) -> Bool {
    let base = (path.split(separator: "/").last ?? "").lowercased()
    return base == "classes.txt" || base.hasSuffix(".names")
  }

  /// The label file of an image: same path with `.txt`, or with an `images` folder swapped for `labels`.
  static func labelPaths(of image: String) -> [String] {
    guard let dot = image.lastIndex(of: "."), !image[dot...].contains("/") else { return [] }
    let stem = String(image[..<dot]) + ".txt"
    var paths = [stem]
    var parts = stem.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    if let index = parts.lastIndex(where: { $0.lowercased() == "images" }) {
      parts[index] = parts[index] == "Images" ? "Labels" : "labels"
      paths.append(parts.joined(separator: "/"))
    }
    return paths
  }

  static func annotatedImages(relative: [String]) -> Int {
    let set = Set(relative)
    return relative.filter { LabelTable.looksLikeImageName($0) && labelPaths(of: $0).contains(where: set.contains) }
      .count
  }

  /// One image's label file and the boxes read from it (normalised, as written).
  struct LabelFile {
    struct Line {
      var line: Int
      var className: String
      var centerX, centerY, width, height: Double
    }
    var image: String
    var path: String
    var boxes: [Line]
  }

  static func candidates(
    _ files: [FoundFile], relative: [String], request: LayoutImport.Request, report: inout LayoutReport
  ) throws -> ([IngestCandidate], [LabelFile]) {
    guard let classIndex = relative.firstIndex(where: isClassesFile) else {
      throw MergeError.layout(path: request.path, reason: "layout yolo: no classes.txt or .names file found")
    }
    report.labelFile = relative[classIndex]
    let classText = try LabelText.decode(
      try FileIO.read(path: files[classIndex].path, limit: 1 << 20), path: relative[classIndex])
    let classes = LabelText.lines(classText).map { $0.text.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    var index: [String: Int] = [:]
    for (position, name) in relative.enumerated() { index[name] = position }
    var labelFiles: Set<Int> = [classIndex]
    var labels: [Int: String] = [:]
    var boxes: [LabelFile] = []
    for (position, name) in relative.enumerated() where !name.lowercased().hasSuffix(".txt") && !isClassesFile(name) {
      guard let labelIndex = labelPaths(of: name).compactMap({ index[$0] }).first else { continue }
      labelFiles.insert(labelIndex)
      let text: String
      do {
        text = try LabelText.decode(
          try FileIO.read(path: files[labelIndex].path, limit: 16 << 20), path: relative[labelIndex])
      } catch {
        // One unreadable label file is a problem of its image, not of the import.
        report.problems.append(FileIssue(path: relative[labelIndex], reason: error.localizedDescription))
        continue
      }
      var counts: [Int: Int] = [:]
      var file = LabelFile(image: name, path: relative[labelIndex], boxes: [])
      for (number, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if fields.isEmpty { continue }
        guard fields.count >= 5, let cls = Int(fields[0]), cls >= 0, cls < classes.count,
          fields[1...4].allSatisfy({ Double($0).map { (0...1).contains($0) } ?? false })
        else {
          report.problems.append(
            FileIssue(
              path: "\(relative[labelIndex]):\(number + 1)",
              reason:
                "not `class cx cy w h` with a class of \(report.labelFile ?? "classes.txt") and coordinates in 0…1"))
          continue
        }
        counts[cls, default: 0] += 1
        let numbers = fields[1...4].compactMap { Double($0) }
        file.boxes.append(
          LabelFile.Line(
            line: number + 1, className: classes[cls], centerX: numbers[0], centerY: numbers[1], width: numbers[2],
            height: numbers[3]))
      }
      boxes.append(file)
      // Majority class; a tie goes to the lower class number.
      if request.majorityLabels, let best = counts.max(by: { ($0.value, -$0.key) < ($1.value, -$1.key) }) {
        labels[position] = classes[best.key]
      }
    }
    var candidates: [IngestCandidate] = []
    for (position, file) in files.enumerated() where !labelFiles.contains(position) {
      var candidate = FolderImport.candidates([file], license: request.license)[0]
      candidate.label = labels[position]
      candidate.labelHow = "yolo-majority"
      if candidate.label == nil { report.unlabeled += 1 }
      candidates.append(candidate)
    }
    return (candidates, boxes)
  }

  /// Stores every box of the label files as a row of `boxes` (origin `yolo`, the source, the label file's
  /// relative path, status accepted), in pixels of the imported image as LabelImg reads YOLO files
  /// (clamped to the image, rounded to whole pixels). A label file read again with the same boxes changes
  /// nothing; a changed one replaces its boxes (`retireBoxes`). Boxes with no area left inside the image
  /// are listed in `problems`, like a label file whose image was not imported.
  static func record(
    _ labelFiles: [LabelFile], sourceID: Int64, catalog: Catalog, report: inout LayoutReport
  ) throws {
    let images = try catalog.imageIDsByOrigin(sourceID: sourceID)
    var problems: [FileIssue] = []
    let store = BoxStore(catalog: catalog)
    try catalog.database.writeTransaction {
      let now = Timestamp.now()
      for file in labelFiles {
        guard let image = images[file.image] else {
          problems.append(
            FileIssue(path: file.path, reason: "its image \(file.image) was not imported (see the image report)"))
          continue
        }
        var wanted: [(className: String, box: Box)] = []
        for line in file.boxes {
          let box = YOLOFormat.pixelBox(
            centerX: line.centerX, centerY: line.centerY, width: line.width, height: line.height,
            imageWidth: image.width, imageHeight: image.height, rounded: true)
          guard box.xmax > box.xmin, box.ymax > box.ymin else {
            problems.append(
              FileIssue(
                path: "\(file.path):\(line.line)",
                reason: "the box has no area inside the \(image.width)×\(image.height) image \(file.image); not stored")
            )
            continue
          }
          wanted.append((line.className, box))
        }
        let stored = try store.liveYOLOBoxes(sourceID: sourceID, file: file.path)
        if stored.map({ "\($0.className) \($0.box) \($0.imageID)" })
          == wanted.map({ "\($0.className) \($0.box) \(image.id)" })
        {
          continue
        }
        try catalog.retireBoxes(origin: "yolo", sourceID: sourceID, file: file.path)
        for box in wanted {
          try store.addYOLOBox(
            box.box, imageID: image.id, classID: try catalog.classID(named: box.className), sourceID: sourceID,
            file: file.path, at: now)
        }
      }
    }
    report.problems += problems
    report.boxes = try LayoutImport.storedBoxes(origin: "yolo", sourceID: sourceID, catalog: catalog)
  }
}
