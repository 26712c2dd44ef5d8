import CSQLite
import Foundation
import TestSupport
import Testing

@testable import Catalog

@Suite("Workspace and migrations")
struct WorkspaceTests {
  @Test("init makes the catalog (WAL, foreign keys, every table) and refuses to run twice")
  func initWorkspace() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    let catalog = try Workspace.create(at: root)
    #expect(FileManager.default.fileExists(atPath: root + "/datasetkit.sqlite"))
    #expect(FileManager.default.fileExists(atPath: root + "/objects/tmp"))
    #expect(FileManager.default.fileExists(atPath: root + "/exports"))
    #expect(try catalog.database.scalarText("PRAGMA journal_mode") == "wal")
    #expect(try catalog.database.scalarInt("PRAGMA foreign_keys") == 1)
    #expect(try catalog.schemaVersion == Migration.latestVersion)
    let tables = try catalog.database.rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") {
      $0.text(0) ?? ""
    }
    for table in [
      "boxes", "classes", "crawl_items", "crawl_jobs", "crops", "dup_clusters", "hashes", "image_labels",
      "image_origins", "images", "reviews", "sources", "split_assignments", "splits",
    ] {
      #expect(tables.contains(table), "missing table \(table)")
    }
    #expect(throws: CatalogError.workspaceExists(path: root + "/datasetkit.sqlite")) {
      try Workspace.create(at: root)
    }
  }

  @Test("a workspace is found from a folder below it, like git")
  func findUpward() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    _ = try Workspace.create(at: root)
    try FileManager.default.createDirectory(atPath: root + "/a/b/c", withIntermediateDirectories: true)
    #expect(try Workspace.find(from: root + "/a/b/c").root == root)
    let elsewhere = try TestSupport.temporaryFolder()
    #expect(throws: CatalogError.self) { try Workspace.find(from: elsewhere) }
  }

  @Test("the embedded migrations are exactly schemas/*.sql (scripts/embed-schemas was run)")
  func embeddedMatchesFiles() throws {
    let folder = TestSupport.repositoryRoot + "/schemas"
    let files = try FileManager.default.contentsOfDirectory(atPath: folder)
      .filter { $0.range(of: #"^\d{3}_.*\.sql$"#, options: .regularExpression) != nil }.sorted()
    #expect(files.count == Migration.all.count)
    for (file, migration) in zip(files, Migration.all) {
      let text = try String(contentsOfFile: folder + "/" + file, encoding: .utf8)
      #expect(Int(file.prefix(3)) == migration.version)
      #expect(migration.sql + "\n" == text, "\(file) differs from EmbeddedSchemas.swift; run scripts/embed-schemas")
    }
  }

  @Test("a failing migration leaves the schema and user_version exactly as they were")
  func failingMigrationRollsBack() throws {
    let path = try TestSupport.temporaryFolder() + "/m.sqlite"
    let database = try Database(path: path, create: true)
    let good = Migration(version: 1, name: "one", sql: "CREATE TABLE a (x INTEGER);")
    try Migrator.migrate(database, migrations: [good])
    let schemaBefore = try database.rows("SELECT sql FROM sqlite_master ORDER BY name") { $0.text(0) ?? "" }
    let bad = Migration(
      version: 2, name: "half",
      sql: "CREATE TABLE b (y INTEGER); ALTER TABLE a ADD COLUMN z INTEGER; INSERT INTO nowhere VALUES (1);")
    #expect(throws: CatalogError.self) { try Migrator.migrate(database, migrations: [good, bad]) }
    let schemaAfter = try database.rows("SELECT sql FROM sqlite_master ORDER BY name") { $0.text(0) ?? "" }
    #expect(schemaAfter == schemaBefore)
    #expect(try database.scalarInt("PRAGMA user_version") == 1)
    // And a later, fixed migration still applies.
    let fixed = Migration(version: 2, name: "fixed", sql: "CREATE TABLE b (y INTEGER);")
    #expect(try Migrator.migrate(database, migrations: [good, fixed]) == [2])
  }

  @Test("a catalog from a newer datasetkit refuses to open and is not changed")
  func newerCatalogRefused() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    let catalog = try Workspace.create(at: root)
    try catalog.database.execute("PRAGMA user_version = 99")
    let bytesBefore = try Data(contentsOf: URL(fileURLWithPath: root + "/datasetkit.sqlite"))
    #expect(
      throws: CatalogError.schemaTooNew(
        path: root + "/datasetkit.sqlite", found: 99, supported: Migration.latestVersion)
    ) {
      _ = try Catalog(workspace: Workspace(root: root))
    }
    let message = CatalogError.schemaTooNew(path: "x", found: 99, supported: 1).localizedDescription
    #expect(message.contains("newer") && message.contains("upgrade"))
    #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/datasetkit.sqlite")) == bytesBefore)
  }

  @Test("two connections writing at once both succeed (BEGIN IMMEDIATE + busy timeout)")
  func concurrentWriters() async throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    _ = try Workspace.create(at: root)
    let path = root + "/datasetkit.sqlite"
    try await withThrowingTaskGroup(of: Void.self) { group in
      for writer in 0..<2 {
        group.addTask {
          let database = try Database(path: path)
          for index in 0..<200 {
            try database.writeTransaction {
              try database.run(
                "INSERT INTO classes (name) VALUES (?)", [.text("w\(writer)-\(index)")])
            }
          }
        }
      }
      try await group.waitForAll()
    }
    let database = try Database(path: path)
    #expect(try database.scalarInt("SELECT COUNT(*) FROM classes") == 400)
  }
}

@Suite("Object store")
struct ObjectStoreTests {
  @Test("objects are addressed by SHA-256, published atomically, verified on read")
  func stageAndPublish() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    let catalog = try Workspace.create(at: root)
    let bytes: [UInt8] = Array("hello objects".utf8)
    let sha = SHA256.hex(of: bytes)
    #expect(SHA256.hex(of: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    let staged = try bytes.withUnsafeBytes { try catalog.store.stage($0, sha256: sha) }
    #expect(!catalog.store.contains(sha))
    try catalog.store.publish([staged])
    #expect(catalog.store.contains(sha))
    #expect(catalog.store.path(of: sha) == root + "/objects/\(sha.prefix(2))/\(sha.dropFirst(2))")
    #expect(try catalog.store.read(sha) == bytes)
    #expect(!FileManager.default.fileExists(atPath: staged.temporaryPath))
    // Publishing the same bytes again keeps the existing object and drops the copy.
    let again = try bytes.withUnsafeBytes { try catalog.store.stage($0, sha256: sha) }
    try catalog.store.publish([again])
    #expect(!FileManager.default.fileExists(atPath: again.temporaryPath))
    // A damaged object is detected.
    let path = catalog.store.path(of: sha)
    chmod(path, 0o644)
    try Data("tampered".utf8).write(to: URL(fileURLWithPath: path))
    #expect(throws: CatalogError.objectCorrupt(sha256: sha, path: path)) { try catalog.store.read(sha) }
  }

  @Test("temporary files of dead processes are removed on open; live ones are kept")
  func staleTemporaries() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    _ = try Workspace.create(at: root)
    let dead = root + "/objects/tmp/999999999-1"
    let live = root + "/objects/tmp/\(getpid())-2"
    try Data([1]).write(to: URL(fileURLWithPath: dead))
    try Data([2]).write(to: URL(fileURLWithPath: live))
    _ = try Catalog(workspace: Workspace(root: root))
    #expect(!FileManager.default.fileExists(atPath: dead))
    #expect(FileManager.default.fileExists(atPath: live))
  }
}

@Suite("Migration 005: split runs")
struct SplitRunsMigrationTests {
  @Test("a version-1 catalog with a split keeps every assignment when migrated forward")
  func migratesAssignments() throws {
    let root = try TestSupport.temporaryFolder() + "/ws"
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    let old = try Catalog(workspace: Workspace(root: root), create: true, migrations: Array(Migration.all.prefix(1)))
    let db = old.database
    try db.writeTransaction {
      try db.run(
        "INSERT INTO images (id, sha256, size, width, height, format, extension, created_at) VALUES (1, 'a', 1, 1, 1, 'jpeg', 'jpg', 'now'), (2, 'b', 1, 1, 1, 'jpeg', 'jpg', 'now')"
      )
      try db.run("INSERT INTO splits (id, name, params, seed, created_at) VALUES (1, 'v1', '{}', 0, 't0')")
      try db.run(
        "INSERT INTO split_assignments (split_id, image_id, subset, group_key, assigned_at) VALUES (1, 1, 'train', NULL, 't0'), (1, 2, 'test', 'g', 't0')"
      )
    }
    let migrated = try Catalog(workspace: Workspace(root: root))
    #expect(try migrated.schemaVersion == Migration.latestVersion)
    let rows = try migrated.database.rows(
      "SELECT image_id, subset, group_key, run_id FROM split_assignments ORDER BY image_id"
    ) {
      "\($0.int(0)) \($0.text(1) ?? "") \($0.text(2) ?? "-") \($0.int(3))"
    }
    #expect(rows == ["1 train - 1", "2 test g 1"])
    #expect(try migrated.database.scalarInt("SELECT assigned FROM split_runs WHERE id = 1") == 2)
  }
}
