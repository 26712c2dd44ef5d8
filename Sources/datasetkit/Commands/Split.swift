import ArgumentParser
import Catalog
import Foundation
import Splitter

extension ImageKind: ExpressibleByArgument {}

/// `--group`: what a split keeps whole besides crops with their photo.
enum GroupRule: String, ExpressibleByArgument, CaseIterable {
  /// Near-duplicate groups from dedup.
  case duplicates
  case none
}

extension Datasetkit {
  struct Split: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "split",
      abstract: "Make and inspect train/validation/test splits, stored in the catalog.",
      discussion: """
        Examples:
          datasetkit split --name v1 --ratios 80/10/10 --seed 7
          datasetkit split list
          datasetkit split status v1
          datasetkit split --update v1
          datasetkit split diff v1 v2
        """,
      subcommands: [Create.self, List.self, Show.self, Status.self, Diff.self],
      defaultSubcommand: Create.self)
  }
}

extension Datasetkit.Split {
  struct Create: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "create",
      abstract: "Assign every active image to a subset (the default: `datasetkit split --name V ...`).",
      discussion: """
        Stratified: per stratum (label, optionally × source) subset sizes match the ratios within one image \
        (largest-remainder rounding). Grouped: members of a near-duplicate group (datasetkit dedup), images whose \
        file names share a --group-by key, and a crop and the photo it was cut from (always) land in the same \
        subset. Stable: an image's subset depends on its group key, the seed and the parameters only; re-running \
        on a grown catalog assigns only the new images (an image whose group now spans subsets joins the group's \
        first assigned member). Only --rebalance reassigns everything; moves are counted. --ratios are two or \
        three numbers summing to 100; --folds 2 to 100.

        A split is the whole recipe of its export: its view, --kind, --source and each member with the label and \
        the boxes it was assigned with are stored, and `export --split V` writes exactly that, whatever the \
        catalog does later. `split status V` lists what changed since; `split --update V` (or the same command \
        again) takes it in: relabelled members take their new label, members whose boxes changed their new \
        boxes, members marked duplicate, excluded or out of the view \
        leave, new images are assigned, and no other member moves. Each change is reported by image.

        Examples:
          datasetkit split --name v1 --ratios 80/10/10 --seed 7
          datasetkit split --name cv --folds 5 --stratify label,source
          datasetkit split --name v2 --group-by '^(\\d+)_' --view two
          datasetkit split --update v1
        """)

    @Option(help: "The split version's name.")
    var name: String?

    @Option(help: "Take the catalog's changes into split V with its own recipe (see `split status V`).")
    var update: String?

    @Option(help: "Subset ratios: train/val/test (80/10/10) or train/test (80/20).")
    var ratios: String = "80/10/10"

    @Option(help: "K folds (fold1…foldK) instead of --ratios.")
    var folds: Int?

    @Option(help: "Strata: label, source, or label,source.")
    var stratify: String = "label"

    @Option(
      help:
        "Groups kept whole: duplicates (near-duplicate groups from dedup) or none. Crops always go with their parent.")
    var group: GroupRule = .duplicates

    @Option(
      help:
        "A regular expression on the original file name (not its folders); its first capture group (or the whole match) is a group key. Reports how many files matched; a pattern matching none is refused."
    )
    var groupBy: String?

    @Flag(help: "Match --group-by against the relative path in its source instead of the file name.")
    var groupByPath = false

    @Option(help: "Only crops (cut from boxes, split with their parent photo's group) or only photos: crops or photos.")
    var kind: ImageKind?

    @Option(help: "Only images from this source (repeatable).")
    var source: [String] = []

    @Option(help: "The label view to split (default: the labels as imported).")
    var view: String = ""

    @Option(help: "The seed of the assignment.")
    var seed: UInt64 = 0

    @Flag(help: "Reassign every image from scratch (moves images; reports how many).")
    var rebalance = false

    @Flag(help: "Make the split from the Train/Validation/Test folders the images came in.")
    var fromOriginal = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if (name == nil) == (update == nil) {
        throw ValidationError("give --name V (make or grow a split) or --update V")
      }
      if update != nil {
        let recipe =
          folds != nil || ratios != "80/10/10" || stratify != "label" || group != .duplicates || groupBy != nil
          || groupByPath || kind != nil || !source.isEmpty || !view.isEmpty || seed != 0
        if recipe || rebalance || fromOriginal {
          throw ValidationError(
            "--update takes the split's own recipe; drop the other options (or make a new split with --name)")
        }
      }
      if folds != nil && ratios != "80/10/10" { throw ValidationError("use --folds or --ratios, not both") }
      if let folds, !SplitPlan.foldRange.contains(folds) {
        throw ValidationError(
          "--folds must be between \(SplitPlan.foldRange.lowerBound) and \(SplitPlan.foldRange.upperBound) (got \(folds))"
        )
      }
      if folds == nil {
        do { _ = try SplitPlan.subsets(ratios: ratios) } catch { throw ValidationError(error.localizedDescription) }
      }
      if groupByPath && groupBy == nil { throw ValidationError("--group-by-path needs --group-by") }
      if fromOriginal && (kind != nil || !source.isEmpty || groupBy != nil) {
        throw ValidationError(
          "--from-original takes the images' own splits; --kind, --source and --group-by do not apply")
      }
    }

    func run() async throws {
      try Output.run("split", global) {
        let catalog = try global.openCatalog()
        if let update { return try SplitCatalog.update(catalog: catalog, name: update) }
        let name = self.name ?? ""
        if fromOriginal { return try SplitCatalog.fromOriginal(catalog: catalog, name: name) }
        let plan = SplitPlan(
          subsets: try folds.map(SplitPlan.folds) ?? SplitPlan.subsets(ratios: ratios),
          stratify: stratify.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
          groupDuplicates: group == .duplicates, groupBy: groupBy, view: view, seed: seed,
          groupByPath: groupByPath ? true : nil, kind: kind, sources: source.isEmpty ? nil : source)
        return try SplitCatalog.split(catalog: catalog, name: name, plan: plan, rebalance: rebalance)
      } text: { (report: SplitReport) in
        render(report)
      }
    }

    func render(_ report: SplitReport) -> String {
      let names = report.plan.subsets.map(\.name)
      var lines: [String] = []
      lines.append(
        "Split \"\(report.name)\"\(report.created ? " created" : " updated"): \(report.images) images in \(report.groups) groups; "
          + "\(report.newlyAssigned) newly assigned, \(report.kept) kept, \(report.moved) moved")
      lines.append("")
      var rows = report.strata.map { stratum in
        [Output.printable(stratum.stratum.isEmpty ? "(no label)" : stratum.stratum)]
          + names.map { "\(stratum.actual[$0] ?? 0)/\(stratum.target[$0] ?? 0)" } + ["\(stratum.deviation)"]
      }
      rows.append(["all"] + names.map { "\(report.counts[$0] ?? 0)" } + [""])
      lines.append(Output.table(["stratum"] + names.map { "\($0) (actual/target)" } + ["off by"], rows))
      if let groupBy = report.groupBy {
        lines.append(
          "--group-by \(Output.printable(groupBy.pattern)) on the \(groupBy.matchedAgainst): \(groupBy.filesMatched) of \(groupBy.files) files matched, "
            + "\(groupBy.keys) keys, \(groupBy.groups) groups of two or more")
      }
      if report.lineageLinks > 0 {
        lines.append("\(report.lineageLinks) derived images (crops) kept in their parent's subset")
      }
      for warning in report.warnings { lines.append("warning: \(Output.printable(warning))") }
      if !report.created {
        let taken = report.changes.filter { $0.kind != .new }
        if taken.isEmpty && report.newlyAssigned == 0 {
          lines.append("No change in the catalog since: the split is as it was.")
        } else {
          lines.append(
            "Taken in: \(report.left) left, \(report.relabelled) relabelled, \(report.boxesChanged) with new boxes, \(report.newlyAssigned) newly assigned; no other member moved"
          )
          lines += SplitChangeLines.lines(report.changes, verbose: global.verbose, done: true)
        }
      }
      return lines.joined(separator: "\n")
    }
  }

  struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "What changed in the catalog since a split was made, member by member.",
      discussion: """
        Members since marked duplicate, rejected or quarantined, relabelled or without a label in the split's \
        view, whose boxes changed (relabelled, rejected or added in review, another class map), or outside \
        its --kind/--source; and images it would take in. An export of the split writes it as \
        made; `datasetkit split --update V` takes these changes in. Reads only.

        Example:
          datasetkit split status v1 --json
        """)
    @Argument(help: "The split's name.") var name: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("split status", global) {
        try SplitCatalog.status(catalog: global.openCatalog(), name: name)
      } text: { (status: SplitStatus) in
        let members = status.counts.values.reduce(0, +)
        var lines = [
          "split \(status.name), made \(status.createdAt): \(members) members ("
            + status.plan.subsets.map { "\($0.name) \(status.counts[$0.name] ?? 0)" }.joined(separator: ", ") + ")"
        ]
        if status.isCurrent {
          lines.append("Up to date: nothing changed in the catalog since.")
        } else {
          lines.append(
            "\(status.changes.count) changes since (an export writes the split as made; `datasetkit split --update \(status.name)` takes them in):"
          )
          lines += SplitChangeLines.lines(status.changes, verbose: global.verbose)
        }
        return lines.joined(separator: "\n")
      }
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "The split versions and their sizes.",
      discussion: """
        Example:
          datasetkit split list --json
        """)
    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("split list", global) {
        try SplitCatalog.list(catalog: global.openCatalog(readOnly: true))
      } text: { (splits: [SplitSummary]) in
        splits.isEmpty
          ? "No splits yet: `datasetkit split --name V --ratios 80/10/10`."
          : Output.table(
            ["split", "created", "subsets"],
            splits.map { split in
              [
                split.name, split.createdAt,
                split.plan.subsets.map { "\($0.name) \(split.counts[$0.name] ?? 0)" }.joined(separator: ", "),
              ]
            }, leftAligned: [0, 1, 2])
      }
    }
  }

  struct Show: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "show",
      abstract: "One split version: parameters and sizes.",
      discussion: """
        Example:
          datasetkit split show v1
        """)
    @Argument(help: "The split's name.") var name: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("split show", global) {
        let catalog = try global.openCatalog(readOnly: true)
        guard let split = try SplitCatalog.list(catalog: catalog).first(where: { $0.name == name }) else {
          throw SplitCatalog.unknownSplit(name, catalog: catalog)
        }
        return split
      } text: { (split: SplitSummary) in
        let plan = split.plan
        return """
          split \(split.name), created \(split.createdAt)
          subsets:  \(plan.subsets.map { "\($0.name) \(split.counts[$0.name] ?? 0) (weight \($0.weight))" }.joined(separator: ", "))
          stratify: \(plan.stratify.joined(separator: ",")); groups: \(plan.groupDuplicates ? "near-duplicate groups" : "none")\(plan.groupBy.map { " + \(plan.groupByPath == true ? "paths" : "file names") matching \($0)" } ?? "")\(plan.kind.map { "; only \($0.rawValue)" } ?? "")\(plan.sources.map { "; sources \($0.joined(separator: ", "))" } ?? ""); seed \(plan.seed)\(plan.view.isEmpty ? "" : "; view \(plan.view)")
          """
      }
    }
  }

  struct Diff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "diff",
      abstract: "How images moved between two split versions.",
      discussion: """
        Example:
          datasetkit split diff v1 v2
        """)
    @Argument(help: "The first split.") var from: String
    @Argument(help: "The second split.") var to: String
    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("split diff", global) {
        try SplitCatalog.diff(catalog: global.openCatalog(readOnly: true), from: from, to: to)
      } text: { (transitions: [String: Int]) in
        Output.table(
          ["\(from) → \(to)", "images"], transitions.sorted { $0.key < $1.key }.map { [$0.key, "\($0.value)"] })
      }
    }
  }
}
