import ArgumentParser
import Catalog
import Dedup
import Foundation
import Leakage
import Splitter

extension Datasetkit {
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "check",
      abstract: "Check a dataset for problems.",
      discussion: """
        Example:
          datasetkit check leakage --split v1
        """,
      subcommands: [Leakage.self])
  }
}

extension Datasetkit.Check {
  struct Leakage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "leakage",
      abstract: "List pairs of images that tie two subsets of a split together; exit 1 when any exist.",
      discussion: """
        A pair counts when dedup's relations tie it: a duplicate (hashes within --radius bits, confirmed by \
        comparing the pixels) or related (a mirrored, painted or edited copy, found by mirrored and upper-part \
        hashes too, beyond the radius; images without a hash are hashed first, --no-hash refuses instead), when \
        both are in one group of datasetkit dedup, when one \
        is a crop (or other derived image) of the other — also through images outside the split, such as two \
        crops of one photo — or when their file names share a key of the split's --group-by pattern (or the \
        --group-by given here).

        Example:
          datasetkit check leakage --split v1 --group-by '^(\\d+)_'
        """)

    @Option(help: "The split to check.") var split: String
    @Option(help: "Hamming radius for the hashes (0 to 32).") var radius: Int = 8
    @Option(
      help:
        "Which dedup method's hashes to compare: \(DedupMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: phash+centre)."
    )
    var hash: String?
    @Flag(help: "Refuse (instead of hashing them) when images of the split have no hash yet.")
    var noHash = false
    @Option(help: "Also check this file-name pattern (as split --group-by): names sharing a key must share a subset.")
    var groupBy: String?
    @Flag(help: "Match --group-by against the relative path instead of the file name.")
    var groupByPath = false
    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if let hash, DedupMethod(rawValue: hash) == nil { throw ValidationError("--hash \(hash) is not a dedup method") }
      if !(0...32).contains(radius) { throw ValidationError("--radius must be between 0 and 32") }
      if groupByPath && groupBy == nil { throw ValidationError("--group-by-path needs --group-by") }
    }

    func run() async throws {
      var leaked = false
      try Output.run("check leakage", global) {
        let report = try LeakageCheck.run(
          catalog: global.openCatalog(), split: split, radius: radius,
          method: hash.flatMap(DedupMethod.init(rawValue:)),
          missing: noHash ? .refuse : .hash, groupBy: try groupBy.map { try GroupKeyPattern($0, path: groupByPath) })
        leaked = !report.pairs.isEmpty
        return report
      } text: { (report: LeakageReport) in
        var lines = [
          "split \(report.split): \(report.imagesChecked) images checked: duplicates (\(report.hashAlgorithm ?? "-") within \(report.radius) bits, confirmed) and related copies"
            + (report.hashedNow > 0 ? " (\(report.hashedNow) images hashed now)" : "")
            + ", near-duplicate groups, \(report.lineageLinks) crop → parent links"
            + (report.groupBy.map { ", names by \(Output.printable($0))" } ?? "")
        ]
        for line in report.unhashable.prefix(global.verbose ? Int.max : 10) {
          lines.append("warning: not hashed, so not compared by hash: \(Output.printable(line))")
        }
        if report.pairs.isEmpty {
          lines.append("No pair crosses subsets.")
        } else {
          lines.append("\(report.pairs.count) pairs cross subsets:")
          lines.append(
            Output.table(
              ["image", "subset", "path", "image", "subset", "path", "relation", "distance", "evidence"],
              report.pairs.map {
                [
                  "\($0.first)", $0.firstSubset, Output.printable($0.firstPath), "\($0.second)", $0.secondSubset,
                  Output.printable($0.secondPath), $0.relation ?? "-", $0.distance.map(String.init) ?? "-",
                  Output.printable($0.evidence),
                ]
              }, leftAligned: [1, 2, 4, 5, 6, 8]))
        }
        return lines.joined(separator: "\n")
      }
      if leaked { throw ExitCode.failure }
    }
  }
}
