import Foundation

/// Everything that can go wrong in the catalog and the object store. Messages name the file, what is
/// wrong and what to do.
public enum CatalogError: LocalizedError, Equatable {
  /// SQLite returned an error; `message` is `sqlite3_errmsg`.
  case sqlite(code: Int32, message: String, sql: String?)
  /// No workspace in the folder or any folder above it.
  case workspaceNotFound(searchedFrom: String)
  /// `init` on a folder that already holds a catalog.
  case workspaceExists(path: String)
  /// The catalog was written by a newer datasetkit.
  case schemaTooNew(path: String, found: Int, supported: Int)
  /// A migration failed; the catalog is left at `fromVersion`.
  case migrationFailed(version: Int, name: String, message: String)
  /// A file system operation on the workspace failed.
  case io(path: String, operation: String, errno: Int32)
  /// An object's bytes no longer hash to its name.
  case objectCorrupt(sha256: String, path: String)
  /// A caller asked for something that does not exist.
  case notFound(String)

  public var errorDescription: String? {
    switch self {
    case .sqlite(let code, let message, let sql):
      let statement = sql.map { " in `\($0.prefix(120))`" } ?? ""
      return "catalog error \(code): \(message)\(statement)"
    case .workspaceNotFound(let folder):
      return
        "no datasetkit workspace in \(folder) or any folder above it; run `datasetkit init` there or pass --workspace DIR"
    case .workspaceExists(let path):
      return "\(path) already holds a datasetkit catalog; use it as it is or choose another folder"
    case .schemaTooNew(let path, let found, let supported):
      return
        "\(path) has catalog schema version \(found), newer than this datasetkit understands (\(supported)); upgrade datasetkit to open it (nothing was changed)"
    case .migrationFailed(let version, let name, let message):
      return
        "catalog migration \(version) (\(name)) failed: \(message); the catalog was left as it was before the migration"
    case .io(let path, let operation, let code):
      return "\(operation) \(path): \(String(cString: strerror(code)))"
    case .objectCorrupt(let sha, let path):
      return "object \(path) no longer hashes to \(sha); restore it from its source and re-import"
    case .notFound(let what):
      return what
    }
  }
}
