import ArgumentParser
import AutoFace
import Catalog
import Foundation

extension Datasetkit {
  struct Review: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "review",
      abstract: "Review face boxes without a browser: contact sheets and decisions by box id.",
      subcommands: [Sheet.self, Accept.self, Reject.self, Relabel.self, LabelImgExport.self, LabelImgImport.self])
  }
}

extension Datasetkit.Review {
  struct Sheet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Write contact-sheet PNGs of boxes, each thumbnail numbered with its box id.",
      discussion: "Then: datasetkit review accept|reject IDS..., datasetkit review relabel --label NAME IDS...")

    @Option(help: "The first sheet's path (more pages: NAME-2.png, ...).")
    var out = "review-sheet.png"

    @Option(help: "Box status to show: proposed, accepted, rejected or any.")
    var status = "proposed"

    @Option(help: "Only boxes from this origin (a detector name, or voc).")
    var origin: String?

    @Option(help: "Only boxes of this class.")
    var label: String?

    @Option(help: "Thumbnails per row.")
    var columns = 8

    @Option(help: "Rows per sheet.")
    var rows = 6

    @Option(help: "Thumbnail side in pixels.")
    var thumbnail = 128

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !["proposed", "accepted", "rejected", "any"].contains(status) {
        throw ValidationError("--status must be proposed, accepted, rejected or any")
      }
      if !(1...64).contains(columns) || !(1...64).contains(rows) {
        throw ValidationError("--columns and --rows: 1 to 64")
      }
      if !(16...512).contains(thumbnail) { throw ValidationError("--thumbnail: 16 to 512") }
    }

    func run() async throws {
      try Output.run("review sheet", global) {
        let catalog = try global.openCatalog()
        var options = ContactSheetOptions()
        options.status = status == "any" ? nil : status
        options.origin = origin
        options.label = label
        options.columns = columns
        options.rows = rows
        options.thumbnail = thumbnail
        return try catalog.contactSheets(options, path: out)
      } text: { r in
        var lines = ["\(r.boxes.count) boxes on \(r.sheets.count) sheet(s):"] + r.sheets.map { "  \($0)" }
        if !r.failed.isEmpty { lines += r.failed.prefix(20).map { "  image \($0.imageID): \($0.reason)" } }
        return lines.joined(separator: "\n")
      }
    }
  }

  static func apply(_ action: ReviewAction, _ ids: [Int64], _ global: GlobalOptions, _ command: String) throws {
    try Output.run(command, global) {
      let catalog = try global.openCatalog()
      let reviewer = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
      return try catalog.review(action, boxes: ids, reviewer: reviewer)
    } text: { r in
      "\(r.action)\(r.value.map { " → \($0)" } ?? ""): \(r.boxes.count) boxes (\(r.boxes.map(String.init).joined(separator: " ")))"
    }
  }

  struct Accept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Accept boxes by id.")
    @Argument(help: "Box ids (as on the contact sheet).") var ids: [Int64]
    @OptionGroup var global: GlobalOptions
    func run() async throws { try Datasetkit.Review.apply(.accept, ids, global, "review accept") }
  }

  struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject boxes by id.")
    @Argument(help: "Box ids (as on the contact sheet).") var ids: [Int64]
    @OptionGroup var global: GlobalOptions
    func run() async throws { try Datasetkit.Review.apply(.reject, ids, global, "review reject") }
  }

  struct Relabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Give boxes a class (and accept them).")
    @Option(help: "The class, e.g. with_mask.") var label: String
    @Argument(help: "Box ids (as on the contact sheet).") var ids: [Int64]
    @OptionGroup var global: GlobalOptions
    func run() async throws { try Datasetkit.Review.apply(.relabel(label), ids, global, "review relabel") }
  }
}
