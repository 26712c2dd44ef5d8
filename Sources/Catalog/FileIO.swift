import CPlatform
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Small POSIX helpers shared by the store and the importers. Paths are byte strings so that file
/// names which are not UTF-8 (byte 0xFF, say) survive untouched.
public enum FileIO {
  /// Reads a whole regular file, refusing one larger than `limit` bytes.
  public static func read(path: [UInt8], limit: Int) throws -> [UInt8] {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; only regular files are read.
    let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
    if fd < 0 { throw CatalogError.io(path: display(path), operation: "open", errno: errno) }
    defer { close(fd) }
    var info = stat()
    if fstat(fd, &info) != 0 { throw CatalogError.io(path: display(path), operation: "stat", errno: errno) }
    if info.st_mode & S_IFMT != S_IFREG {
      throw CatalogError.io(
        path: display(path), operation: "read (not a regular file: a FIFO, device or socket)", errno: EINVAL)
    }
    let size = Int(info.st_size)
    if size > limit {
      throw CatalogError.io(path: display(path), operation: "read (larger than \(limit) bytes)", errno: EFBIG)
    }
    var buffer = [UInt8](repeating: 0, count: size)
    var done = 0
    while done < size {
      let n = buffer.withUnsafeMutableBytes { raw in
        raw.baseAddress.map { Glibc.read(fd, $0 + done, size - done) } ?? 0
      }
      if n < 0 {
        if errno == EINTR { continue }
        throw CatalogError.io(path: display(path), operation: "read", errno: errno)
      }
      if n == 0 { break }
      done += n
    }
    if done < size { buffer.removeSubrange(done...) }
    return buffer
  }

  /// Writes `bytes` to a new file at `path` (which must not exist) without syncing; `mode` before the umask.
  public static func writeNew(path: [UInt8], bytes: UnsafeRawBufferPointer, mode: mode_t = 0o644) throws {
    let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode) }
    if fd < 0 { throw CatalogError.io(path: display(path), operation: "create", errno: errno) }
    var done = 0
    while done < bytes.count {
      guard let base = bytes.baseAddress else { break }
      let n = Glibc.write(fd, base + done, bytes.count - done)
      if n < 0 {
        if errno == EINTR { continue }
        let code = errno
        close(fd)
        unlink(path)
        throw CatalogError.io(path: display(path), operation: "write", errno: code)
      }
      done += n
    }
    if close(fd) != 0 {
      let code = errno
      unlink(path)
      throw CatalogError.io(path: display(path), operation: "close", errno: code)
    }
  }

  /// Flushes the whole file system holding `path` (one call instead of an fsync per file).
  public static func syncFileSystem(containing path: String) throws {
    let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw CatalogError.io(path: path, operation: "open", errno: errno) }
    defer { close(fd) }
    if dsk_syncfs(fd) != 0 { throw CatalogError.io(path: path, operation: "syncfs", errno: errno) }
  }

  public static func makeDirectory(_ path: String) throws {
    if mkdir(path, 0o755) != 0 && errno != EEXIST {
      throw CatalogError.io(path: path, operation: "mkdir", errno: errno)
    }
  }

  /// Makes `path` and the folders above it that are missing (`mkdir -p`); an existing entry on the way that
  /// is not a folder is an error naming it.
  public static func makeDirectories(_ path: String) throws {
    var built = path.hasPrefix("/") ? "" : "."
    for component in path.split(separator: "/") {
      built += "/" + component
      var info = stat()
      if stat(built, &info) == 0 {
        if info.st_mode & S_IFMT != S_IFDIR {
          throw CatalogError.io(path: built, operation: "make folder (it is a file)", errno: ENOTDIR)
        }
        continue
      }
      if mkdir(built, 0o755) != 0 && errno != EEXIST {
        throw CatalogError.io(path: built, operation: "make folder", errno: errno)
      }
    }
  }

  public static func exists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
  }

  /// A file name for people: valid UTF-8 as it is, other bytes as `\xNN`.
  public static func display(_ bytes: [UInt8]) -> String {
    var bytes = bytes
    if bytes.last == 0 { bytes.removeLast() }
    if let text = String(validating: bytes, as: UTF8.self) { return text }
    var result = ""
    var index = 0
    while index < bytes.count {
      // Decode the longest valid UTF-8 scalar at `index`, else escape one byte.
      var decoded = false
      for length in 1...4 where index + length <= bytes.count {
        if let scalar = String(validating: bytes[index..<(index + length)], as: UTF8.self) {
          result += scalar
          index += length
          decoded = true
          break
        }
      }
      if !decoded {
        result += String(format: "\\x%02X", bytes[index])
        index += 1
      }
    }
    return result
  }
}

extension Array where Element == UInt8 {
  /// Calls `body` with the bytes as a NUL-terminated C string.
  public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
    let copy = map { CChar(bitPattern: $0) } + [0]
    return try body(copy)
  }
}

/// A file a command writes for a person (`report --out`, `dedup --report`, `stats --html`, `review sheet
/// --out`): never the workspace's own files, never a device, FIFO or folder, and never half-written.
public enum OutputFile {
  /// The path `path` would write to (a symbolic link resolved to its target), or an error when writing there
  /// would clobber something: the catalog (`datasetkit.sqlite` and its `-wal`, `-shm`, `-journal`), anything
  /// under `objects/`, or an existing entry that is not a regular file (a FIFO, a device node, a folder).
  /// With `folder`, the path names a folder a command fills (an export): an existing folder is allowed, an
  /// existing file is not.
  @discardableResult
  public static func check(_ path: String, workspace: Workspace, folder wantsFolder: Bool = false) throws -> String {
    let target = try resolved(path, missingFolders: wantsFolder)
    var info = stat()
    if stat(target, &info) == 0 {
      switch info.st_mode & S_IFMT {
      case S_IFREG where !wantsFolder: break
      case S_IFREG: throw CatalogError.outputRefused(path: path, reason: "it is a file; name a folder")
      case S_IFDIR where wantsFolder: break
      case S_IFDIR: throw CatalogError.outputRefused(path: path, reason: "it is a folder; name a file")
      case S_IFIFO: throw CatalogError.outputRefused(path: path, reason: "it is a FIFO; name a regular file")
      case S_IFCHR, S_IFBLK: throw CatalogError.outputRefused(path: path, reason: "it is a device; name a regular file")
      default: throw CatalogError.outputRefused(path: path, reason: "it is not a regular file")
      }
    }
    let root = (try? resolved(workspace.root)) ?? workspace.root
    let folder = String(target[..<(target.lastIndex(of: "/") ?? target.startIndex)])
    let name = String(target[(target.lastIndex(of: "/").map { target.index(after: $0) } ?? target.startIndex)...])
    let catalogNames = ["", "-wal", "-shm", "-journal"].map { Workspace.catalogFileName + $0 }
    if folder == root && catalogNames.contains(name) {
      throw CatalogError.outputRefused(path: path, reason: "it is the workspace's catalog")
    }
    let objects = root + "/objects"
    if target == objects || target.hasPrefix(objects + "/") {
      throw CatalogError.outputRefused(path: path, reason: "it is inside the workspace's object store")
    }
    // A hard link to a catalog file under another name.
    if info.st_ino != 0 {
      for catalogName in catalogNames {
        var other = stat()
        if stat(root + "/" + catalogName, &other) == 0 && other.st_dev == info.st_dev && other.st_ino == info.st_ino {
          throw CatalogError.outputRefused(path: path, reason: "it is the workspace's catalog (a hard link to it)")
        }
      }
    }
    return target
  }

  /// Writes `bytes` to `path` after `check`: into a temporary file in the same folder (`.NAME.partial-PID`),
  /// flushed, then renamed over `path`, so `path` is at every instant the old file or the whole new one. An
  /// existing file keeps its permissions.
  public static func write(_ bytes: [UInt8], to path: String, workspace: Workspace) throws {
    let target = try check(path, workspace: workspace)
    let slash = target.lastIndex(of: "/") ?? target.startIndex
    let folder = String(target[..<slash])
    let name = String(target[target.index(after: slash)...])
    let temporary = "\(folder)/.\(name).partial-\(getpid())"
    unlink(temporary)
    try bytes.withUnsafeBytes { try FileIO.writeNew(path: Array(temporary.utf8), bytes: $0) }
    var old = stat()
    if stat(target, &old) == 0 { chmod(temporary, old.st_mode & 0o7777) }
    let fd = open(temporary, O_RDONLY | O_CLOEXEC)
    if fd >= 0 {
      let synced = fsync(fd)
      let code = errno
      close(fd)
      if synced != 0 {
        unlink(temporary)
        throw CatalogError.io(path: path, operation: "write", errno: code)
      }
    }
    if rename(temporary, target) != 0 {
      let code = errno
      unlink(temporary)
      throw CatalogError.io(path: path, operation: "write", errno: code)
    }
  }

  /// An exclusive lock (`flock`) on the folder holding `path`, waited for: commands that replace something in
  /// that folder take turns. Released by `unlock()` or when the process ends.
  /// The folder is made if missing.
  public static func lockFolder(containing path: String) throws -> FolderLock {
    let absolute = Workspace.absolute(path)
    let slash = absolute.lastIndex(of: "/") ?? absolute.startIndex
    let folder = slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    try FileIO.makeDirectories(folder)
    let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if fd < 0 { throw CatalogError.io(path: folder, operation: "open", errno: errno) }
    while flock(fd, LOCK_EX) != 0 {
      if errno == EINTR { continue }
      let code = errno
      close(fd)
      throw CatalogError.io(path: folder, operation: "lock", errno: code)
    }
    return FolderLock(descriptor: fd)
  }

  /// The absolute path `path` names, its folder's symbolic links resolved and a link at `path` followed. With
  /// `missingFolders` the folders above it need not exist yet (the nearest one that does is resolved).
  static func resolved(_ path: String, missingFolders: Bool = false) throws -> String {
    let absolute = Workspace.absolute(path)
    if let real = realpath(absolute, nil) {
      defer { free(real) }
      return String(cString: real)
    }
    // A new file (or a dangling link): resolve its folder.
    let slash = absolute.lastIndex(of: "/") ?? absolute.startIndex
    let folder = slash == absolute.startIndex ? "/" : String(absolute[..<slash])
    let name = String(absolute[absolute.index(after: slash)...])
    if name.isEmpty || name == "." || name == ".." {
      throw CatalogError.outputRefused(path: path, reason: "it is a folder; name a file")
    }
    guard let real = realpath(folder, nil) else {
      if missingFolders && folder != "/" { return try resolved(folder, missingFolders: true) + "/" + name }
      throw CatalogError.outputRefused(path: path, reason: "its folder \(folder) does not exist")
    }
    defer { free(real) }
    let base = String(cString: real)
    return (base == "/" ? "" : base) + "/" + name
  }
}

/// A lock taken by `OutputFile.lockFolder(containing:)`, released by `unlock()` or when it is freed.
public final class FolderLock {
  private var descriptor: Int32

  init(descriptor: Int32) { self.descriptor = descriptor }

  public func unlock() {
    if descriptor >= 0 { close(descriptor) }
    descriptor = -1
  }

  deinit { unlock() }
}
