import Foundation

@testable import Dedup

/// Paths the tests share: the repository root, Tests/Fixtures and Debian's opencv-doc photos.
enum TestPaths {
  static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let testdata = repositoryRoot.appendingPathComponent("Tests/Fixtures")
  static let vocImages = testdata.appendingPathComponent("voc-facemask/images")
  static let opencvPhotos = URL(fileURLWithPath: "/usr/share/doc/opencv-doc/examples/data")

  static var hasPhotos: Bool { FileManager.default.fileExists(atPath: opencvPhotos.path) }

  static func bytes(_ url: URL) throws -> [UInt8] { Array(try Data(contentsOf: url)) }

  static func files(in folder: URL, extensions: Set<String> = ["png", "jpg", "jpeg"]) -> [URL] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
    return names.sorted().filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
      .map { folder.appendingPathComponent($0) }
  }

  static func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "dedup-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

extension DedupOptions {
  /// The hash alone decides (`dedup --no-confirm`): for the tests of cluster mechanics (stars, merges, decisions),
  /// whose pairs are synthetic hashes or shifted windows that no fingerprint would confirm.
  static var hashOnly: DedupOptions {
    var options = DedupOptions()
    options.confirm = false
    return options
  }
}
