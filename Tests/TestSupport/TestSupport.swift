import Catalog
import Foundation
import Imaging

/// Shared helpers for the test targets: temporary folders, real sample photographs, the built binary.
public enum TestSupport {
  /// The repository root (this file is Tests/TestSupport/TestSupport.swift).
  public static let repositoryRoot: String = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

  /// The real files every clone carries (`Tests/Fixtures`: the Kaggle face-mask sample, CC0; LabelImg's
  /// raccoon files, MIT; see its README for the license notes).
  public static var testdata: String { repositoryRoot + "/Tests/Fixtures" }

  /// Debian's opencv-doc example photographs (installed by scripts/bootstrap).
  public static let debianPhotos = "/usr/share/doc/opencv-doc/examples/data"

  /// The datasetkit binary built by `swift build` (the Makefile builds before testing).
  public static var binary: String { repositoryRoot + "/.build/debug/datasetkit" }

  /// A fresh empty folder under the system temporary folder.
  public static func temporaryFolder(_ name: String = "dsk") throws -> String {
    let path = NSTemporaryDirectory() + "\(name)-\(getpid())-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Bytes of a real photograph from Debian's opencv-doc (e.g. "messi5.jpg").
  public static func photo(_ name: String) throws -> [UInt8] {
    guard let data = FileManager.default.contents(atPath: debianPhotos + "/" + name) else {
      throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: debianPhotos + "/" + name])
    }
    return Array(data)
  }

  /// `count` distinct real JPEGs (crops of Debian's photographs at different places), about 10–40 KB.
  public static func distinctJPEGs(count: Int, width: Int = 200, seed: Int = 0) throws -> [[UInt8]] {
    let sources = try ["fruits.jpg", "baboon.jpg", "building.jpg", "messi5.jpg", "home.jpg"].map {
      try DecodedImage(bytes: photo($0))
    }
    var result: [[UInt8]] = []
    for index in 0..<count {
      let image = sources[(index + seed) % sources.count]
      let step = index / sources.count + seed
      let side = min(image.width, image.height) / 2
      let x = (step * 7919) % max(1, image.width - side)
      let y = (step * 104_729) % max(1, image.height - side)
      let crop = try image.cropped(
        to: Box(x: x, y: y, width: side, height: side), width: width, height: width * 3 / 4)
      result.append(try crop.encoded(.jpeg(quality: 85)))
    }
    return result
  }

  public static func write(_ bytes: [UInt8], to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
  }

  /// What a finished process printed.
  public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// The process was still running after `run`'s `timeout` and was killed.
    public var timedOut = false
    /// Wall-clock seconds from start to exit.
    public var seconds = 0.0
  }

  /// Runs the built datasetkit binary and waits for it (`environment` adds to the current one); with `timeout`, a
  /// process still running after that many seconds is killed (SIGKILL) and the result says `timedOut`.
  @discardableResult
  public static func run(
    _ arguments: [String], in directory: String? = nil, environment: [String: String] = [:],
    timeout: Double? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    let started = Date()
    try process.run()
    // `out` marks the process finished, `err` killed.
    let watch = OutputBox()
    if let timeout {
      let pid = process.processIdentifier
      DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
        guard watch.out.isEmpty else { return }
        watch.setErr(Data([1]))
        kill(pid, SIGKILL)
      }
    }
    // Read both pipes while the process runs, so a large output cannot block it.
    let group = DispatchGroup()
    let box = OutputBox()
    DispatchQueue.global().async(group: group) { box.setOut(out.fileHandleForReading.readDataToEndOfFile()) }
    DispatchQueue.global().async(group: group) { box.setErr(err.fileHandleForReading.readDataToEndOfFile()) }
    process.waitUntilExit()
    watch.setOut(Data([1]))
    group.wait()
    return ProcessResult(
      status: process.terminationStatus, stdout: String(decoding: box.out, as: UTF8.self),
      stderr: String(decoding: box.err, as: UTF8.self), timedOut: !watch.err.isEmpty,
      seconds: Date().timeIntervalSince(started))
  }

  /// Mounts a tmpfs of `size` (e.g. "1200k") on a new temporary folder (needs root); `unmount` removes it.
  public static func mountTmpfs(size: String) throws -> (path: String, unmount: () -> Void) {
    let path = try temporaryFolder("tmpfs")
    func tool(_ name: String, _ arguments: [String]) -> Int32 {
      let process = Process()
      process.executableURL = URL(fileURLWithPath: "/bin/" + name)
      process.arguments = arguments
      guard (try? process.run()) != nil else { return -1 }
      process.waitUntilExit()
      return process.terminationStatus
    }
    guard tool("mount", ["-t", "tmpfs", "-o", "size=" + size, "tmpfs", path]) == 0 else {
      throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
    }
    return (
      path,
      {
        _ = tool("umount", [path])
        try? FileManager.default.removeItem(atPath: path)
      }
    )
  }

  /// Parses a `--json` result and returns its `result` member.
  public static func jsonResult(_ text: String) throws -> Any {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let dictionary = object as? [String: Any], dictionary["schemaVersion"] as? Int == 1 else {
      throw CocoaError(.coderReadCorrupt)
    }
    return dictionary["result"] ?? NSNull()
  }
}

final class OutputBox: @unchecked Sendable {
  private let lock = NSLock()
  private var outData = Data()
  private var errData = Data()
  var out: Data { lock.withLock { outData } }
  var err: Data { lock.withLock { errData } }
  func setOut(_ data: Data) { lock.withLock { outData = data } }
  func setErr(_ data: Data) { lock.withLock { errData = data } }
}
