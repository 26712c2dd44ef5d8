import ArgumentParser
import Catalog
import Dedup
import Foundation
import Splitter

extension Datasetkit {
  struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Check a dataset for problems.", subcommands: [Leakage.self])
  }
}

extension Datasetkit.Check {
  struct Leakage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List near-duplicate pairs that cross the subsets of a split; exit 1 when any exist.",
      discussion: """
        Pairs count when they share a duplicate cluster (datasetkit dedup) or when their stored perceptual
        hashes are within --radius bits.
        """)

    @Option(help: "The split to check.") var split: String
    @Option(help: "Hamming radius for stored hashes.") var radius: Int = 8
    @Option(help: "Which dedup method's stored hashes to compare: \(DedupMethod.allCases.map(\.rawValue).joined(separator: ", ")) (default: phash+centre, else the first one stored).")
    var hash: String?
    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if let hash, DedupMethod(rawValue: hash) == nil { throw ValidationError("--hash \(hash) is not a dedup method") }
      if !(0...32).contains(radius) { throw ValidationError("--radius must be between 0 and 32") }
    }

    func run() async throws {
      var leaked = false
      try Output.run("check leakage", global) {
        let report = try LeakageCheck.run(
          catalog: global.openCatalog(), split: split, radius: radius, method: hash.flatMap(DedupMethod.init(rawValue:)))
        leaked = !report.pairs.isEmpty
        return report
      } text: { (report: LeakageReport) in
        var lines = [
          "split \(report.split): \(report.imagesChecked) images checked, "
            + (report.hashAlgorithm.map { "hash \($0) within \(report.radius) bits" } ?? "no hashes in the catalog (run datasetkit dedup); clusters only")
        ]
        if report.pairs.isEmpty {
          lines.append("No near-duplicate pair crosses subsets.")
        } else {
          lines.append("\(report.pairs.count) near-duplicate pairs cross subsets:")
          lines.append(
            Output.table(
              ["image", "subset", "image", "subset", "distance", "evidence"],
              report.pairs.map {
                ["\($0.first)", $0.firstSubset, "\($0.second)", $0.secondSubset, $0.distance.map(String.init) ?? "-", $0.evidence]
              }))
        }
        return lines.joined(separator: "\n")
      }
      if leaked { throw ExitCode.failure }
    }
  }
}
