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
    try FileManager.default.createDirectory(
      atPath: workspace.root, withIntermediateDirectories: true)
    try FileIO.makeDirectory(workspace.exportsPath)
    return try Catalog(workspace: workspace, create: true)
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

  /// Opens the catalog, bringing its schema up to date (`Migration.all`).
  public convenience init(workspace: Workspace) throws {
    try self.init(workspace: workspace, create: false)
  }

  init(workspace: Workspace, create: Bool, migrations: [Migration] = Migration.all) throws {
    self.workspace = workspace
    if !create && !FileIO.exists(workspace.catalogPath) {
      throw CatalogError.workspaceNotFound(searchedFrom: workspace.root)
    }
    database = try Database(path: workspace.catalogPath, create: create)
    try Migrator.migrate(database, migrations: migrations)
    store = ObjectStore(root: workspace.objectsPath)
    try store.createLayout()
    store.removeStaleTemporaries()
    removedLeftovers = Leftovers.clean(in: workspace.root + "/tmp") + Leftovers.clean(in: workspace.exportsPath)
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

  /// What opening the catalog removed (or restored) that killed processes had left: zip staging under
  /// `tmp/`, export staging under `exports/` (see `Leftovers`).
  public let removedLeftovers: [String]

  /// `PRAGMA integrity_check`: "ok" or the problems SQLite lists.
  public func integrityCheck() throws -> [String] {
    try database.rows("PRAGMA integrity_check") { $0.text(0) ?? "" }
  }

  public var schemaVersion: Int { Int((try? database.scalarInt("PRAGMA user_version")) ?? 0) ?? 0 }
}

/// Timestamps in the catalog: ISO 8601 UTC with milliseconds.
public enum Timestamp {
  public static func now() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.string(from: Date())
  }
}
