import Foundation

extension Catalog {
  /// Checks that every image row has its object in the store (size matching, and with `rehash` the
  /// SHA-256 too). Returns one line per problem.
  public func verifyObjects(rehash: Bool = false) throws -> [String] {
    let rows = try database.rows("SELECT sha256, size FROM images ORDER BY id") {
      ($0.text(0) ?? "", $0.int(1))
    }
    var problems: [String] = []
    for (sha, size) in rows {
      let path = store.path(of: sha)
      var info = stat()
      if stat(path, &info) != 0 {
        problems.append("\(sha): object missing (\(path))")
      } else if Int(info.st_size) != size {
        problems.append(
          "\(path) is \(info.st_size) bytes, the catalog says \(size) (damaged object \(sha)); re-import a source holding these bytes to repair it"
        )
      } else if rehash {
        do {
          _ = try store.read(sha)
        } catch CatalogError.objectCorrupt(let sha, let path) {
          var line = CatalogError.objectCorrupt(sha256: sha, path: path).localizedDescription
          if info.st_nlink > 1 {
            let sharers = hardLinks(to: info, under: workspace.exportsPath)
            line +=
              "; its bytes are shared by \(info.st_nlink - 1) hard link\(info.st_nlink == 2 ? "" : "s") (an export made with --link hard)"
              + (sharers.isEmpty ? "" : ": " + sharers.prefix(5).joined(separator: ", "))
              + "; export again after the repair"
          }
          problems.append(line)
        } catch {
          problems.append(error.localizedDescription)
        }
      }
    }
    return problems
  }

  /// The files under `folder` that are the file `object` (same device and inode), each named with the export
  /// holding it (the nearest folder above it with a `manifest.json`).
  func hardLinks(to object: stat, under folder: String) -> [String] {
    guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
    var found: [String] = []
    while let relative = walker.nextObject() as? String {
      let path = folder + "/" + relative
      var info = stat()
      guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_dev == object.st_dev,
        info.st_ino == object.st_ino
      else { continue }
      var export = URL(fileURLWithPath: path).deletingLastPathComponent()
      while export.path.hasPrefix(folder + "/") && !FileIO.exists(export.path + "/manifest.json") {
        export = export.deletingLastPathComponent()
      }
      found.append(FileIO.exists(export.path + "/manifest.json") ? "\(path) (export \(export.path))" : path)
    }
    return found.sorted()
  }
}
