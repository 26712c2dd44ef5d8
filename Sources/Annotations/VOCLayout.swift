import Catalog
import Foundation
import Ingest

/// How the files of a Pascal VOC dataset are laid out, and how an annotation finds its image.
public enum VOCLayout {
  /// Extensions of files that are meant to be images (the ingest path still checks magic bytes).
  public static let imageExtensions: Set<String> = ["jpg", "jpeg", "jpe", "jfif", "png", "bmp", "dib", "gif", "webp"]
  /// Folders that hold the images beside an annotation folder (`annotations/` + `images/`, the VOC devkit's
  /// `Annotations/` + `JPEGImages/`).
  static let imageFolders = ["images", "JPEGImages", "Images", "imgs", "img", "JPEGimages"]

  /// The files of a dataset root by relative path (display form), the only places an annotation may point.
  public struct FileIndex: Sendable {
    public let byPath: [String: Int]
    let byName: [String: [String]]
    let lowercasedPaths: [String: [String]]

    public init(paths: [String]) {
      var byPath: [String: Int] = [:]
      var byName: [String: [String]] = [:]
      var lowercased: [String: [String]] = [:]
      for (index, path) in paths.enumerated() {
        byPath[path] = index
        byName[VOCLayout.lastComponent(path), default: []].append(path)
        lowercased[path.lowercased(), default: []].append(path)
      }
      self.byPath = byPath
      self.byName = byName
      lowercasedPaths = lowercased
    }

    func exact(_ path: String) -> String? { byPath[path] != nil ? path : nil }
    /// Case differs only (a `.JPG` named `.jpg` in the XML): accepted when unique.
    func caseInsensitive(_ path: String) -> String? {
      guard let found = lowercasedPaths[path.lowercased()], found.count == 1 else { return nil }
      return found[0]
    }
  }

  /// Where an annotation's image was found, or why not.
  public enum Resolution: Sendable, Equatable {
    /// The relative path of the image; `note` says when the name had to be cleaned or guessed.
    case found(String, note: String?)
    /// Nothing in the dataset matches `lookedFor`.
    case missing(lookedFor: String, note: String?)
    /// More than one file matches the bare name anywhere in the dataset and none sits where expected.
    case ambiguous(lookedFor: String, candidates: [String])
  }

  /// Finds the image of the annotation at `xmlPath` (relative to the dataset root) among `index` only.
  ///
  /// `<filename>` is used as a name, never as a path: folders in it (`../../etc/passwd`, `C:\x\a.jpg`)
  /// are dropped with a note, and the name is looked up in the dataset's own file list, so resolution
  /// never leaves the root; `<path>` is informational and never used. Order: the XML's folder, the image
  /// folders beside it (`images/`, `JPEGImages/`), the parent, the root, then a unique match anywhere;
  /// the same again with the XML file's own name when `<filename>` names nothing.
  public static func resolve(filename: String?, xmlPath: String, index: FileIndex) -> Resolution {
    let (name, note) = safeName(filename)
    let xmlName = lastComponent(xmlPath)
    let xmlStem = xmlName.lowercased().hasSuffix(".xml") ? String(xmlName.dropLast(4)) : xmlName
    let xmlFolder = folder(of: xmlPath)
    let parent = folder(of: xmlFolder)
    var folders = [xmlFolder] + imageFolders.map { join(parent, $0) } + [parent, ""]
    var unique: [String] = []
    for item in folders where !unique.contains(item) { unique.append(item) }
    folders = unique

    var tried: [String] = []
    for candidate in [name, xmlStem].compactMap({ $0 }) where !tried.contains(candidate) {
      tried.append(candidate)
      let names = variants(of: candidate)
      for folder in folders {
        for variant in names {
          let path = join(folder, variant)
          if let hit = index.exact(path) ?? index.caseInsensitive(path) {
            let guessed = candidate == name ? note : noteForStem(filename: filename, note: note)
            return .found(hit, note: guessed)
          }
        }
      }
      var anywhere: [String] = []
      for variant in names { anywhere += index.byName[variant] ?? [] }
      anywhere = Array(Set(anywhere)).filter { isImageName($0) }.sorted()
      if anywhere.count == 1 {
        return .found(anywhere[0], note: candidate == name ? note : noteForStem(filename: filename, note: note))
      }
      if anywhere.count > 1 { return .ambiguous(lookedFor: candidate, candidates: anywhere) }
    }
    return .missing(lookedFor: name ?? xmlStem, note: note)
  }

  static func noteForStem(filename: String?, note: String?) -> String {
    let shown = filename.map { "\"\($0)\"" } ?? "nothing"
    return (note.map { $0 + "; " } ?? "")
      + "<filename> \(shown) names no file here; found the image by the XML file's own name"
  }

  /// The bare file name a `<filename>` may contribute: folders dropped, nothing that could climb out.
  public static func safeName(_ raw: String?) -> (name: String?, note: String?) {
    guard let raw else { return (nil, nil) }
    let trimmed = String(VOCReader.trimmed(raw))
    if trimmed.isEmpty { return (nil, "empty <filename>") }
    if trimmed.unicodeScalars.contains(where: { $0.value < 0x20 }) {
      return (nil, "<filename> holds control characters; not used")
    }
    let parts = trimmed.split(whereSeparator: { $0 == "/" || $0 == "\\" }).map(String.init)
    guard let last = parts.last, last != ".", last != "..", !last.isEmpty else {
      return (nil, "<filename> \"\(trimmed)\" names no file; not used")
    }
    if parts.count > 1 || trimmed.hasPrefix("/") || trimmed.hasPrefix("\\") {
      return (last, "<filename> \"\(trimmed)\" is a path; only the name \"\(last)\" is looked for, inside the dataset")
    }
    return (last, nil)
  }

  /// The name itself, and with each image extension when it has none (LabelImg's own test writes "test").
  static func variants(of name: String) -> [String] {
    if isImageName(name) { return [name] }
    return [name] + imageExtensions.sorted().flatMap { [name + "." + $0, name + "." + $0.uppercased()] }
  }

  public static func isImageName(_ path: String) -> Bool {
    guard let dot = path.lastIndex(of: ".") else { return false }
    return imageExtensions.contains(path[path.index(after: dot)...].lowercased())
  }

  package static func lastComponent(_ path: String) -> String {
    path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
  }

  static func folder(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "" }
    return String(path[..<slash])
  }

  static func join(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : folder + "/" + name }

  /// True when the folder at `root` looks like a VOC dataset (see `looksLikeVOC(relativePaths:)`).
  public static func detect(root: String) throws -> Bool {
    let (files, _) = try FolderWalker.walk(root: root)
    return looksLikeVOC(relativePaths: files.map { FileIO.display($0.relativePath) })
  }

  /// True when a folder's files look like a VOC dataset: an annotation folder beside an image folder, or
  /// XML files named like the images next to them.
  public static func looksLikeVOC(relativePaths paths: [String]) -> Bool {
    let xml = paths.filter { $0.lowercased().hasSuffix(".xml") }
    guard !xml.isEmpty else { return false }
    let folders = Set(xml.map { folder(of: $0) })
    for annotationFolder in folders where lastComponent(annotationFolder).lowercased() == "annotations" {
      let parent = folder(of: annotationFolder)
      let imageFolderPrefixes = imageFolders.map { join(parent, $0).lowercased() + "/" }
      if paths.contains(where: { path in imageFolderPrefixes.contains { path.lowercased().hasPrefix($0) } }) {
        return true
      }
    }
    // XML beside images of the same name.
    let images = Set(
      paths.filter(isImageName).map { path -> String in
        let stemEnd = path.lastIndex(of: ".") ?? path.endIndex
        return String(path[..<stemEnd])
      })
    let matched = xml.filter { images.contains(String($0.dropLast(4))) }.count
    return matched > 0 && matched * 2 >= xml.count
  }
}
