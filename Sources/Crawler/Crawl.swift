import Catalog
import Foundation
import Imaging
import Ingest
import Parallel
import Synchronization

/// What to crawl and how.
public struct CrawlRequest: Sendable {
  public var provider: String
  public var query: String
  public var label: String?
  /// Stop once this many result images are in the catalog for the job (new or already known bytes);
  /// nil: the provider's default (``CrawlProvider/defaultLimit``: 100, a URL list all of it).
  public var limit: Int?
  public var settings = ProviderSettings()
  public var transfer = TransferConfiguration()
  /// Images whose shorter side is below this many pixels (from the header) are rejected.
  public var minSize: Int = 0
  /// Decode every image fully before storing it (rejects files whose data is damaged).
  public var decodeCheck = true
  /// Overrides the provider's documented request budget.
  public var budget: RequestBudget?
  public var ingest = IngestOptions()
  /// The most bytes of one provider API page read into memory: 16 KiB per result asked, at least 1 MiB and at
  /// most this (8 MiB; a real page of 500 results is a few MB at most). A larger answer is stopped in the write
  /// callback and the crawl fails with ``CrawlerError/pageTooLarge``: parsing is what costs memory (an 8 MB page
  /// of 110,000 short results takes about 430 MB), so the bound follows what was asked.
  public var maxPageBytes = CrawlRequest.defaultMaxPageBytes
  public static let defaultMaxPageBytes = 8 << 20

  /// The page byte limit for a page of `results` results.
  public func pageByteLimit(results: Int) -> Int {
    let (bytes, overflow) = max(0, results).multipliedReportingOverflow(by: 16 << 10)
    return min(maxPageBytes, max(1 << 20, overflow ? Int.max : bytes))
  }

  public init(provider: String, query: String, label: String?) {
    self.provider = provider
    self.query = query
    self.label = label
  }
}

/// Progress of a crawl, reported after each page and each batch of downloads.
public struct CrawlProgress: Sendable {
  public var pagesFetched = 0
  public var stored = 0
  public var duplicates = 0
  public var rejected = 0
  /// Rejected, skipped and failed URLs by kind of reason ("HTTP 404", "not an image", "too small", …).
  public var reasons: [String: Int] = [:]
  public var skipped = 0
  public var failed = 0
  public var bytes: Int64 = 0
  public var seconds: Double = 0
  public var limit = 0
  /// Result images kept so far by the job, this run and earlier ones.
  public var kept = 0
}

/// A URL the crawl did not store, and why.
public struct CrawlIssue: Sendable, Codable, Hashable {
  public var url: String
  public var reason: String
  /// What kind of reason it is, for counting (not part of the JSON report).
  public var kind: CrawlIssueKind = .other

  public init(url: String, reason: String, kind: CrawlIssueKind = .other) {
    self.url = url
    self.reason = reason
    self.kind = kind
  }

  enum CodingKeys: String, CodingKey { case url, reason }
}

/// What a crawl run did. Counts are for this run unless named `job…`.
public struct CrawlReport: Sendable, Codable {
  public var jobID: Int64 = 0
  public var provider = ""
  public var query = ""
  public var label: String?
  /// `done` (limit reached), `exhausted` (the provider has no more results), `budget` (request
  /// budget spent; run again later to continue).
  public var status = CrawlJobState.running
  public var resumed = false
  public var pagesFetched = 0
  public var stored = 0
  public var duplicates = 0
  /// Not stored: HTTP errors, not images, too small, too large, private addresses.
  public var rejected: [CrawlIssue] = []
  /// Not fetched or not kept by the site's wish: robots.txt, `X-Robots-Tag: noai`.
  public var skipped: [CrawlIssue] = []
  /// Transfers that failed (timeouts, resets) after their retries.
  public var failed: [CrawlIssue] = []
  /// Downloads that decoded in the decode check although their decoder warned (damaged data, a bad ICC
  /// profile, ...), by URL.
  public var decodeWarnings: [DecoderWarnings] = []
  public var bytes: Int64 = 0
  public var seconds: Double = 0
  /// Items of the job by state, all runs.
  public var jobStates: [CrawlItemState: Int] = [:]
  public var jobRequestsSpent = 0
  public var note: String?
  /// The limit this run stopped at (the request's or the provider's default).
  public var limit = 0
  /// With status `done`: result URLs of the job not fetched because the limit was reached (saved pages'
  /// pending items), and whether the provider has further pages beyond them.
  public var pendingAtLimit = 0
  public var morePagesAtLimit = false
  /// Private-address refusals of this run (also in `failed`), summarised: count and the first URL.
  public var privateAddressRefusals: PrivateRefusals?
  /// Results past the page size asked for, dropped: a provider page answering more than
  /// ``CrawlProvider/resultsPerPage`` is cut to it (never stored as pending items).
  public var resultsDropped = 0
  /// A URL list's rows without a usable URL (a missing field, not UTF-8, not a JSON object): how many, and the
  /// first 20 as `line N: why`.
  public var listRowsSkipped = 0
  public var listRowsSkippedFirst: [String] = []

  public struct PrivateRefusals: Sendable, Codable {
    public var count: Int
    public var first: String
  }

  /// "stopped at --limit 100; 753 pending" when the job stopped at its limit with results left; nil otherwise.
  public var stoppedAtLimit: String? {
    guard status == .done, pendingAtLimit > 0 || morePagesAtLimit else { return nil }
    let pending = pendingAtLimit > 0 ? "\(pendingAtLimit) pending" : ""
    let more = morePagesAtLimit ? (pendingAtLimit > 0 ? " and more pages" : "more pages") : ""
    return "stopped at --limit \(limit); \(pending)\(more)"
  }
}

/// One crawl job as `datasetkit crawl status` shows it.
public struct CrawlJobStatus: Sendable, Codable {
  public var id: Int64
  public var provider: String
  public var query: String
  public var label: String?
  public var status: CrawlJobState
  /// Whether the provider has no further pages for the job.
  public var exhausted: Bool
  public var requestsSpent: Int
  public var states: [CrawlItemState: Int]
  public var updatedAt: String
}

/// Crawls an image-search provider into the catalog: pages of results become `crawl_items`, images are
/// downloaded through one ``TransferSession`` and stored through the ``Ingester``; job cursor, per-URL
/// state and API requests spent live in the catalog, so a killed crawl resumes where it stopped
/// without fetching a stored image or a saved page again.
public enum Crawl {
  static let agentToken = "datasetkit"

  /// Runs (or resumes) the job for `request`.
  public static func run(
    _ request: CrawlRequest, catalog: Catalog, progress: (CrawlProgress) -> Void = { _ in }
  ) throws -> CrawlReport {
    guard !request.query.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      throw CrawlerError.invalidInput("the query is empty; pass --query with the words to search for")
    }
    if let limit = request.limit, limit <= 0 { throw CrawlerError.invalidInput("--limit must be positive") }
    let provider = try Providers.make(request.provider, settings: request.settings)
    return try withoutActuallyEscaping(progress) { progress in
      var runner = CrawlRunner(request: request, provider: provider, catalog: catalog, progress: progress)
      return try runner.run()
    }
  }

  /// Every crawl job with its item counts by state, newest first.
  public static func status(catalog: Catalog) throws -> [CrawlJobStatus] {
    try CrawlStore(catalog: catalog).jobs()
  }
}

/// One crawl run's state.
struct CrawlRunner {
  let request: CrawlRequest
  let provider: any CrawlProvider
  let catalog: Catalog
  let progress: (CrawlProgress) -> Void
  var store: CrawlStore { CrawlStore(catalog: catalog) }
  var report = CrawlReport()
  var counters = CrawlProgress()
  var robots: [String: RobotsRules] = [:]
  /// Hosts whose robots.txt could not be fetched in this run (DNS failure, refused or timed-out connection):
  /// their URLs are failures, retried when the job runs again, never robots refusals.
  var unreachable: [String: CrawlerError] = [:]
  let started = Date()
  var jobID: Int64 = 0
  var sourceID: Int64 = 0
  var source: SourceSpec
  /// The request's limit, else the provider's default.
  let limit: Int
  /// The URLs that carried a user name and password (`http://user:pass@host/…`), by the URL without them:
  /// only the fetch uses them; what is printed, stored and exported is the URL without.
  var credentialed: [String: String] = [:]

  init(
    request: CrawlRequest, provider: any CrawlProvider, catalog: Catalog, progress: @escaping (CrawlProgress) -> Void
  ) {
    self.request = request
    self.provider = provider
    self.catalog = catalog
    self.progress = progress
    var uri = "crawl:\(provider.name):\(request.label ?? ""):\(request.query)"
    if let endpoint = request.settings.endpoint { uri += "@" + Redaction.display(endpoint) }
    source = SourceSpec(kind: "crawl", name: "\(provider.name): \(request.query)", uri: uri)
    limit = request.limit ?? provider.defaultLimit
    counters.limit = limit
    // A URL list is read on every run (one streaming pass), so a resumed crawl finds the credentials of its
    // saved items again.
    if let list = provider as? URLList {
      _ = withoutCredentials(list.credentialed)
      report.listRowsSkipped = list.skippedCount
      report.listRowsSkippedFirst = list.skippedRows
    }
  }

  /// `results` with the credentials taken out of their URLs (and remembered for the fetch).
  mutating func withoutCredentials(_ results: [CrawlResult]) -> [CrawlResult] {
    results.map { result in
      var result = result
      let stripped = Redaction.withoutCredentials(in: result.url)
      if stripped != result.url {
        credentialed[stripped] = result.url
        result.url = stripped
      }
      result.pageURL = result.pageURL.map { Redaction.withoutCredentials(in: $0) }
      result.licenseURL = result.licenseURL.map { Redaction.withoutCredentials(in: $0) }
      return result
    }
  }

  /// The job's identity beyond provider, query and label: what changes which results it gets.
  var identity: String {
    var parts: [String: String] = [:]
    if let endpoint = request.settings.endpoint { parts["endpoint"] = Redaction.display(endpoint) }
    if !request.settings.licenses.isEmpty { parts["licenses"] = request.settings.licenses.joined(separator: ",") }
    if let list = request.settings.listPath { parts["list"] = list }
    let options = request.settings.listOptions
    if let format = options.format { parts["format"] = format.rawValue }
    if let column = options.urlColumn { parts["url_col"] = column }
    if let column = options.captionColumn { parts["caption_col"] = column }
    guard let data = try? JSONSerialization.data(withJSONObject: parts, options: [.sortedKeys]) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  mutating func run() throws -> CrawlReport {
    try openJob()
    report.jobID = jobID
    report.provider = provider.name
    report.query = request.query
    report.label = request.label
    let session = try TransferSession(request.transfer)
    let chunk = max(256, request.transfer.concurrency * 32)
    var budgetNote: String?
    do {
      while true {
        let states = try jobStates()
        let kept = (states[.stored] ?? 0) + (states[.duplicate] ?? 0)
        counters.kept = kept
        if kept >= limit {
          report.status = .done
          report.pendingAtLimit = states[.pending] ?? 0
          report.morePagesAtLimit = try store.cursor(jobID: jobID) != nil
          break
        }
        let needed = limit - kept
        let pending = states[.pending] ?? 0
        let cursor = try store.cursor(jobID: jobID)
        if pending < min(needed, chunk), let cursor, budgetNote == nil {
          do {
            try fetchPage(cursor: cursor, session: session)
          } catch let error as CrawlerError {
            guard case .budgetExhausted = error else { throw error }
            budgetNote = error.errorDescription  // download what the saved pages hold, then stop
          }
          continue
        }
        if pending == 0 {
          report.status = budgetNote == nil ? .exhausted : .budget
          report.note = budgetNote
          break
        }
        let items = try store.pendingItems(jobID: jobID, limit: min(needed, chunk))
        try download(items, session: session)
      }
    } catch {
      try? store.setStatus(.stopped, jobID: jobID)
      throw error
    }
    try store.setStatus(report.status, jobID: jobID)
    report.jobStates = try jobStates()
    report.jobRequestsSpent = try store.requestsSpent(jobID: jobID)
    report.seconds = Date().timeIntervalSince(started)
    report.limit = limit
    let refused = report.failed.filter { $0.kind == .privateAddress }
    if let first = refused.first {
      report.privateAddressRefusals = CrawlReport.PrivateRefusals(count: refused.count, first: first.url)
    }
    return report
  }

  typealias PendingItem = CrawlStore.PendingItem

  mutating func openJob() throws {
    let params = identity
    if let id = try store.jobID(provider: provider.name, query: request.query, label: request.label, params: params) {
      jobID = id
      report.resumed = true
      // Transfers that failed (timeouts, resets, refused private addresses) get another try, up to 3.
      try store.retryFailedItems(jobID: id)
    } else {
      jobID = try store.createJob(
        provider: provider.name, query: request.query, label: request.label, params: params,
        cursor: provider.firstCursor)
    }
    try store.setStatus(.running, jobID: jobID)
    sourceID = try catalog.sourceID(for: source).id
  }

  func jobStates() throws -> [CrawlItemState: Int] { try store.itemStates(jobID: jobID) }

  // MARK: Pages

  mutating func fetchPage(cursor: String, session: TransferSession) throws {
    let page: ProviderPage
    switch try provider.step(query: request.query, cursor: cursor) {
    case .end:
      try store.savePage([], next: nil, jobID: jobID)
      return
    case .local(let local):
      page = local
    case .request(var httpRequest):
      try spendBudget()
      httpRequest.maxBytes = request.pageByteLimit(results: provider.resultsPerPage)
      var outcome: Result<HTTPResponse, CrawlerError>?
      try session.run([httpRequest]) { _, result in outcome = result }
      guard let outcome else { return }
      let shown = Redaction.display(httpRequest.url, secrets: httpRequest.secrets)
      let response: HTTPResponse
      switch outcome {
      case .success(let answer): response = answer
      case .failure(.tooLarge(_, let limit)):
        throw CrawlerError.pageTooLarge(
          provider: provider.name, url: shown, limit: limit, resultsAsked: provider.resultsPerPage)
      case .failure(let error): throw error
      }
      guard response.status == 200 else {
        let snippet = Redaction.scrub(
          String(decoding: response.body.prefix(200), as: UTF8.self), secrets: httpRequest.secrets)
        throw CrawlerError.providerStatus(
          provider: provider.name, url: shown, status: response.status,
          detail: snippet.split(whereSeparator: \.isNewline).joined(separator: " "))
      }
      var parsed = try provider.parse(response.body, query: request.query, cursor: cursor, url: shown)
      let most = max(1, provider.resultsPerPage)
      if parsed.results.count > most {
        report.resultsDropped += parsed.results.count - most
        parsed.results.removeSubrange(most...)
      }
      page = parsed
      counters.pagesFetched += 1
      report.pagesFetched += 1
    }
    try store.savePage(withoutCredentials(page.results), next: page.next == cursor ? nil : page.next, jobID: jobID)
    report(progress: ())
  }

  /// Records one API request against the provider's budget before it is sent, so a crash never
  /// under-counts; throws when the budget's window is full.
  func spendBudget() throws {
    let now = Date().timeIntervalSince1970
    if let budget = request.budget ?? provider.budget {
      let since = now - Double(budget.windowSeconds)
      let spent = try store.requestCount(provider: provider.name, since: since)
      if spent >= budget.limit {
        let oldest = try store.oldestRequest(provider: provider.name, since: since) ?? now
        throw CrawlerError.budgetExhausted(
          provider: provider.name, limit: budget.limit, windowSeconds: budget.windowSeconds,
          retryAfterSeconds: max(1, Int((oldest + Double(budget.windowSeconds) - now).rounded(.up))))
      }
    }
    try store.recordRequest(provider: provider.name, jobID: jobID, at: now)
  }

  // MARK: Downloads

  typealias Update = CrawlStore.ItemUpdate

  mutating func download(_ items: [PendingItem], session: TransferSession) throws {
    try loadRobots(for: items.map(\.url), session: session)
    var updates: [Update] = []
    var requests: [HTTPRequest] = []
    for (index, item) in items.enumerated() {
      if let origin = Self.origin(item.url), let failure = unreachable[origin] {
        let reason =
          "robots.txt of \(origin) could not be fetched (\(failure.errorDescription ?? "transfer failed")); retried when the crawl runs again"
        updates.append(Update(id: item.id, state: .failed, error: reason))
        report.failed.append(CrawlIssue(url: item.url, reason: reason, kind: CrawlIssueKind(failure)))
        counters.failed += 1
        counters.reasons[CrawlIssueKind(failure).name, default: 0] += 1
      } else if let reason = robotsRefusal(item.url) {
        updates.append(Update(id: item.id, state: .skipped, error: reason))
        report.skipped.append(CrawlIssue(url: item.url, reason: reason, kind: .robotsTxt))
        counters.skipped += 1
        counters.reasons[CrawlIssueKind.robotsTxt.name, default: 0] += 1
      } else {
        requests.append(HTTPRequest(url: credentialed[item.url] ?? item.url, redirects: .follow, tag: index))
      }
    }
    try commitUpdates(updates)
    var batch: [(PendingItem, Result<HTTPResponse, CrawlerError>)] = []
    let batchSize = max(32, min(128, request.transfer.concurrency * 4))
    var lastFlush = Date()
    let pipeline = IngestPipeline(
      BatchIngest.Plan(request: request, workspace: catalog.workspace, sourceID: sourceID, source: source))
    do {
      try session.run(requests) { httpRequest, result in
        batch.append((items[httpRequest.tag], result))
        // Commit in batches, and at least every second so a killed crawl loses little.
        if batch.count >= batchSize || Date().timeIntervalSince(lastFlush) >= 1 {
          pipeline.submit(batch)
          batch.removeAll(keepingCapacity: true)
          lastFlush = Date()
          merge(try pipeline.take())
        }
      }
      if !batch.isEmpty { pipeline.submit(batch) }
    } catch {
      pipeline.finish()  // nothing writes the catalog once this returns
      throw error
    }
    pipeline.finish()
    merge(try pipeline.take())
  }

  /// Fetches robots.txt for the hosts of `urls` not seen yet in this run.
  mutating func loadRobots(for urls: [String], session: TransferSession) throws {
    var wanted: [String: String] = [:]
    for link in urls {
      guard let origin = Self.origin(link), robots[origin] == nil, unreachable[origin] == nil else { continue }
      wanted[origin] = origin + "/robots.txt"
    }
    guard !wanted.isEmpty else { return }
    var found: [String: RobotsRules] = [:]
    let origins = Array(wanted.keys)
    let requests = origins.enumerated().map {
      HTTPRequest(url: wanted[$0.element] ?? "", redirects: .follow, tag: $0.offset)
    }
    try session.run(requests) { httpRequest, result in
      let origin = origins[httpRequest.tag]
      switch result {
      case .success(let response) where (200...299).contains(response.status):
        found[origin] = RobotsRules(parsing: String(decoding: response.body, as: UTF8.self), agent: Crawl.agentToken)
      case .success(let response) where (400...499).contains(response.status):
        found[origin] = .allowAll
      case .failure(.privateAddress), .failure(.unsupportedScheme):
        found[origin] = .allowAll  // the image fetch itself reports the refusal
      case .failure(.tooLarge):
        found[origin] = .allowAll  // RFC 9309: parse at least 500 KiB; a huge file is treated as absent
      case .failure(let error) where Self.isNetworkFailure(error):
        unreachable[origin] = error  // not an answer from the site: the URLs fail and are retried later
      default:
        found[origin] = .disallowAll  // 5xx or unreachable: assume complete disallow (RFC 9309 2.3.1.4)
      }
    }
    robots.merge(found) { $1 }
  }

  func robotsRefusal(_ link: String) -> String? {
    guard let origin = Self.origin(link), let rules = robots[origin] else { return nil }
    guard let components = URLComponents(string: link) else { return nil }
    var path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
    if let query = components.percentEncodedQuery { path += "?" + query }
    return rules.allows(path) ? nil : "robots.txt of \(origin) does not allow fetching it"
  }

  /// True for a transfer that got no HTTP answer: the name did not resolve, the connection was refused, reset
  /// or timed out.
  static func isNetworkFailure(_ error: CrawlerError) -> Bool {
    guard case .transfer = error else { return false }
    return true
  }

  static func origin(_ link: String) -> String? {
    guard let components = URLComponents(string: link), let scheme = components.scheme?.lowercased(),
      scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
    else { return nil }
    let port = components.port.map { ":\($0)" } ?? ""
    return "\(scheme)://\(host)\(port)"
  }

  var ingest: BatchIngest { BatchIngest(request: request, catalog: catalog, sourceID: sourceID, source: source) }

  func commitUpdates(_ updates: [Update]) throws { try ingest.commitUpdates(updates) }

  mutating func merge(_ outcomes: [BatchOutcome]) {
    guard !outcomes.isEmpty else { return }
    for outcome in outcomes {
      report.stored += outcome.stored
      report.duplicates += outcome.duplicates
      report.rejected += outcome.rejected
      report.skipped += outcome.skipped
      report.failed += outcome.failed
      report.decodeWarnings += outcome.decodeWarnings
      report.bytes += outcome.bytes
      counters.stored += outcome.stored
      counters.duplicates += outcome.duplicates
      counters.kept += outcome.stored + outcome.duplicates
      counters.rejected += outcome.rejected.count
      counters.skipped += outcome.skipped.count
      counters.failed += outcome.failed.count
      counters.bytes += outcome.bytes
      for issue in outcome.rejected + outcome.skipped + outcome.failed {
        counters.reasons[issue.kind.name, default: 0] += 1
      }
    }
    report(progress: ())
  }

  mutating func report(progress _: Void) {
    counters.seconds = Date().timeIntervalSince(started)
    progress(counters)
  }
}

/// What one batch of finished downloads did (computed and committed off the transfer thread).
struct BatchOutcome: Sendable {
  var stored = 0
  var duplicates = 0
  var rejected: [CrawlIssue] = []
  var skipped: [CrawlIssue] = []
  var failed: [CrawlIssue] = []
  var decodeWarnings: [DecoderWarnings] = []
  var bytes: Int64 = 0
}

/// Validates, stores and records one batch of downloads through the ``Ingester`` and updates the items.
/// Runs on the ingest thread, through a catalog connection of its own, while transfers go on; only it
/// writes the catalog meanwhile.
struct BatchIngest {
  typealias PendingItem = CrawlRunner.PendingItem
  typealias Update = CrawlRunner.Update
  let request: CrawlRequest
  let catalog: Catalog
  let sourceID: Int64
  let source: SourceSpec
  /// What the ingest thread needs to open its own ``BatchIngest``: no connection crosses threads.
  struct Plan: Sendable {
    let request: CrawlRequest
    let workspace: Workspace
    let sourceID: Int64
    let source: SourceSpec

    func open() throws -> BatchIngest {
      BatchIngest(
        request: request, catalog: try Catalog.connection(to: workspace), sourceID: sourceID, source: source)
    }
  }

  func run(_ batch: [(PendingItem, Result<HTTPResponse, CrawlerError>)]) throws -> BatchOutcome {
    var outcome = BatchOutcome()
    var updates: [Update] = []
    var candidates: [IngestCandidate] = []
    var candidateItems: [PendingItem] = []
    var digests: [String] = []
    for (item, result) in batch {
      switch result {
      case .failure(let error):
        var reason = error.errorDescription ?? "transfer failed"
        if reason.hasPrefix(item.url + ": ") { reason.removeFirst(item.url.count + 2) }  // the issue names the URL
        switch error {
        case .transfer, .privateAddress:  // retried when the job runs again (a network hiccup, a missing flag)
          updates.append(Update(id: item.id, state: .failed, error: reason))
          outcome.failed.append(CrawlIssue(url: item.url, reason: reason, kind: CrawlIssueKind(error)))
        default:
          updates.append(Update(id: item.id, state: .rejected, error: reason))
          outcome.rejected.append(CrawlIssue(url: item.url, reason: reason, kind: CrawlIssueKind(error)))
        }
      case .success(let response):
        outcome.bytes += Int64(response.body.count)
        if response.status != 200 {
          let reason = "HTTP \(response.status)"
          updates.append(Update(id: item.id, state: .rejected, error: reason))
          outcome.rejected.append(CrawlIssue(url: item.url, reason: reason, kind: .httpStatus(response.status)))
          continue
        }
        if robotsTagForbidsAI(response.headers["x-robots-tag"], agent: Crawl.agentToken) {
          let reason = "X-Robots-Tag forbids AI use (\(response.headers["x-robots-tag"] ?? ""))"
          updates.append(Update(id: item.id, state: .skipped, error: reason))
          outcome.skipped.append(CrawlIssue(url: item.url, reason: reason, kind: .robotsTag))
          continue
        }
        if request.minSize > 0, case .image(let format, let width, let height, _) = ImageHeader.sniff(response.body),
          min(width, height) < request.minSize
        {
          let reason = "\(format.rawValue) of \(width)×\(height) is smaller than --min-size \(request.minSize)"
          updates.append(Update(id: item.id, state: .rejected, error: reason))
          outcome.rejected.append(CrawlIssue(url: item.url, reason: reason, kind: .tooSmall))
          continue
        }
        let facts = item.result
        let origin = OriginFacts(
          relativePath: Array(item.url.utf8), fileSize: Int64(response.body.count), url: item.url,
          pageURL: facts?.pageURL, license: facts?.license, licenseURL: facts?.licenseURL, creator: facts?.creator,
          attribution: facts?.attribution, query: request.query, rank: item.rank, httpStatus: response.status,
          caption: facts?.caption)
        candidates.append(
          IngestCandidate(
            content: .bytes(response.body), origin: origin, label: facts?.label ?? request.label, labelHow: "crawl"))
        candidateItems.append(item)
        digests.append(SHA256.hex(of: response.body))
      }
    }
    if request.decodeCheck && !candidates.isEmpty {
      // A full decode (in parallel): a file whose header is fine but whose data is not never enters.
      let maxPixels = request.ingest.maxPixels
      let checks = concurrentMap(candidates) { candidate -> (failure: String?, warnings: [String]) in
        // Files that are not images at all are left to the Ingester, which says what they look like.
        guard case .bytes(let bytes) = candidate.content, case .image = ImageHeader.sniff(bytes) else {
          return (nil, [])
        }
        do {
          return (nil, try DecodedImage(bytes: bytes, grayscale: true, maxPixels: maxPixels).warnings)
        } catch {
          return ((error as? LocalizedError)?.errorDescription ?? "\(error)", [])
        }
      }
      for (item, check) in zip(candidateItems, checks) where !check.warnings.isEmpty {
        outcome.decodeWarnings.append(DecoderWarnings(file: item.url, warnings: check.warnings))
      }
      for (index, message) in checks.map(\.failure).enumerated().reversed() {
        guard let message else { continue }
        let item = candidateItems[index]
        let reason = "does not decode: \(message)"
        updates.append(Update(id: item.id, state: .rejected, error: reason))
        outcome.rejected.append(CrawlIssue(url: item.url, reason: reason))
        candidates.remove(at: index)
        candidateItems.remove(at: index)
        digests.remove(at: index)
      }
    }
    if !candidates.isEmpty {
      // Bytes the catalog holds from another origin are duplicates; so is a second URL of one batch.
      var seen: Set<String> = []
      var duplicate: [Bool] = []
      for (item, digest) in zip(candidateItems, digests) {
        let elsewhere = try catalog.holdsBytes(
          sha256: digest, elsewhereThan: sourceID, relativePath: Array(item.url.utf8))
        duplicate.append(elsewhere || seen.contains(digest))
        seen.insert(digest)
      }
      let ingester = Ingester(catalog: catalog, options: request.ingest)
      let ingested = try ingester.ingest(candidates, source: source)
      var reasons: [String: (reason: String, kind: CrawlIssueKind)] = [:]
      for issue in ingested.rejected + ingested.errors { reasons[issue.path] = (issue.reason, .other) }
      for issue in ingested.notImages { reasons[issue.path] = (issue.reason, .notAnImage) }
      for (index, item) in candidateItems.enumerated() {
        let imageID = try catalog.imageID(sourceID: sourceID, relativePath: Array(item.url.utf8))
        if let imageID {
          updates.append(Update(id: item.id, state: duplicate[index] ? .duplicate : .stored, imageID: imageID))
          if duplicate[index] {
            outcome.duplicates += 1
          } else {
            outcome.stored += 1
          }
        } else {
          let (reason, kind) = reasons[item.url] ?? ("not stored", .other)
          updates.append(Update(id: item.id, state: .rejected, error: reason))
          outcome.rejected.append(CrawlIssue(url: item.url, reason: reason, kind: kind))
        }
      }
    }
    try commitUpdates(updates)
    return outcome
  }

  func commitUpdates(_ updates: [Update]) throws { try CrawlStore(catalog: catalog).update(updates) }
}

/// Runs ingest batches on a thread of its own, at most two waiting, so downloads continue while a batch is
/// hashed, stored and recorded. The thread opens its own catalog connection (``BatchIngest/Plan``): the
/// crawl's connection never leaves the crawl's thread.
final class IngestPipeline: Sendable {
  typealias Batch = [(CrawlRunner.PendingItem, Result<HTTPResponse, CrawlerError>)]

  private struct State {
    var waiting: [Batch] = []
    var finished: [BatchOutcome] = []
    var failure: (any Error)?
    var closed = false
  }

  private let state = Mutex(State())
  /// Batches waiting or running: at most two.
  private let room = DispatchSemaphore(value: 2)
  /// One signal per submitted batch, and one when closed.
  private let ready = DispatchSemaphore(value: 0)
  /// Signalled when the thread has ended.
  private let ended = DispatchSemaphore(value: 0)

  init(_ plan: BatchIngest.Plan) {
    let thread = Thread { [self] in
      defer { ended.signal() }
      var ingest: BatchIngest?
      do {
        ingest = try plan.open()
      } catch {
        state.withLock { $0.failure = error }
      }
      while true {
        ready.wait()
        guard let batch = state.withLock({ $0.waiting.isEmpty ? nil : $0.waiting.removeFirst() }) else { return }
        defer { room.signal() }
        guard let ingest, !state.withLock({ $0.failure != nil }) else { continue }
        do {
          let outcome = try ingest.run(batch)
          state.withLock { $0.finished.append(outcome) }
        } catch {
          state.withLock { $0.failure = $0.failure ?? error }
        }
      }
    }
    thread.name = "datasetkit.crawl.ingest"
    thread.start()
  }

  /// Queues a batch; waits while two are waiting or running.
  func submit(_ batch: Batch) {
    room.wait()
    state.withLock { $0.waiting.append(batch) }
    ready.signal()
  }

  /// Outcomes finished so far; rethrows the first failure.
  func take() throws -> [BatchOutcome] {
    try state.withLock { state in
      if let failure = state.failure { throw failure }
      defer { state.finished.removeAll() }
      return state.finished
    }
  }

  /// Waits for every submitted batch and ends the thread (and its connection). Calling it again does nothing.
  func finish() {
    let first = state.withLock { state in
      defer { state.closed = true }
      return !state.closed
    }
    guard first else { return }
    ready.signal()
    ended.wait()
  }
}
