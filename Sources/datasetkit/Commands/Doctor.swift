import Annotations
import ArgumentParser
import AutoFace
import Catalog
import Crawler
import Foundation
import Imaging

extension Datasetkit {
  struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "doctor",
      abstract: "Check the system libraries, the OpenCV cascades and the workspace's health.",
      discussion: """
        Checks SQLite, libcurl, libxml2 and OpenCV, the Haar and LBP cascades of Debian's opencv-data and the \
        built-in face detector, then the workspace: its schema version, leftovers of killed processes, \
        PRAGMA integrity_check, and that every image row has its object (--deep re-hashes every object). Exit 1 \
        when a check fails.

        Example:
          datasetkit doctor --deep
        """)

    @Flag(help: "Also re-hash every object in the store (slow on large catalogs).")
    var deep = false

    @OptionGroup var global: GlobalOptions

    struct Check: Encodable {
      var name: String
      var status: String  // ok, warning, failed
      var detail: String
    }

    func run() async throws {
      var checks: [Check] = []
      try Output.run("doctor", global) {
        checks = runChecks()
        return checks
      } text: { (checks: [Check]) in
        Output.table(
          ["check", "status", "detail"], checks.map { [$0.name, $0.status, $0.detail] },
          leftAligned: [0, 1, 2])
      }
      if checks.contains(where: { $0.status == "failed" }) { throw ExitCode.failure }
    }

    /// A check that passes with `detail`'s text, or fails with the error it throws.
    func probe(_ name: String, _ detail: () throws -> String) -> Check {
      do {
        return Check(name: name, status: "ok", detail: try detail())
      } catch {
        return Check(name: name, status: "failed", detail: error.localizedDescription)
      }
    }

    func runChecks() -> [Check] {
      var checks: [Check] = []
      checks.append(Check(name: "sqlite3", status: "ok", detail: Database.libraryVersion))
      checks.append(probe("libcurl") { "\(try HTTPClient.libraryVersion()) (opened on the first transfer)" })
      checks.append(Check(name: "libxml2", status: "ok", detail: SafeXML.libraryVersion))
      checks.append(Check(name: "opencv", status: "ok", detail: openCVVersion))
      checks.append(
        probe("opencv imgcodecs") {
          try checkImageCodecs()
          return "opened (loaded on the first encode, or decode of a format other than JPEG/PNG)"
        })
      for (name, folder) in [
        ("haar cascades", CascadeLocations.haarFolder), ("lbp cascades", CascadeLocations.lbpFolder),
      ] {
        let files =
          (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".xml") } ?? []
        checks.append(
          files.isEmpty
            ? Check(name: name, status: "failed", detail: "none in \(folder); install Debian's opencv-data")
            : Check(name: name, status: "ok", detail: "\(files.count) in \(folder)"))
      }
      checks.append(
        probe("default face cascade") {
          _ = try CascadeClassifier(path: CascadeLocations.defaultFrontalFace)
          return "loads"
        })
      checks.append(
        probe("default face detector") {
          "YuNet built in, SHA-256 verified, loads (\(try YuNetFaceDetector().identity.version))"
        })
      checks.append(
        Check(
          name: "face detectors", status: "ok",
          detail: "default (YuNet), yunet, haar, lbp, cascades built in; res10 needs --model "
            + "res10_300x300_ssd_iter_140000.caffemodel --config deploy.prototxt (not shipped)"))
      do {
        let catalog = try global.openCatalog(readOnly: true)
        checks.append(
          Check(
            name: "workspace", status: "ok", detail: "\(catalog.workspace.root) (schema \(try catalog.schemaVersion))"))
        let leftovers = catalog.removedLeftovers
        checks.append(
          leftovers.isEmpty
            ? Check(
              name: "leftovers", status: "ok",
              detail: "no staging left by killed processes in objects/tmp/, tmp/ or exports/")
            : Check(
              name: "leftovers", status: "warning",
              detail:
                "removed \(leftovers.count) left by killed processes: \(leftovers.prefix(5).joined(separator: ", "))"))
        let integrity = try catalog.integrityCheck()
        checks.append(
          integrity == ["ok"]
            ? Check(name: "catalog integrity", status: "ok", detail: "PRAGMA integrity_check: ok")
            : Check(name: "catalog integrity", status: "failed", detail: integrity.prefix(5).joined(separator: "; ")))
        let problems = try catalog.verifyObjects(rehash: deep)
        checks.append(
          problems.isEmpty
            ? Check(
              name: "object store", status: "ok",
              detail: deep ? "every object present and re-hashed" : "every object present")
            : Check(name: "object store", status: "failed", detail: "\(problems.count) problems, first: \(problems[0])")
        )
      } catch CatalogError.workspaceNotFound(let folder) {
        // Outside a workspace doctor checks the system only.
        checks.append(
          Check(
            name: "workspace", status: "warning",
            detail: CatalogError.workspaceNotFound(searchedFrom: folder).localizedDescription))
      } catch {
        checks.append(Check(name: "workspace", status: "failed", detail: error.localizedDescription))
      }
      return checks
    }
  }
}
