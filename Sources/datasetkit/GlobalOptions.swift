import ArgumentParser
import Catalog
import Foundation

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
  @Option(name: .long, help: "The workspace folder (default: the current folder or the nearest above it).")
  var workspace: String?

  @Flag(name: .long, help: "Print a machine-readable JSON result on stdout.")
  var json = false

  @Flag(name: [.short, .long], help: "Print nothing on stderr but errors.")
  var quiet = false

  @Flag(name: [.short, .long], help: "Print more detail: every file that was skipped or flagged.")
  var verbose = false

  @Flag(
    name: .long,
    help: "Show progress on stderr even when it is not a terminal (plain lines); by default only on a terminal.")
  var progress = false

  func validate() throws {
    if quiet && progress { throw ValidationError("--quiet and --progress cannot be used together") }
    if quiet && verbose { throw ValidationError("--quiet and --verbose cannot be used together") }
  }

  /// The workspace named by --workspace, or found from the current folder upward.
  func findWorkspace() throws -> Workspace {
    if let workspace {
      let found = Workspace(root: workspace)
      guard FileIO.exists(found.catalogPath) else {
        throw CatalogError.workspaceNotFound(searchedFrom: found.root)
      }
      return found
    }
    return try Workspace.find(from: FileManager.default.currentDirectoryPath)
  }

  /// The workspace's catalog. `readOnly` for commands that only read: they also work on a workspace that
  /// cannot be written (a read-only mount), which other commands refuse with a message saying so.
  func openCatalog(readOnly: Bool = false) throws -> Catalog {
    try Catalog(workspace: findWorkspace(), readOnly: readOnly)
  }
}
