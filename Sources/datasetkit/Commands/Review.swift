import Annotations
import ArgumentParser
import AutoFace
import Catalog
import Foundation
import Imaging
import Labeling
import Review

extension Datasetkit {
  struct Review: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "review",
      abstract:
        "Review face boxes and whole images: in the browser (serve), by id on the command line, or in LabelImg.",
      discussion: """
        Examples:
          datasetkit review serve
          datasetkit review sheet --out sheet.png && datasetkit review accept 1-40
          datasetkit review labelimg-export --out fix/
          datasetkit review suspects --limit 20
          datasetkit review image relabel --label without_mask 12-40,57
        """,
      subcommands: [
        Serve.self, Sheet.self, Accept.self, Reject.self, Relabel.self, LabelImgExport.self, LabelImgImport.self,
        ImageDecisions.self, Suspects.self,
      ])
  }
}

/// Box ids as `review accept|reject|relabel` take them (and image ids as `review image` does): `7 12`,
/// `1-12,15`, or both; ascending, each once.
enum BoxIDs {
  /// At most this many ids in one command (a typo like 1-1000000000 is refused, not expanded).
  static let limit = 100_000

  static func parse(_ arguments: [String], noun: String = "box") throws -> [Int64] {
    var ids = Set<Int64>()
    for argument in arguments {
      for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
        let bounds = part.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map {
          $0.trimmingCharacters(in: .whitespaces)
        }
        guard let low = Int64(bounds[0]), low >= 1, let high = bounds.count == 2 ? Int64(bounds[1]) : low else {
          throw ValidationError("'\(part)' is not a \(noun) id or a range like 1-12 (ids are 1 or more)")
        }
        guard high >= low else { throw ValidationError("'\(part)': the range ends before it starts") }
        guard high - low < Int64(limit), ids.count + Int(high - low) < limit else {
          throw ValidationError("'\(part)': at most \(limit) \(noun) ids in one command")
        }
        for id in low...high { ids.insert(id) }
      }
    }
    guard !ids.isEmpty else { throw ValidationError("give \(noun) ids, e.g. 7 12 or 1-12,15") }
    return ids.sorted()
  }
}

/// Which boxes a review command shows: status, origin, class.
struct BoxSelection: ParsableArguments {
  @Option(help: "Box status: proposed, accepted, rejected or any.")
  var status = "proposed"

  @Option(help: "Only boxes from this origin (a detector name, voc, yolo, or review).")
  var origin: String?

  @Option(help: "Only boxes of this class.")
  var label: String?

  /// The status to filter on (nil: any).
  var statusFilter: BoxStatus? { BoxStatus(rawValue: status) }

  func validate() throws {
    if status != "any" && BoxStatus(rawValue: status) == nil {
      throw ValidationError("--status must be proposed, accepted, rejected or any")
    }
  }
}

/// Which classes a review decision may give a box: the view's (`--view`), else the catalog's classes in use;
/// `--new-class` lets a new one in on purpose. A name outside them is refused with the nearest class (exit 64).
struct ClassOptions: ParsableArguments {
  @Option(help: "The view in force: a relabel must name one of its classes (default: the catalog's classes).")
  var view: String?

  @Flag(help: "Allow a class that is not in the view or the catalog yet (a new class, on purpose).")
  var newClass = false

  var policy: ClassPolicy { ClassPolicy(view: view, allowNew: newClass) }
}

extension AnnotationsError: UsageRefusal {
  /// A class outside the vocabulary is a usage error: the command named a class that is not there.
  var isUsageRefusal: Bool {
    if case .unknownClass = self { return true }
    return false
  }
}

extension Datasetkit.Review {
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "serve",
      abstract:
        "Serve the review page on 127.0.0.1: a keyboard-first grid of face boxes, and the full image to fix them.",
      discussion: """
        Prints the page's URL, with its random access token, on stdout; serves until Ctrl-C. Keys: arrows or \
        h j k l move, a accept, x reject, 1-9 relabel, u undo, n/p page, Enter full image (drag: draw a missed \
        face; Shift+drag: move the selected box), Esc back. Every decision is committed before the page shows it. \
        The same server shows the dataset's images at /browse (filters in the URL; 1-9 relabel, x exclude, \
        r restore, u undo).

        Examples:
          datasetkit review serve
          datasetkit review serve --status proposed --min-score 0.8 --port 8080
        """)

    @Option(help: "Port on 127.0.0.1 (0: a free one).")
    var port = 0

    @Option(help: "Address to listen on. Anything but loopback exposes the catalog to the network.")
    var host = "127.0.0.1"

    @OptionGroup var boxes: BoxSelection

    @Option(help: "Only boxes on images from this source.")
    var source: String?

    @Option(help: "Only boxes scored at least this.")
    var minScore: Double?

    @Flag(help: "Show the stored face crops (faces crop) instead of thumbnails cut from the images.")
    var crops = false

    @Option(help: "Classes for the relabel keys 1-9, comma-separated (then the catalog's own).")
    var labels = "with_mask,without_mask,mask_weared_incorrect"

    @Option(help: "Tiles per page.")
    var perPage = 48

    @Option(help: "Reviewer name in the review log (default: web:$USER).")
    var reviewer: String?

    @OptionGroup var classes: ClassOptions

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !(0...65535).contains(port) { throw ValidationError("--port: 0 to 65535") }
      if !(1...500).contains(perPage) { throw ValidationError("--per-page: 1 to 500") }
      if let minScore, !minScore.isFinite { throw ValidationError("--min-score must be a finite number") }
    }

    func run() async throws {
      let server: ReviewServer
      do {
        let user = ProcessInfo.processInfo.environment["USER"].map { "web:\($0)" } ?? "web"
        let desk = try ReviewDesk(
          workspace: try global.findWorkspace(), reviewer: reviewer ?? user, classes: classes.policy)
        var options = ReviewServerOptions()
        options.host = host
        options.port = port
        options.filter.status = boxes.statusFilter
        options.filter.label = boxes.label
        options.filter.source = source
        options.filter.origin = boxes.origin
        options.filter.minScore = minScore
        options.filter.crops = crops
        options.labels = labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        options.perPage = perPage
        options.logLevel = global.verbose ? .info : .warning
        server = ReviewServer(desk: desk, options: options)
      } catch {
        Output.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
        throw ExitCode.failure
      }
      let global = global
      if !["127.0.0.1", "::1", "localhost"].contains(host.lowercased()) && !host.hasPrefix("127.") {
        FileHandle.standardError.write(
          Data(
            "datasetkit: warning: --host \(host) makes the review page reachable from the network: anyone with its URL (the token) can change labels\n"
              .utf8))
      }
      do {
        try await server.run { url in
          Output.result(global.json ? Output.json("review serve", ServeReady(url: url)) : url)
          Output.note(
            "review page ready; open the URL above in a browser (Ctrl-C stops the server); the dataset's images: "
              + url.replacingOccurrences(of: "/?token=", with: "/browse?token="), global)
        }
      } catch {
        Output.error((error as? LocalizedError)?.errorDescription ?? "\(error)")
        throw ExitCode.failure
      }
    }

    struct ServeReady: Encodable {
      var url: String
    }
  }

  struct Sheet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sheet",
      abstract: "Write contact-sheet PNGs of boxes, each thumbnail numbered with its box id.",
      discussion: """
        Then: datasetkit review accept|reject IDS..., datasetkit review relabel --label NAME IDS...

        Example:
          datasetkit review sheet --status proposed --out sheet.png
        """)

    @Option(help: "The first sheet's path (more pages: NAME-2.png, ...).")
    var out = "review-sheet.png"

    @OptionGroup var boxes: BoxSelection

    @Option(help: "Thumbnails per row.")
    var columns = 8

    @Option(help: "Rows per sheet.")
    var rows = 6

    @Option(help: "Thumbnail side in pixels.")
    var thumbnail = 128

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if !(1...64).contains(columns) || !(1...64).contains(rows) {
        throw ValidationError("--columns and --rows: 1 to 64")
      }
      if !(16...512).contains(thumbnail) { throw ValidationError("--thumbnail: 16 to 512") }
    }

    func run() async throws {
      try Output.run("review sheet", global) {
        let catalog = try global.openCatalog()
        var options = ContactSheetOptions()
        options.status = boxes.statusFilter
        options.origin = boxes.origin
        options.label = boxes.label
        options.columns = columns
        options.rows = rows
        options.thumbnail = thumbnail
        return try catalog.contactSheets(options, path: out)
      } text: { r in
        var lines = ["\(r.boxes.count) boxes on \(r.sheets.count) sheet(s):"] + r.sheets.map { "  \($0)" }
        if !r.failed.isEmpty { lines += r.failed.prefix(20).map { "  image \($0.imageID): \($0.reason)" } }
        lines += r.decodeWarnings.listed(verbose: global.verbose)
        return lines.joined(separator: "\n")
      }
    }
  }

  static func apply(
    _ action: ReviewAction, _ ids: [Int64], _ global: GlobalOptions, _ command: String,
    classes: ClassPolicy = ClassPolicy()
  ) throws {
    try Output.run(command, global) {
      let catalog = try global.openCatalog()
      let reviewer = ProcessInfo.processInfo.environment["USER"].map { "cli:\($0)" } ?? "cli"
      return try catalog.review(action, boxes: ids, reviewer: reviewer, classes: classes)
    } text: { r in
      "\(r.action)\(r.value.map { " → \($0)" } ?? ""): \(r.boxes.count) boxes (\(r.boxes.map(String.init).joined(separator: " ")))"
    }
  }

  struct Accept: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "accept",
      abstract: "Accept boxes by id.",
      discussion: """
        Example:
          datasetkit review accept 1-12,15 20
        """)
    @Argument(help: "Box ids (as on the contact sheet): 7 12, or ranges 1-12,15.") var ids: [String]
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids) }
    func run() async throws { try Datasetkit.Review.apply(.accept, try BoxIDs.parse(ids), global, "review accept") }
  }

  struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reject",
      abstract: "Reject boxes by id.",
      discussion: """
        Example:
          datasetkit review reject 7 12
        """)
    @Argument(help: "Box ids (as on the contact sheet): 7 12, or ranges 1-12,15.") var ids: [String]
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids) }
    func run() async throws { try Datasetkit.Review.apply(.reject, try BoxIDs.parse(ids), global, "review reject") }
  }

  struct Relabel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "relabel",
      abstract: "Give boxes a class (and accept them).",
      discussion: """
        The class must be one of the view's (--view) or, without a view, one the catalog already uses; \
        anything else is refused with the nearest class (exit 64). --new-class adds a class on purpose.

        Examples:
          datasetkit review relabel --label mask_weared_incorrect 3 8-9
          datasetkit review relabel --label hat --new-class 12
        """)
    @Option(help: "The class, e.g. with_mask.") var label: String
    @Argument(help: "Box ids (as on the contact sheet): 7 12, or ranges 1-12,15.") var ids: [String]
    @OptionGroup var classes: ClassOptions
    @OptionGroup var global: GlobalOptions
    func validate() throws { _ = try BoxIDs.parse(ids) }
    func run() async throws {
      try Datasetkit.Review.apply(
        .relabel(label), try BoxIDs.parse(ids), global, "review relabel", classes: classes.policy)
    }
  }
}
