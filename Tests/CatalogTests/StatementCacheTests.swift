import Foundation
import TestSupport
import Testing

@testable import Catalog

@Suite("Statement cache")
struct StatementCacheTests {
  func database() throws -> Database {
    let root = try TestSupport.temporaryFolder() + "/ws"
    let catalog = try Workspace.create(at: root)
    for name in ["a", "b", "c"] { try catalog.database.run("INSERT INTO classes (name) VALUES (?)", [.text(name)]) }
    return catalog.database
  }

  @Test("two rows loops nested over the same SQL each see every row (the inner one does not reset the outer)")
  func nestedRowsOverSameSQL() throws {
    let db = try database()
    let sql = "SELECT name FROM classes WHERE name > ? ORDER BY name"
    var pairs: [String] = []
    let outer = try db.rows(sql, [.text("")]) { row -> String in
      let name = row.text(0) ?? ""
      // The same SQL with other bindings, run to completion while the outer statement is mid-iteration.
      let inner = try db.rows(sql, [.text(name)]) { $0.text(0) ?? "" }
      pairs += inner.map { name + $0 }
      return name
    }
    #expect(outer == ["a", "b", "c"])
    #expect(pairs == ["ab", "ac", "bc"])
  }

  @Test("a scalar query inside a rows loop over the same SQL leaves the loop's rows intact")
  func scalarInsideRows() throws {
    let db = try database()
    let sql = "SELECT count(*) FROM classes WHERE name >= ?"
    // One row per statement here, so nest `rows` over a multi-row query and a scalar of that same text.
    let list = "SELECT name FROM classes ORDER BY name"
    var counts: [Int64] = []
    let names = try db.rows(list) { row -> String in
      let name = row.text(0) ?? ""
      counts.append(try db.scalarInt(sql, [.text(name)]) ?? -1)
      _ = try db.rows(list) { $0.text(0) }  // the very SQL the outer loop is stepping
      return name
    }
    #expect(names == ["a", "b", "c"])
    #expect(counts == [3, 2, 1])
  }

  @Test("a statement is reused from the cache once its user has reset it")
  func reusedAfterReset() throws {
    let db = try database()
    let sql = "SELECT count(*) FROM classes"
    let first = try db.prepare(sql)
    first.reset()
    let second = try db.prepare(sql)
    #expect(first === second)
    let busy = try db.prepare(sql)
    #expect(busy !== second)
    busy.reset()
    second.reset()
  }
}
