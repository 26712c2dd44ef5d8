import Foundation
import TestSupport
import Testing

@testable import Dedup

/// Hash values of a fixed set of photographs (Debian's opencv-doc), pinned: a change in any definition
/// fails here, and must come with a new `HashAlgorithm.version`.
@Suite struct PinnedHashTests {
  static let pinned: [String: [String: String]] = [
    "baboon.jpg": [
      "ahash": "01c33f3cbc98e2bc",
      "ahash-imagehash": "01833f3cbc98fbfc",
      "dhash": "1fabea6868384268",
      "dhash-imagehash": "1fabea6869305668",
      "phash": "df20607d1fa0d88f",
      "phash-centre": "9f2a687d07a0ca8f",
      "phash-imagehash": "df20607d1fa0d88f",
      "phash-mirror": "8a7535284af58dda",
      "phash-upper": "b3784782c9e187b6",
    ],
    "fruits.jpg": [
      "ahash": "00f0f0f0fbbf9f9e",
      "ahash-imagehash": "00b0f0f0fbbf9f9f",
      "dhash": "312706a693763832",
      "dhash-imagehash": "312746a693363c32",
      "phash": "ec621e33793225e3",
      "phash-centre": "ec621e3b18323de3",
      "phash-imagehash": "ec621e33793225e3",
      "phash-mirror": "b9374b662c6720b6",
      "phash-upper": "ec1a3163e38ed4ca",
    ],
    "home.jpg": [
      "ahash": "000002838feb5f3f",
      "ahash-imagehash": "00000283c7eb5f3f",
      "dhash": "060e4e175487b5f7",
      "dhash-imagehash": "06064e165497b377",
      "phash": "ad770860d6b9e352",
      "phash-centre": "ad770a70d6b96252",
      "phash-imagehash": "ad770860d6b9e352",
      "phash-mirror": "f8225f2583ecb20f",
      "phash-upper": "b550ee416a82f5ad",
    ],
    "messi5.jpg": [
      "ahash": "400000106706ffff",
      "ahash-imagehash": "400010186726ffff",
      "dhash": "ca5a5678cccceace",
      "dhash-imagehash": "d9ca5270ccccaeca",
      "phash": "976be132b14ce5e0",
      "phash-centre": "9169e332b34ee1e8",
      "phash-imagehash": "976be132b14ae5e0",
      "phash-mirror": "c03cb467f41d94b5",
      "phash-upper": "c163d1e1187fa07b",
    ],
    "smarties.png": [
      "ahash": "fffefafe62098313",
      "ahash-imagehash": "fffefafe6009c703",
      "dhash": "00000604cab91e2b",
      "dhash-imagehash": "0004c634cab91f23",
      "phash": "f8c7b81ac5b40b65",
      "phash-centre": "f8c5bc12e5bc0a65",
      "phash-imagehash": "f8c7b80ac5bc0b65",
      "phash-mirror": "ad92ed4e90e95e30",
      "phash-upper": "d49aa96c52ad55aa",
    ],
    "starry_night.jpg": [
      "ahash": "031fffbfbe800000",
      "ahash-imagehash": "033bffbfbe980000",
      "dhash": "ab7652236c333219",
      "dhash-imagehash": "ab72732b6c33123d",
      "phash": "8da5215e56785ad6",
      "phash-centre": "afa9204ec6785a57",
      "phash-imagehash": "ada5211e46785ad7",
      "phash-mirror": "f8f0745b132d0f83",
      "phash-upper": "ad215a52ae5d253b",
    ],
  ]

  @Test(.requires(TestPaths.hasPhotos, "needs opencv-doc's example photos (scripts/bootstrap installs opencv-doc)"))
  func valuesArePinned() throws {
    var actual: [String: [String: String]] = [:]
    for name in Self.pinned.keys.sorted() {
      let bytes = try TestPaths.bytes(TestPaths.opencvPhotos.appendingPathComponent(name))
      let values = try PerceptualHash.hashes(of: bytes, algorithms: Set(HashAlgorithm.allCases))
      actual[name] = Dictionary(uniqueKeysWithValues: values.map { ($0.key.rawValue, PerceptualHash.hex($0.value)) })
    }
    #expect(actual == Self.pinned, "actual values: \(actual.sorted { $0.key < $1.key })")
  }
}
