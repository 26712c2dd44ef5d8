import ArgumentParser
import Catalog
import Foundation

extension Datasetkit {
  struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "init",
      abstract: "Make a new workspace: datasetkit.sqlite, objects/ and exports/.",
      discussion: """
        Example:
          datasetkit init ~/datasets/masks
        """)

    @Argument(help: "The folder to make the workspace in (created if missing).")
    var directory: String = "."

    @OptionGroup var global: GlobalOptions

    struct Result: Encodable {
      var workspace: String
      var catalog: String
      var schemaVersion: Int
    }

    func run() async throws {
      try Output.run("init", global) {
        let catalog = try Workspace.create(at: directory)
        return Result(
          workspace: catalog.workspace.root, catalog: catalog.workspace.catalogPath,
          schemaVersion: try catalog.schemaVersion)
      } text: { result in
        "Initialized an empty datasetkit workspace in \(result.workspace) (catalog schema \(result.schemaVersion))"
      }
    }
  }
}
