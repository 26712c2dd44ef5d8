import Annotations
import ArgumentParser
import Catalog
import Foundation
import Report
import Splitter

extension Datasetkit {
  struct Stats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "stats",
      abstract: "Count images: by status, per label, per source and per license (and per split subset).",
      discussion: """
        Examples:
          datasetkit stats
          datasetkit stats --by label,source --view two
          datasetkit stats --by split --split v1 --html card.html
        """)

    @Option(
      help:
        "Tables to show: label, source, license, split (comma-separated; default label,source,license). Naming source adds the source × source overlap matrix and a label × source table."
    )
    var by: String?

    @Option(
      help:
        "The split for --by split (default: the newest split). Its view is the default --view; another --view is refused."
    )
    var split: String?

    @Option(help: "Write the split's dataset card (a self-contained HTML page, as `datasetkit report --split` writes).")
    var html: String?

    @Option(
      help: "Count the labels of this merge view in the label and label × source tables (default: the labels as found)."
    )
    var view: String?

    @OptionGroup var global: GlobalOptions

    var tables: Set<String> {
      Set((by ?? "label,source,license").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }
    /// The overlap matrix and label × source table, when --by names source.
    var wantsBreakdown: Bool { by != nil && tables.contains("source") }
    var wantsSplit: Bool { tables.contains("split") || split != nil || html != nil }

    func validate() throws {
      let unknown = tables.subtracting(["label", "source", "license", "split"])
      if !unknown.isEmpty {
        throw ValidationError(
          "--by takes label, source, license, split (not \(unknown.sorted().joined(separator: ", ")))")
      }
    }

    /// The catalog's counts, with a `split` member when --split is given.
    struct Result: Encodable {
      var catalog: CatalogStats
      var split: SplitStats?
      var bySource: SourceBreakdown?

      enum Keys: String, CodingKey { case split, bySource }

      func encode(to encoder: Encoder) throws {
        try catalog.encode(to: encoder)
        if let split {
          var container = encoder.container(keyedBy: Keys.self)
          try container.encode(split, forKey: .split)
        }
        if let bySource {
          var container = encoder.container(keyedBy: Keys.self)
          try container.encode(bySource, forKey: .bySource)
        }
      }
    }

    func run() async throws {
      try Output.run("stats", global) {
        let catalog = try global.openCatalog(readOnly: true)
        if let html { try OutputFile.check(html, workspace: catalog.workspace) }
        var splitStats: SplitStats?
        if wantsSplit {
          guard let name = try split ?? SplitCatalog.list(catalog: catalog).last?.name else {
            throw SplitCatalog.unknownSplit(split ?? "", catalog: catalog)
          }
          // With --split, an absent --view is the split's; a --view that says otherwise is refused.
          splitStats = try SplitCatalog.stats(
            catalog: catalog, split: name, given: SplitRecipeFlags(view: split == nil ? nil : view))
        }
        let view = view ?? (split == nil ? nil : splitStats?.view)
        if let html, let splitStats {
          // The split's dataset card (the page `datasetkit report --split` writes).
          let card = try DatasetCard.build(
            catalog: catalog, options: CardOptions(split: splitStats.split, toolVersion: Datasetkit.version))
          try CardPage.write(
            card, thumbnails: try CardThumbnails.make(for: card, catalog: catalog), to: html,
            workspace: catalog.workspace)
        }
        if let view, !view.isEmpty, try !catalog.viewNames().contains(view) {
          throw AnnotationsError.unknownView(view, known: try catalog.viewNames())
        }
        let breakdown = wantsBreakdown ? try catalog.sourceBreakdown(view: view ?? "") : nil
        return Result(catalog: try catalog.stats(view: view ?? ""), split: splitStats, bySource: breakdown)
      } text: { result in
        let stats = result.catalog
        var out: [String] = []
        let statuses = stats.byStatus.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        out.append("\(stats.images) images" + (statuses.isEmpty ? "" : " (" + statuses.joined(separator: ", ") + ")"))
        let tables = self.tables
        if tables.contains("label") {
          var labelRows = stats.labels.map { [Output.printable($0.label), "\($0.images)"] }
          if stats.unlabeled > 0 { labelRows.append(["(no label)", "\(stats.unlabeled)"]) }
          out.append("")
          out.append(Output.table([stats.view.isEmpty ? "label" : "label (view \(stats.view))", "images"], labelRows))
          if stats.labelledBySeveralSources > 0 {
            out.append(
              "\(stats.labelledBySeveralSources) images are labelled by several sources; each counts once, for the source credited with its label"
            )
          }
        }
        if tables.contains("source") {
          out.append("")
          out.append(
            Output.table(
              ["source", "kind", "images", "files"],
              stats.sources.map { [Output.printable($0.name), $0.kind, "\($0.images)", "\($0.files)"] }))
        }
        if tables.contains("license") && !stats.licenses.isEmpty {
          out.append("")
          out.append(
            Output.table(["license", "images"], stats.licenses.map { [Output.printable($0.license), "\($0.images)"] }))
        }
        if let breakdown = result.bySource {
          let names = breakdown.sources.map(Output.printable)
          out.append("")
          out.append("source × source: images with the same bytes in both")
          out.append(
            Output.table(
              ["source"] + names,
              breakdown.overlap.enumerated().map { [names[$0.offset]] + $0.element.map(String.init) }))
          out.append("")
          out.append("label × source" + (breakdown.view.isEmpty ? " (labels as found)" : " (view \(breakdown.view))"))
          out.append(
            Output.table(
              ["label"] + names + ["total"],
              breakdown.labels.map {
                [Output.printable($0.label)] + $0.images.map(String.init) + ["\($0.images.reduce(0, +))"]
              }))
        }
        if let split = result.split {
          out.append("")
          out.append("split \(split.split): subset × label (actual/target)")
          out.append(
            Output.table(
              ["label"] + split.subsets + ["off by"],
              split.strata.map { stratum in
                [Output.printable(stratum.stratum.isEmpty ? "(no label)" : stratum.stratum)]
                  + split.subsets.map { "\(stratum.actual[$0] ?? 0)/\(stratum.target[$0] ?? 0)" } + [
                    "\(stratum.deviation)"
                  ]
              }))
          out.append("")
          out.append(
            Output.table(
              ["source", "label"] + split.subsets,
              split.sources.flatMap { source in
                split.labels.filter { split.images(label: $0, source: source) > 0 }.map { label in
                  [Output.printable(source), Output.printable(label)]
                    + split.subsets.map { "\(split.images(subset: $0, label: label, source: source))" }
                }
              }, leftAligned: [0, 1]))
          if let html { out.append("\nWrote \(html)") }
        }
        return out.joined(separator: "\n")
      }
    }
  }
}
