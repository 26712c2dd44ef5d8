import Annotations
import ArgumentParser
import Catalog
import Foundation
import Ingest
import Merge

extension Datasetkit {
  struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "import",
      abstract: "Import images from folders and zip archives into the catalog.",
      discussion: """
        Layout `folders`: one folder per class at any depth; an image's label is the name of the folder holding \
        it. Images are recognised by their magic bytes (JPEG, PNG, WebP, BMP, GIF), not by their extension; other \
        files are skipped and counted. Headers are checked before anything is decoded: more than --max-pixels is \
        refused, a truncated file is stored but quarantined. Importing the same folder again adds nothing; the same \
        bytes from two sources are one image with two origins.

        Layout `voc`: Pascal VOC XML (LabelImg, the Kaggle face-mask set, the VOC devkit) in an `annotations/` \
        folder beside `images/`, or next to the images. Each XML's <filename> is looked up inside the folder only \
        (never <path>, never `..`); its boxes are stored with origin `voc`. A file with an impossible box imports \
        none of its boxes; boxes a few pixels past the edge are clamped.

        A zip archive (a Kaggle download as it arrives) is read directly, folder-per-class inside: every entry is \
        checked (zip slip, links, duplicate names, bombs by counted bytes / ratio / entry count) and CRC-verified \
        before any image is recorded; a damaged or hostile archive adds nothing. `__MACOSX/` and `.DS_Store` are \
        skipped and counted. A zipped VOC dataset (`annotations/*.xml` + `images/*.png`) is read from the archive \
        the same way; its images also get their boxes' majority class as label (how `voc-majority`), as `merge` \
        gives them.

        Layout `csv`: a label table beside the images: `filename,label` (any CSV naming the images), or a \
        CelebA-style attribute table with --label-column Eyeglasses --label-value 1=glasses (rows with other values \
        get no label); whitespace-separated files are read too. Layout `yolo`: one .txt per image plus \
        classes.txt; every line is stored as a box (origin `yolo`, pixels as LabelImg reads them) and the image's \
        label is its boxes' majority class. Layout `pattern`: labels from file names, e.g. \
        --label-pattern '_Mask_Chin\\.jpg$=mask_weared_incorrect' (first match wins). Layout `coco`: COCO \
        detection JSON (instances_*.json or annotations/*.json, or the one --label-file names); each bbox \
        [x,y,w,h] is stored as a box (origin `coco`), crowd regions (iscrowd 1) and segmentations are kept as \
        provenance, not boxes; file_name is looked up inside the folder only (absolute names and `..` are \
        refused); every id and number is checked and a bad entry is listed, the rest imports (files over 256 MB \
        are refused: split them by subset).

        Layout `auto` (the default) picks `voc` when the folder looks like one, else `folders`, and says what it \
        guessed and why.

        Examples:
          datasetkit import ~/kaggle/face-mask --name kaggle --license CC0-1.0
          datasetkit import ~/Downloads/face-mask-dataset.zip
          datasetkit import celeba --label-column Eyeglasses --label-value 1=glasses
        """)

    enum Layout: String, ExpressibleByArgument, CaseIterable {
      case auto, folders, voc, csv, yolo, pattern, coco
    }

    @Argument(help: "Folders or zip archives to import.")
    var paths: [String]

    @Option(help: "How the folder is laid out (auto: guessed, and the guess explained).")
    var layout: Layout = .auto

    @Option(
      help:
        "A name for the source (default: the folder's or zip's name; a generic one such as archive, dataset, data or images takes the nearest folder above it with a meaningful name). Only with one PATH."
    )
    var name: String?

    @Option(help: "The license of these images, recorded with every origin (e.g. CC0-1.0).")
    var license: String?

    @Option(help: "Layout csv: the label file, relative to the dataset (default: the one CSV beside the images).")
    var labelFile: String?

    @Option(help: "Layout csv: the column holding the label (default: label/class, else the second).")
    var labelColumn: String?

    @Option(help: "Layout csv: VALUE=label, repeatable (e.g. 1=without_mask); other values get no label.")
    var labelValue: [String] = []

    @Option(help: "Layout pattern: REGEX=label, repeatable; the first expression found in the path wins.")
    var labelPattern: [String] = []

    @Option(help: "Refuse images whose header declares more pixels than this.")
    var maxPixels: Int = ImageHeader.defaultMaxPixels

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if name != nil && paths.count > 1 { throw ValidationError("--name needs exactly one PATH") }
      if maxPixels <= 0 { throw ValidationError("--max-pixels must be positive") }
      for value in labelValue where !value.contains("=") {
        throw ValidationError("--label-value \(value): write VALUE=label, e.g. 1=without_mask")
      }
      for pattern in labelPattern where PatternRule.parse(pattern) == nil {
        throw ValidationError("--label-pattern \(pattern): write REGEX=label, e.g. '_Mask\\.jpg$=with_mask'")
      }
    }

    struct Result: Encodable {
      var layout: String
      var layoutGuessed: Bool
      var path: String
      var report: IngestReport
      var annotations: VOCImportReport?
      var archive: ZipEntryReport?
      var labels: LayoutReport?
      /// New images that look like images already in the catalog (only once dedup has hashed it).
      var nearDuplicates: [NearDuplicateNote]?
    }

    func run() async throws {
      try Output.run("import", global) {
        let catalog = try global.openCatalog()
        var options = IngestOptions()
        options.maxPixels = maxPixels
        var results: [Result] = []
        for path in paths {
          let lastID = try catalog.lastImageID()
          let bar = ProgressBar("importing", global)
          defer { bar.finish() }
          let tableGiven = labelFile != nil || labelColumn != nil || !labelValue.isEmpty
          let archive = ZipImport.looksLikeArchive(path)
          let plainAuto = layout == .auto && !archive && labelPattern.isEmpty && !tableGiven
          let useVOC = try !archive && (layout == .voc || (plainAuto && VOCLayout.detect(root: path)))
          if !useVOC {
            var request = LayoutImport.Request(path: path)
            request.layout = LayoutChoice(rawValue: layout.rawValue) ?? .auto
            request.table = LabelTableOptions(file: labelFile, column: labelColumn, values: valueMap())
            request.patterns = labelPattern.compactMap(PatternRule.parse)
            request.name = name
            request.license = license
            request.options = options
            let result = try LayoutImport.run(request, catalog: catalog) { progress in
              bar.update(progress.processed, of: progress.total, detail: "files")
            }
            results.append(
              Result(
                layout: archive ? "zip+" + result.layout.layout : result.layout.layout,
                layoutGuessed: layout == .auto, path: path, report: result.images,
                annotations: result.annotations, archive: result.archive, labels: result.layout,
                nearDuplicates: try NearDuplicateNote.arrivals(in: catalog, after: lastID)))
            continue
          }
          let report = try VOCImport.run(
            root: path, catalog: catalog, name: name, license: license, options: options
          ) { progress in
            if case .images(let progress) = progress {
              bar.update(progress.processed, of: progress.total, detail: "images")
            }
          }
          results.append(
            Result(
              layout: Layout.voc.rawValue, layoutGuessed: layout == .auto, path: path, report: report.images,
              annotations: report, nearDuplicates: try NearDuplicateNote.arrivals(in: catalog, after: lastID)))
        }
        return results
      } text: { (results: [Result]) in
        results.map { render($0) }.joined(separator: "\n\n")
      } items: { (results: [Result]) in
        ItemCounts(
          succeeded: results.reduce(0) {
            $0 + $1.report.added + $1.report.knownBytes + $1.report.unchanged + $1.report.quarantined.count
          },
          failed: results.reduce(0) {
            $0 + $1.report.rejected.count + $1.report.notImages.count + $1.report.errors.count
          },
          noun: "files")
      }
    }

    func valueMap() -> [String: String] {
      var map: [String: String] = [:]
      for item in labelValue {
        guard let split = item.firstIndex(of: "=") else { continue }
        map[String(item[..<split])] = String(item[item.index(after: split)...])
      }
      return map
    }

    func render(_ result: Result) -> String {
      let r = result.report
      var lines: [String] = []
      let guessed = result.layoutGuessed ? " (guessed)" : ""
      lines.append(
        "Imported \(Output.printable(result.path)) as source \"\(Output.printable(r.sourceName))\"\(r.sourceCreated ? "" : " (seen before)"), layout \(result.layout)\(guessed)"
      )
      var rows: [[String]] = [
        ["files seen", "\(r.filesSeen)"],
        ["images added", "\(r.added)"],
        ["same bytes already in catalog", "\(r.knownBytes)"],
        ["unchanged since last import", "\(r.unchanged)"],
        ["quarantined (damaged)", "\(r.quarantined.count)"],
        ["rejected", "\(r.rejected.count)"],
        ["skipped: not images", "\(r.notImages.count)"],
        ["unreadable", "\(r.errors.count)"],
      ]
      if !r.walkSkipped.isEmpty { rows.append(["not followed", "\(r.walkSkipped.count)"]) }
      let width = rows.map { $0[0].count }.max() ?? 0
      let numberWidth = rows.map { $0[1].count }.max() ?? 0
      for row in rows {
        let label = row[0] + String(repeating: " ", count: width - row[0].count)
        lines.append("  \(label)  " + String(repeating: " ", count: numberWidth - row[1].count) + row[1])
      }
      if r.added == 0 && r.knownBytes == 0 && r.unchanged > 0 {
        lines.append("Nothing new: every image here was imported before.")
      }
      if !r.labels.isEmpty {
        lines.append(
          "Labels: "
            + r.labels.sorted { $0.key < $1.key }.map { "\(Output.printable($0.key)) \($0.value)" }
            .joined(separator: ", "))
      }
      for (label, names) in r.mergedNames.sorted(by: { $0.key < $1.key }) {
        lines.append(
          "\(names.count) names became the label \"\(Output.printable(label))\" (NFC, control characters as spaces, trimmed): "
            + names.map { "\"\(Output.printable($0))\"" }.joined(separator: ", "))
      }
      let limit = global.verbose ? Int.max : 10
      func list(_ title: String, _ issues: [FileIssue]) {
        guard !issues.isEmpty else { return }
        lines.append("\(title):")
        for issue in issues.prefix(limit) {
          lines.append("  \(Output.printable(issue.path)): \(issue.reason)")
        }
        if issues.count > limit { lines.append("  … and \(issues.count - limit) more (--verbose lists all)") }
      }
      list("Quarantined", r.quarantined)
      list("Rejected", r.rejected)
      list("Not images", r.notImages)
      list("Unreadable", r.errors)
      list("Not followed", r.walkSkipped.map { FileIssue(path: $0.path, reason: $0.reason) })
      if let l = result.labels {
        lines.append(
          "Layout \(l.layout)\(l.guessed ? " guessed" : ""): \(l.reason)"
            + (l.labelFile.map { " (label file \($0))" } ?? ""))
        if l.unlabeled > 0 { lines.append("Images without a label: \(l.unlabeled)") }
        if l.rowsWithoutImageCount > 0 {
          lines.append(
            "Label rows naming no image: \(l.rowsWithoutImageCount) (e.g. \(l.rowsWithoutImage.prefix(3).joined(separator: ", ")))"
          )
        }
        if l.layout == LayoutChoice.coco.rawValue {
          lines.append(
            "COCO: \(l.annotations ?? 0) annotations, \(l.boxes) boxes stored, \(l.crowdRegions ?? 0) crowd region\(l.crowdRegions == 1 ? "" : "s") kept as provenance (not boxes)"
          )
          list("Warnings", l.warnings ?? [])
        }
        if result.annotations == nil { list("Label problems", l.problems) }
      }
      if let z = result.archive {
        lines.append(
          "Archive: \(z.entries) entries, \(z.files) files kept, \(z.folders) folders, \(z.junk.count) junk skipped (__MACOSX, .DS_Store), \(z.bytesInflated) bytes inflated"
        )
        list("Unsafe names (rejected, nothing written)", z.unsafeNames)
        list("Links and special entries (not followed)", z.links)
        list("Duplicate names (first kept)", z.duplicates)
        list("Archives inside the archive (not opened)", z.nestedArchives)
        list("Too large", z.oversized)
      }
      lines += NearDuplicateNote.render(result.nearDuplicates, limit: limit)
      if let a = result.annotations {
        lines.append(
          "Annotations: \(a.annotationFiles) files, \(a.documentsRecorded) recorded, \(a.documentsUnchanged) unchanged, \(a.boxesAdded) boxes added"
        )
        if !a.classes.isEmpty {
          lines.append(
            "Boxes by class: "
              + a.classes.sorted { $0.key < $1.key }.map { "\(Output.printable($0.key)) \($0.value)" }
              .joined(separator: ", "))
        }
        list("Annotation files rejected (none of their boxes imported)", a.rejectedFiles)
        list(
          "Warnings",
          a.warnings.map { FileIssue(path: $0.file + ($0.line.map { ":\($0)" } ?? ""), reason: $0.message) })
        list("Annotation files without their image", a.annotationsWithoutImage)
        list(
          "Images without an annotation file",
          a.imagesWithoutAnnotation.map { FileIssue(path: $0, reason: "no XML names it") })
        if !a.twins.isEmpty {
          lines.append(
            "Images annotated by several files: \(a.twins.count) (the same bytes under two names); the file named like the image counts, the others are kept as alternates, never stacked:"
          )
          lines += TwinLines.lines(a.twins, limit: limit)
        }
      }
      if !r.oddNames.isEmpty {
        lines.append("Names that are not plain UTF-8 text (kept byte for byte):")
        for name in r.oddNames.prefix(limit) { lines.append("  \(Output.printable(name))") }
        if r.oddNames.count > limit { lines.append("  … and \(r.oddNames.count - limit) more") }
      }
      return lines.joined(separator: "\n")
    }
  }
}
