import Catalog
import Foundation
import TestSupport
import Testing

/// The README's walk-through "fix the suspects of a merged set": `scripts/walkthrough` holds its commands, the
/// README's block is the script's transcript, and this test runs the script, compares the two, and checks what the
/// commands promise in the exports.
@Suite("CLI: the README walk-through (suspects of a merged set, five fixes, split --update, export)")
struct WalkthroughTests {
  static let heading = "### Walk-through: fix the suspects of a merged set"

  /// The README's transcript: the first ```console block after the walk-through's heading.
  static func readmeTranscript() throws -> [String] {
    let readme = try String(contentsOfFile: TestSupport.repositoryRoot + "/README.md", encoding: .utf8)
    let lines = readme.components(separatedBy: "\n")
    let start = try #require(lines.firstIndex(of: heading), "README has no section \(heading)")
    let open = try #require(lines[start...].firstIndex(of: "```console"), "no ```console block after \(heading)")
    let close = try #require(lines[(open + 1)...].firstIndex(of: "```"), "the block after \(heading) is not closed")
    return Array(lines[(open + 1)..<close])
  }

  /// One manifest entry: where the export put an image, with which label, in which subset.
  struct Entry: Equatable {
    var path: String
    var label: String
    var subset: String
  }

  static func manifest(_ folder: String) throws -> [String: Entry] {
    let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    var entries: [String: Entry] = [:]
    for file in try #require(object["files"] as? [[String: Any]]) {
      let sha = try #require(file["sha256"] as? String)
      #expect(entries[sha] == nil, "\(sha) twice in \(folder)/manifest.json")
      entries[sha] = Entry(
        path: file["path"] as? String ?? "", label: file["label"] as? String ?? "",
        subset: file["subset"] as? String ?? "")
    }
    return entries
  }

  @Test(
    "the README's commands run as shown; the five fixes hold in the export and no other image moved",
    .requiresBinary,
    .requires(
      FileManager.default.isExecutableFile(atPath: TestSupport.repositoryRoot + "/.build/debug/sample-images")
        && FileManager.default.fileExists(atPath: "/usr/share/doc/opencv-doc/opencv4/html/example.jpg"),
      "needs .build/debug/sample-images (make test builds it) and opencv-doc's photos (scripts/bootstrap)"))
  func walkthrough() throws {
    let folder = try TestSupport.temporaryFolder("dsk-walk")
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let walk = folder + "/walk"
    // stdout and stderr into files (the script's output is small, but a pipe nobody reads could block it).
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/bash")
    process.arguments = [
      "-c", #"exec /bin/bash "$0" "$1" >"$2" 2>"$3""#, TestSupport.repositoryRoot + "/scripts/walkthrough", walk,
      folder + "/transcript.txt", folder + "/stderr.txt",
    ]
    try process.run()
    process.waitUntilExit()
    let stderr = (try? String(contentsOfFile: folder + "/stderr.txt", encoding: .utf8)) ?? ""
    try #require(process.terminationStatus == 0, "scripts/walkthrough failed: \(stderr)")
    let stdout = try String(contentsOfFile: folder + "/transcript.txt", encoding: .utf8)

    // The transcript is the README's block, line for line (the README shows it as run in /tmp/walk).
    let transcript = stdout.replacingOccurrences(of: walk, with: "/tmp/walk")
    var actual = transcript.components(separatedBy: "\n")
    if actual.last == "" { actual.removeLast() }
    let shown = try Self.readmeTranscript()
    let firstDifference =
      (0..<min(actual.count, shown.count)).first { actual[$0] != shown[$0] } ?? min(actual.count, shown.count)
    let same = actual == shown
    #expect(
      same,
      """
      README's walk-through differs from scripts/walkthrough's transcript at line \(firstDifference + 1):
      README: \(firstDifference < shown.count ? shown[firstDifference] : "(ends)")
      script: \(firstDifference < actual.count ? actual[firstDifference] : "(ends)")
      The whole transcript (paste it into the README's block):
      \(actual.joined(separator: "\n"))
      """)

    // The five images the commands fix are the five filed under the wrong class.
    let catalog = try Catalog(workspace: Workspace(root: walk + "/ws"))
    func image(_ id: Int64) throws -> (path: String, sha256: String, status: String) {
      let row = try catalog.database.rows(
        """
        SELECT o.rel_path, i.sha256, i.status FROM images i JOIN image_origins o ON o.image_id = i.id
        WHERE i.id = ? ORDER BY o.id LIMIT 1
        """, [.int(id)]
      ) { ($0.text(0) ?? "", $0.text(1) ?? "", $0.text(2) ?? "") }.first
      return try #require(row, "no image \(id)")
    }
    let relabelled = try [52, 53, 54].map { try image($0) }
    let excluded = try [62, 63].map { try image($0) }
    #expect(
      relabelled.map(\.path) == ["con_mascarilla/0106.jpg", "con_mascarilla/0107.jpg", "con_mascarilla/0108.jpg"])
    #expect(excluded.map(\.path) == ["sin_mascarilla/0102.jpg", "sin_mascarilla/0104.jpg"])
    #expect(excluded.allSatisfy { $0.status == "rejected" })
    // Each decision is logged with its reviewer.
    let reviewers = try catalog.database.rows(
      "SELECT subject_id, action, reviewer FROM reviews WHERE subject = 'image' ORDER BY subject_id"
    ) { "\($0.int64(0)) \($0.text(1) ?? "") \($0.text(2) ?? "")" }
    #expect(
      reviewers == [
        "52 relabel alice", "53 relabel alice", "54 relabel alice", "62 exclude alice", "63 exclude alice",
      ])

    let before = try Self.manifest(folder + "/walk/v1-before")
    let after = try Self.manifest(folder + "/walk/v1-after")
    // Relabelled: in the same subset as before, now in the without_mask folder, the file there.
    for fixed in relabelled {
      let was = try #require(before[fixed.sha256], "\(fixed.path) was not in the split's first export")
      let now = try #require(after[fixed.sha256], "\(fixed.path) is missing from the export after the fix")
      #expect(was.label == "with_mask" && now.label == "without_mask", "\(fixed.path): \(was) → \(now)")
      #expect(now.subset == was.subset)
      #expect(now.path.hasPrefix("\(now.subset)/without_mask/"), "\(now.path)")
      #expect(FileManager.default.fileExists(atPath: folder + "/walk/v1-after/" + now.path))
      #expect(!FileManager.default.fileExists(atPath: folder + "/walk/v1-after/" + was.path))
    }
    // Excluded: gone from the export, file and manifest.
    for fixed in excluded {
      let was = try #require(before[fixed.sha256], "\(fixed.path) was not in the split's first export")
      #expect(after[fixed.sha256] == nil, "\(fixed.path) is still exported")
      #expect(!FileManager.default.fileExists(atPath: folder + "/walk/v1-after/" + was.path))
    }
    // Nothing else moved: every other image in the same subset, with the same label, at the same path.
    let fixedSHAs = Set((relabelled + excluded).map(\.sha256))
    #expect(before.count == after.count + 2)
    var unchanged = 0
    for (sha, entry) in before where !fixedSHAs.contains(sha) {
      #expect(after[sha] == entry, "\(entry.path) moved: \(after[sha].map { "\($0)" } ?? "gone")")
      unchanged += 1
    }
    #expect(unchanged == after.count - 3)

    // The CSV export agrees with the folders export and with its own manifest.
    let csvManifest = try Self.manifest(folder + "/walk/v1-csv")
    let csv = try String(contentsOfFile: folder + "/walk/v1-csv/data.csv", encoding: .utf8)
    var rows = csv.split(separator: "\n").map(String.init)
    #expect(rows.removeFirst() == "path,label,subset,sha256,source,license,url,caption")
    #expect(rows.count == after.count)
    for row in rows {
      let fields = row.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
      let (path, label, subset, sha) = (fields[0], fields[1], fields[2], fields[3])
      #expect(csvManifest[sha] == Entry(path: path, label: label, subset: subset), "\(row)")
      #expect(after[sha]?.label == label && after[sha]?.subset == subset, "\(row)")
      #expect(FileManager.default.fileExists(atPath: folder + "/walk/v1-csv/" + path))
    }
    for fixed in relabelled {
      #expect(rows.contains { $0.contains(",without_mask,") && $0.contains(fixed.sha256) })
    }
    for fixed in excluded { #expect(!csv.contains(fixed.sha256)) }
  }
}
