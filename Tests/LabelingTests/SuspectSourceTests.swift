import Catalog
import Foundation
import Ingest
import TestSupport
import Testing

@testable import Labeling

@Suite("Suspects: a source supplying almost all of one class")
struct SuspectSourceTests {
  /// A catalog of distinct real-photo JPEGs, `count` images of each (source, label), each source one folder.
  func catalog(_ parts: [(source: String, label: String, count: Int)]) throws -> Catalog {
    let folder = try TestSupport.temporaryFolder("dsk-suspect-source")
    let catalog = try Workspace.create(at: folder + "/ws")
    let photos = try TestSupport.distinctJPEGs(count: parts.reduce(0) { $0 + $1.count }, width: 64)
    var next = 0
    for source in Set(parts.map(\.source)).sorted() {
      var candidates: [IngestCandidate] = []
      for part in parts where part.source == source {
        for index in 0..<part.count {
          candidates.append(
            IngestCandidate(
              content: .bytes(photos[next]),
              origin: OriginFacts(relativePath: Array("\(part.label)/\(index).jpg".utf8)),
              label: part.label))
          next += 1
        }
      }
      _ = try Ingester(catalog: catalog).ingest(
        candidates, source: SourceSpec(kind: "folder", name: source, uri: folder + "/" + source))
    }
    return catalog
  }

  func sourceReasons(_ catalog: Catalog) throws -> [Int64: String] {
    var found: [Int64: String] = [:]
    for suspect in try catalog.suspects(SuspectOptions(limit: 0)).suspects {
      for reason in suspect.reasons where reason.kind == .sourceClass { found[suspect.image] = reason.detail }
    }
    return found
  }

  func images(_ catalog: Catalog, source: String, label: String) throws -> Set<Int64> {
    Set(
      try catalog.database.rows(
        """
        SELECT o.image_id FROM image_origins o JOIN sources s ON s.id = o.source_id
        WHERE s.name = ? AND o.rel_path LIKE ?
        """, [.text(source), .text(label + "/%")]
      ) { $0.int64(0) })
  }

  @Test("one source: every class is all one source, and nothing is suspect for it")
  func singleSource() throws {
    let catalog = try catalog([("kaggle", "with_mask", 24), ("kaggle", "without_mask", 21)])
    #expect(try catalog.suspects(SuspectOptions(limit: 0)).total == 0)
  }

  @Test("two sources, one supplying almost all of every class: no confound, nothing is suspect")
  func dominantSource() throws {
    let catalog = try catalog([
      ("kaggle", "with_mask", 24), ("kaggle", "without_mask", 21), ("extra", "with_mask", 1),
      ("extra", "without_mask", 1),
    ])
    // kaggle supplies 96 % of with_mask and 95 % of without_mask: the ratio says nothing about a class.
    #expect(try sourceReasons(catalog).isEmpty)
  }

  @Test("two sources, each supplying one class: the images of each are suspect, with both shares")
  func confoundedSources() throws {
    let catalog = try catalog([
      ("kaggle", "with_mask", 24), ("extra", "with_mask", 1), ("extra", "without_mask", 21),
    ])
    let reasons = try sourceReasons(catalog)
    let kaggleMasked = try images(catalog, source: "kaggle", label: "with_mask")
    let extraUnmasked = try images(catalog, source: "extra", label: "without_mask")
    #expect(kaggleMasked.count == 24 && extraUnmasked.count == 21)
    #expect(Set(reasons.keys) == kaggleMasked.union(extraUnmasked))
    let first = try #require(kaggleMasked.min())
    #expect(
      reasons[first]
        == "source kaggle supplies 96 % of with_mask (24 of 25) against 0 % of the other classes' images: a model may learn the source"
    )
    let other = try #require(extraUnmasked.min())
    #expect(reasons[other]?.hasPrefix("source extra supplies 100 % of without_mask (21 of 21) against 4 %") == true)
  }
}
