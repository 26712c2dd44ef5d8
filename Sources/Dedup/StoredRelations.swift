import Catalog
import Foundation

// Dedup's confirmed relations, kept for the dataset card: a relation depends only on the two images' hashes
// and pixels, the radius and the thresholds, so the relations `dedup` found between the images it searched are
// the relations a later search of the same hashes would find between any of them. `dedup` stores them with a
// digest of the hashes it searched; a reader whose hashes have the same digest reads them instead of searching
// (an exact search at radius 12 costs time quadratic in the images) and decoding again.

extension RelationStore.Run {
  /// The run that searches `hashes` (every stored hash of the method and `relationAlgorithms`) with
  /// `thresholds`.
  public init(hashes: ImageHashes, thresholds: RelationThresholds) {
    self.init(
      thresholds: Self.text(thresholds), hashesDigest: Self.digest(hashes), images: hashes.count)
  }

  /// The thresholds as JSON with sorted keys.
  static func text(_ thresholds: RelationThresholds) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(thresholds)).map { String(decoding: $0, as: UTF8.self) } ?? ""
  }

  /// A 128-bit digest (two independent 64-bit mixes, hex) of every image id with its hashes, by id and algorithm.
  static func digest(_ hashes: ImageHashes) -> String {
    @inline(__always) func mix(_ value: UInt64) -> UInt64 {
      var z = value &+ 0x9E37_79B9_7F4A_7C15
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    var (a, b): (UInt64, UInt64) = (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344)
    func add(_ value: UInt64) {
      a = mix(a ^ value)
      b = mix(b &+ (value &* 0xD6E8_FEB8_6659_FD93) ^ 0xA409_3822_299F_31D0)
    }
    for id in hashes.keys.sorted() {
      add(UInt64(bitPattern: id))
      guard let values = hashes[id] else { continue }
      for algorithm in values.keys.sorted(by: { $0.rawValue < $1.rawValue }) {
        add(UInt64(algorithm.rawValue.utf8.reduce(UInt64(algorithm.version)) { $0 &* 31 &+ UInt64($1) }))
        add(values[algorithm] ?? 0)
      }
    }
    return String(format: "%016llx%016llx", a, b)
  }
}

extension Catalog {
  /// The relations the last confirming `dedup` of `method` and `radius` stored between two images `keep`
  /// accepts, in id order — when that run searched exactly `hashes` with `thresholds` (else nil: search).
  /// They are as that run confirmed them; `labels` re-applies the label rule of
  /// ``confirmRelations(method:radius:hashes:thresholds:labels:views:maxPixels:only:)`` with today's labels.
  public func storedRelations(
    method: DedupMethod, radius: Int, hashes: ImageHashes, thresholds: RelationThresholds = RelationThresholds(),
    labels: [Int64: String]?, keep: (Int64, Int64) -> Bool
  ) throws -> [ImagePairRelation]? {
    let store = RelationStore(catalog: self)
    guard let run = try store.run(method: method, radius: radius),
      run == RelationStore.Run(hashes: hashes, thresholds: thresholds)
    else { return nil }
    var relations = try store.relations(method: method, radius: radius, keep: keep)
    for index in relations.indices where relations[index].evidence == .labels {
      // Dedup's own label rule, undone: the same picture.
      relations[index].relation = .duplicate
      relations[index].evidence = .same
    }
    if let labels { applyLabelRule(&relations, labels: labels) }
    return relations
  }
}

/// The label rule: the same picture under another label (`labels`: each image's effective label key) is related
/// (`labels` evidence), not a duplicate — it is a real example of its class.
func applyLabelRule(_ relations: inout [ImagePairRelation], labels: [Int64: String]) {
  for index in relations.indices
  where relations[index].relation == .duplicate
    && (labels[relations[index].first] ?? "") != (labels[relations[index].second] ?? "")
  {
    relations[index].relation = .related
    relations[index].evidence = .labels
  }
}

extension RelationSearchResult {
  /// Relations read from the store rather than searched: every one counts as a candidate, none is unreadable.
  public init(stored relations: [ImagePairRelation]) {
    self.init(candidates: relations.count, relations: relations, unreadable: [:])
  }
}
