import Foundation

/// One forward schema migration: the SQL of `schemas/NNN_name.sql`.
public struct Migration: Sendable, Equatable {
  public let version: Int
  public let name: String
  public let sql: String

  public init(version: Int, name: String, sql: String) {
    self.version = version
    self.name = name
    self.sql = sql
  }

  /// The newest schema version this build understands.
  public static var latestVersion: Int { all.last?.version ?? 0 }
}

/// Applies migrations forward, each in one `BEGIN IMMEDIATE` transaction together with its
/// `PRAGMA user_version`, so a failing migration leaves the schema exactly as it was.
public enum Migrator {
  /// Brings `database` up to the newest of `migrations`. Refuses a catalog whose version is newer.
  /// Returns the versions applied.
  @discardableResult
  public static func migrate(_ database: Database, migrations: [Migration] = Migration.all) throws
    -> [Int]
  {
    let supported = migrations.last?.version ?? 0
    let found = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
    if found > supported {
      throw CatalogError.schemaTooNew(path: database.path, found: found, supported: supported)
    }
    var applied: [Int] = []
    for migration in migrations where migration.version > found {
      do {
        let didApply = try database.writeTransaction { () -> Bool in
          // Another process may have migrated while we waited for the write lock.
          let current = Int(try database.scalarInt("PRAGMA user_version") ?? 0)
          if current > supported {
            throw CatalogError.schemaTooNew(path: database.path, found: current, supported: supported)
          }
          guard current < migration.version else { return false }
          try database.execute(migration.sql)
          try database.execute("PRAGMA user_version = \(migration.version)")
          return true
        }
        if didApply { applied.append(migration.version) }
      } catch let error as CatalogError {
        if case .schemaTooNew = error { throw error }
        throw CatalogError.migrationFailed(
          version: migration.version, name: migration.name, message: error.localizedDescription)
      }
    }
    return applied
  }
}
