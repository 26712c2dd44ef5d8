import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The content-addressed store: `objects/ab/cdef…`, named by the SHA-256 of the bytes.
///
/// Objects are written once and never modified, and are read-only (0444): a hard link in an export shares
/// the object's bytes, and an editor refuses to save over it instead of silently changing the store. A batch is staged as temporary files under
/// `objects/tmp/`, flushed with one `syncfs`, renamed into place, and flushed again before the catalog
/// commits the rows that name them; so a crash at any point leaves no partial file under a final name
/// and no catalog row without its object. Leftovers of dead processes are removed on open.
public struct ObjectStore: Sendable {
  public let root: String
  var temporaryFolder: String { root + "/tmp" }

  public init(root: String) {
    self.root = root
  }

  /// The final path of an object.
  public func path(of sha256: String) -> String {
    let prefix = sha256.prefix(2)
    return "\(root)/\(prefix)/\(sha256.dropFirst(2))"
  }

  public func contains(_ sha256: String) -> Bool {
    FileIO.exists(path(of: sha256))
  }

  /// True when the object exists with `size` bytes: a cheap check (no re-hash) that catches a
  /// truncated or emptied object, so an import holding the right bytes replaces it.
  public func contains(_ sha256: String, size: Int) -> Bool {
    var info = stat()
    return stat(path(of: sha256), &info) == 0 && Int(info.st_size) == size
  }

  /// Writes `bytes` to a fresh temporary file (not yet durable, not yet visible).
  public func stage(_ bytes: UnsafeRawBufferPointer, sha256: String) throws -> StagedObject {
    let name = "\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let temporary = "\(temporaryFolder)/\(name)"
    try FileIO.writeNew(path: Array(temporary.utf8), bytes: bytes, mode: 0o444)
    return StagedObject(sha256: sha256, temporaryPath: temporary)
  }

  /// Makes staged objects durable and visible under their final names. Objects already present with
  /// the staged size are kept as they are (same name, same bytes) and the staged copy is dropped; a
  /// present object of another size is damaged (truncated) and the staged copy replaces it.
  public func publish(_ staged: [StagedObject]) throws {
    guard !staged.isEmpty else { return }
    try FileIO.syncFileSystem(containing: root)
    for object in staged {
      let final = path(of: object.sha256)
      var staged = stat()
      if stat(object.temporaryPath, &staged) == 0, contains(object.sha256, size: Int(staged.st_size)) {
        unlink(object.temporaryPath)
        // An object stored before objects were read-only becomes read-only when it is met again.
        chmod(final, 0o444)
        continue
      }
      try FileIO.makeDirectory("\(root)/\(object.sha256.prefix(2))")
      if rename(object.temporaryPath, final) != 0 {
        let code = errno
        unlink(object.temporaryPath)
        throw CatalogError.io(path: final, operation: "rename into the object store", errno: code)
      }
    }
    try FileIO.syncFileSystem(containing: root)
  }

  /// Drops staged files that will not be published (a failed batch).
  public func discard(_ staged: [StagedObject]) {
    for object in staged { unlink(object.temporaryPath) }
  }

  /// Removes temporary files left by processes that are no longer running. Returns their paths.
  @discardableResult
  public func removeStaleTemporaries() -> [String] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: temporaryFolder) else {
      return []
    }
    var removed: [String] = []
    for entry in entries.sorted() {
      guard let pidText = entry.split(separator: "-").first, let pid = Int32(pidText) else { continue }
      if kill(pid, 0) != 0 && errno == ESRCH {
        if unlink("\(temporaryFolder)/\(entry)") == 0 { removed.append("\(temporaryFolder)/\(entry)") }
      }
    }
    return removed
  }

  /// Reads an object and checks that its bytes still hash to its name.
  public func read(_ sha256: String, limit: Int = 1 << 31) throws -> [UInt8] {
    let file = path(of: sha256)
    let bytes = try FileIO.read(path: Array(file.utf8), limit: limit)
    guard SHA256.hex(of: bytes) == sha256 else {
      throw CatalogError.objectCorrupt(sha256: sha256, path: file)
    }
    return bytes
  }

  func createLayout() throws {
    try FileIO.makeDirectory(root)
    try FileIO.makeDirectory(temporaryFolder)
  }
}

/// How an object is put into an export.
public enum LinkMode: String, Sendable, Codable, CaseIterable {
  /// A copy of the bytes (checked against their SHA-256 on the way).
  case copy
  /// A hard link: no extra disk; a copy where the target is on another file system.
  case hard
  /// A symbolic link into the store.
  case sym
}

extension ObjectStore {
  /// Puts object `sha256` at `path`, which must not exist. Returns true when a hard link had to
  /// become a copy (another file system, or a link limit). Hard and symbolic links share the store's
  /// bytes: editing the target in place would change the object.
  @discardableResult
  public func place(_ sha256: String, at path: String, mode: LinkMode) throws -> Bool {
    let source = self.path(of: sha256)
    switch mode {
    case .sym:
      guard symlink(source, path) == 0 else { throw CatalogError.io(path: path, operation: "symlink", errno: errno) }
      return false
    case .hard:
      if link(source, path) == 0 { return false }
      guard errno == EXDEV || errno == EPERM || errno == EMLINK else {
        throw CatalogError.io(path: path, operation: "link", errno: errno)
      }
      let bytes = try read(sha256)
      try bytes.withUnsafeBytes { try FileIO.writeNew(path: Array(path.utf8), bytes: $0) }
      return true
    case .copy:
      let bytes = try read(sha256)
      try bytes.withUnsafeBytes { try FileIO.writeNew(path: Array(path.utf8), bytes: $0) }
      return false
    }
  }
}

/// A temporary file waiting for `ObjectStore.publish`.
public struct StagedObject: Sendable, Hashable {
  public let sha256: String
  public let temporaryPath: String
}
