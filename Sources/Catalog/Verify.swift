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
        do { _ = try store.read(sha) } catch { problems.append(error.localizedDescription) }
      }
    }
    return problems
  }
}
