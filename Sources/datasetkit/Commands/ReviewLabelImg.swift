import ArgumentParser
import Catalog
import Foundation
import Labeling

extension Datasetkit.Review {
  struct LabelImgExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "labelimg-export",
      abstract: "Write boxes as LabelImg VOC files beside copies of their images, to fix them in LabelImg.",
      discussion: """
        Writes IMAGE.xml beside each image copy in --out (a new or empty folder), in LabelImg's own format, and a \
        manifest (.datasetkit-labelimg.json) that ties each file to its catalog image and boxes. Open the folder in \
        LabelImg (Open Dir, with the same folder as save dir), move, delete, draw or rename boxes, save, then \
        `datasetkit review labelimg-import DIR`. Boxes without a class are named --unlabeled.

        Example:
          datasetkit review labelimg-export --out fix/ --status proposed
        """)

    @Option(help: "The folder to write (new or empty).")
    var out: String

    /// Which boxes: `--status proposed|accepted|any` (rejected boxes are never exported), `--origin`, `--label`.
    @OptionGroup var boxes: BoxSelection

    @Flag(help: "All proposed and accepted boxes of the chosen images, not only the chosen boxes.")
    var allBoxes = false

    @Option(help: "The name given to boxes without a class.")
    var unlabeled = "face"

    @Flag(help: "Also the searched images where no chosen box is (empty annotation), to draw the missed faces.")
    var includeEmpty = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if boxes.statusFilter == .rejected {
        throw ValidationError("--status must be proposed, accepted or any (rejected boxes are not exported)")
      }
      if unlabeled.trimmingCharacters(in: .whitespaces).isEmpty {
        throw ValidationError("--unlabeled must not be empty")
      }
    }

    func run() async throws {
      try Output.run("review labelimg-export", global) {
        let catalog = try global.openCatalog()
        var options = LabelImgExportOptions()
        options.status = boxes.statusFilter
        options.origin = boxes.origin
        options.label = boxes.label
        options.allBoxes = allBoxes
        options.unlabeled = unlabeled
        options.includeEmpty = includeEmpty
        return try catalog.exportLabelImg(options, folder: out)
      } text: { r in
        ([
          "\(r.boxes) boxes on \(r.images) images written to \(r.folder) (LabelImg VOC files beside the images)",
          "Fix them in LabelImg, then: datasetkit review labelimg-import \(r.folder)",
        ] + r.failed.listed).joined(separator: "\n")
      }
    }
  }

  struct LabelImgImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "labelimg-import",
      abstract: "Turn what was changed in LabelImg into review decisions.",
      discussion: """
        Compares each VOC file of a folder written by `review labelimg-export` with the catalog: a moved box \
        becomes an `adjust`, a deleted one a `reject`, a new one a missed face (`add`, origin review), a renamed one \
        a `relabel`; unchanged boxes are left as they are. Importing the same folder again changes nothing.

        A file that cannot be used (malformed XML, an image this export did not write, a box outside the image, a \
        <name> that is not a class of the view or the catalog: --new-class lets new ones in) is \
        listed with the reason and left out whole; the other files go on (exit 1 when any was left out).

        Example:
          datasetkit review labelimg-import fix/
        """)

    @Argument(help: "The folder written by review labelimg-export.")
    var folder: String

    @OptionGroup var classes: ClassOptions

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      var failed = 0
      try Output.run("review labelimg-import", global) {
        let catalog = try global.openCatalog()
        let reviewer = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
        let report = try catalog.importLabelImg(folder: folder, reviewer: reviewer, classes: classes.policy)
        failed = report.failed
        return report
      } text: { r in
        var lines = [
          "\(r.files.count) files read: \(r.adjusted) moved (adjust), \(r.rejected) deleted (reject), \(r.added) drawn "
            + "(missed faces), \(r.relabelled) relabelled, \(r.unchanged) unchanged"
        ]
        let verified = r.files.filter { $0.verified == true }.count
        let unverified = r.files.filter { $0.verified == false }.count
        if verified + unverified > 0 {
          lines.append(
            "LabelImg's verified flag: \(verified) file\(verified == 1 ? "" : "s") marked verified, \(unverified) no longer verified (VOC and LabelImg exports write it back)"
          )
        }
        for file in r.files
        where file.error != nil || !(file.adjusted + file.rejected + file.added + file.relabelled).isEmpty {
          if let error = file.error {
            lines.append("  \(error)")
          } else {
            var parts: [String] = []
            if !file.adjusted.isEmpty { parts.append("moved \(file.adjusted.map(String.init).joined(separator: " "))") }
            if !file.rejected.isEmpty {
              parts.append("rejected \(file.rejected.map(String.init).joined(separator: " "))")
            }
            if !file.added.isEmpty { parts.append("added \(file.added.map(String.init).joined(separator: " "))") }
            if !file.relabelled.isEmpty {
              parts.append("relabelled \(file.relabelled.map(String.init).joined(separator: " "))")
            }
            lines.append("  \(file.file): " + parts.joined(separator: ", "))
          }
        }
        return lines.joined(separator: "\n")
      }
      if failed > 0 { throw ExitCode(1) }
    }
  }
}
