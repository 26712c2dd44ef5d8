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

  /// Writes `bytes` to a new file at `path` (which must not exist) without syncing.
  public static func writeNew(path: [UInt8], bytes: UnsafeRawBufferPointer) throws {
    let fd = path.withCString { open($0, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644) }
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
