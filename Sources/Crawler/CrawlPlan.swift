import Foundation

/// A crawl plan file (JSON): many queries × labels with shared settings.
///
/// ```json
/// {"provider": "openverse", "limit": 200, "license": ["by", "cc0"], "minSize": 128,
///  "labels": {"with_mask": ["face mask", "person wearing a mask"], "without_mask": ["face portrait"]},
///  "jobs": [{"provider": "commons", "query": "surgical mask", "label": "with_mask", "limit": 50}]}
/// ```
/// Every `labels` entry becomes one job per query; `jobs` lists jobs with their own settings. Keys
/// missing from a job come from the top level.
public struct CrawlPlan: Sendable, Decodable {
  public struct Job: Sendable, Decodable, Hashable {
    public var provider: String?
    public var query: String?
    public var label: String?
    public var limit: Int?
    public var license: [String]?
    public var endpoint: String?
    public var urls: String?
    public var minSize: Int?
  }

  public var provider: String?
  public var limit: Int?
  public var license: [String]?
  public var endpoint: String?
  public var minSize: Int?
  public var labels: [String: [String]]?
  public var jobs: [Job]?

  /// The values a plan (and the matching command-line options) may hold.
  public static let limitRange = 1...1_000_000_000
  public static let minSizeRange = 0...100_000
  static var ranges: String {
    "limit takes \(limitRange.lowerBound)…\(limitRange.upperBound), minSize \(minSizeRange.lowerBound)…\(minSizeRange.upperBound)"
  }

  /// Reads and checks a plan file.
  public static func load(path: String) throws -> CrawlPlan {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw CrawlerError.invalidInput("\(path): cannot read the crawl plan (does the file exist?)")
    }
    let plan: CrawlPlan
    do {
      plan = try JSONDecoder().decode(CrawlPlan.self, from: data)
    } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
      // Valid JSON holding a value Swift cannot take (a 20-digit limit): name the key and the range.
      let at = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw CrawlerError.invalidInput(
        "\(path): \(at) is out of range (\(context.debugDescription)); \(Self.ranges)")
    } catch let DecodingError.dataCorrupted(context) {
      if let key = outOfRangeKey(data) {
        throw CrawlerError.invalidInput("\(path): \(key) is out of range; \(Self.ranges)")
      }
      throw CrawlerError.invalidInput(
        "\(path): not valid JSON: \(context.underlyingError?.localizedDescription ?? context.debugDescription)")
    } catch let DecodingError.typeMismatch(_, context) {
      let at = context.codingPath.map(\.stringValue).joined(separator: ".")
      throw CrawlerError.invalidInput("\(path): \(at): \(context.debugDescription)")
    } catch {
      throw CrawlerError.invalidInput("\(path): \(error.localizedDescription)")
    }
    for job in plan.resolvedJobs() {
      if let limit = job.limit, !limitRange.contains(limit) {
        throw CrawlerError.invalidInput(
          "\(path): job \"\(job.query ?? "")\": limit \(limit) is out of range; \(Self.ranges)")
      }
      if let minSize = job.minSize, !minSizeRange.contains(minSize) {
        throw CrawlerError.invalidInput(
          "\(path): job \"\(job.query ?? "")\": minSize \(minSize) is out of range; \(Self.ranges)")
      }
    }
    if plan.resolvedJobs().isEmpty {
      throw CrawlerError.invalidInput(
        "\(path): the plan lists no jobs; add \"labels\": {\"LABEL\": [\"QUERY\", …]} or \"jobs\"")
    }
    for job in plan.resolvedJobs() where job.provider == nil {
      throw CrawlerError.invalidInput(
        "\(path): job \"\(job.query ?? "")\" names no provider (set \"provider\" at the top)")
    }
    return plan
  }

  /// For JSON the decoder refuses although it parses (a 20-digit number): the first `limit` or `minSize`
  /// that is not a whole number in Int's range, as `limit` or `jobs.2.limit`.
  static func outOfRangeKey(_ data: Data) -> String? {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
    func bad(_ value: Any?) -> Bool {
      guard let value else { return false }
      guard let number = value as? NSNumber else { return true }
      return Int(exactly: number.doubleValue) == nil || number.stringValue.count > 18
    }
    for key in ["limit", "minSize"] where bad(object[key]) { return key }
    for (index, job) in (object["jobs"] as? [[String: Any]] ?? []).enumerated() {
      for key in ["limit", "minSize"] where bad(job[key]) { return "jobs.\(index).\(key)" }
    }
    return nil
  }

  /// The plan's jobs with top-level settings filled in, `labels` first (sorted by label).
  public func resolvedJobs() -> [Job] {
    var out: [Job] = []
    for (label, queries) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) {
      for query in queries {
        out.append(
          Job(
            provider: provider, query: query, label: label, limit: limit, license: license, endpoint: endpoint,
            minSize: minSize))
      }
    }
    for job in jobs ?? [] {
      var filled = job
      filled.provider = job.provider ?? provider
      filled.limit = job.limit ?? limit
      filled.license = job.license ?? license
      filled.endpoint = job.endpoint ?? endpoint
      filled.minSize = job.minSize ?? minSize
      out.append(filled)
    }
    return out
  }
}
