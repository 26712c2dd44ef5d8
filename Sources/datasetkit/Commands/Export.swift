import ArgumentParser
import Catalog
import Export
import Foundation

extension Datasetkit {
  struct Export: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write a split (or every active image) as a training-ready tree with a manifest.",
      discussion: """
        folders: <subset>/<label>/<sha>.jpg, as Keras image_dataset_from_directory and torchvision
        ImageFolder read it (<label>/… without --split). csv: images/<subset>/… plus data.csv
        (path,label,subset,sha256,source,license,url). Every export writes manifest.json: tool version,
        split parameters, class → index table, each file's SHA-256 and provenance; the same catalog and
        command give the same bytes. A non-empty folder that is not an earlier export is refused; an
        earlier export is replaced whole.
        """)

    @Option(help: "The split version to export (default: every active image).")
    var split: String?

    @Option(help: "Layout: \(ExportFormat.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: ExportFormat = .folders

    @Option(help: "The output folder (default: exports/<split or all>-<format> in the workspace).")
    var out: String?

    @Option(help: "hard (no extra disk; copies across file systems), sym or copy.")
    var link: LinkMode = .hard

    @Option(help: "The label view (default: the labels as imported).")
    var view: String = ""

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("export", global) {
        let catalog = try global.openCatalog()
        let output = out ?? "\(catalog.workspace.exportsPath)/\(split ?? "all")-\(format.rawValue)"
        return try Exporter.run(
          catalog: catalog,
          request: ExportRequest(
            format: format, output: output, split: split, link: link, view: view, toolVersion: Datasetkit.version))
      } text: { (report: ExportReport) in
        var lines = ["Exported \(report.files) images to \(report.output) (\(report.format)\(report.split.map { ", split \($0)" } ?? ""))"]
        let subsets = report.counts.keys.sorted()
        let labels = Set(report.counts.values.flatMap(\.keys)).sorted()
        lines.append(
          Output.table(
            ["label"] + subsets, labels.map { label in [label.isEmpty ? "(no label)" : label] + subsets.map { "\(report.counts[$0]?[label] ?? 0)" } }))
        if report.unlabeled > 0 { lines.append("\(report.unlabeled) images without a label left out (folders need one)") }
        if report.copiedInsteadOfLinked > 0 {
          lines.append("\(report.copiedInsteadOfLinked) files copied: the export is on another file system than the workspace, so hard links were not possible")
        }
        if report.replacedPreviousExport { lines.append("(replaced the earlier export in that folder)") }
        return lines.joined(separator: "\n")
      }
    }
  }
}

extension ExportFormat: ExpressibleByArgument {}
extension LinkMode: ExpressibleByArgument {}
