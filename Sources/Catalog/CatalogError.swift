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
  /// The catalog file is empty or not a SQLite database; `objects` is how many objects sit beside it.
  case catalogDamaged(path: String, problem: String, objects: Int)
  /// The workspace cannot be written (read-only mount, no permission); `needsMigration` is the catalog's
  /// schema version when only an upgrade stood in the way of a read-only command.
  case readOnlyWorkspace(path: String, needsMigration: Int? = nil)
  /// `init` could not make the workspace; `reason` names the file and the system's word for it.
  case cannotCreateWorkspace(path: String, reason: String)
  /// `import` of the workspace, a folder inside it, or a folder holding it.
  case importInsideWorkspace(path: String, workspace: String, holdsWorkspace: Bool)
  /// A label longer than `Catalog.maxLabelBytes`.
  case labelTooLong(label: String, bytes: Int)
  /// An output path (`--out`, `--report`, `--html`) that writing would clobber.
  case outputRefused(path: String, reason: String)

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
      return
        "object \(path) no longer hashes to \(sha); remove it and re-import a source holding the right bytes (the import puts them back)"
    case .notFound(let what):
      return what
    case .catalogDamaged(let path, let problem, let objects):
      let beside =
        objects > 0
        ? "; \(objects) object\(objects == 1 ? "" : "s") under objects/ are kept" : "; objects/ holds no object"
      return
        "the catalog \(path) \(problem)\(beside). Nothing was changed and no command will use it as a new empty catalog. "
        + "Restore datasetkit.sqlite from a backup; or move it aside (mv datasetkit.sqlite datasetkit.sqlite.damaged), "
        + "run `datasetkit init` in the workspace and import the sources again (objects already stored are reused)"
    case .readOnlyWorkspace(let path, let version):
      if let version {
        return
          "the workspace \(path) is read-only and its catalog (schema \(version)) needs an upgrade this datasetkit would write; open it once where it is writable"
      }
      return
        "the workspace \(path) is read-only (a read-only mount or no write permission) and this command writes to it; "
        + "read-only commands (stats, report --json, split show, doctor) work, or copy the workspace somewhere writable"
    case .cannotCreateWorkspace(let path, let reason):
      return "cannot make a workspace in \(path): \(reason); choose a writable folder"
    case .importInsideWorkspace(let path, let workspace, let holds):
      return holds
        ? "\(path) holds the workspace \(workspace): importing it would import the workspace's own objects and exports; import the folders beside the workspace one by one, or move the workspace out (nothing was imported)"
        : "\(path) is inside the workspace \(workspace): its objects and exports are already in the catalog; import folders from outside the workspace (nothing was imported)"
    case .labelTooLong(let label, let bytes):
      let shown = String(String.UnicodeScalarView(label.unicodeScalars.prefix(40)))
      return
        "the label \"\(shown)…\" is \(bytes) bytes; labels are at most \(Catalog.maxLabelBytes) bytes of UTF-8 (a label names a folder in exports); use a shorter label"
    case .outputRefused(let path, let reason):
      return "will not write \(path): \(reason); choose another path (nothing was written)"
    }
  }
}
