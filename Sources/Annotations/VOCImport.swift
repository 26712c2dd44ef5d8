import Catalog
import Foundation
import Ingest
import Parallel

/// A finding in one file, for reports.
public struct FileFinding: Sendable, Codable, Hashable {
  public var file: String
  public var line: Int?
  public var severity: VOCFinding.Severity
  public var code: String
  public var message: String
}

/// What a VOC import did: the images (through the one ingest path) and the annotations.
public struct VOCImportReport: Sendable, Encodable {
  public var images: IngestReport
  public var annotationFiles = 0
  /// Annotation files recorded in this run (new or changed since the last import).
  public var documentsRecorded = 0
  /// Annotation files imported before with the same bytes and image: nothing to do.
  public var documentsUnchanged = 0
  /// Boxes inserted in this run.
  public var boxesAdded = 0
  /// Boxes of every annotation file read in this run, by class name as found.
  public var classes: [String: Int] = [:]
  /// Annotation files that gave no boxes because of errors (each error named).
  public var rejectedFiles: [FileIssue] = []
  /// Warnings (clamped boxes, stray text, cleaned names, size disagreeing with the image).
  public var warnings: [FileFinding] = []
  /// Images that no annotation file names.
  public var imagesWithoutAnnotation: [String] = []
  /// Annotation files whose image is not in the dataset (or was not imported).
  public var annotationsWithoutImage: [FileIssue] = []
  /// Images (the same bytes) that two or more of this source's annotation files describe: one file's
  /// boxes count (the one named like the image), the others are alternates, never stacked.
  public var twins: [AnnotationTwin] = []

  public init(images: IngestReport) {
    self.images = images
  }

  /// The image counts are reported on their own (`IngestReport`); these keys are the annotations'.
  enum CodingKeys: String, CodingKey {
    case annotationFiles, documentsRecorded, documentsUnchanged, boxesAdded, classes, rejectedFiles, warnings
    case imagesWithoutAnnotation, annotationsWithoutImage, twins
  }
}

/// Progress of a VOC import.
public enum VOCImportProgress: Sendable {
  case parsing(done: Int, total: Int)
  case images(IngestProgress)
}

/// `datasetkit import DIR --layout voc`: a Pascal VOC dataset (LabelImg output, the Kaggle face-mask
/// set, the VOC devkit) into the catalog. Images go through the one ingest path (`Ingester`); each
/// annotation's boxes are inserted with origin `voc`, the source, and the annotation file's relative path.
/// A file with errors imports none of its boxes; a file re-imported unchanged adds nothing.
public enum VOCImport {
  public static func run(
    root: String, catalog: Catalog, name: String? = nil, license: String? = nil,
    options: IngestOptions = IngestOptions(), readerOptions: VOCReaderOptions = VOCReaderOptions(),
    progress: (VOCImportProgress) -> Void = { _ in }
  ) throws -> VOCImportReport {
    try catalog.workspace.checkImportPath(root)
    let (files, skipped) = try FolderWalker.walk(root: root)
    if files.isEmpty && skipped.isEmpty { throw IngestError.emptyFolder(root) }
    let rootPath = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
    let source = SourceSpec(
      kind: "voc", name: name ?? URL(fileURLWithPath: rootPath).lastPathComponent, uri: rootPath, license: license)
    return try run(
      files: files, skipped: skipped, source: source, catalog: catalog, options: options, readerOptions: readerOptions,
      progress: progress)
  }

  /// The same on files found elsewhere (a verified zip archive's staged entries, `relativePath` the entry
  /// name): annotations are matched to images among these files only.
  public static func run(
    files: [FoundFile], skipped: [WalkSkip] = [], source: SourceSpec, catalog: Catalog,
    options: IngestOptions = IngestOptions(), readerOptions: VOCReaderOptions = VOCReaderOptions(),
    progress: (VOCImportProgress) -> Void = { _ in }
  ) throws -> VOCImportReport {
    let license = source.license
    let relative = files.map { FileIO.display($0.relativePath) }
    let xmlIndices = files.indices.filter { relative[$0].lowercased().hasSuffix(".xml") }
    let xmlSet = Set(xmlIndices)
    let others = files.indices.filter { !xmlSet.contains($0) }
    let index = VOCLayout.FileIndex(paths: others.map { relative[$0] })

    // 1. The images, through the one ingest path.
    let candidates = others.map { position -> IngestCandidate in
      let file = files[position]
      return IngestCandidate(
        content: .file(file.path),
        origin: OriginFacts(
          relativePath: file.relativePath, fileSize: file.size, modifiedNanoseconds: file.modifiedNanoseconds,
          license: license),
        label: nil, labelHow: "voc")
    }
    var images = try Ingester(catalog: catalog, options: options).ingest(candidates, source: source) {
      progress(.images($0))
    }
    images.walkSkipped = skipped

    // 2. Parse every annotation file (all cores).
    progress(.parsing(done: 0, total: xmlIndices.count))
    let parsed = parseAll(xmlIndices.map { files[$0] }, names: xmlIndices.map { relative[$0] }, options: readerOptions)
    progress(.parsing(done: xmlIndices.count, total: xmlIndices.count))

    var report = VOCImportReport(images: images)
    report.annotationFiles = xmlIndices.count
    // 3. Match each annotation to its image, inside the root only.
    var matched: [(xml: String, image: String, parsed: ParsedFile)] = []
    var annotated: Set<String> = []
    for (position, fileIndex) in xmlIndices.enumerated() {
      let xmlPath = relative[fileIndex]
      let file = parsed[position]
      for finding in file.result.findings where finding.severity == .warning {
        report.warnings.append(
          FileFinding(
            file: xmlPath, line: finding.line, severity: .warning, code: finding.code, message: finding.message))
      }
      guard let document = file.result.document else {
        report.rejectedFiles.append(
          FileIssue(
            path: xmlPath,
            reason: file.result.errors.map { f in f.line.map { "line \($0): \(f.message)" } ?? f.message }.joined(
              separator: "; ")))
        // The image is still imported; report it as annotated so it is not listed as missing one.
        if case .found(let image, _) = VOCLayout.resolve(filename: nil, xmlPath: xmlPath, index: index) {
          annotated.insert(image)
        }
        continue
      }
      for object in document.objects { report.classes[object.name, default: 0] += 1 }
      switch VOCLayout.resolve(filename: document.filename, xmlPath: xmlPath, index: index) {
      case .found(let image, let note):
        if let note {
          report.warnings.append(
            FileFinding(file: xmlPath, line: nil, severity: .warning, code: "filename", message: note))
        }
        annotated.insert(image)
        matched.append((xmlPath, image, file))
      case .missing(let lookedFor, let note):
        report.annotationsWithoutImage.append(
          FileIssue(path: xmlPath, reason: "no image \"\(lookedFor)\" in the dataset" + (note.map { " (\($0))" } ?? ""))
        )
      case .ambiguous(let lookedFor, let candidates):
        report.annotationsWithoutImage.append(
          FileIssue(
            path: xmlPath,
            reason:
              "\"\(lookedFor)\" matches \(candidates.count) files (\(candidates.prefix(3).joined(separator: ", "))); put the XML next to its image"
          ))
      }
    }
    report.imagesWithoutAnnotation = others.map { relative[$0] }.filter {
      VOCLayout.isImageName($0) && !annotated.contains($0)
    }

    // 4. Boxes, in batched write transactions.
    let sourceID = report.images.sourceID
    let imageIDs = try catalog.imageIDsByOrigin(sourceID: sourceID)
    var pending: [VOCRecord] = []
    for item in matched {
      guard let document = item.parsed.result.document else { continue }
      guard let image = imageIDs[item.image] else {
        report.annotationsWithoutImage.append(
          FileIssue(path: item.xml, reason: "its image \(item.image) was not imported (see the image report)"))
        continue
      }
      if let size = document.size, size.width > 0, (size.width, size.height) != (image.width, image.height) {
        report.warnings.append(
          FileFinding(
            file: item.xml, line: nil, severity: .warning, code: "size-mismatch",
            message: "<size> says \(size.width)×\(size.height) but \(item.image) is \(image.width)×\(image.height)"
              + ((size.width, size.height) == (image.height, image.width) && size.width != size.height
                ? " (width and height swapped: if the image has an EXIF orientation of 5-8, the file's tool read its pixels unturned, as LabelImg before 1.8.4 did, and its boxes are in the stored frame, not the upright one)"
                : "")))
      }
      pending.append(
        VOCRecord(
          xmlPath: item.xml, sha256: item.parsed.sha256, imageID: image.id, document: document,
          dialect: item.parsed.result.dialect))
    }
    var start = 0
    while start < pending.count {
      let batch = Array(pending[start..<min(pending.count, start + 512)])
      let outcome = try catalog.database.writeTransaction {
        try catalog.recordVOC(batch, sourceID: sourceID)
      }
      report.documentsRecorded += outcome.recorded
      report.documentsUnchanged += outcome.unchanged
      report.boxesAdded += outcome.boxes
      start += batch.count
    }
    report.twins = try catalog.effectiveBoxes(sources: [sourceID]).twins
    return report
  }

  struct ParsedFile: Sendable {
    var result: VOCReadResult
    var sha256: String
  }

  static func parseAll(_ files: [FoundFile], names: [String], options: VOCReaderOptions) -> [ParsedFile] {
    concurrentMap(Array(zip(files, names))) { file, name in
      do {
        let bytes = try FileIO.read(path: file.path, limit: options.maxBytes)
        return ParsedFile(result: VOCReader.read(bytes, file: name, options: options), sha256: SHA256.hex(of: bytes))
      } catch {
        let message =
          file.size > Int64(options.maxBytes)
          ? AnnotationsError.tooLarge(file: name, size: Int(file.size), limit: options.maxBytes).localizedDescription
          : error.localizedDescription
        return ParsedFile(
          result: VOCReadResult(
            document: nil, findings: [VOCFinding(.error, line: nil, code: "read", message)], dialect: "other"),
          sha256: "")
      }
    }
  }
}

/// One annotation file ready for the catalog.
struct VOCRecord: Sendable {
  var xmlPath: String
  var sha256: String
  var imageID: Int64
  var document: VOCDocument
  var dialect: String
}

extension Catalog {
  /// Records annotation files and their boxes. Call inside a write transaction. A file recorded before
  /// with the same bytes and image is left alone; a changed one replaces its boxes.
  func recordVOC(_ records: [VOCRecord], sourceID: Int64) throws -> (recorded: Int, unchanged: Int, boxes: Int) {
    let boxStore = BoxStore(catalog: self)
    let now = Timestamp.now()
    var recorded = 0
    var unchanged = 0
    var boxes = 0
    for record in records {
      let previous = try boxStore.recordedVOCDocument(sourceID: sourceID, xmlPath: record.xmlPath)
      if let previous, previous.sha256 == record.sha256, previous.imageID == record.imageID {
        unchanged += 1
        continue
      }
      if previous != nil { try boxStore.retireBoxes(origin: "voc", sourceID: sourceID, file: record.xmlPath) }
      var skeleton = record.document
      skeleton.objects = []
      try boxStore.saveVOCDocument(record, skeleton: skeleton, sourceID: sourceID, at: now)
      for object in record.document.objects {
        let classID = try classID(named: object.name)
        let truncated =
          object.truncated.map { _ in object.isTruncated } ?? record.document.labelImgTruncated(object.box)
        try boxStore.addVOCBox(
          object, classID: classID, truncated: truncated, record: record, sourceID: sourceID, at: now)
        boxes += 1
      }
      recorded += 1
    }
    return (recorded, unchanged, boxes)
  }

  /// Takes away the boxes an annotation file gave before it changed (call inside a write transaction):
  /// boxes a crop points at are kept but rejected; the others are deleted.
  public func retireBoxes(origin: String, sourceID: Int64, file: String) throws {
    try BoxStore(catalog: self).retireBoxes(origin: origin, sourceID: sourceID, file: file)
  }
}
