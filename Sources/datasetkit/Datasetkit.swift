import ArgumentParser
import Foundation

@main
struct Datasetkit: AsyncParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "datasetkit",
    abstract: "Build image datasets: import, crawl, find faces, review, deduplicate, split, export.",
    discussion: """
      Every command works on a workspace: a folder holding datasetkit.sqlite (the catalog) and objects/ (the \
      content-addressed image store). It is found like git finds a repository: the current folder or the nearest \
      one above it, or --workspace DIR.

      Exit codes: 0 success, 1 failure, 64 usage error. --json prints a stable result on stdout.

      Examples:
        datasetkit init masks && cd masks
        datasetkit import ~/kaggle/face-mask --name kaggle --license CC0-1.0
        datasetkit dedup && datasetkit split --name v1 && datasetkit export --split v1
      """,
    version: version,
    subcommands: [
      Init.self, Import.self, Crawl.self, Stats.self, VOC.self, Dedup.self, Split.self, Check.self, Export.self,
      Doctor.self, Faces.self, Review.self, Merge.self, Report.self,
    ]
  )

  /// ArgumentParser's own entry point, except that a usage error caused by a mistyped subcommand or option says so
  /// and names the nearest one (`UsageTypo`).
  static func main() async {
    let arguments = Array(CommandLine.arguments.dropFirst())
    var command: any ParsableCommand
    do {
      command = try await asyncParseAsRoot(arguments)
    } catch {
      if exitCode(for: error) == .validationFailure, let typo = UsageTypo.find(in: arguments, root: self) {
        FileHandle.standardError.write(Data((typo.message(root: self) + "\n").utf8))
        exit(withError: ExitCode.validationFailure)
      }
      exit(withError: error)
    }
    do {
      if var asyncCommand = command as? any AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch {
      exit(withError: error)
    }
  }
}
