import Annotations
import ArgumentParser
import Catalog
import Foundation

extension Datasetkit {
  struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Export images and boxes as Pascal VOC, YOLO, COCO or Create ML.",
      discussion: """
        Until splits exist, the whole catalog (active images) is one subset named `all`; --label keeps only
        images and boxes of those classes. Class indices (YOLO index, COCO category id = index + 1) are given
        once per workspace and never change, so every export agrees.
        voc: LabelImg's exact format; a LabelImg file imported comes back byte for byte. Layout `devkit`
        (Annotations/, JPEGImages/, ImageSets/Main/all.txt) or `flat` (image and XML side by side).
        yolo: images/all/, labels/all/*.txt, classes.txt, data.yaml. coco: annotations/instances_all.json,
        images/all/. createml: all/annotations.json beside the images. Every export has manifest.json
        (file, SHA-256, size, license). The export is built beside --out and moved into place when complete.
        """)

    @Option(help: "The format: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ExportFormat

    @Option(help: "The folder to create (must not exist, or be empty). Default: exports/<format>-<time> in the workspace.")
    var out: String?

    @Option(help: "Only images and boxes of this class (repeatable).")
    var label: [String] = []

    @Option(help: "How images are placed: \(ExportLink.allCases.map(\.rawValue).joined(separator: ", ")) (hard and sym point into the object store: do not edit them).")
    var link: ExportLink = .copy

    @Option(help: "VOC layout: \(VOCExportLayout.allCases.map(\.rawValue).joined(separator: ", ")).")
    var vocLayout: VOCExportLayout = .devkit

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if vocLayout != .devkit && format != .voc { throw ValidationError("--voc-layout applies to --format voc only") }
    }

    func run() async throws {
      try Output.run("export", global) {
        let catalog = try global.openCatalog()
        let plan = try DatasetExport.plan(catalog: catalog, labels: label)
        let stamp = Timestamp.now().prefix(19).replacingOccurrences(of: ":", with: "").replacingOccurrences(of: "-", with: "")
        let target = out ?? catalog.workspace.exportsPath + "/\(format.rawValue)-\(stamp)"
        return try DatasetExport.write(
          plan, format: format, to: target, store: catalog.store, link: link, vocLayout: vocLayout)
      } text: { report in
        var lines = ["Exported \(report.images) images and \(report.boxes) boxes as \(report.format.rawValue) to \(report.out)"]
        lines.append(
          "Subsets: " + report.subsets.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
        lines.append(
          "Classes (index: name): "
            + report.classes.enumerated().map { "\($0): \(Output.printable($1))" }.joined(separator: ", "))
        if !report.boxesByClass.isEmpty {
          lines.append(
            "Boxes by class: "
              + report.boxesByClass.sorted { $0.key < $1.key }.map { "\(Output.printable($0.key)) \($0.value)" }
              .joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
      }
    }
  }
}

extension ExportFormat: ExpressibleByArgument {}
extension ExportLink: ExpressibleByArgument {}
extension VOCExportLayout: ExpressibleByArgument {}
