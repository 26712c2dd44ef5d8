import ArgumentParser
import AutoFace
import Catalog
import Foundation
import Imaging
import Labeling

extension DetectorKind: ExpressibleByArgument {}

extension [FaceImageIssue] {
  /// "Failed (N):" and the first 20 images with their reasons; nothing when empty.
  var listed: [String] {
    isEmpty ? [] : ["Failed (\(count)):"] + prefix(20).map { "  image \($0.imageID): \($0.reason)" }
  }
}

extension Datasetkit {
  struct Faces: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "faces",
      abstract: "Detect faces with OpenCV, crop them into images, and measure what detectors miss.",
      discussion: """
        Examples:
          datasetkit faces detect
          datasetkit faces eval --truth kaggle --sheet misses/
          datasetkit faces crop --square --size 128
        """,
      subcommands: [Detect.self, Crop.self, Eval.self])
  }
}

extension Datasetkit.Faces {
  struct Detect: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "detect",
      abstract: "Find faces in the catalog's images and store them as proposed boxes.",
      discussion: """
        Detectors: default (YuNet, the small CNN behind OpenCV's FaceDetectorYN, built into the binary and checked \
        by its SHA-256 when loaded; decoded by datasetkit since Debian's OpenCV 4.6 cannot run it; stores five \
        landmarks with each box), yunet (the same with --model FILE.onnx, a libfacedetection.train YuNet), haar and \
        lbp (OpenCV cascades; Debian's opencv-data or --cascade; `--detector haar` is the seeds' setting), cascades \
        (the former default: frontal, alt2, profile and LBP cascades with eye pairs and a skin check) and res10 (SSD \
        Caffe model: --model .caffemodel --config deploy.prototxt).

        Each photo is decoded as a bounded copy (longer side at most 4096 px, reduced decode); a photo larger than \
        640 px is searched whole and in 640 px tiles, so faces down to 20 px (or --min-size, if larger) are found \
        in 4000 px photos. Runs on all cores, one image per task. Images done before with the same detector and \
        parameters are skipped. Boxes are stored with status `proposed`, origin = detector name, the detector's \
        version and parameters and a score. Images that cannot be decoded or are over the pixel limit are listed \
        and recorded, and the run goes on; a detector that fails on every image exits 1 with the first error.

        Examples:
          datasetkit faces detect
          datasetkit faces detect --detector haar --min-size 40 --label-from image
          datasetkit faces detect --detector res10 \\
            --model res10_300x300_ssd_iter_140000.caffemodel --config deploy.prototxt
        """)

    @Option(help: "default (YuNet, built in), yunet, haar, lbp, cascades or res10.")
    var detector: DetectorKind = .default

    @Option(help: "A cascade XML for haar/lbp (default: Debian's frontal-face cascade).")
    var cascade: String?

    @Option(help: "The model file for res10 (.caffemodel) or yunet (.onnx; default: the built-in YuNet).")
    var model: String?

    @Option(help: "The res10 deploy.prototxt.")
    var config: String?

    @Option(help: "Smallest face side in pixels (default 10 for default/yunet, 30 for the cascades).")
    var minSize: Int?

    @Option(help: "Cascade scale step (haar/lbp).")
    var scaleFactor = 1.1

    @Option(help: "Cascade neighbours needed (haar/lbp).")
    var minNeighbors = 5

    @Option(help: "DNN confidence threshold (default 0.6 for default/yunet, YuNet's own; 0.5 for res10).")
    var threshold: Double?

    @Option(
      help:
        "default/yunet: photos under 640 px are scaled up by at most this (default 1.25; 1: at their own size).")
    var maxUpscale: Double?

    @Option(help: "image: proposed boxes take the image's label (when it has exactly one).")
    var labelFrom: LabelFrom?

    enum LabelFrom: String, ExpressibleByArgument { case image }

    @Option(name: .customLong("where"), help: "Only images with this label: label=NAME.")
    var filter: String?

    @Option(help: "Only images from this source (by name).")
    var source: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if let filter, !filter.hasPrefix("label=") || filter.count <= 6 {
        throw ValidationError("--where takes label=NAME")
      }
      if !(scaleFactor > 1 && scaleFactor <= 10) { throw ValidationError("--scale-factor must be above 1, at most 10") }
      if let minSize, !(1...4096).contains(minSize) { throw ValidationError("--min-size must be between 1 and 4096") }
      if let threshold, !(threshold > 0 && threshold < 1) { throw ValidationError("--threshold must be in (0, 1)") }
      if !(0...1000).contains(minNeighbors) { throw ValidationError("--min-neighbors must be 0…1000") }
      if let maxUpscale, !(maxUpscale >= 1 && maxUpscale <= 4) { throw ValidationError("--max-upscale must be 1 to 4") }
    }

    func run() async throws {
      try Output.run("faces detect", global) {
        let catalog = try global.openCatalog()
        let yunet = detector == .default || detector == .yunet
        var spec = DetectorSpec(
          kind: detector, cascadePath: cascade, modelPath: model, configPath: config,
          parameters: CascadeParameters(
            scaleFactor: scaleFactor, minNeighbors: minNeighbors, minSize: minSize ?? 30, maxSize: 0, equalize: false),
          threshold: threshold ?? 0.5)
        if detector == .cascades {
          spec.parameters = CascadeParameters(
            scaleFactor: 1.1, minNeighbors: 0, minSize: minSize ?? 30, maxSize: 0, equalize: false)
        }
        if yunet {
          spec.parameters = .common
          spec.yunet.minSize = minSize ?? spec.yunet.minSize
          spec.yunet.scoreThreshold = threshold ?? spec.yunet.scoreThreshold
          spec.yunet.maxUpscale = maxUpscale ?? spec.yunet.maxUpscale
        }
        var options = FaceDetectOptions(detector: spec)
        options.labelFromImage = labelFrom == .image
        options.label = filter.map { String($0.dropFirst(6)) }
        options.source = source
        let bar = ProgressBar("detecting", global)
        defer { bar.finish() }
        return try catalog.detectFaces(options) { bar.update($0.processed, of: $0.total, detail: "images") }
      } text: { r in
        var lines = [
          "Detector \(r.detector.name) (\(r.detector.version)): \(r.processed) images searched, \(r.faces) faces proposed"
            + (r.alreadyDone > 0 ? ", \(r.alreadyDone) images done before (skipped)" : "")
        ]
        lines += r.failed.listed
        lines += r.decodeWarnings.listed(verbose: global.verbose)
        return lines.joined(separator: "\n")
      }
    }
  }

  struct Crop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "crop",
      abstract: "Cut accepted boxes (detected or imported) into crop images carrying the box's label.",
      discussion: """
        Crops are images like any other (source `crops`), so dedup, split and export see them; each is linked to \
        its parent image and box. Boxes cropped before are skipped. --all also crops proposed boxes.

        Example:
          datasetkit faces crop --margin 0.2 --square --size 128
        """)

    @Option(help: "Context on each side, as a fraction of the box size.")
    var margin = 0.25

    @Flag(help: "Square crops (the longer side, centred).")
    var square = false

    @Option(help: "Resize so the longer side is this many pixels.")
    var size: Int?

    @Flag(help: "Also crop proposed (not yet reviewed) boxes.")
    var all = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !(0...4).contains(margin) { throw ValidationError("--margin must be between 0 and 4") }
      if let size, size < 8 || size > 4096 { throw ValidationError("--size must be between 8 and 4096") }
    }

    func run() async throws {
      try Output.run("faces crop", global) {
        let catalog = try global.openCatalog()
        var options = FaceCropOptions()
        options.margin = margin
        options.square = square
        options.size = size
        options.all = all
        return try catalog.cropFaces(options)
      } text: { r in
        var lines = [
          "\(r.cropped) crops made from \(r.boxes) boxes"
            + (r.alreadyCropped > 0 ? " (\(r.alreadyCropped) cropped before)" : "")
            + (r.alternates > 0 ? " (\(r.alternates) boxes of alternate annotation files not cut)" : "")
            + (r.labels.isEmpty
              ? ""
              : "; labels: "
                + r.labels.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        ]
        lines += r.failed.listed
        lines += r.decodeWarnings.listed(verbose: global.verbose)
        return lines.joined(separator: "\n")
      } items: { r in
        ItemCounts(succeeded: r.cropped + r.known, failed: r.failed.count, noun: "boxes")
      }
    }
  }

  struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "eval",
      abstract: "Recall and precision of every detector that ran, against boxes imported from VOC.",
      discussion: """
        Truth: the boxes imported from source --truth (origin voc). Each detector setting that ran over the \
        truth's images is scored on those images: a detection matches the unmatched truth face it overlaps most \
        (IoU ≥ --iou, strongest detection first). Truth faces whose shorter side is below --min-size are left out. \
        Recall is per class and per face size; precision per face size and overall. --sheet DIR writes contact \
        sheets of each setting's missed faces and false alarms (captioned with the image id), to see what is \
        missed. After review, also per class: the accepted faces (detected or drawn; imported boxes left out) on \
        the images with decisions, and the share reviewers had to add by hand (`review labelimg-import`, or a face \
        drawn in `review serve`).

        Example:
          datasetkit faces eval --truth kaggle --iou 0.5 --sheet misses/
        """)

    @Option(help: "The source whose VOC boxes are the truth.")
    var truth: String

    @Option(help: "Intersection over union needed for a match.")
    var iou = 0.5

    @Option(help: "Leave out truth faces smaller than this (shorter side, pixels).")
    var minSize = 30

    @Option(help: "Write contact sheets of each detector's missed faces and false alarms into this folder.")
    var sheet: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !(iou > 0 && iou <= 1) { throw ValidationError("--iou must be in (0, 1]") }
      if !(0...100_000).contains(minSize) { throw ValidationError("--min-size must be 0…100000") }
    }

    func run() async throws {
      try Output.run("faces eval", global) {
        let catalog = try global.openCatalog()
        var rules = FaceEvaluationRules()
        rules.iou = iou
        rules.minSize = minSize
        return try catalog.evaluateFaces(truth: truth, rules: rules, sheets: sheet)
      } text: { r in
        func pct(_ v: Double) -> String { String(format: "%.0f %%", v * 100) }
        var lines = ["Truth: \(r.truth), \(r.truthImages) images; faces ≥ \(r.rules.minSize) px, IoU ≥ \(r.rules.iou)"]
        if r.detectors.isEmpty {
          lines.append("No detector has run over these images yet: run `datasetkit faces detect`.")
        }
        for d in r.detectors {
          lines.append("")
          lines.append(
            "\(d.detector) \(d.version) \(d.parameters.count > 80 ? String(d.parameters.prefix(77)) + "..." : d.parameters)"
          )
          lines.append(
            "  recall \(d.found)/\(d.faces) = \(pct(d.recall)), precision \(d.detections - d.falsePositives)/\(d.detections) = \(pct(d.precision))"
          )
          lines.append(
            Output.table(
              ["class", "faces", "found", "recall"],
              d.classes.map { [$0.label, "\($0.faces)", "\($0.found)", pct($0.recall)] }
            )
            .split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
          lines.append(
            Output.table(
              ["size px", "faces", "found", "recall", "detections", "false", "precision"],
              d.sizes.map {
                [
                  $0.range, "\($0.faces)", "\($0.found)", pct($0.recall), "\($0.detections)", "\($0.falsePositives)",
                  pct($0.precision),
                ]
              }
            ).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
          if let sheets = d.sheets { lines += ["  misses and false alarms:"] + sheets.map { "    \($0)" } }
        }
        if let review = r.review {
          lines.append("")
          lines.append(
            "After review (\(review.images) images with decisions): \(review.addedByHand) of \(review.faces) accepted "
              + "faces added by hand = \(pct(review.share))")
          lines.append(
            Output.table(
              ["class", "faces", "added by hand", "share"],
              review.classes.map {
                [$0.label.isEmpty ? "(no class)" : $0.label, "\($0.faces)", "\($0.addedByHand)", pct($0.share)]
              }
            ).split(separator: "\n").map { "  " + $0 }.joined(separator: "\n"))
        }
        return lines.joined(separator: "\n")
      }
    }
  }
}
