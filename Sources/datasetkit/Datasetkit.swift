import ArgumentParser

@main
struct Datasetkit: AsyncParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "datasetkit",
    abstract: "Build image datasets: import, crawl, find faces, review, deduplicate, split, export.",
    discussion: """
      Every command works on a workspace: a folder holding datasetkit.sqlite (the catalog) and objects/
      (the content-addressed image store). It is found like git finds a repository: the current folder
      or the nearest one above it, or --workspace DIR.

      Exit codes: 0 success, 1 failure, 64 usage error. --json prints a stable result on stdout.
      """,
    version: version,
    subcommands: [
      Init.self, Import.self, Crawl.self, Stats.self, VOC.self, Dedup.self, Split.self, Check.self, Export.self,
      Doctor.self, Faces.self, Review.self, Merge.self, Report.self,
    ]
  )
}
