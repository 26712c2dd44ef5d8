import Catalog
import Foundation
import Ingest
import Parallel

#if canImport(Glibc)
  import Glibc
#endif

/// The lint of one annotation file.
public struct VOCLintFile: Sendable, Codable {
  public var path: String
  /// "labelimg" (LabelImg's exact output) or "other".
  public var dialect: String
  /// The image the file was matched to, relative to the linted folder, if found.
  public var image: String?
  public var findings: [VOCFinding]
  /// The SHA-256 of the matched image's bytes (finds two files describing the same bytes).
  public var imageSHA256: String?
}

/// What `datasetkit voc lint` found.
public struct VOCLintReport: Sendable, Codable {
  public var files: [VOCLintFile] = []
  public var errors = 0
  public var warnings = 0
  public var notes = 0
  /// Images (the same bytes) two or more of the linted files describe: the file named like the image
  /// would count on import, the others are alternates; each with the largest box shift and class disagreements.
  public var twins: [AnnotationTwin] = []
}

/// `datasetkit voc lint PATH...`: everything the reader tolerated or refused, per file and line, plus
/// checks that need the image (missing, size disagreeing with `<size>`) and the class list.
public enum VOCLint {
  /// Lints XML files and folders of them (walked). `classes`, when given, are the expected class names.
  public static func lint(
    paths: [String], classes: Set<String>? = nil, options: VOCReaderOptions = VOCReaderOptions()
  ) throws -> VOCLintReport {
    var report = VOCLintReport()
    for path in paths {
      var info = stat()
      guard stat(path, &info) == 0 else { throw IngestError.pathNotFound(path) }
      if (info.st_mode & S_IFMT) == S_IFDIR {
        let (files, _) = try FolderWalker.walk(root: path)
        let relative = files.map { FileIO.display($0.relativePath) }
        let index = VOCLayout.FileIndex(paths: relative.filter { !$0.lowercased().hasSuffix(".xml") })
        let xml = zip(files, relative).filter { $0.1.lowercased().hasSuffix(".xml") }
        report.files += concurrentMap(xml) { file, name in
          let display = path.hasSuffix("/") ? path + name : path + "/" + name
          return lintFile(
            absolute: FileIO.display(file.path), display: display, relative: name, root: path, index: index,
            classes: classes, options: options)
        }
      } else {
        // A single file: its image is looked for in its folder and the image folders beside it.
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent()
        let parent = folder.deletingLastPathComponent()
        var listed: [String] = []
        for sub in [folder.lastPathComponent] + VOCLayout.imageFolders {
          let names =
            (try? FileManager.default.contentsOfDirectory(atPath: parent.appendingPathComponent(sub).path)) ?? []
          listed += names.map { sub + "/" + $0 }
        }
        report.files.append(
          lintFile(
            absolute: path, display: path, relative: folder.lastPathComponent + "/" + url.lastPathComponent,
            root: parent.path, index: VOCLayout.FileIndex(paths: listed), classes: classes, options: options))
      }
    }
    report.twins = twins(report.files, options: options)
    for file in report.files {
      for finding in file.findings {
        switch finding.severity {
        case .error: report.errors += 1
        case .warning: report.warnings += 1
        case .note: report.notes += 1
        }
      }
    }
    return report
  }

  /// Files whose images have the same bytes, compared with the file named like its image (else the first
  /// by path).
  static func twins(_ files: [VOCLintFile], options: VOCReaderOptions) -> [AnnotationTwin] {
    var bySHA: [String: [VOCLintFile]] = [:]
    for file in files { if let sha = file.imageSHA256 { bySHA[sha, default: []].append(file) } }
    var twins: [AnnotationTwin] = []
    for (sha, group) in bySHA where group.count > 1 {
      let ordered = group.sorted { a, b in
        let ma = Catalog.stem(a.path) == Catalog.stem(a.image ?? "")
        let mb = Catalog.stem(b.path) == Catalog.stem(b.image ?? "")
        return ma != mb ? ma : Array(a.path.utf8).lexicographicallyPrecedes(Array(b.path.utf8))
      }
      func boxes(_ file: VOCLintFile) -> [(String, Box)] {
        VOCReader.read(path: file.path, display: file.path, options: options).document?.objects.map {
          ($0.name, $0.box)
        }
          ?? []
      }
      let kept = boxes(ordered[0])
      twins.append(
        AnnotationTwin(
          sha256: sha, kept: ordered[0].path,
          alternates: ordered.dropFirst().map { file in
            let other = boxes(file)
            let (shift, disagreements) = AnnotationTwin.compare(kept: kept, other: other)
            return AnnotationTwin.Alternate(
              file: file.path, boxes: other.count, keptBoxes: kept.count, largestShift: shift,
              classDisagreements: disagreements)
          }))
    }
    return twins.sorted { $0.kept < $1.kept }
  }

  static func lintFile(
    absolute: String, display: String, relative: String, root: String, index: VOCLayout.FileIndex,
    classes: Set<String>?, options: VOCReaderOptions
  ) -> VOCLintFile {
    let result = VOCReader.read(path: absolute, display: display, options: options)
    var findings = result.findings
    var image: String?
    var imageSHA256: String?
    if let document = result.document {
      if let classes {
        for object in document.objects where !classes.contains(object.name) {
          findings.append(
            VOCFinding(
              .warning, line: object.line, code: "unknown-class", "class \"\(object.name)\" is not in the expected list"
            ))
        }
      }
      switch VOCLayout.resolve(filename: document.filename, xmlPath: relative, index: index) {
      case .found(let path, let note):
        image = path
        if let note { findings.append(VOCFinding(.warning, line: nil, code: "filename", note)) }
        let imagePath = root + "/" + path
        if let bytes = try? FileIO.read(path: Array(imagePath.utf8), limit: 256 << 20) {
          imageSHA256 = SHA256.hex(of: bytes)
          switch ImageHeader.sniff(bytes) {
          case .image(_, let width, let height, let damage):
            if let size = document.size, (size.width, size.height) != (width, height) {
              findings.append(
                VOCFinding(
                  .warning, line: nil, code: "size-mismatch",
                  "<size> says \(size.width)×\(size.height) but \(path) is \(width)×\(height)"))
            }
            if let damage {
              findings.append(VOCFinding(.warning, line: nil, code: "image-damaged", "\(path): \(damage)"))
            }
          case .malformed(let format, let reason):
            findings.append(
              VOCFinding(.warning, line: nil, code: "image-damaged", "\(path): \(format.rawValue): \(reason)"))
          case .notImage(let kind):
            findings.append(VOCFinding(.warning, line: nil, code: "image-missing", "\(path) is not an image (\(kind))"))
          }
        }
      case .missing(let lookedFor, let note):
        findings.append(
          VOCFinding(
            .warning, line: nil, code: "image-missing",
            "no image \"\(lookedFor)\" found" + (note.map { " (\($0))" } ?? "")))
      case .ambiguous(let lookedFor, let candidates):
        findings.append(
          VOCFinding(.warning, line: nil, code: "image-missing", "\"\(lookedFor)\" matches \(candidates.count) files"))
      }
    }
    findings.sort { ($0.severity, $0.line ?? 0) < ($1.severity, $1.line ?? 0) }
    return VOCLintFile(
      path: display, dialect: result.dialect, image: image, findings: findings, imageSHA256: imageSHA256)
  }
}
