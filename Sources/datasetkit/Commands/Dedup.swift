import ArgumentParser
import Catalog
import Dedup
import Foundation

extension DedupMethod: ExpressibleByArgument {}
extension KeepPolicy: ExpressibleByArgument {}

extension Datasetkit {
  struct Dedup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dedup",
      abstract: "Find near-duplicate images, cluster them and mark all but one of each cluster duplicate.",
      discussion: """
        Hashes every image that lacks a hash (each image decoded once, on all cores; hashes are stored with their \
        algorithm and version, so a re-run only hashes new images) and finds every pair within --radius bits \
        exactly. Two relations: a pair is a *duplicate* (the same picture resized, re-encoded, brightened or \
        cropped a little) only when a finer comparison confirms it (the normalised cross-correlation of 32×32 \
        greyscale views, whole and centre); a pair is *related* (a mirrored copy, a mask or anything else painted \
        over the lower half, an edited copy) when the mirrored image, the upper part or a looser whole-image \
        comparison confirms it, found by mirrored and upper-part hashes too, within 12 bits. Related images are \
        never marked; they join one group (at most 12 images through related links), which splits keep whole \
        and check leakage reports. Candidates confirming neither (aligned faces of two people hash alike) are \
        left alone. Clusters are stars: the best image by --keep is kept and every confirmed duplicate of it \
        gets status `duplicate`; an image that is only near a near-duplicate (a chain) starts a cluster of its \
        own. Pairs joined transitively form a near-duplicate group, which splits keep whole; groups holding \
        several clusters are reported as wide. Nothing is deleted. Clusters are stored per method and radius; \
        running again after adding images keeps the kept images kept. `dedup keep ID` and `dedup unmark ID` \
        overrule a decision, and every later run honours them.

        --hash phash+centre (default) compares pHash crosswise with a pHash of the centre 94 % of each image, \
        which also catches copies cropped a few percent at the edges. phash, dhash, ahash use one hash; the \
        *-imagehash variants reproduce Python imagehash's values exactly (slower: full decode). Images that cannot \
        be decoded are skipped with a reason.

        Examples:
          datasetkit dedup --dry-run --report dups.html
          datasetkit dedup --radius 6 --keep source-priority --priority kaggle,crawl
          datasetkit dedup keep 1234
        """,
      subcommands: [Keep.self, Unmark.self])

    @Option(help: "The hash method (phash+centre also catches copies cropped a few percent at the edges).")
    var hash: DedupMethod = .phashCentre

    @Option(help: "Pairs within this many differing bits (of 64) are near-duplicates.")
    var radius = 8

    @Option(help: "Which member of a cluster stays active.")
    var keep: KeepPolicy = .largest

    @Option(help: "For --keep source-priority: source names, most trusted first, comma-separated.")
    var priority: String?

    @Flag(help: "Show what would change; change nothing (hashes are not stored either).")
    var dryRun = false

    @Flag(help: "Let the hash alone decide (every pair within --radius is a duplicate; no related images).")
    var noConfirm = false

    @Option(help: "Write a self-contained HTML report (thumbnails, distances, origins, source matrix).")
    var report: String?

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !(0...32).contains(radius) { throw ValidationError("--radius must be between 0 and 32") }
      if priority != nil && keep != .sourcePriority {
        throw ValidationError("--priority only applies with --keep source-priority")
      }
      var seen: Set<String> = []
      for name in (priority ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) })
      where !name.isEmpty && !seen.insert(name.precomposedStringWithCanonicalMapping).inserted {
        throw ValidationError("--priority names source \"\(name)\" twice; list each source once")
      }
    }

    struct Result: Encodable {
      var dedup: DedupResult
      var report: String?
    }

    func run() async throws {
      try Output.run("dedup", global) {
        let catalog = try global.openCatalog()
        if let report { try OutputFile.check(report, workspace: catalog.workspace) }
        var options = DedupOptions()
        options.method = hash
        options.radius = radius
        options.keep = keep
        options.sourcePriority = (priority ?? "").split(separator: ",").map {
          $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        options.dryRun = dryRun
        options.confirm = !noConfirm
        let bar = ProgressBar("hashing", global)
        defer { bar.finish() }
        let result = try catalog.deduplicate(options) { bar.update($0.processed, of: $0.total, detail: "images") }
        if let report { try DedupReportPage.write(result, catalog: catalog, to: report) }
        return Result(dedup: result, report: report)
      } text: {
        render($0)
      } items: {
        ItemCounts(succeeded: $0.dedup.hashing.hashed, failed: $0.dedup.hashing.skipped.count, noun: "images to hash")
      }
    }

    func render(_ result: Result) -> String {
      let r = result.dedup
      var lines: [String] = []
      let h = r.hashing
      lines.append(
        "Hashed \(h.hashed) images (\(h.algorithms.joined(separator: ", "))\(r.dryRun ? ", not stored" : "")); \(h.upToDate) already hashed; \(h.skipped.count) skipped"
      )
      lines.append(
        "Compared \(r.imagesSearched) images by \(r.method) within \(r.radius) bits: \(r.pairs) pairs, \(r.clusters.count) clusters holding \(r.imagesInClusters) images"
      )
      if r.candidates > 0 || !r.relatedGroups.isEmpty {
        lines.append(
          "Confirmed by pixels: \(r.candidates) hash candidates, \(r.pairs) duplicate pairs, \(r.relatedPairs) related pairs "
            + "(mirrored, painted or edited copies: never marked), \(r.rejectedCandidates) rejected"
            + (r.relatedLinksOverLimit > 0 ? ", \(r.relatedLinksOverLimit) related links left out (group limit)" : ""))
      }
      lines.append(
        "Groups (duplicates and related images; a split keeps each whole): \(r.groups) holding \(r.imagesInGroups) images, "
          + "\(r.relatedGroups.count) with related images, \(r.wideGroups.count) wide (several clusters)")
      let verb = r.dryRun ? "Would mark" : "Marked"
      lines.append(
        "\(verb) \(r.markedDuplicate) images duplicate (keep \(r.keep))"
          + (r.markedActive > 0 ? ", \(r.markedActive) back to active" : "")
          + (r.dryRun ? " — dry run, nothing changed" : ""))
      if !r.clusters.isEmpty {
        lines.append("")
        let limit = global.verbose ? Int.max : 10
        let rows = r.clusters.prefix(limit).map { cluster -> [String] in
          let kept = cluster.members.first { $0.kept }
          let farthest = cluster.members.map(\.distanceToKept).max() ?? 0
          let wide = r.wideGroups.first { $0.id == cluster.groupID }
          return [
            "\(cluster.id)", "\(cluster.members.count)",
            Output.printable(kept?.origins.first ?? "#\(cluster.keptImageID)"),
            "\(farthest)", wide.map { "\($0.id) (wide: \($0.imageIDs.count) images)" } ?? "\(cluster.groupID)",
            cluster.change + (cluster.conflictingLabels ? ", labels differ: one kept per label" : ""),
          ]
        }
        lines.append(
          Output.table(
            ["cluster", "images", "kept", "farthest from kept", "group", "change"], rows, leftAligned: [2, 4, 5]))
        if r.clusters.count > limit {
          lines.append("… and \(r.clusters.count - limit) more clusters (--verbose lists all)")
        }
      }
      if !r.relatedGroups.isEmpty {
        lines.append("")
        let limit = global.verbose ? Int.max : 10
        let rows = r.relatedGroups.prefix(limit).flatMap { group in
          group.members.map { member -> [String] in
            [
              member.linkedTo == nil ? "\(group.id)" : "", "\(member.imageID)",
              Output.printable(member.origins.first ?? "#\(member.imageID)"), Output.printable(member.label),
              member.linkedTo.map { "\($0)" } ?? "-",
              [member.relation, member.evidence].compactMap { $0 }.joined(separator: ": "),
              member.distance.map(String.init) ?? "-", member.status.rawValue,
            ]
          }
        }
        lines.append(
          Output.table(
            ["related group", "image", "path", "label", "tied to", "relation", "distance", "status"], rows,
            leftAligned: [2, 3, 5, 7]))
        if r.relatedGroups.count > limit {
          lines.append("… and \(r.relatedGroups.count - limit) more related groups (--verbose lists all)")
        }
      }
      let crossSource = r.sourceMatrix.filter { $0.sourceA != $0.sourceB }
      if !crossSource.isEmpty {
        lines.append("")
        lines.append("Near-duplicate pairs across sources:")
        lines.append(
          Output.table(
            ["source", "source", "pairs"],
            crossSource.map { [Output.printable($0.sourceA), Output.printable($0.sourceB), "\($0.pairs)"] },
            leftAligned: [0, 1]))
      }
      if !h.skipped.isEmpty {
        lines.append("")
        lines.append("Skipped (not hashed):")
        for skipped in h.skipped.prefix(global.verbose ? Int.max : 10) {
          lines.append("  \(Output.printable(skipped.origin)): \(skipped.reason)")
        }
      }
      lines += h.decodeWarnings.listed(verbose: global.verbose)
      if let report = result.report { lines.append("Report: \(report)") }
      return lines.joined(separator: "\n")
    }
  }
}

extension Datasetkit.Dedup {
  /// `dedup keep ID` and `dedup unmark ID`.
  struct Decide {
    static func run(_ decision: DedupDecision, imageID: Int64, reviewer: String?, global: GlobalOptions) throws {
      try Output.run("dedup \(decision.rawValue)", global) {
        let user = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
        return try global.openCatalog().decide(decision, on: imageID, reviewer: reviewer ?? user)
      } text: { (result: DedupDecisionResult) in
        let what =
          decision == .keep
          ? "kept: always active, and the kept image of its cluster in every later dedup run"
          : "unmarked: not a duplicate of anything in every later dedup run (it stays in its near-duplicate group for splits)"
        return "Image \(result.imageID) \(what); status \(result.statusBefore.rawValue) → \(result.status.rawValue)"
          + (result.replaced.map { " (replaces an earlier \($0))" } ?? "") + " by \(result.reviewer ?? "-")"
      }
    }
  }

  struct Keep: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "keep",
      abstract: "Keep an image: active now, and the kept image of its cluster in every later dedup run.",
      discussion: """
        Example:
          datasetkit dedup keep 1234
        """)
    @Argument(help: "The image id (as in `dedup --json` and the report).") var imageID: Int64
    @Option(help: "Reviewer name recorded with the decision (default: cli:$USER).") var reviewer: String?
    @OptionGroup var global: GlobalOptions
    func run() async throws { try Decide.run(.keep, imageID: imageID, reviewer: reviewer, global: global) }
  }

  struct Unmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "unmark",
      abstract: "Unmark an image: active now, and a duplicate of nothing in every later dedup run.",
      discussion: """
        Example:
          datasetkit dedup unmark 1234
        """)
    @Argument(help: "The image id (as in `dedup --json` and the report).") var imageID: Int64
    @Option(help: "Reviewer name recorded with the decision (default: cli:$USER).") var reviewer: String?
    @OptionGroup var global: GlobalOptions
    func run() async throws { try Decide.run(.unmark, imageID: imageID, reviewer: reviewer, global: global) }
  }
}
