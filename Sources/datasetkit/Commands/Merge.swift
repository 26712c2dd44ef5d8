import ArgumentParser
import Catalog
import Foundation
import Merge

extension Datasetkit {
  struct Merge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "merge",
      abstract: "Merge several datasets by a recipe: sources, class map, 2- or 3-class views, quotas.",
      discussion: """
        The recipe (YAML; JSON Schema in schemas/recipe.schema.json) lists sources (a folder or zip, its layout, \
        name, license, priority), maps every class found to a target class (or `drop` the label, or `ignore` the \
        image), and defines views: label sets such as a 2-class view folding `incorrect` into `with_mask` and a \
        3-class view keeping it. Views are stored as labels, not copies. Quotas (per class, per source, \
        `balance: smallest`) sample with the recipe's seed.

        A VOC or YOLO source's boxes label each image by their majority class (`boxes: majority`), or become one \
        crop per box labelled by the box's class (`boxes: crops`, cut by the `faces crop` step with \
        `crop: {margin, size, square}`); the crops, not the whole images, then go into the views.

        A quota the sources cannot fill (per_class 5000 when a class has 3613 images) is reported per view, class \
        and source (asked, got, short by) in the text and `--json` (`views[].shortfalls`), with a warning on \
        stderr; --strict makes it an error (exit 1) before any view is written (the sources are imported).

        Running the same recipe again changes nothing; adding a source imports only that source. Classes found \
        but not mapped are listed and the merge refuses unless `unmapped: drop` or --drop-unmapped. The same bytes \
        labelled differently by two sources are reported; the higher priority decides.

        Example:
          datasetkit merge recipe.yaml --drop-unmapped
        """)

    @Argument(help: "The recipe file (YAML).")
    var recipe: String

    @Flag(help: "Leave out classes the recipe does not map, instead of refusing.")
    var dropUnmapped = false

    @Flag(help: "Fail (exit 1, no view written) when a quota cannot be met, instead of a warning.")
    var strict = false

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("merge", global) {
        let parsed = try Recipe.load(path: recipe)
        let catalog = try global.openCatalog()
        let bar = ProgressBar("merging", global)
        defer { bar.finish() }
        let report = try MergeRun.run(parsed, catalog: catalog, dropUnmapped: dropUnmapped, strict: strict) {
          source, progress in
          bar.update(progress.processed, of: progress.total, detail: source)
        }
        bar.finish()
        let unmet = report.shortfallLines
        if !unmet.isEmpty {
          Output.note(
            "warning: \(unmet.count) quota\(unmet.count == 1 ? "" : "s") not met (first: \(Output.printable(unmet[0]))); --strict makes this an error",
            global)
        }
        return report
      } text: { (report: MergeReport) in
        var out: [String] = []
        out.append("Recipe \(report.recipe)")
        out.append(
          Output.table(
            ["source", "layout", "added", "known bytes", "unchanged", "not imported"],
            report.sources.map {
              [
                Output.printable($0.name), $0.layout, "\($0.added)", "\($0.knownBytes)", "\($0.unchanged)",
                "\($0.notImported)",
              ]
            }, leftAligned: [0, 1]))
        for source in report.sources {
          if let crops = source.crops {
            out.append(
              "\(Output.printable(source.name)): \(crops.boxes) boxes → \(crops.cut) crops cut now, \(crops.cutBefore) cut before"
                + (crops.alternates > 0 ? " (\(crops.alternates) boxes of alternate annotation files not cut)" : "")
                + (crops.knownBytes > 0 ? " (\(crops.knownBytes) with bytes already in the catalog)" : "")
                + (crops.failed.isEmpty ? "" : ", \(crops.failed.count) could not be cut:"))
            for reason in crops.failed.prefix(global.verbose ? Int.max : 5) {
              out.append("  \(Output.printable(reason))")
            }
          }
          if !source.problems.isEmpty {
            out.append(
              "\(Output.printable(source.name)): \(source.problems.count) annotation problems (those files or lines gave nothing):"
            )
            for problem in source.problems.prefix(global.verbose ? Int.max : 5) {
              out.append("  \(Output.printable(problem.path)): \(Output.printable(problem.reason))")
            }
          }
        }
        if !report.droppedUnmapped.isEmpty {
          out.append(
            "Unmapped classes left out: " + report.droppedUnmapped.map(Output.printable).joined(separator: ", "))
        }
        if report.ignoredImages > 0 { out.append("Images ignored by the class map: \(report.ignoredImages)") }
        if !report.conflicts.isEmpty {
          out.append("Conflicting labels for the same bytes (\(report.conflicts.count)):")
          for conflict in report.conflicts.prefix(global.verbose ? Int.max : 10) {
            let labels = conflict.labels.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(
              separator: ", ")
            out.append("  \(conflict.sha256.prefix(12)) \(labels) → \(conflict.chosen) (\(conflict.decidedBy))")
          }
        }
        if report.labelledBySeveralSources > 0 {
          out.append(
            "Images labelled by several sources: \(report.labelledBySeveralSources) (each counted once, credited to the source whose label decided it)"
          )
        }
        out.append("Majority ties: \(report.majorityTies), decided by \(Output.printable(report.tieRule))")
        if !report.twins.isEmpty {
          out.append(
            "Images annotated by several files: \(report.twins.count) (\(report.annotatedBySeveralSources) by several sources); one file's boxes count (recipe priority, then the file named like the image), the others are kept as alternates, never stacked:"
          )
          out.append(contentsOf: TwinLines.lines(report.twins, limit: global.verbose ? Int.max : 10))
        }
        for view in report.views {
          out.append("")
          out.append(
            "View \(view.name): \(view.images) images (\(view.labelsAdded) labels added, \(view.labelsRemoved) removed)"
          )
          let classes = view.classes.keys.sorted()
          let sources = view.bySource.keys.sorted()
          out.append(
            Output.table(
              ["class"] + sources.map(Output.printable) + ["total"],
              classes.map { name in
                [Output.printable(name)] + sources.map { "\(view.bySource[$0]?[name] ?? 0)" } + [
                  "\(view.classes[name] ?? 0)"
                ]
              }, leftAligned: [0]))
          for shortfall in view.shortfalls {
            out.append(
              "Quota not met: \(shortfall.quota == "per_source" ? "source" : "class") \(Output.printable(shortfall.name)) asked \(shortfall.asked), got \(shortfall.got) (short by \(shortfall.shortBy))"
            )
          }
        }
        return out.joined(separator: "\n")
      } items: { (report: MergeReport) in
        ItemCounts(
          succeeded: report.sources.reduce(0) { $0 + $1.added + $1.knownBytes + $1.unchanged },
          failed: report.sources.reduce(0) { $0 + $1.notImported }, noun: "files")
      }
    }
  }
}
