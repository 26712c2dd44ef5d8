import Catalog
import Foundation
import TestSupport
import Testing

@testable import Export

/// The resume folder's shards are read back before they are trusted: a header field out of range is "not a shard
/// this export wrote" (the shard is written again), never arithmetic on it.
@Suite struct ShardJournalTests {
  /// A one-member tar whose size field is `size` (as written in the header), padded to `bytes`.
  func shard(sizeField: String, bytes: Int) -> [UInt8] {
    var header = [UInt8](repeating: 0, count: 512)
    for (index, byte) in Array("k.json".utf8).enumerated() { header[index] = byte }
    for (index, byte) in Array(sizeField.utf8).prefix(12).enumerated() { header[124 + index] = byte }
    return header + [UInt8](repeating: 0x41, count: bytes - 512 - 1024) + [UInt8](repeating: 0, count: 1024)
  }

  @Test("a journalled shard whose size field is negative, not octal or too long is refused, not trapped on")
  func hostileSizeFields() throws {
    let folder = try TestSupport.temporaryFolder("shard-journal")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let journal = try ShardJournal(folder: folder)
    for field in ["-0000000007", "+0000000007", "0000000009", "77777777777777", "  -7"] {
      let bytes = shard(sizeField: field, bytes: 512 + 512 + 1024)
      try Data(bytes).write(to: URL(fileURLWithPath: folder + "/train-000000.tar"))
      let entry = ShardJournal.Entry(
        shard: "train-000000.tar", bytes: bytes.count, sha256: SHA256.hex(of: bytes), samples: 1, closedBy: .end,
        through: "x")
      #expect(journal.verifiedSamples(entry) == nil, "size field \(field)")
    }
    // The same file with a good size field is read back: the refusal above is the field's, not the file's.
    let good = shard(sizeField: "00000000007", bytes: 512 + 512 + 1024)
    try Data(good).write(to: URL(fileURLWithPath: folder + "/train-000000.tar"))
    let entry = ShardJournal.Entry(
      shard: "train-000000.tar", bytes: good.count, sha256: SHA256.hex(of: good), samples: 1, closedBy: .end,
      through: "x")
    #expect(journal.verifiedSamples(entry)?.map(\.key) == ["k"])
  }
}
