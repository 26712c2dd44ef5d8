import Catalog
import Foundation

/// A crawl item's `state`. The raw values are the text the catalog stores.
public enum CrawlItemState: String, Sendable, Codable, CaseIterable, CodingKeyRepresentable {
  /// Saved from a results page, not downloaded yet.
  case pending
  /// Downloaded and stored as a new image.
  case stored
  /// Downloaded; the catalog already held these bytes.
  case duplicate
  /// Downloaded or refused, and not kept: HTTP error, not an image, too small or large, damaged.
  case rejected
  /// Not fetched or not kept by the site's wish (robots.txt, `X-Robots-Tag`).
  case skipped
  /// The transfer failed (timeout, reset, refused private address); retried when the job runs again.
  case failed
}

/// A crawl job's `status`. The raw values are the text the catalog stores.
public enum CrawlJobState: String, Sendable, Codable, CaseIterable {
  /// A crawl is working on the job (or was killed while it did).
  case running
  /// The limit is reached.
  case done
  /// The provider has no more results.
  case exhausted
  /// The provider's request budget is spent for now; run again later to continue.
  case budget
  /// The last run stopped on an error.
  case stopped
}

/// The crawl's tables: `crawl_jobs` (one per provider, query, label and parameters, with the page cursor),
/// `crawl_items` (each result URL and its state) and `crawl_requests` (API requests, for the budget).
struct CrawlStore {
  let catalog: Catalog
  var database: Database { catalog.database }

  /// A result URL saved from a page and waiting to be downloaded.
  struct PendingItem: Sendable {
    var id: Int64
    var url: String
    var rank: Int
    var result: CrawlResult?
  }

  /// A new state for an item after its download (or refusal).
  struct ItemUpdate: Sendable {
    var id: Int64
    var state: CrawlItemState
    var error: String?
    var imageID: Int64?
  }

  /// Every job with its item counts by state, newest first.
  func jobs() throws -> [CrawlJobStatus] {
    var jobs = try database.rows(
      "SELECT id, provider, query, label, status, cursor IS NULL, requests_spent, updated_at FROM crawl_jobs ORDER BY id DESC"
    ) { row in
      CrawlJobStatus(
        id: row.int64(0), provider: row.text(1) ?? "", query: row.text(2) ?? "", label: row.text(3),
        status: row.text(4).flatMap(CrawlJobState.init(rawValue:)) ?? .running, exhausted: row.int(5) != 0,
        requestsSpent: row.int(6), states: [:],
        updatedAt: row.text(7) ?? "")
    }
    for index in jobs.indices {
      jobs[index].states = try itemStates(jobID: jobs[index].id)
    }
    return jobs
  }

  /// The id of the job with this identity, if there is one.
  func jobID(provider: String, query: String, label: String?, params: String) throws -> Int64? {
    try database.scalarInt(
      "SELECT id FROM crawl_jobs WHERE provider = ? AND query = ? AND label IS ? AND params = ?",
      [.text(provider), .text(query), .optional(label), .text(params)])
  }

  /// Makes a new job, running, at its provider's first cursor.
  func createJob(provider: String, query: String, label: String?, params: String, cursor: String) throws -> Int64 {
    let now = Timestamp.now()
    return try database.writeTransaction {
      try database.run(
        """
        INSERT INTO crawl_jobs (provider, query, label, params, cursor, status, created_at, updated_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          .text(provider), .text(query), .optional(label), .text(params), .text(cursor),
          .text(CrawlJobState.running.rawValue), .text(now), .text(now),
        ])
      return database.lastInsertRowID
    }
  }

  /// Puts the job's failed items back to pending, those tried fewer than `maxAttempts` times.
  func retryFailedItems(jobID: Int64, maxAttempts: Int = 3) throws {
    try database.writeTransaction {
      try database.run(
        "UPDATE crawl_items SET state = ? WHERE job_id = ? AND state = ? AND attempts < ?",
        [
          .text(CrawlItemState.pending.rawValue), .int(jobID), .text(CrawlItemState.failed.rawValue),
          .int(Int64(maxAttempts)),
        ])
    }
  }

  func setStatus(_ status: CrawlJobState, jobID: Int64) throws {
    try database.writeTransaction {
      try database.run(
        "UPDATE crawl_jobs SET status = ?, updated_at = ? WHERE id = ?",
        [.text(status.rawValue), .text(Timestamp.now()), .int(jobID)])
    }
  }

  /// The job's items counted by state (states with no items are absent).
  func itemStates(jobID: Int64) throws -> [CrawlItemState: Int] {
    var states: [CrawlItemState: Int] = [:]
    for (text, count) in try database.rows(
      "SELECT state, count(*) FROM crawl_items WHERE job_id = ? GROUP BY state", [.int(jobID)],
      { ($0.text(0) ?? "", $0.int(1)) })
    {
      if let state = CrawlItemState(rawValue: text) { states[state] = count }
    }
    return states
  }

  /// The job's next page cursor; nil once the provider has no more pages.
  func cursor(jobID: Int64) throws -> String? {
    try database.scalarText("SELECT cursor FROM crawl_jobs WHERE id = ?", [.int(jobID)])
  }

  /// Up to `limit` pending items of the job, best rank first.
  func pendingItems(jobID: Int64, limit: Int) throws -> [PendingItem] {
    try database.rows(
      "SELECT id, url, rank, metadata FROM crawl_items WHERE job_id = ? AND state = ? ORDER BY rank LIMIT ?",
      [.int(jobID), .text(CrawlItemState.pending.rawValue), .int(Int64(limit))]
    ) { row in
      PendingItem(
        id: row.int64(0), url: row.text(1) ?? "", rank: row.int(2),
        result: (row.text(3)).flatMap { try? JSONDecoder().decode(CrawlResult.self, from: Data($0.utf8)) })
    }
  }

  /// API requests the job has spent, all runs.
  func requestsSpent(jobID: Int64) throws -> Int {
    Int(try database.scalarInt("SELECT requests_spent FROM crawl_jobs WHERE id = ?", [.int(jobID)]) ?? 0)
  }

  /// How many API requests the provider got after `since` (seconds since 1970), all jobs.
  func requestCount(provider: String, since: Double) throws -> Int {
    Int(
      try database.scalarInt(
        "SELECT count(*) FROM crawl_requests WHERE provider = ? AND requested_at > ?", [.text(provider), .real(since)])
        ?? 0)
  }

  /// When the oldest of the provider's API requests after `since` was (seconds since 1970).
  func oldestRequest(provider: String, since: Double) throws -> Double? {
    try database.rows(
      "SELECT min(requested_at) FROM crawl_requests WHERE provider = ? AND requested_at > ?",
      [.text(provider), .real(since)]
    ) { $0.double(0) }.first
  }

  /// Records one API request of the job at `time` (seconds since 1970).
  func recordRequest(provider: String, jobID: Int64, at time: Double) throws {
    try database.writeTransaction {
      try database.run(
        "INSERT INTO crawl_requests (provider, job_id, requested_at) VALUES (?, ?, ?)",
        [.text(provider), .int(jobID), .real(time)])
      try database.run("UPDATE crawl_jobs SET requests_spent = requests_spent + 1 WHERE id = ?", [.int(jobID)])
    }
  }

  /// Saves a page's results as pending items after the job's last rank (a URL the job holds already is
  /// left as it is) and moves the cursor to `next`, in one transaction.
  func savePage(_ results: [CrawlResult], next: String?, jobID: Int64) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    let now = Timestamp.now()
    try database.writeTransaction {
      var rank = Int(
        try database.scalarInt("SELECT coalesce(max(rank), 0) FROM crawl_items WHERE job_id = ?", [.int(jobID)]) ?? 0)
      for result in results {
        let metadata = String(decoding: try encoder.encode(result), as: UTF8.self)
        try database.run(
          """
          INSERT OR IGNORE INTO crawl_items (job_id, url, page_url, rank, metadata, state, updated_at)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
          [
            .int(jobID), .text(result.url), .optional(result.pageURL), .int(Int64(rank + 1)), .text(metadata),
            .text(CrawlItemState.pending.rawValue), .text(now),
          ])
        if database.changes > 0 { rank += 1 }
      }
      try database.run(
        "UPDATE crawl_jobs SET cursor = ?, updated_at = ? WHERE id = ?", [.optional(next), .text(now), .int(jobID)])
    }
  }

  /// Writes the items' new states, counting an attempt for each, in one transaction.
  func update(_ updates: [ItemUpdate]) throws {
    guard !updates.isEmpty else { return }
    let now = Timestamp.now()
    try database.writeTransaction {
      for update in updates {
        try database.run(
          "UPDATE crawl_items SET state = ?, error = ?, image_id = ?, attempts = attempts + 1, updated_at = ? WHERE id = ?",
          [
            .text(update.state.rawValue), .optional(update.error), .optional(update.imageID), .text(now),
            .int(update.id),
          ])
      }
    }
  }
}
