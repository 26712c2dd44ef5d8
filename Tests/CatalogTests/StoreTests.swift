import Foundation
import TestSupport
import Testing

@testable import Catalog

@Suite("Catalog lookups and states")
struct CatalogLookupTests {
  static func arrival(_ name: String, bytes: String, status: ImageStatus = .active) -> ArrivingImage {
    ArrivingImage(
      image: ImageFacts(
        sha256: SHA256.hex(of: Array(bytes.utf8)), size: bytes.utf8.count, width: 4, height: 3, format: "png",
        fileExtension: "png", status: status),
      origin: OriginFacts(relativePath: Array(name.utf8)), label: nil, labelHow: "folder")
  }

  @Test("lastImageID, originName, imageID(sourceID:relativePath:) and holdsBytes read what record wrote")
  func lookups() throws {
    let catalog = try Workspace.create(at: try TestSupport.temporaryFolder() + "/ws")
    #expect(try catalog.lastImageID() == 0)
    let first = try catalog.sourceID(for: SourceSpec(kind: "folder", name: "cats", uri: "/data/cats")).id
    let second = try catalog.sourceID(for: SourceSpec(kind: "folder", name: "dogs", uri: "/data/dogs")).id
    try catalog.database.writeTransaction {
      _ = try catalog.record(
        [Self.arrival("a/one.png", bytes: "one"), Self.arrival("two.png", bytes: "two")], sourceID: first)
      _ = try catalog.record([Self.arrival("copy.png", bytes: "one")], sourceID: second)
    }
    #expect(try catalog.lastImageID() == 2)
    #expect(try catalog.originName(imageID: 1) == "cats/a/one.png")
    #expect(try catalog.originName(imageID: 2) == "cats/two.png")
    #expect(try catalog.originName(imageID: 99) == nil)
    #expect(try catalog.imageID(sourceID: second, relativePath: Array("copy.png".utf8)) == 1)
    #expect(try catalog.imageID(sourceID: second, relativePath: Array("two.png".utf8)) == nil)
    let one = SHA256.hex(of: Array("one".utf8))
    #expect(try catalog.holdsBytes(sha256: one, elsewhereThan: first, relativePath: Array("a/one.png".utf8)))
    #expect(
      try !catalog.holdsBytes(
        sha256: SHA256.hex(of: Array("two".utf8)), elsewhereThan: first, relativePath: Array("two.png".utf8)))
  }

  /// The quoted values of `column IN (...)` in a table's CREATE statement.
  static func allowed(_ column: String, in table: String, _ catalog: Catalog) throws -> Set<String> {
    let sql =
      try catalog.database.scalarText("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(table)])
      ?? ""
    guard let start = sql.range(of: "\(column) IN (") else { return [] }
    let list = sql[start.upperBound...].prefix { $0 != ")" }
    return Set(list.split(separator: ",").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " '")) })
  }

  @Test("ImageStatus and BoxStatus are exactly the values the schema allows")
  func statesMatchSchema() throws {
    let catalog = try Workspace.create(at: try TestSupport.temporaryFolder() + "/ws")
    #expect(try Self.allowed("status", in: "images", catalog) == Set(ImageStatus.allCases.map(\.rawValue)))
    #expect(try Self.allowed("status", in: "boxes", catalog) == Set(BoxStatus.allCases.map(\.rawValue)))
    let source = try catalog.sourceID(for: SourceSpec(kind: "folder", name: "x", uri: "/x")).id
    try catalog.database.writeTransaction {
      _ = try catalog.record(
        [Self.arrival("damaged.png", bytes: "damaged", status: .quarantined)], sourceID: source)
    }
    #expect(try catalog.database.scalarText("SELECT status FROM images WHERE id = 1") == "quarantined")
  }
}
