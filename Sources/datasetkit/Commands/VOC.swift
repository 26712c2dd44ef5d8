import Annotations
import ArgumentParser
import Foundation

extension Datasetkit {
  struct VOC: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "voc",
      abstract: "Pascal VOC annotation tools.",
      discussion: """
        Example:
          datasetkit voc lint annotations/ --classes with_mask,without_mask
        """,
      subcommands: [Lint.self])
  }
}

extension Datasetkit.VOC {
  struct Lint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "lint",
      abstract: "Report everything the VOC reader tolerates or refuses, per file and line.",
      discussion: """
        Errors (the file's boxes would not be imported): malformed or hostile XML, impossible boxes (inverted, \
        negative, NaN, far outside the image), a zero-size image with boxes. Warnings: boxes clamped at the edge, \
        stray text, <size> disagreeing with the real image, a missing image, duplicate boxes, classes not in \
        --classes. Notes: not LabelImg's exact output (and why), unknown elements kept. Exit status 1 when any file \
        has an error.

        Example:
          datasetkit voc lint annotations/ --classes with_mask,without_mask
        """)

    @Argument(help: "XML files or folders holding them.")
    var paths: [String]

    @Option(help: "The expected class names, comma-separated; others are reported.")
    var classes: String?

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      var failed = false
      try Output.run("voc lint", global) {
        let expected = classes.map { Set($0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }) }
        let report = try VOCLint.lint(paths: paths, classes: expected)
        failed = report.errors > 0
        return report
      } text: { report in
        var lines: [String] = []
        for file in report.files {
          for finding in file.findings where finding.severity != .note || global.verbose {
            let location = file.path + (finding.line.map { ":\($0)" } ?? "")
            lines.append(
              "\(Output.printable(location)): \(finding.severity.rawValue): \(finding.message) [\(finding.code)]")
          }
        }
        if !report.twins.isEmpty {
          lines.append(
            "Images annotated by several files (the same image bytes): \(report.twins.count); on import the file named like the image counts, the others are kept as alternates, never stacked:"
          )
          lines += TwinLines.lines(report.twins, limit: global.verbose ? Int.max : 20)
        }
        let labelImg = report.files.filter { $0.dialect == "labelimg" }.count
        lines.append(
          "\(report.files.count) files: \(report.errors) errors, \(report.warnings) warnings, \(report.notes) notes; \(labelImg) exactly LabelImg's format"
            + (global.verbose || report.notes == 0 ? "" : " (--verbose shows the notes)"))
        return lines.joined(separator: "\n")
      }
      if failed { throw ExitCode.failure }
    }
  }
}
