import Foundation

extension SourceSpec {
  /// Names that say nothing about a dataset: what Kaggle zips and their unpacked folders are called
  /// (`archive.zip`, `archive (2).zip`, `dataset/`, `data/`, `images/`). Compared case-insensitively, also
  /// with a copy number after them (`archive-2`, `archive_2`, `archive (2)`, `data1`).
  public static let genericNames: Set<String> = ["archive", "dataset", "datasets", "data", "images", "image", "imgs"]

  /// The name a source gets when none is given: the file or folder's name (a zip without `.zip`), unless it
  /// is generic (``genericNames``), then the nearest folder above it whose name is not; the path's own name
  /// when every folder up to the root is generic. Two sources with one name are told apart by the catalog
  /// (`-2`, `-3`, …).
  public static func defaultName(forPath path: String) -> String {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    var components = absolute.split(separator: "/").map(String.init)
    guard var own = components.last else { return absolute }
    if own.lowercased().hasSuffix(".zip") { own = String(own.dropLast(4)) }
    guard isGeneric(own) else { return own }
    components.removeLast()
    while let folder = components.popLast() {
      if !isGeneric(folder) { return folder }
    }
    return own
  }

  /// Whether `name` is one of ``genericNames``, optionally followed by a copy number.
  public static func isGeneric(_ name: String) -> Bool {
    var base = name.lowercased().trimmingCharacters(in: .whitespaces)
    if base.hasSuffix(")"), let open = base.lastIndex(of: "(") {
      let inside = base[base.index(after: open)..<base.index(before: base.endIndex)]
      if !inside.isEmpty && inside.allSatisfy(\.isASCIIDigit) {
        base = String(base[..<open]).trimmingCharacters(in: .whitespaces)
      }
    }
    while let last = base.last, last.isASCIIDigit { base.removeLast() }
    if let last = base.last, last == "-" || last == "_" || last == " " { base.removeLast() }
    return genericNames.contains(base)
  }
}

extension Character {
  fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
