import Foundation
import TestSupport
import Testing

/// RELIABILITY.md case 46: `faces crop` decoded each box's whole photo in colour (507 MB at 13000², once per box, a
/// photo per worker: 1.08 GB peak for 8 boxes on two cores) where detection holds 265 MB. It now holds the rows a
/// crop spans. Measured on the child itself (its VmHWM), not the test process or its other children.
@Suite(.requiresBinary)
struct CropMemoryCommandTests {
  /// Runs the binary with stdout into `output`; its exit status and peak resident set (KiB): its VmHWM, read from
  /// /proc while it runs. (Not wait4's ru_maxrss: exec records the spawning process's peak there, and the test
  /// process is large when the whole suite runs.) posix_spawn returns once the child has exec'd.
  static func measured(_ arguments: [String], output: String) throws -> (status: Int32, peakKiB: Int) {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv = ([TestSupport.binary] + arguments).map { strdup($0) } + [nil]
    defer { for argument in argv { free(argument) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, TestSupport.binary, &actions, nil, argv, environ)
    guard spawned == 0 else { throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO) }
    var status: Int32 = 0
    var peak = 0
    while waitpid(pid, &status, WNOHANG) == 0 {
      let text = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
      for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        peak = max(peak, Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0)
      }
      usleep(20_000)
    }
    // WEXITSTATUS
    return ((status >> 8) & 0xFF, peak)
  }

  @Test("faces crop on a 13000×13000 PNG with four boxes holds their rows, not the photo: peak RSS under 300 MB")
  func cropHoldsTheBand() throws {
    let base = try TestSupport.temporaryFolder("dsk-crop-memory")
    defer { try? FileManager.default.removeItem(atPath: base) }
    let ws = base + "/ws"
    #expect(try TestSupport.run(["init", ws]).status == 0)
    try TestSupport.write(ZeroPNG.make(side: 13_000), to: base + "/voc/images/huge.png")
    let boxes = [
      (1000, 1000, 1400, 1500), (5000, 6000, 5300, 6400), (9000, 2000, 9500, 2600), (12000, 12000, 12500, 12600),
    ]
    let objects = boxes.map { b in
      "<object><name>face</name><bndbox><xmin>\(b.0)</xmin><ymin>\(b.1)</ymin><xmax>\(b.2)</xmax><ymax>\(b.3)</ymax></bndbox></object>"
    }
    try TestSupport.write(
      Array(
        ("<annotation><folder>images</folder><filename>huge.png</filename><size><width>13000</width>"
          + "<height>13000</height><depth>1</depth></size>" + objects.joined() + "</annotation>").utf8),
      to: base + "/voc/annotations/huge.xml")
    #expect(try TestSupport.run(["import", base + "/voc", "--layout", "voc"], in: ws).status == 0)
    let (status, peak) = try Self.measured(["faces", "crop", "--json", "--workspace", ws], output: base + "/crop.json")
    #expect(status == 0)
    let report =
      try TestSupport.jsonResult(try String(contentsOfFile: base + "/crop.json", encoding: .utf8)) as? [String: Any]
    #expect(report?["cropped"] as? Int == 4, "\(report ?? [:])")
    // The whole photo in colour alone is 507 MB; four bands of 600-750 rows at most 4 × 30 MB.
    #expect(peak > 20_000 && peak < 300_000, "peak RSS \(peak) KiB")
  }
}
