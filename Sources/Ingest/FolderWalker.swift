import Catalog
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A regular file found under an import root. Paths are raw bytes: names need not be UTF-8.
public struct FoundFile: Sendable, Hashable {
  /// The absolute path.
  public var path: [UInt8]
  /// The path relative to the root, components joined by "/".
  public var relativePath: [UInt8]
  public var size: Int64
  public var modifiedNanoseconds: Int64

  public init(path: [UInt8], relativePath: [UInt8], size: Int64, modifiedNanoseconds: Int64) {
    self.path = path
    self.relativePath = relativePath
    self.size = size
    self.modifiedNanoseconds = modifiedNanoseconds
  }

  /// Folder names from the root down to the file (the file's own name excluded).
  public var folders: [[UInt8]] {
    Array(relativePath.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: true).dropLast())
      .map(Array.init)
  }
}

/// Something under the root that was not walked, and why.
public struct WalkSkip: Sendable, Hashable, Codable {
  public var path: String
  public var reason: String
}

/// Walks a folder tree with `opendir`/`lstat` on byte paths, in sorted order.
///
/// Symbolic links are followed only when they name a regular file inside the root; links that leave
/// the root, and linked folders, are reported and not followed, so an import never reads outside the
/// folder it was given.
public enum FolderWalker {
  public static func walk(root: String) throws -> (files: [FoundFile], skipped: [WalkSkip]) {
    var info = stat()
    if stat(root, &info) != 0 {
      throw IngestError.pathNotFound(root)
    }
    guard (info.st_mode & S_IFMT) == S_IFDIR else { throw IngestError.notAFolder(root) }
    guard let real = realpath(root, nil) else { throw IngestError.pathNotFound(root) }
    let rootReal = Array(String(cString: real).utf8)
    free(real)
    var files: [FoundFile] = []
    var skipped: [WalkSkip] = []
    var pending: [[UInt8]] = [[]]  // relative folder paths still to list
    while let relativeFolder = pending.popLast() {
      let folder = join(rootReal, relativeFolder)
      var names: [[UInt8]] = []
      let listed = folder.withCString { path -> Bool in
        guard let directory = opendir(path) else { return false }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
          let name = withUnsafeBytes(of: entry.pointee.d_name) { raw -> [UInt8] in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return Array(bytes[0..<end])
          }
          if name == [0x2E] || name == [0x2E, 0x2E] { continue }
          names.append(name)
        }
        return true
      }
      if !listed {
        skipped.append(
          WalkSkip(
            path: FileIO.display(relativeFolder), reason: "cannot list folder: \(String(cString: strerror(errno)))"))
        continue
      }
      names.sort { $0.lexicographicallyPrecedes($1) }
      var subfolders: [[UInt8]] = []
      for name in names {
        let relative = relativeFolder.isEmpty ? name : relativeFolder + [UInt8(ascii: "/")] + name
        let absolute = join(rootReal, relative)
        var entryInfo = stat()
        guard absolute.withCString({ lstat($0, &entryInfo) }) == 0 else {
          skipped.append(
            WalkSkip(path: FileIO.display(relative), reason: "cannot stat: \(String(cString: strerror(errno)))"))
          continue
        }
        switch entryInfo.st_mode & S_IFMT {
        case S_IFDIR:
          subfolders.append(relative)
        case S_IFREG:
          files.append(found(absolute, relative, entryInfo))
        case S_IFLNK:
          guard let target = absolute.withCString({ realpath($0, nil) }) else {
            skipped.append(WalkSkip(path: FileIO.display(relative), reason: "broken symbolic link"))
            continue
          }
          let targetBytes = Array(String(cString: target).utf8)
          free(target)
          let inside = targetBytes.starts(with: rootReal + [UInt8(ascii: "/")])
          var targetInfo = stat()
          _ = targetBytes.withCString { stat($0, &targetInfo) }
          if !inside {
            skipped.append(
              WalkSkip(
                path: FileIO.display(relative),
                reason: "symbolic link to \(FileIO.display(targetBytes)), outside the import root: not followed"))
          } else if (targetInfo.st_mode & S_IFMT) == S_IFDIR {
            skipped.append(WalkSkip(path: FileIO.display(relative), reason: "symbolic link to a folder: not followed"))
          } else if (targetInfo.st_mode & S_IFMT) == S_IFREG {
            files.append(found(absolute, relative, targetInfo))
          } else {
            skipped.append(
              WalkSkip(path: FileIO.display(relative), reason: "symbolic link to something that is not a file"))
          }
        default:
          skipped.append(WalkSkip(path: FileIO.display(relative), reason: "not a regular file"))
        }
      }
      // Depth first, in sorted order.
      pending.append(contentsOf: subfolders.reversed())
    }
    return (files, skipped)
  }

  static func join(_ root: [UInt8], _ relative: [UInt8]) -> [UInt8] {
    relative.isEmpty ? root : root + [UInt8(ascii: "/")] + relative
  }

  static func found(_ absolute: [UInt8], _ relative: [UInt8], _ info: stat) -> FoundFile {
    FoundFile(
      path: absolute, relativePath: relative, size: Int64(info.st_size),
      modifiedNanoseconds: Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec))
  }
}
