import Annotations
import ArgumentParser
import Catalog
import Foundation
import Labeling

extension Datasetkit.Review {
  struct ImageDecisions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "image",
      abstract: "Decide on whole images by id: relabel, exclude, restore, undo (each logged with time and reviewer).",
      discussion: """
        Image ids are the catalog's (the browser, `review suspects`, `check leakage --json` and `split status` \
        show them); ranges like 12-40,57 work. An excluded image leaves new splits and exports; an existing \
        split lists it as excluded in `split status` until `split --update`. `undo` takes back each image's \
        latest decision still standing, one step per call.

        Examples:
          datasetkit review image relabel --label without_mask 12-40,57
          datasetkit review image exclude --reason 'cartoon, not a photo' 88
          datasetkit review image restore 88
          datasetkit review image undo 12-40
          datasetkit review image log 88
        """,
      subcommands: [ImageRelabel.self, ImageExclude.self, ImageRestore.self, ImageUndo.self, ImageLog.self])
  }

  /// Runs one image decision and renders what changed.
  static func decide(
    _ action: ImageAction, _ ids: [String], reviewer: String?, classes: ClassPolicy = ClassPolicy(),
    _ global: GlobalOptions, _ command: String
  ) throws {
    let parsed = try BoxIDs.parse(ids, noun: "image")
    try Output.run(command, global) {
      let catalog = try global.openCatalog()
      let user = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
      return try catalog.decide(action, images: parsed, reviewer: reviewer ?? user, classes: classes)
    } text: { r in
      var lines: [String] = []
      let what = r.action + (r.value.map { " → \($0)" } ?? "")
      let view = r.view.map { $0.isEmpty ? "" : " (view \($0))" } ?? ""
      lines.append(
        "\(what)\(view): \(r.images.count) image\(r.images.count == 1 ? "" : "s")"
          + (r.images.isEmpty ? "" : " (\(Self.ranges(r.images)))") + " by \(r.reviewer)")
      for skip in r.unchanged.prefix(20) { lines.append("  unchanged: image \(skip.image): \(skip.reason)") }
      if r.unchanged.count > 20 { lines.append("  … and \(r.unchanged.count - 20) more unchanged") }
      return lines.joined(separator: "\n")
    }
  }

  /// Ids as ranges: `12-40 57`.
  static func ranges(_ ids: [Int64]) -> String {
    var parts: [String] = []
    var index = 0
    while index < ids.count {
      var end = index
      while end + 1 < ids.count && ids[end + 1] == ids[end] + 1 { end += 1 }
      parts.append(end > index ? "\(ids[index])-\(ids[end])" : "\(ids[index])")
      index = end + 1
    }
    return parts.joined(separator: " ")
  }

  struct ImageRelabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "relabel",
      abstract: "Give images a class in the view in force (their labels there are replaced; undo puts them back).",
      discussion: """
        The class must be one of the view's (--view) or, without a view, one the catalog already uses; anything \
        else is refused with the nearest class (exit 64). --new-class adds a class on purpose. Without --view \
        the labels as found are changed; a later import or merge keeps a person's label.

        Example:
          datasetkit review image relabel --label without_mask 12-40,57
        """)
    @Option(help: "The class, e.g. without_mask.") var label: String
    @Argument(help: "Image ids: 12 57, or ranges 12-40,57.") var ids: [String]
    @Option(help: "Reviewer name in the log (default: cli:$USER).") var reviewer: String?
    @OptionGroup var classes: ClassOptions
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids, noun: "image") }
    func run() async throws {
      try Datasetkit.Review.decide(
        .relabel(label), ids, reviewer: reviewer, classes: classes.policy, global, "review image relabel")
    }
  }

  struct ImageExclude: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exclude",
      abstract: "Take images out of the dataset, with a reason (new splits and exports leave them out).",
      discussion: """
        Example:
          datasetkit review image exclude --reason 'not a face' 88 90-92
        """)
    @Option(help: "Why (kept in the log and as the image's status reason).") var reason: String
    @Argument(help: "Image ids: 12 57, or ranges 12-40,57.") var ids: [String]
    @Option(help: "Reviewer name in the log (default: cli:$USER).") var reviewer: String?
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids, noun: "image") }
    func run() async throws {
      try Datasetkit.Review.decide(.exclude(reason: reason), ids, reviewer: reviewer, global, "review image exclude")
    }
  }

  struct ImageRestore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "restore",
      abstract: "Put excluded images back, with the status they had before.",
      discussion: """
        Example:
          datasetkit review image restore 88
        """)
    @Argument(help: "Image ids: 12 57, or ranges 12-40,57.") var ids: [String]
    @Option(help: "Reviewer name in the log (default: cli:$USER).") var reviewer: String?
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids, noun: "image") }
    func run() async throws {
      try Datasetkit.Review.decide(.restore, ids, reviewer: reviewer, global, "review image restore")
    }
  }

  struct ImageUndo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "undo",
      abstract: "Take back each image's latest decision still standing (relabel, exclude or restore).",
      discussion: """
        One step per call: undo twice to take back two decisions. The undo is logged too.

        Example:
          datasetkit review image undo 12-40,57
        """)
    @Argument(help: "Image ids: 12 57, or ranges 12-40,57.") var ids: [String]
    @Option(help: "Reviewer name in the log (default: cli:$USER).") var reviewer: String?
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids, noun: "image") }
    func run() async throws {
      try Datasetkit.Review.decide(.undo, ids, reviewer: reviewer, global, "review image undo")
    }
  }

  struct ImageLog: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "log",
      abstract: "List the decisions on one image, newest first.",
      discussion: """
        Example:
          datasetkit review image log 88
        """)
    @Argument(help: "An image id.") var id: Int64
    @OptionGroup var global: GlobalOptions
    func validate() throws { if id < 1 { throw ValidationError("image ids are 1 or more") } }
    func run() async throws {
      try Output.run("review image log", global) {
        try global.openCatalog().imageDecisions(id)
      } text: { entries in
        if entries.isEmpty { return "no decision on image \(id)" }
        return entries.map {
          "#\($0.review) \($0.at) \($0.reviewer): \($0.action)\($0.value.map { " \($0)" } ?? "")"
            + ($0.undone ? " (undone)" : "")
        }.joined(separator: "\n")
      }
    }
  }

  struct Suspects: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "suspects",
      abstract: "Rank the images whose label is most likely wrong, with paths and reasons.",
      discussion: """
        Reasons: its duplicates (after dedup) carry another label; its related images (mirrors, painted or \
        edited copies) do (half weight: a painted mask may rightly change it); a crop labelled otherwise than \
        its box; its source supplies almost all of its class (a confound, small weight). Then fix with \
        `review image relabel|exclude`.

        Examples:
          datasetkit review suspects --limit 20
          datasetkit review suspects --view two --json
        """)
    @Option(help: "The view whose labels are compared (default: the labels as found, through the views' maps).")
    var view: String?
    @Option(help: "At most this many suspects (0: all).") var limit = 50
    @OptionGroup var global: GlobalOptions
    func validate() throws {
      if !(0...1_000_000).contains(limit) { throw ValidationError("--limit: 0 to 1000000") }
    }
    func run() async throws {
      try Output.run("review suspects", global) {
        try global.openCatalog().suspects(SuspectOptions(view: view, limit: limit))
      } text: { r in
        if r.suspects.isEmpty { return "no suspect image\(r.view.map { " in view \($0)" } ?? "")" }
        var lines = [
          "\(r.total) suspect image\(r.total == 1 ? "" : "s")\(r.view.map { " in view \($0)" } ?? "")"
            + (r.suspects.count < r.total ? ", the first \(r.suspects.count):" : ":")
        ]
        for s in r.suspects {
          lines.append(
            String(format: "%.2f", s.score) + "  image \(s.image)  \(s.label ?? "(no label)")  \(s.path)")
          for reason in s.reasons { lines.append("      \(reason.kind.rawValue): \(reason.detail)") }
        }
        return lines.joined(separator: "\n")
      }
    }
  }
}
