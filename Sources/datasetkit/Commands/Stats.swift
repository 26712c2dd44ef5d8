import ArgumentParser
import Catalog
import Foundation

extension Datasetkit {
  struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Count images: by status, per label and per source.")

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("stats", global) {
        try global.openCatalog().stats()
      } text: { stats in
        var out: [String] = []
        let statuses = stats.byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out.append("\(stats.images) images" + (statuses.isEmpty ? "" : " (" + statuses.joined(separator: ", ") + ")"))
        out.append("")
        var labelRows = stats.labels.map { [Output.printable($0.label), "\($0.images)"] }
        if stats.unlabeled > 0 { labelRows.append(["(no label)", "\(stats.unlabeled)"]) }
        out.append(Output.table(["label", "images"], labelRows))
        out.append("")
        out.append(
          Output.table(
            ["source", "kind", "images", "files"],
            stats.sources.map { [Output.printable($0.name), $0.kind, "\($0.images)", "\($0.files)"] }))
        return out.joined(separator: "\n")
      }
    }
  }
}
