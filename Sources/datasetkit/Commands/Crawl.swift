import ArgumentParser
import Catalog
import Crawler
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

extension Datasetkit {
  struct Crawl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "crawl",
      abstract: "Crawl image-search APIs and URL lists into the catalog, with provenance and resume.",
      discussion: """
        Providers and the environment variables holding their keys:
        \(providerList)

        `datasetkit crawl run --help` lists every option.

        Examples:
          datasetkit crawl --query "face mask" --label with_mask --license by,cc0
          datasetkit crawl status
        """,
      subcommands: [Run.self, Status.self],
      defaultSubcommand: Run.self)
  }
}

extension Datasetkit.Crawl {
  static let providerList = Providers.all.map { info in
    "  \(info.name.padding(toLength: 10, withPad: " ", startingAt: 0)) \(info.summary)"
      + (info.keyVariables.isEmpty ? "" : "; key: " + info.keyVariables.joined(separator: ", "))
  }.joined(separator: "\n")

  struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "run",
      abstract: "Crawl one query (or a plan of queries × labels); `datasetkit crawl --provider …` runs this.",
      discussion: """
        Providers and the environment variables holding their keys:
        \(Datasetkit.Crawl.providerList)

        Each job (provider, query, label, endpoint, licenses) is kept in the catalog with its page cursor, its \
        per-URL state and the API requests it spent: running the same command again after a crash or Ctrl-C \
        continues where it stopped, never fetching a stored image or a saved page twice. Request budgets \
        (Openverse anonymous 100/day, Pexels 200/hour, Pixabay 100/min, Flickr 3600/hour, Google 100/day) hold \
        across runs; --budget overrides them.

        Downloads: http/https only, at most 5 redirects, --max-bytes counted while receiving, connect / low-speed \
        / total timeouts, 429/503 Retry-After honoured with jittered backoff. Private, loopback and link-local \
        addresses are refused (also after a redirect) unless --allow-private-network. robots.txt of image hosts \
        and `X-Robots-Tag: noai|noimageai` are honoured. Every image passes the import checks (magic bytes, header \
        size, --min-size, SHA-256 dedup); each origin records provider, query, label, rank, image URL, landing \
        page, license, license URL, creator, attribution, HTTP status and time.

        A plan file (JSON) crawls many queries × labels:
          {"provider": "openverse", "limit": 200, "license": ["by", "cc0"],
           "labels": {"with_mask": ["face mask", "person wearing mask"],
                      "without_mask": ["face portrait"]}}

        Examples:
          datasetkit crawl --query "face mask" --label with_mask --limit 200
          datasetkit crawl --provider commons --query portrait --label without_mask
          datasetkit crawl --plan plan.json --min-size 128
          datasetkit crawl --provider urls --urls urls.csv
          datasetkit crawl --provider urls --urls cc3m.tsv --caption-col caption
        """)

    @Option(help: "The provider (\(Providers.all.map(\.name).joined(separator: ", "))).")
    var provider = "openverse"

    @Option(help: "The search words (for --provider urls: a name for the list; default its file name).")
    var query: String?

    @Option(help: "The class label given to every image of this crawl.")
    var label: String?

    @Option(help: "A crawl plan (JSON) of queries × labels; replaces --query/--label.")
    var plan: String?

    @Option(
      help:
        "The URL list for --provider urls: .txt (one URL per line), or .csv / .tsv / .jsonl with a url column (img2dataset's formats); read as a stream, so millions of rows need little memory."
    )
    var urls: String?

    @Option(help: "The URL list's format: txt, csv, tsv or jsonl (default: from the file name's extension).")
    var inputFormat: String?

    @Option(help: "The column (CSV/TSV header, JSONL key) holding the URL (default: url).")
    var urlCol: String?

    @Option(help: "A column holding a caption, stored with each image's origin and exported (manifest, data.csv).")
    var captionCol: String?

    @Option(
      help:
        "Stop once this many result images are in the catalog for the job (default: 100; --provider urls: the whole list)."
    )
    var limit: Int?

    @Option(
      help:
        "License filter, comma-separated (Openverse names: cc0, pdm, by, by-sa, by-nc, …; Flickr maps them to its ids)."
    )
    var license: String?

    @Option(help: "Reject images whose shorter side is below this many pixels.")
    var minSize = 0

    @Option(help: "Downloads in flight at once.")
    var concurrency = 16

    @Option(help: "Connections to one host at once.")
    var perHostConnections = 8

    @Option(help: "Requests started per second to one host (0: no limit).")
    var perHostRate: Double = 10

    @Option(help: "Largest body accepted, in bytes (counted while receiving).")
    var maxBytes = 32 << 20

    @Option(help: "Total seconds one transfer may take.")
    var timeout = 60

    @Option(help: "Request budget for the provider's API, e.g. 200/hour, 100/day (default: the documented limit).")
    var budget: String?

    @Option(help: "Replace the provider's base URL (a proxy, a compatible service, a test server).")
    var endpoint: String?

    @Flag(inversion: .prefixedNo, help: "Decode every image fully before storing it (rejects damaged data).")
    var decodeCheck = true

    @Flag(help: "Allow loopback, private and link-local addresses (off by default: SSRF protection).")
    var allowPrivateNetwork = false

    @OptionGroup var global: GlobalOptions

    func validate() throws {
      if plan == nil && query == nil && urls == nil {
        throw ValidationError("give --query (or --plan FILE, or --urls FILE with --provider urls)")
      }
      if plan != nil && (query != nil || label != nil) {
        throw ValidationError("--plan replaces --query and --label; give one or the other")
      }
      let limits = CrawlPlan.limitRange
      if let limit, !limits.contains(limit) {
        throw ValidationError("--limit must be \(limits.lowerBound)…\(limits.upperBound)")
      }
      if concurrency <= 0 || concurrency > 1024 { throw ValidationError("--concurrency must be 1…1024") }
      if !(1...1024).contains(perHostConnections) { throw ValidationError("--per-host-connections must be 1…1024") }
      if !(0...10_000).contains(perHostRate) { throw ValidationError("--per-host-rate must be 0…10000") }
      if !(1...(1 << 40)).contains(maxBytes) { throw ValidationError("--max-bytes must be 1…1099511627776") }
      let sizes = CrawlPlan.minSizeRange
      if !sizes.contains(minSize) {
        throw ValidationError("--min-size must be \(sizes.lowerBound)…\(sizes.upperBound)")
      }
      if !(1...86_400).contains(timeout) { throw ValidationError("--timeout must be 1…86400 seconds") }
      if let budget, RequestBudget(parsing: budget) == nil {
        throw ValidationError("--budget takes N/second|minute|hour|day, e.g. 200/hour")
      }
      try validateList()
    }

    /// `--input-format`, `--url-col`, `--caption-col`: a known format, columns the list's header has.
    func validateList() throws {
      if let inputFormat, URLListFormat(rawValue: inputFormat.lowercased()) == nil {
        let hint =
          ["parquet", "json", "tsv.gz", "csv.gz", "jsonl.gz"].contains(inputFormat.lowercased())
          ? " (\(inputFormat) is not read: convert it, e.g. to .jsonl or .tsv, uncompressed)" : ""
        throw ValidationError(
          "--input-format must be one of \(URLListFormat.allCases.map(\.rawValue).joined(separator: ", "))\(hint)")
      }
      guard urlCol != nil || captionCol != nil || inputFormat != nil else { return }
      guard let urls else {
        throw ValidationError("--input-format, --url-col and --caption-col describe a URL list: give --urls FILE")
      }
      let options = listOptions
      let names: [String]
      do {
        names = try options.columnNames(path: urls)
      } catch {
        throw ValidationError((error as? LocalizedError)?.errorDescription ?? "\(error)")
      }
      let format = options.format ?? URLListFormat.guess(path: urls)
      if format == .txt {
        throw ValidationError(
          "\(urls): a .txt list has no columns; --url-col and --caption-col need --input-format csv, tsv or jsonl")
      }
      for (flag, name) in [("--url-col", urlCol), ("--caption-col", captionCol)] {
        guard let name, !names.contains(name), !names.contains(where: { $0.lowercased() == name.lowercased() }) else {
          continue
        }
        let shown = names.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ") + (names.count > 20 ? ", …" : "")
        throw ValidationError(
          "\(flag) \(name): \(urls) has no such column; its \(format == .jsonl ? "first object's keys" : "columns") are \(shown)"
        )
      }
    }

    var listOptions: URLListOptions {
      URLListOptions(
        format: inputFormat.flatMap { URLListFormat(rawValue: $0.lowercased()) }, urlColumn: urlCol,
        captionColumn: captionCol)
    }

    func requests() throws -> [CrawlRequest] {
      var base = CrawlRequest(provider: provider, query: query ?? "", label: label)
      base.limit = limit
      base.minSize = minSize
      base.decodeCheck = decodeCheck
      base.budget = budget.flatMap(RequestBudget.init(parsing:))
      base.settings.endpoint = endpoint
      base.settings.licenses =
        license.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
      base.settings.listPath = urls
      base.settings.listOptions = listOptions
      if query == nil, let urls { base.query = (urls as NSString).lastPathComponent }
      base.transfer.concurrency = concurrency
      base.transfer.perHostConnections = perHostConnections
      base.transfer.perHostRequestsPerSecond = perHostRate
      base.transfer.limits.maxBytes = maxBytes
      base.transfer.limits.totalTimeoutSeconds = timeout
      base.transfer.network.allowPrivateNetwork = allowPrivateNetwork
      guard let plan else { return [base] }
      return try CrawlPlan.load(path: plan).resolvedJobs().map { job in
        var request = base
        request.provider = job.provider ?? provider
        request.query = job.query ?? job.urls.map { ($0 as NSString).lastPathComponent } ?? ""
        request.label = job.label
        request.limit = job.limit ?? limit
        request.minSize = job.minSize ?? minSize
        request.settings.endpoint = job.endpoint ?? endpoint
        request.settings.licenses = job.license ?? base.settings.licenses
        request.settings.listPath = job.urls ?? urls
        return request
      }
    }

    func run() async throws {
      try Output.run("crawl", global) {
        let catalog = try global.openCatalog()
        var reports: [CrawlResult] = []
        for request in try requests() {
          let lastID = try catalog.lastImageID()
          let line = ProgressLine(global)
          defer { line.finish() }
          let report = try Crawler.Crawl.run(request, catalog: catalog) { progress in
            line.show(
              "\(request.provider) \"\(request.query)\": pages \(progress.pagesFetched), kept \(progress.kept)/\(progress.limit) (new \(progress.stored), duplicate \(progress.duplicates)), rejected \(progress.rejected)\(Self.reasons(progress.reasons)), skipped \(progress.skipped), failed \(progress.failed), \(ByteCountFormatter.string(fromByteCount: progress.bytes, countStyle: .binary)), \(String(format: "%.0f", Double(progress.stored + progress.duplicates) / max(progress.seconds, 0.001))) img/s"
            )
          }
          reports.append(
            CrawlResult(report: report, nearDuplicates: try NearDuplicateNote.arrivals(in: catalog, after: lastID)))
        }
        return reports
      } text: { (results: [CrawlResult]) in
        results.map { result in
          ([render(result.report)]
            + NearDuplicateNote.render(result.nearDuplicates, limit: global.verbose ? Int.max : 10))
            .joined(separator: "\n")
        }.joined(separator: "\n\n")
      } items: { (results: [CrawlResult]) in
        ItemCounts(
          succeeded: results.reduce(0) { $0 + $1.report.stored + $1.report.duplicates },
          failed: results.reduce(0) { $0 + $1.report.rejected.count + $1.report.failed.count }, noun: "URLs")
      }
    }

    /// A crawl report with the near-duplicates of earlier images among what it stored.
    struct CrawlResult: Encodable {
      var report: CrawlReport
      var nearDuplicates: [NearDuplicateNote]?

      enum Keys: String, CodingKey { case nearDuplicates }

      func encode(to encoder: Encoder) throws {
        try report.encode(to: encoder)
        if let nearDuplicates {
          var container = encoder.container(keyedBy: Keys.self)
          try container.encode(nearDuplicates, forKey: .nearDuplicates)
        }
      }
    }

    static func reasons(_ counts: [String: Int]) -> String {
      guard !counts.isEmpty else { return "" }
      return " ("
        + counts.sorted { $0.value > $1.value }.prefix(3).map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    func render(_ r: CrawlReport) -> String {
      var lines: [String] = []
      let label = r.label.map { " → \(Output.printable($0))" } ?? ""
      lines.append(
        "Crawled \(r.provider) \"\(Output.printable(r.query))\"\(label): job \(r.jobID)\(r.resumed ? " (resumed)" : ""), \(r.stoppedAtLimit ?? r.status.rawValue)"
      )
      lines.append(
        Output.table(
          ["", "this run"],
          [
            ["pages fetched", "\(r.pagesFetched)"], ["images stored", "\(r.stored)"],
            ["already in catalog", "\(r.duplicates)"], ["rejected", "\(r.rejected.count)"],
            ["skipped (robots)", "\(r.skipped.count)"], ["failed", "\(r.failed.count)"],
            ["bytes", "\(r.bytes)"], ["seconds", String(format: "%.1f", r.seconds)],
          ]))
      lines.append(
        "Job: "
          + r.jobStates.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(
            separator: ", ")
          + "; API requests spent \(r.jobRequestsSpent)")
      if let note = r.note { lines.append(note) }
      if r.resultsDropped > 0 {
        lines.append(
          "\(r.resultsDropped) result\(r.resultsDropped == 1 ? "" : "s") dropped: the provider answered more than the page size asked for; each page was cut to it"
        )
      }
      let limit = global.verbose ? Int.max : 10
      if r.listRowsSkipped > 0 {
        lines.append("List rows without a usable URL, skipped: \(r.listRowsSkipped)")
        for row in r.listRowsSkippedFirst.prefix(limit) { lines.append("  \(Output.printable(row))") }
      }
      if r.stoppedAtLimit != nil {
        lines.append("Not the end of the results: run again with a larger --limit to continue.")
      }
      // Private-address refusals: one line, not one per URL (a list of intranet links gives hundreds).
      if let refused = r.privateAddressRefusals {
        lines.append(
          "\(refused.count) URL\(refused.count == 1 ? "" : "s") refused: private addresses (first: \(Output.printable(refused.first))); pass --allow-private-network to allow them"
        )
      }
      let failed = r.failed.filter { $0.kind != .privateAddress }
      for (title, issues) in [("Rejected", r.rejected), ("Skipped", r.skipped), ("Failed", failed)]
      where !issues.isEmpty {
        lines.append("\(title):")
        for issue in issues.prefix(limit) { lines.append("  \(Output.printable(issue.url)): \(issue.reason)") }
        if issues.count > limit { lines.append("  … and \(issues.count - limit) more (--verbose lists all)") }
      }
      lines += r.decodeWarnings.listed(verbose: global.verbose)
      return lines.joined(separator: "\n")
    }
  }

  struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "List crawl jobs: provider, query, label, state, items by state, API requests spent.",
      discussion: """
        Example:
          datasetkit crawl status --json
        """)

    @OptionGroup var global: GlobalOptions

    func run() async throws {
      try Output.run("crawl status", global) {
        try Crawler.Crawl.status(catalog: try global.openCatalog())
      } text: { jobs in
        if jobs.isEmpty { return "No crawl jobs yet." }
        let states = CrawlItemState.allCases
        return Output.table(
          ["job", "provider", "query", "label", "status"] + states.map(\.rawValue) + ["requests"],
          jobs.map { job in
            [
              "\(job.id)", job.provider, Output.printable(job.query), Output.printable(job.label ?? "-"),
              job.status.rawValue
                + (job.status == .done && ((job.states[.pending] ?? 0) > 0 || !job.exhausted)
                  ? " (stopped at its limit; \(job.states[.pending] ?? 0) pending\(job.exhausted ? "" : ", more pages"))"
                  : job.exhausted ? " (no more pages)" : ""),
            ] + states.map { "\(job.states[$0] ?? 0)" } + ["\(job.requestsSpent)"]
          }, leftAligned: [1, 2, 3, 4])
      }
    }
  }
}

/// A one-line progress display on stderr (see ``ProgressMode``): redrawn in place on a terminal; with
/// --progress off a terminal, a plain line at once and then every 5 s; nothing otherwise.
final class ProgressLine {
  let mode: ProgressMode
  var lastPrinted = Date.distantPast
  var drawn = false

  init(_ global: GlobalOptions) {
    mode = ProgressMode(global)
  }

  func show(_ text: String) {
    let now = Date()
    switch mode {
    case .off: return
    case .terminal:
      guard now.timeIntervalSince(lastPrinted) > 0.2 else { return }
      FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
      drawn = true
    case .lines:
      guard now.timeIntervalSince(lastPrinted) > 5 else { return }
      FileHandle.standardError.write(Data("\(text)\n".utf8))
    }
    lastPrinted = now
  }

  func finish() {
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    drawn = false
  }
}
