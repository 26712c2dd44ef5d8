import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Folders and files a killed process leaves behind (kill -9, power loss), recognised by the process id
/// in their name: `tmp/zip-PID-…` (archive staging), `<out>.datasetkit-export-PID` (export staging),
/// `<out>.datasetkit-old-PID` (an earlier export moved aside) and `.<out>.partial-PID` (box-format staging).
/// Only entries of processes that are no longer running are touched.
public enum Leftovers {
  /// The process id a leftover's name carries, or nil when the name is not one of the patterns.
  public static func processID(inName name: String) -> Int32? {
    func digits(_ text: Substring) -> Int32? { text.allSatisfy(\.isASCII) ? Int32(text) : nil }
    if name.hasPrefix("zip-"), let pid = name.dropFirst(4).split(separator: "-", maxSplits: 1).first {
      return digits(pid)
    }
    for marker in [".datasetkit-export-", ".datasetkit-old-"] {
      // `.<out>.datasetkit-export-PID.partial-PID` (a box format's staging of that staging) is matched below.
      if let range = name.range(of: marker, options: .backwards), range.lowerBound > name.startIndex,
        let pid = digits(name[range.upperBound...])
      {
        return pid
      }
    }
    if name.hasPrefix("."), let range = name.range(of: ".partial-", options: .backwards),
      range.lowerBound > name.index(after: name.startIndex)
    {
      return digits(name[range.upperBound...])
    }
    return nil
  }

  /// True while a process with this id exists (or may: another user's process answers EPERM).
  public static func isRunning(_ pid: Int32) -> Bool {
    pid > 0 && (kill(pid, 0) == 0 || errno != ESRCH)
  }

  /// The leftovers of dead processes directly inside `folder`, by full path.
  public static func find(in folder: String) -> [String] {
    guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [] }
    return names.sorted().compactMap { name in
      guard let pid = processID(inName: name), !isRunning(pid) else { return nil }
      return folder + "/" + name
    }
  }

  /// Removes the leftovers of dead processes inside `folder`. An earlier export moved aside
  /// (`<out>.datasetkit-old-PID`) whose `<out>` is missing is moved back instead: the process died
  /// between the two renames of the swap. Returns what it removed or restored.
  @discardableResult
  public static func clean(in folder: String) -> [String] {
    var handled: [String] = []
    for path in find(in: folder) {
      if let range = path.range(of: ".datasetkit-old-", options: .backwards) {
        let original = String(path[..<range.lowerBound])
        if !FileIO.exists(original), rename(path, original) == 0 {
          handled.append(path)
          continue
        }
      }
      if (try? FileManager.default.removeItem(atPath: path)) != nil { handled.append(path) }
    }
    return handled
  }
}
