import Catalog
import Foundation

/// `datasetkit import DIR` for a folder-per-class tree: the label of an image is the name of the
/// folder that holds it (at any depth); files directly in the root get no label.
public enum FolderImport {
  public static func run(
    root: String, catalog: Catalog, name: String? = nil, license: String? = nil,
    options: IngestOptions = IngestOptions(), progress: (IngestProgress) -> Void = { _ in }
  ) throws -> IngestReport {
    let (files, skipped) = try FolderWalker.walk(root: root)
    if files.isEmpty && skipped.isEmpty { throw IngestError.emptyFolder(root) }
    let rootPath = URL(fileURLWithPath: root).standardizedFileURL.resolvingSymlinksInPath().path
    let source = SourceSpec(
      kind: "folder", name: name ?? SourceSpec.defaultName(forPath: rootPath), uri: rootPath,
      license: license)
    let candidates = Self.candidates(files, license: license)
    var report = try Ingester(catalog: catalog, options: options).ingest(
      candidates, source: source, progress: progress)
    report.walkSkipped = skipped
    return report
  }

  /// One candidate per file, labelled by the folder holding it, with the dataset's own split (if a
  /// folder above names one) kept on the origin.
  public static func candidates(_ files: [FoundFile], license: String?) -> [IngestCandidate] {
    files.map { file in
      IngestCandidate(
        content: .file(file.path),
        origin: OriginFacts(
          relativePath: file.relativePath, fileSize: file.size,
          modifiedNanoseconds: file.modifiedNanoseconds,
          originalSplit: originalSplit(file.folders.dropLast().map(FileIO.display)), license: license),
        label: file.folders.last.map(FileIO.display), labelHow: "folder")
    }
  }

  /// The dataset's own split, when a folder above the class folder names one (`Train/WithMask/1.png`):
  /// kept as a tag on the origin, never trusted as ours.
  public static func originalSplit(_ folders: [String]) -> String? {
    let names: [String: String] = [
      "train": "train", "training": "train", "val": "val", "valid": "val", "validation": "val",
      "dev": "val", "test": "test", "testing": "test",
    ]
    for folder in folders.reversed() {
      if let split = names[folder.lowercased()] { return split }
    }
    return nil
  }
}
