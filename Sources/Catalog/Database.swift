import CSQLite
import Foundation

/// One SQLite connection. Not shared between threads: the catalog is written from one place.
///
/// Opened in WAL mode with foreign keys on, a busy timeout, and `BEGIN IMMEDIATE` for every write
/// transaction, so two processes writing at once wait for each other instead of failing with
/// SQLITE_BUSY.
public final class Database {
  let handle: OpaquePointer
  public let path: String
  private var statementCache: [String: Statement] = [:]

  /// Opens (or creates, with `create`) the database file at `path`. With `readOnly` the file is opened
  /// read-only and its journal mode left as it is (for a workspace on a read-only mount or without write
  /// permission); a statement that writes then fails.
  public init(
    path: String, create: Bool = false, readOnly: Bool = false, busyTimeoutMilliseconds: Int32 = 60_000
  ) throws {
    var db: OpaquePointer?
    let flags =
      readOnly
      ? SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
      : SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0)
    let rc = sqlite3_open_v2(readOnly ? Self.readOnlyURI(path) : path, &db, flags, nil)
    guard rc == SQLITE_OK, let db else {
      let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
      if let db { sqlite3_close_v2(db) }
      throw CatalogError.sqlite(code: rc, message: "\(message) (\(path))", sql: nil)
    }
    handle = db
    self.path = path
    sqlite3_extended_result_codes(db, 1)
    sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
    _ = dsk_sqlite3_enable_defensive(db)
    try execute("PRAGMA foreign_keys = ON")
    if readOnly {
      try execute("PRAGMA query_only = ON")
      return
    }
    let mode = try scalarText("PRAGMA journal_mode = WAL")
    if mode?.lowercased() != "wal" {
      throw CatalogError.sqlite(
        code: SQLITE_ERROR, message: "cannot switch \(path) to WAL journal mode (got \(mode ?? "nil"))",
        sql: nil)
    }
    try execute("PRAGMA synchronous = NORMAL")
  }

  /// A `file:` URI opening `path` read-only. Without a write-ahead log to read (none, or empty) it is opened
  /// `immutable`, which needs no `-shm` file (a read-only folder cannot hold a new one); with a log it is
  /// opened `mode=ro`, which reads the log through its existing `-shm`.
  static func readOnlyURI(_ path: String) -> String {
    var encoded = ""
    for byte in path.utf8 {
      let plain =
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        || byte == 0x2F || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
      encoded += plain ? String(UnicodeScalar(byte)) : String(format: "%%%02X", byte)
    }
    var info = stat()
    let hasLog = stat(path + "-wal", &info) == 0 && info.st_size > 0
    return "file:" + encoded + (hasLog ? "?mode=ro" : "?immutable=1")
  }

  deinit {
    statementCache.removeAll()
    sqlite3_close_v2(handle)
  }

  /// Runs one or more statements that return no rows.
  public func execute(_ sql: String) throws {
    var errorMessage: UnsafeMutablePointer<CChar>?
    let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
    if rc != SQLITE_OK {
      let message = errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
      sqlite3_free(errorMessage)
      throw CatalogError.sqlite(code: rc, message: plainly(message, rc), sql: sql)
    }
  }

  /// A prepared statement, cached by its SQL text for reuse in batches. The statement is in use until its
  /// `reset()`; while it is (an outer `rows` loop still stepping it, say), the same SQL gets a fresh,
  /// uncached statement instead, so nothing resets a statement under its user.
  public func prepare(_ sql: String) throws -> Statement {
    if let cached = statementCache[sql] {
      if !cached.inUse {
        cached.reset()
        cached.inUse = true
        return cached
      }
      let fresh = try Statement(database: self, sql: sql)
      fresh.inUse = true
      return fresh
    }
    let statement = try Statement(database: self, sql: sql)
    statement.inUse = true
    statementCache[sql] = statement
    return statement
  }

  /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`; rolls back if it throws.
  public func writeTransaction<T>(_ body: () throws -> T) throws -> T {
    try execute("BEGIN IMMEDIATE")
    do {
      let value = try body()
      try execute("COMMIT")
      return value
    } catch {
      try? execute("ROLLBACK")
      throw error
    }
  }

  /// Runs `body` inside a read transaction (a consistent snapshot).
  public func readTransaction<T>(_ body: () throws -> T) throws -> T {
    try execute("BEGIN DEFERRED")
    defer { try? execute("COMMIT") }
    return try body()
  }

  public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }
  public var changes: Int { Int(sqlite3_changes(handle)) }

  public func scalarInt(_ sql: String, _ values: [SQLValue] = []) throws -> Int64? {
    let statement = try prepare(sql)
    defer { statement.reset() }
    try statement.bind(values)
    guard try statement.step() else { return nil }
    return statement.isNull(0) ? nil : statement.int64(0)
  }

  public func scalarText(_ sql: String, _ values: [SQLValue] = []) throws -> String? {
    let statement = try prepare(sql)
    defer { statement.reset() }
    try statement.bind(values)
    guard try statement.step() else { return nil }
    return statement.text(0)
  }

  /// All rows of a query, each mapped by `row`.
  public func rows<T>(_ sql: String, _ values: [SQLValue] = [], _ row: (Statement) throws -> T)
    throws -> [T]
  {
    let statement = try prepare(sql)
    defer { statement.reset() }
    try statement.bind(values)
    var result: [T] = []
    while try statement.step() { result.append(try row(statement)) }
    return result
  }

  /// Runs a statement that returns no rows, with bound values.
  public func run(_ sql: String, _ values: [SQLValue] = []) throws {
    let statement = try prepare(sql)
    defer { statement.reset() }
    try statement.bind(values)
    while try statement.step() {}
  }

  func error(_ rc: Int32, sql: String?) -> CatalogError {
    .sqlite(code: rc, message: plainly(String(cString: sqlite3_errmsg(handle)), rc), sql: sql)
  }

  /// SQLite's message, said plainly when the disk is full: SQLITE_FULL, or an I/O error whose system
  /// error is ENOSPC (SQLite reports "disk I/O error" when a WAL or shared-memory file cannot grow).
  func plainly(_ message: String, _ rc: Int32) -> String {
    let full = rc & 0xFF == SQLITE_FULL || (rc & 0xFF == SQLITE_IOERR && sqlite3_system_errno(handle) == ENOSPC)
    guard full else { return message }
    return "disk full: no space left for \(path) (\(message)); free space on that disk and run the command again"
  }

  /// The SQLite library version, e.g. "3.40.1".
  public static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}

/// A value bound to a statement parameter.
public enum SQLValue: Sendable, Equatable {
  case null
  case int(Int64)
  case real(Double)
  case text(String)
  case blob([UInt8])

  public static func optional(_ value: String?) -> SQLValue { value.map { .text($0) } ?? .null }
  public static func optional(_ value: Int?) -> SQLValue { value.map { .int(Int64($0)) } ?? .null }
  public static func optional(_ value: Int64?) -> SQLValue { value.map { .int($0) } ?? .null }
}

/// A prepared statement. Reset before each use by `Database.prepare`.
public final class Statement {
  let handle: OpaquePointer
  unowned let database: Database
  let sql: String

  init(database: Database, sql: String) throws {
    var statement: OpaquePointer?
    let rc = sqlite3_prepare_v3(
      database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard rc == SQLITE_OK, let statement else { throw database.error(rc, sql: sql) }
    handle = statement
    self.database = database
    self.sql = sql
  }

  deinit { sqlite3_finalize(handle) }

  /// Handed out by `Database.prepare` and not reset since.
  var inUse = false

  /// Ends the current use: resets and clears bindings, so the statement holds no read lock.
  public func reset() {
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
    inUse = false
  }

  public func bind(_ values: [SQLValue]) throws {
    for (offset, value) in values.enumerated() {
      let index = Int32(offset + 1)
      let rc: Int32
      switch value {
      case .null: rc = sqlite3_bind_null(handle, index)
      case .int(let v): rc = sqlite3_bind_int64(handle, index, v)
      case .real(let v): rc = sqlite3_bind_double(handle, index, v)
      case .text(let v): rc = dsk_sqlite3_bind_text_transient(handle, index, v, -1)
      case .blob(let v):
        rc = v.withUnsafeBytes { dsk_sqlite3_bind_blob_transient(handle, index, $0.baseAddress, Int32($0.count)) }
      }
      if rc != SQLITE_OK { throw database.error(rc, sql: sql) }
    }
  }

  /// Binds one integer parameter (1-based `index`); for loops that rebind a few parameters per row
  /// without building a `[SQLValue]`.
  public func bind(_ value: Int64, at index: Int32) throws {
    let rc = sqlite3_bind_int64(handle, index, value)
    if rc != SQLITE_OK { throw database.error(rc, sql: sql) }
  }

  /// Binds UTF-8 text given as bytes (copied by SQLite), or NULL for `nil`.
  public func bind(utf8 text: UnsafeBufferPointer<UInt8>?, at index: Int32) throws {
    let rc: Int32
    if let text {
      rc = text.withMemoryRebound(to: CChar.self) {
        dsk_sqlite3_bind_text_transient(handle, index, $0.baseAddress, Int32($0.count))
      }
    } else {
      rc = sqlite3_bind_null(handle, index)
    }
    if rc != SQLITE_OK { throw database.error(rc, sql: sql) }
  }

  /// Resets the statement for the next row but keeps its bindings, so parameters that stay the same
  /// (a split id, a run id) are bound once.
  public func rewind() { sqlite3_reset(handle) }

  /// Steps once; true while a row is available.
  public func step() throws -> Bool {
    let rc = sqlite3_step(handle)
    switch rc {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default: throw database.error(rc, sql: sql)
    }
  }

  public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
  public func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
  public func int(_ column: Int32) -> Int { Int(sqlite3_column_int64(handle, column)) }
  public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
  public func text(_ column: Int32) -> String? {
    guard let pointer = sqlite3_column_text(handle, column) else { return nil }
    return String(cString: pointer)
  }
  /// The column's text as UTF-8 bytes, valid only inside `body`: reads a million keys without making a
  /// million `String`s. Empty for NULL.
  public func withText<R>(_ column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    guard let pointer = sqlite3_column_text(handle, column) else {
      return try body(UnsafeBufferPointer(start: nil, count: 0))
    }
    return try body(UnsafeBufferPointer(start: pointer, count: Int(sqlite3_column_bytes(handle, column))))
  }

  public func blob(_ column: Int32) -> [UInt8] {
    let count = Int(sqlite3_column_bytes(handle, column))
    guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
    return Array(UnsafeRawBufferPointer(start: pointer, count: count))
  }
}
