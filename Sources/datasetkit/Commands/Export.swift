import ArgumentParser
import Catalog
import Export
import Foundation
import Splitter

extension Datasetkit {
  struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "export",
      abstract:
        "Write a split (or every active image) for training: folders, CSV, VOC, YOLO, COCO, Create ML, WebDataset.",
      discussion: """
        With --split V the split is the whole recipe: its view, --kind and --source, its members and the \
        labels and boxes they were assigned with (frozen when the split was made). Exporting it again gives the \
        same bytes whatever the catalog did since; what changed (members marked duplicate, relabelled, excluded, \
        with changed boxes, new images) is listed, and `datasetkit split --update V` takes it in. --view, --kind and --source may repeat \
        the split's; another value is a usage error. Without --split, every active image is one subset `all`.

        folders: <subset>/<label>/<sha>.<ext>, as Keras image_dataset_from_directory and torchvision ImageFolder \
        read it (<label>/… without --split).
        csv: images/<subset>/… plus data.csv (path,label,subset,sha256,source,license,url).
        voc: LabelImg's exact format (a LabelImg file imported comes back byte for byte); --voc-layout devkit \
        (Annotations/, JPEGImages/, ImageSets/Main/<subset>.txt) or flat.
        yolo: images/<subset>/, labels/<subset>/, classes.txt, an Ultralytics data.yaml (train/val/test are the \
        split's; a train/test split validates on test; without a split val is train, said on stderr).
        coco: annotations/instances_<subset>.json. createml: <subset>/annotations.json.
        webdataset: tar shards <subset>-000000.tar… of at most --shard-size bytes (default 500MB; a sample \
        larger than that gets a shard of its own, noted) and <subset>-shards.txt listing them. Each sample is \
        <key>.jpg (or .png…: the image's own format), <key>.cls (its label's class index) and <key>.json (label, \
        boxes, size, SHA-256, license, origins); the key is the first 16 hex digits of the image's SHA-256 (no \
        dots). Every image with a label or a box is a sample.

        --max-side N / --short-side N resize at export: an image whose longer (shorter) side is over N is shrunk \
        to N with its aspect kept, its boxes scaled with it; smaller images are never upscaled and are placed as \
        they are. A resized PNG stays PNG; other formats are written as JPEG at --jpeg-quality (default 95). \
        Resized files are new files: --link hard|sym links only the images left as they are. The manifest gives \
        a resized file's SHA-256 and its original's (`original`).
        Class lists (classes.txt, data.yaml names, COCO categories, manifest classes) hold only the classes with \
        an image or box in the export: sorted by name (with a view: in the view's order); YOLO index = position, \
        COCO id = index + 1. The same split exports the same list.

        Box formats are detection sets: only images with at least one box (--include-unannotated adds the others \
        as background), each with one annotation file's boxes (when several files or sources describe the same \
        bytes: the recipe's priority, then the file named like the image; never stacked). With --view V (a merge \
        view) each box's class goes through the recipe's class map and the view's fold, and the classes are \
        exactly the view's, in its order. An unknown view or label is an error.

        Every export writes manifest.json (tool version, split parameters, class table, each file's SHA-256 and \
        provenance); the same catalog and command give the same manifest bytes. The export is built beside --out \
        and swapped in whole; a non-empty folder that is not an earlier export is refused.

        Examples:
          datasetkit export --split v1 --format folders --out ~/datasets/masks
          datasetkit export --split v1 --format yolo --view three --link hard
          datasetkit export --format coco --label with_mask --label without_mask
          datasetkit export --split v1 --format webdataset --max-side 512
        """)

    @Option(help: "The split version to export (default: every active image, as subset `all`).")
    var split: String?

    @Option(help: "The layout (the formats above).")
    var format: DatasetFormat = .folders

    @Option(help: "The output folder (default: exports/<split or all>-<format> in the workspace).")
    var out: String?

    @Option(
      help:
        "copy, hard (no extra disk; copies across file systems) or sym. Hard and sym links point into the object store: do not edit those files in place."
    )
    var link: LinkMode = .copy

    @Option(help: "Box formats: only images and boxes of this class (repeatable).")
    var label: [String] = []

    @Option(help: "VOC layout: devkit or flat.")
    var vocLayout: VOCExportLayout = .devkit

    @Option(
      help:
        "The label view (a view of a merge recipe; default: the split's, else the labels as imported; with --split only the split's may be given). Box formats: each box's class goes through the view's class map and fold, and the class list is the view's classes present, in its order."
    )
    var view: String?

    @Option(
      help:
        "Only crops (cut from boxes, e.g. for a face classifier) or only photos: crops or photos (with --split: the split's)."
    )
    var kind: ImageKind?

    @Option(help: "Only images from this source (repeatable; with --split: the split's).")
    var source: [String] = []

    @Flag(
      help:
        "Box formats: also export images with no box (background images); by default only images with at least one box (of the view, of --label) are exported."
    )
    var includeUnannotated = false

    @Option(help: "Resize: the longer side at most N pixels (8-32768; never upscaled; boxes scaled).")
    var maxSide: Int?

    @Option(help: "Resize: the shorter side at most N pixels (8-32768; never upscaled; boxes scaled).")
    var shortSide: Int?

    @Option(help: "The JPEG quality of resized images (1-100; default 95). Resized PNGs stay PNG.")
    var jpegQuality: Int?

    @Option(
      help:
        "WebDataset: the most bytes a shard holds, e.g. 500MB (default), 1GB, 64MiB (K/M/G = 1000s, KiB/MiB/GiB = 1024s; 10KB to 1TB)."
    )
    var shardSize: String?

    @OptionGroup var global: GlobalOptions

    /// The resize asked for, range-checked (nil: none).
    var resize: ExportResize? {
      get throws {
        if maxSide != nil && shortSide != nil {
          throw ValidationError("--max-side and --short-side exclude each other; give one")
        }
        let sides = ExportResize.sides
        for (flag, value) in [("--max-side", maxSide), ("--short-side", shortSide)] {
          if let value, !sides.contains(value) {
            throw ValidationError("\(flag) takes \(sides.lowerBound) to \(sides.upperBound) pixels, not \(value)")
          }
        }
        if let jpegQuality, !ExportResize.qualities.contains(jpegQuality) {
          throw ValidationError("--jpeg-quality takes 1 to 100, not \(jpegQuality)")
        }
        let quality = jpegQuality ?? ExportResize.defaultJPEGQuality
        if let maxSide { return ExportResize(bound: .maxSide(maxSide), jpegQuality: quality) }
        if let shortSide { return ExportResize(bound: .shortSide(shortSide), jpegQuality: quality) }
        if jpegQuality != nil { throw ValidationError("--jpeg-quality applies with --max-side or --short-side") }
        return nil
      }
    }

    func validate() throws {
      _ = try resize
      if let shardSize {
        guard format == .webdataset else { throw ValidationError("--shard-size applies to --format webdataset") }
        guard ShardSize.parse(shardSize) != nil else {
          throw ValidationError(
            "--shard-size takes a size from 10KB to 1TB such as 500MB, 1GB or 64MiB, not \"\(shardSize)\"")
        }
      }
      if format == .webdataset && link != .copy {
        throw ValidationError("--link applies to formats that place image files; webdataset writes them into shards")
      }
      if vocLayout != .devkit && format != .voc { throw ValidationError("--voc-layout applies to --format voc only") }
      if includeUnannotated && (format == .folders || format == .csv) {
        throw ValidationError(
          "--include-unannotated applies to the box formats (voc, yolo, coco, createml, webdataset)")
      }
      if !label.isEmpty && (format == .folders || format == .csv) {
        throw ValidationError("--label applies to the box formats (voc, yolo, coco, createml)")
      }
    }

    func run() async throws {
      try Output.run("export", global) {
        let catalog = try global.openCatalog()
        let output = out ?? "\(catalog.workspace.exportsPath)/\(split ?? "all")-\(format.rawValue)"
        var request = ExportRequest(
          format: format, output: output, split: split, link: link, view: view ?? "",
          toolVersion: Datasetkit.version, labels: label, vocLayout: vocLayout,
          includeUnannotated: includeUnannotated)
        request.selection = ImageSelection(kind: kind, sources: source)
        request.resize = try resize
        if let shardSize, let bytes = ShardSize.parse(shardSize) { request.shardSize = bytes }
        let report = try Exporter.run(catalog: catalog, request: request)
        // On stderr, whatever the output: notes, and what the catalog changed since the split was made.
        for note in report.notes { Output.note("note: " + note, global) }
        if let name = report.split, !report.splitChanges.isEmpty {
          Output.note(
            "split \(name) as made (the catalog changed since; `datasetkit split --update \(name)` takes it in):",
            global)
          for line in SplitChangeLines.lines(report.splitChanges, verbose: global.verbose) { Output.note(line, global) }
        }
        return report
      } text: { (report: ExportSummary) in
        var lines: [String] = []
        let what =
          report.boxes > 0 || !["folders", "csv"].contains(report.format)
          ? "\(report.files) images and \(report.boxes) boxes as \(report.format)"
          : "\(report.files) images as \(report.format)"
        lines.append("Exported \(what) to \(report.output)\(report.split.map { " (split \($0))" } ?? "")")
        let subsets = report.counts.keys.sorted()
        let labels = Set(report.counts.values.flatMap(\.keys)).sorted()
        lines.append(
          Output.table(
            ["label"] + subsets,
            labels.map { label in
              [label.isEmpty ? "(no label)" : Output.printable(label)]
                + subsets.map { "\(report.counts[$0]?[label] ?? 0)" }
            }))
        if !report.classes.isEmpty {
          lines.append(
            "Classes (index: name): "
              + report.classes.enumerated().map { "\($0): \(Output.printable($1))" }.joined(separator: ", "))
        }
        if report.unlabeled > 0 {
          lines.append(
            ["folders", "csv"].contains(report.format)
              ? "\(report.unlabeled) images without a label left out (folders need one)"
                + (report.leftOut.isEmpty ? "" : ":")
              : report.format == "webdataset"
                ? "\(report.unlabeled) images without a label or box left out (--include-unannotated adds them)"
                  + (report.leftOut.isEmpty ? "" : ":")
                : "\(report.unlabeled) images without a box left out (a detection set; --include-unannotated adds them as background)"
                  + (report.leftOut.isEmpty ? "" : ":")
          )
          let shown = global.verbose ? report.leftOut : Array(report.leftOut.prefix(SplitChangeLines.listed))
          for image in shown {
            lines.append(
              "  image \(image.imageID) \(Output.printable(image.path.isEmpty ? image.sha256 : image.path))"
                + (image.subset.isEmpty ? "" : " (\(image.subset))"))
          }
          if shown.count < report.leftOut.count {
            lines.append("  … and \(report.leftOut.count - shown.count) more (--verbose or --json lists them all)")
          }
        }
        if report.copiedInsteadOfLinked > 0 {
          lines.append(
            "\(report.copiedInsteadOfLinked) files copied: the export is on another file system than the workspace, so hard links were not possible"
          )
        }
        if let resize = report.resize {
          lines.append(
            "\(report.resized) images resized (\(resize), never upscaled; \(report.files - report.resized) within the bound written as they are)"
          )
        }
        if let shards = report.shards {
          lines.append(
            "Shards: "
              + shards.keys.sorted().map { "\(Output.printable($0)) \(shards[$0]?.count ?? 0)" }.joined(separator: ", ")
              + " (lists: <subset>-shards.txt)")
        }
        if let kept = report.keptShards, kept > 0 {
          let total = report.shards?.values.reduce(0) { $0 + $1.count } ?? kept
          lines.append(
            "Resumed: kept \(kept) shards an interrupted export had finished (size and SHA-256 checked), wrote the other \(total - kept)"
          )
        }
        if report.replacedPreviousExport { lines.append("(replaced the earlier export in that folder)") }
        return lines.joined(separator: "\n")
      }
    }
  }
}

extension DatasetFormat: ExpressibleByArgument {}
extension LinkMode: ExpressibleByArgument {}
extension VOCExportLayout: ExpressibleByArgument {}
