import ArgumentParser
import Catalog
import Foundation
import Imaging
import Report

extension Datasetkit {
  struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "report",
      abstract:
        "Write a dataset card: one self-contained HTML page of a split (composition, confounds, samples, quality, provenance).",
      discussion: """
        The page makes no network request (pictures are embedded). --json prints the same figures; in CI, \
        --fail-on-warning exits 1 when a confound warning is raised (or: --json | jq -e '.result.warnings == []').

        Examples:
          datasetkit report --split v1 --out card.html
          datasetkit report --all --json --fail-on-warning
        """)

    @Option(help: "The split to describe (default: the newest split; all active images when there is none).")
    var split: String?

    @Flag(help: "Describe every active image, not a split.")
    var all = false

    @Option(help: "The label view to count (default: the split's view, else the labels as found).")
    var view: String?

    @Option(help: "Where to write the HTML card.")
    var out: String?

    @Option(help: "Seed of the sample thumbnails.")
    var seed: UInt64 = 1

    @Option(help: "Sample thumbnails per subset and class (0–64).")
    var samples = 8

    @Flag(help: "Exit 1 when the card raises a confound warning.")
    var failOnWarning = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if out == nil && !global.json { throw ValidationError("give --out card.html, --json, or both") }
      if all && split != nil { throw ValidationError("--all and --split cannot be used together") }
      if !(0...64).contains(samples) { throw ValidationError("--samples takes 0 to 64") }
    }

    struct Result: Encodable {
      var card: DatasetCard
      var out: String?
      var bytes: Int?
      /// Pictures of the page decoded although their decoder warned (with --out).
      var decodeWarnings: [DecoderWarnings] = []

      func encode(to encoder: Encoder) throws {
        try card.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(out, forKey: .out)
        try container.encodeIfPresent(bytes, forKey: .bytes)
        if !decodeWarnings.isEmpty { try container.encode(decodeWarnings, forKey: .decodeWarnings) }
      }
      enum Keys: String, CodingKey { case out, bytes, decodeWarnings }
    }

    func run() async throws {
      var warned = false
      try Output.run("report", global) {
        let catalog = try global.openCatalog(readOnly: true)
        if let out { try OutputFile.check(out, workspace: catalog.workspace) }
        var options = CardOptions(
          split: all ? nil : try split ?? DatasetCard.newestSplit(catalog: catalog), view: view,
          toolVersion: Datasetkit.version)
        options.seed = seed
        options.samplesPerStrip = samples
        let card = try DatasetCard.build(catalog: catalog, options: options)
        warned = !card.warnings.isEmpty
        var result = Result(card: card)
        if let out {
          let thumbnails = try CardThumbnails.make(for: card, catalog: catalog)
          try CardPage.write(card, thumbnails: thumbnails, to: out, workspace: catalog.workspace)
          result.decodeWarnings = thumbnails.decodeWarnings
          result.out = out
          result.bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? nil
        }
        return result
      } text: { result in
        let card = result.card
        var lines: [String] = []
        if let out = result.out {
          lines.append("Wrote \(out) (\((result.bytes ?? 0) / 1024) KB)")
        }
        lines.append(
          "\(card.split.map { "split \($0.name)" } ?? "all active images"): \(card.images) images, "
            + "\(card.classes.filter { !$0.isEmpty }.count) classes, subsets \(card.subsets.joined(separator: ", "))")
        lines.append("fingerprint \(card.fingerprint)")
        if card.warnings.isEmpty {
          lines.append("No confound warning.")
        } else {
          lines.append("\(card.warnings.count) confound warning\(card.warnings.count == 1 ? "" : "s"):")
          lines += card.warnings.map { "  " + Output.printable($0.message) }
        }
        lines += result.decodeWarnings.listed(verbose: global.verbose)
        return lines.joined(separator: "\n")
      }
      if warned && failOnWarning { throw ExitCode.failure }
    }
  }
}
