import Foundation

/// The real files in the repository's `Tests/Fixtures` (license notes in its README).
enum TestData {
  static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static let root = repository.appendingPathComponent("Tests/Fixtures")

  static func files(_ dataset: String, _ folder: String = "annotations", ext: String = "xml") -> [URL] {
    let dir = root.appendingPathComponent(dataset).appendingPathComponent(folder)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { dir.appendingPathComponent($0) }
  }

  static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

  /// A fresh temporary folder.
  static func temporaryFolder(_ tag: String = "annotations") throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("dsk-\(tag)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
