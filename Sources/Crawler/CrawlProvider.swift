import Foundation

/// One image a provider found: where it is and the facts its API gives about it.
public struct CrawlResult: Sendable, Codable, Hashable {
  public var url: String
  public var pageURL: String?
  public var license: String?
  public var licenseURL: String?
  public var creator: String?
  public var attribution: String?
  public var title: String?
  public var width: Int?
  public var height: Int?
  /// A label for this image alone (a URL list's `label` column); the crawl's label otherwise.
  public var label: String?
  /// A URL list's caption (`--caption-col`), stored with the origin and exported.
  public var caption: String?

  public init(
    url: String, pageURL: String? = nil, license: String? = nil, licenseURL: String? = nil,
    creator: String? = nil, attribution: String? = nil, title: String? = nil, width: Int? = nil,
    height: Int? = nil, label: String? = nil
  ) {
    self.url = url
    self.pageURL = pageURL
    self.license = license
    self.licenseURL = licenseURL
    self.creator = creator
    self.attribution = attribution
    self.title = title
    self.width = width
    self.height = height
    self.label = label
  }
}

/// One page of results and the cursor of the next page (nil when there is none).
public struct ProviderPage: Sendable {
  public var results: [CrawlResult]
  public var next: String?

  public init(results: [CrawlResult], next: String?) {
    self.results = results
    self.next = next
  }
}

/// How many API requests a provider allows per time window; persisted in the catalog so a re-run
/// respects what earlier runs spent.
public struct RequestBudget: Sendable, Codable, Hashable {
  public var limit: Int
  public var windowSeconds: Int

  public init(limit: Int, windowSeconds: Int) {
    self.limit = limit
    self.windowSeconds = windowSeconds
  }

  /// Parses `N/second|minute|hour|day` (or `N/SECONDS`).
  public init?(parsing text: String) {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let limit = Int(parts[0]), limit > 0 else { return nil }
    let windows = ["s": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400]
    guard let window = windows[parts[1].lowercased()] ?? Int(parts[1]), window > 0 else { return nil }
    self.init(limit: limit, windowSeconds: window)
  }
}

/// What a provider does for the next page: an HTTP request, results it has locally, or nothing.
public enum PageStep: Sendable {
  case request(HTTPRequest)
  case local(ProviderPage)
  case end
}

/// An image source: turns a query and a cursor into page requests and parses the pages. Cursors are
/// opaque strings stored in the catalog (`crawl_jobs.cursor`) so a crawl resumes where it stopped.
public protocol CrawlProvider: Sendable {
  /// The provider's name as given to `--provider`.
  var name: String { get }
  /// The request budget the provider's documentation states, if any.
  var budget: RequestBudget? { get }
  /// The cursor of the first page.
  var firstCursor: String { get }
  /// Result images a job keeps when no limit is given: 100 for a search, the whole list for a URL list.
  var defaultLimit: Int { get }
  /// The most results one page may hold: what its request asks for (or the API's fixed page size). A page
  /// answering more is cut to this many and the rest are counted as dropped (`CrawlReport.resultsDropped`).
  var resultsPerPage: Int { get }
  /// The step that fetches the page at `cursor`.
  func step(query: String, cursor: String) throws -> PageStep
  /// Parses a page's JSON; throws ``CrawlerError/malformedResponse`` for anything else.
  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage
}

extension CrawlProvider {
  public var defaultLimit: Int { 100 }
}

/// What picks and configures a provider.
public struct ProviderSettings: Sendable {
  /// Overrides the provider's base URL (tests and proxies).
  public var endpoint: String?
  /// License filter in Openverse/CC short names (`cc0`, `by`, `by-sa`, `pdm`, ...).
  public var licenses: [String] = []
  /// Where API keys come from (the process environment by default).
  public var environment: [String: String] = ProcessInfo.processInfo.environment
  /// A URL list (txt, CSV, TSV or JSONL) for the `urls` provider.
  public var listPath: String?
  /// Its format and columns (`--input-format`, `--url-col`, `--caption-col`).
  public var listOptions = URLListOptions()
  /// Results per page; each provider caps it to what its API allows.
  public var pageSize: Int?

  public init() {}
}

/// The providers `--provider` accepts, their key variables and defaults.
public enum Providers {
  public struct Info: Sendable {
    public var name: String
    public var summary: String
    public var keyVariables: [String]
  }

  public static let all: [Info] = [
    Info(name: "openverse", summary: "Openverse, CC-licensed", keyVariables: ["OPENVERSE_TOKEN (optional)"]),
    Info(name: "commons", summary: "Wikimedia Commons (no key)", keyVariables: []),
    Info(
      name: "urls", summary: "a URL list (--urls): .txt, or .csv / .tsv / .jsonl with a url column", keyVariables: []),
    Info(name: "flickr", summary: "Flickr photos.search", keyVariables: ["FLICKR_API_KEY"]),
    Info(name: "pexels", summary: "Pexels search", keyVariables: ["PEXELS_API_KEY"]),
    Info(name: "pixabay", summary: "Pixabay search", keyVariables: ["PIXABAY_API_KEY"]),
    Info(name: "google", summary: "Google Custom Search (image)", keyVariables: ["GOOGLE_CSE_KEY", "GOOGLE_CSE_CX"]),
    Info(name: "serpapi", summary: "SerpApi google_images", keyVariables: ["SERPAPI_KEY"]),
    Info(name: "bing", summary: "a Bing v7-compatible endpoint", keyVariables: ["BING_SEARCH_KEY"]),
  ]

  /// The provider called `name`, configured by `settings`.
  public static func make(_ name: String, settings: ProviderSettings) throws -> any CrawlProvider {
    func key(_ variable: String) throws -> String {
      guard let value = settings.environment[variable], !value.isEmpty else {
        throw CrawlerError.missingKey(provider: name, variable: variable)
      }
      return value
    }
    switch name.lowercased() {
    case "openverse":
      return Openverse(
        settings: settings, token: settings.environment["OPENVERSE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
    case "commons", "wikimedia":
      return WikimediaCommons(settings: settings)
    case "urls", "url-list", "urllist":
      guard let path = settings.listPath else {
        throw CrawlerError.invalidInput(
          "the urls provider needs --urls FILE (a .txt with one URL per line, or a .csv, .tsv or .jsonl with a url column)"
        )
      }
      return try URLList(path: path, options: settings.listOptions)
    case "flickr": return Flickr(settings: settings, key: try key("FLICKR_API_KEY"))
    case "pexels": return Pexels(settings: settings, key: try key("PEXELS_API_KEY"))
    case "pixabay": return Pixabay(settings: settings, key: try key("PIXABAY_API_KEY"))
    case "google", "google-cse":
      return GoogleCSE(settings: settings, key: try key("GOOGLE_CSE_KEY"), engine: try key("GOOGLE_CSE_CX"))
    case "serpapi": return SerpApi(settings: settings, key: try key("SERPAPI_KEY"))
    case "bing": return BingV7(settings: settings, key: try key("BING_SEARCH_KEY"))
    default:
      throw CrawlerError.invalidInput(
        "unknown provider \"\(name)\"; choose one of: \(all.map(\.name).joined(separator: ", "))")
    }
  }
}

// MARK: - Helpers shared by the JSON providers

/// Percent-encodes query parameters strictly (RFC 3986 unreserved characters only; space is %20).
func queryString(_ items: [(String, String)]) -> String {
  var allowed = CharacterSet.alphanumerics.intersection(
    CharacterSet(charactersIn: Unicode.Scalar(0)..<Unicode.Scalar(128)))
  allowed.insert(charactersIn: "-._~")
  return items.map { name, value in
    "\(name)=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value)"
  }.joined(separator: "&")
}

func url(_ base: String, _ items: [(String, String)]) -> String {
  let separator = base.contains("?") ? (base.hasSuffix("?") || base.hasSuffix("&") ? "" : "&") : "?"
  return base + separator + queryString(items)
}

/// Loosely typed JSON access: numbers may arrive as strings and strings as numbers.
struct JSON {
  let value: Any?

  init(_ value: Any?) { self.value = value }

  static func parse(_ body: [UInt8], provider: String, url: String) throws -> JSON {
    do {
      return JSON(try JSONSerialization.jsonObject(with: Data(body), options: []))
    } catch {
      let head = String(decoding: body.prefix(80), as: UTF8.self)
      throw CrawlerError.malformedResponse(
        provider: provider, url: url, detail: "not JSON (starts with \(head.debugDescription))")
    }
  }

  subscript(key: String) -> JSON { JSON((value as? [String: Any])?[key]) }
  subscript(index: Int) -> JSON {
    guard let array = value as? [Any], index >= 0, index < array.count else { return JSON(nil) }
    return JSON(array[index])
  }
  var array: [JSON]? { (value as? [Any])?.map(JSON.init) }
  var object: [String: Any]? { value as? [String: Any] }
  var isNull: Bool { value == nil || value is NSNull }
  var string: String? {
    if let text = value as? String { return text.isEmpty ? nil : text }
    if let number = value as? NSNumber { return number.stringValue }
    return nil
  }
  var int: Int? {
    if let number = value as? NSNumber { return number.intValue }
    if let text = value as? String { return Int(text) }
    return nil
  }
}

/// `html` with tags removed and the common entities decoded (Commons' Artist field is HTML).
func plainText(_ html: String) -> String {
  var out = ""
  var inTag = false
  for character in html {
    if character == "<" {
      inTag = true
    } else if character == ">" {
      inTag = false
    } else if !inTag {
      out.append(character)
    }
  }
  for (entity, text) in [
    ("&amp;", "&"), ("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&nbsp;", " "),
  ] {
    out = out.replacingOccurrences(of: entity, with: text)
  }
  return out.split(whereSeparator: \.isWhitespace).joined(separator: " ")
}

func pageNumber(_ cursor: String) -> Int { max(1, Int(cursor) ?? 1) }

func requireArray(_ json: JSON, _ path: String, provider: String, url: String) throws -> [JSON] {
  guard let array = json.array else {
    throw CrawlerError.malformedResponse(provider: provider, url: url, detail: "no \(path) array")
  }
  return array
}
