import Foundation

/// A workspace folder: `datasetkit.sqlite` (the catalog), `objects/` (the store), `exports/`.
public struct Workspace: Sendable, Equatable {
  public static let catalogFileName = "datasetkit.sqlite"

  public let root: String
  public var catalogPath: String { root + "/" + Self.catalogFileName }
  public var objectsPath: String { root + "/objects" }
  public var exportsPath: String { root + "/exports" }

  public init(root: String) {
    self.root = Workspace.absolute(root)
  }

  /// The workspace in `start` or the nearest folder above it that holds a catalog (like git).
  public static func find(from start: String) throws -> Workspace {
    var folder = URL(fileURLWithPath: absolute(start)).standardizedFileURL
    while true {
      if FileIO.exists(folder.path + "/" + catalogFileName) { return Workspace(root: folder.path) }
      let parent = folder.deletingLastPathComponent()
      if parent.path == folder.path { break }
      folder = parent
    }
    throw CatalogError.workspaceNotFound(searchedFrom: absolute(start))
  }

  /// Makes a new workspace in `root` (created if missing) and returns its opened catalog.
  public static func create(at root: String) throws -> Catalog {
    let workspace = Workspace(root: root)
    if FileIO.exists(workspace.catalogPath) {
      throw CatalogError.workspaceExists(path: workspace.catalogPath)
    }
    do {
      try FileIO.makeDirectories(workspace.root)
      try FileIO.makeDirectory(workspace.exportsPath)
      return try Catalog(workspace: workspace, create: true)
    } catch CatalogError.io(let path, let operation, let code) {
      throw CatalogError.cannotCreateWorkspace(
        path: workspace.root, reason: "\(operation) \(path): \(String(cString: strerror(code)))")
    } catch CatalogError.sqlite(_, let message, _) {
      throw CatalogError.cannotCreateWorkspace(path: workspace.root, reason: message)
    }
  }

  /// True when the catalog file is empty (and no write-ahead log holds its pages): a file truncated or
  /// replaced, never a catalog `init` made.
  var catalogIsEmpty: Bool {
    var info = stat()
    var log = stat()
    return stat(catalogPath, &info) == 0 && info.st_size == 0
      && !(stat(catalogPath + "-wal", &log) == 0 && log.st_size > 0)
  }

  /// True when the workspace cannot be written: its file system is mounted read-only, or this user may not
  /// write its folder or catalog. (Root passes permission checks, so for root only a read-only mount counts.)
  public var isReadOnly: Bool {
    var info = statvfs()
    if statvfs(root, &info) == 0 && info.f_flag & UInt(ST_RDONLY) != 0 { return true }
    return access(root, W_OK) != 0 || access(catalogPath, W_OK) != 0
  }

  /// Refuses to import `path` when it is the workspace, inside it, or holds it: the walk would read the
  /// object store (each image gaining a label named after its hash prefix) or the workspace's own exports.
  public func checkImportPath(_ path: String) throws {
    guard let real = realpath(Workspace.absolute(path), nil) else { return }  // the import says it is missing
    let target = String(cString: real)
    free(real)
    let home =
      realpath(root, nil).map { pointer -> String in
        defer { free(pointer) }
        return String(cString: pointer)
      } ?? root
    if target == home || target.hasPrefix(home + "/") {
      throw CatalogError.importInsideWorkspace(path: path, workspace: home, holdsWorkspace: false)
    }
    if home.hasPrefix(target == "/" ? "/" : target + "/") {
      throw CatalogError.importInsideWorkspace(path: path, workspace: home, holdsWorkspace: true)
    }
  }

  /// How many objects `objects/` holds (files in its two-letter folders).
  func objectCount() -> Int {
    let fm = FileManager.default
    guard let folders = try? fm.contentsOfDirectory(atPath: objectsPath) else { return 0 }
    return folders.filter { $0.count == 2 }.reduce(0) {
      $0 + ((try? fm.contentsOfDirectory(atPath: objectsPath + "/" + $1).count) ?? 0)
    }
  }

  static func absolute(_ path: String) -> String {
    if path.hasPrefix("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
    let cwd = FileManager.default.currentDirectoryPath
    return URL(fileURLWithPath: cwd + "/" + path).standardizedFileURL.path
  }
}

/// An open workspace: the catalog database and the object store.
public final class Catalog {
  public let workspace: Workspace
  public let database: Database
  public let store: ObjectStore

  /// Opens the catalog, bringing its schema up to date (`Migration.all`). With `readOnly` (a command that
  /// only reads) a workspace that cannot be written (a read-only mount, no write permission) is opened
  /// read-only, without migrating or cleaning up; without it such a workspace is refused with
  /// `CatalogError.readOnlyWorkspace`.
  public convenience init(workspace: Workspace, readOnly: Bool = false) throws {
    try self.init(workspace: workspace, create: false, readOnly: readOnly)
  }

  init(
    workspace: Workspace, create: Bool, readOnly: Bool = false, migrations: [Migration] = Migration.all
  ) throws {
    self.workspace = workspace
    if !create {
      if !FileIO.exists(workspace.catalogPath) {
        throw CatalogError.workspaceNotFound(searchedFrom: workspace.root)
      }
      if workspace.catalogIsEmpty {
        throw CatalogError.catalogDamaged(
          path: workspace.catalogPath, problem: "is empty (0 bytes)", objects: workspace.objectCount())
      }
    }
    store = ObjectStore(root: workspace.objectsPath)
    if !create && workspace.isReadOnly {
      guard readOnly else { throw CatalogError.readOnlyWorkspace(path: workspace.root) }
      let database = try Self.opening(workspace) { try Database(path: workspace.catalogPath, readOnly: true) }
      self.database = database
      let found = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
      let supported = migrations.last?.version ?? 0
      if found > supported {
        throw CatalogError.schemaTooNew(path: workspace.catalogPath, found: found, supported: supported)
      }
      if found < supported {
        throw CatalogError.readOnlyWorkspace(path: workspace.root, needsMigration: found)
      }
      removedLeftovers = []
      return
    }
    let database = try Self.opening(workspace) { try Database(path: workspace.catalogPath, create: create) }
    self.database = database
    try Self.opening(workspace) { try Migrator.migrate(database, migrations: migrations) }
    try store.createLayout()
    removedLeftovers =
      store.removeStaleTemporaries() + Leftovers.clean(in: workspace.root + "/tmp")
      + Leftovers.clean(in: workspace.exportsPath)
  }

  /// Runs `body`, which opens or first reads the catalog; SQLite's "file is not a database" (or a damaged
  /// header) becomes `CatalogError.catalogDamaged`, which says the way out.
  @discardableResult
  static func opening<T>(_ workspace: Workspace, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as CatalogError {
      var code: Int32?
      switch error {
      case .sqlite(let rc, _, _): code = rc
      case .migrationFailed(_, _, let message) where message.contains("file is not a database"): code = 26
      default: break
      }
      if let code, code & 0xFF == 26 || code & 0xFF == 11 {
        throw CatalogError.catalogDamaged(
          path: workspace.catalogPath, problem: "is not a readable SQLite database (\(error.localizedDescription))",
          objects: workspace.objectCount())
      }
      throw error
    }
  }

  /// Another connection to the catalog of `workspace`, for a thread of its own (a connection is never shared
  /// between threads). It neither migrates nor cleans up: the caller's first connection has done both.
  public static func connection(to workspace: Workspace) throws -> Catalog {
    try Catalog(connectingTo: workspace)
  }

  private init(connectingTo workspace: Workspace) throws {
    self.workspace = workspace
    database = try Database(path: workspace.catalogPath)
    store = ObjectStore(root: workspace.objectsPath)
    removedLeftovers = []
  }

  /// What opening the catalog removed (or restored) that killed processes had left: objects staged under
  /// `objects/tmp/`, zip staging under `tmp/`, export staging under `exports/` (see `Leftovers`).
  public let removedLeftovers: [String]

  /// `PRAGMA integrity_check`: "ok" or the problems SQLite lists.
  public func integrityCheck() throws -> [String] {
    try database.rows("PRAGMA integrity_check") { $0.text(0) ?? "" }
  }

  /// The catalog's schema version (`PRAGMA user_version`); a read error is thrown, not taken for version 0.
  public var schemaVersion: Int {
    get throws { Int(try database.scalarInt("PRAGMA user_version") ?? 0) }
  }
}

/// Timestamps in the catalog: ISO 8601 UTC with milliseconds.
public enum Timestamp {
  public static func now() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date())
  }
}
