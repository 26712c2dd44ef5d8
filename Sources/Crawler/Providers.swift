import Foundation

/// Openverse `GET /v1/images/`. Anonymous page size is capped at 20; the API
/// serves at most 20 pages.
struct Openverse: CrawlProvider {
  let name = "openverse"
  let base: String
  let token: String?
  let licenses: [String]
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "1" }
  var budget: RequestBudget? {
    token == nil ? RequestBudget(limit: 100, windowSeconds: 86400) : RequestBudget(limit: 10000, windowSeconds: 86400)
  }

  init(settings: ProviderSettings, token: String?) {
    base = settings.endpoint ?? "https://api.openverse.org/v1/images/"
    self.token = token
    licenses = settings.licenses
    pageSize = min(settings.pageSize ?? 20, token == nil ? 20 : 500)
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let page = pageNumber(cursor)
    guard page <= 20 else { return .end }
    var items = [("q", query), ("page", String(page)), ("page_size", String(pageSize))]
    if !licenses.isEmpty { items.append(("license", licenses.joined(separator: ","))) }
    let headers = token.map { ["Authorization: Bearer \($0)"] } ?? []
    return .request(
      HTTPRequest(url: url(base, items), headers: headers, redirects: .sameHost, secrets: token.map { [$0] } ?? []))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    let results = try requireArray(json["results"], "results", provider: name, url: url)
    let found: [CrawlResult] = results.compactMap { item in
      guard let link = item["url"].string else { return nil }
      var license: String?
      if let raw = item["license"].string {
        let short = raw == "cc0" || raw == "pdm" ? raw.uppercased() : "CC " + raw.uppercased()
        let version = raw == "pdm" ? nil : item["license_version"].string
        license = version.map { "\(short) \($0)" } ?? short
      }
      return CrawlResult(
        url: link, pageURL: item["foreign_landing_url"].string, license: license,
        licenseURL: item["license_url"].string, creator: item["creator"].string,
        attribution: item["attribution"].string, title: item["title"].string, width: item["width"].int,
        height: item["height"].int)
    }
    let page = json["page"].int ?? pageNumber(cursor)
    let pageCount = json["page_count"].int ?? page
    let next = !results.isEmpty && page < pageCount && page < 20 ? String(page + 1) : nil
    return ProviderPage(results: found, next: next)
  }
}

/// Wikimedia Commons, MediaWiki Action API `generator=search`. The cursor is the
/// response's `continue` object, as JSON.
struct WikimediaCommons: CrawlProvider {
  let name = "commons"
  let base: String
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "{}" }
  var budget: RequestBudget? { nil }

  init(settings: ProviderSettings) {
    base = settings.endpoint ?? "https://commons.wikimedia.org/w/api.php"
    pageSize = min(settings.pageSize ?? 50, 50)
  }

  func step(query: String, cursor: String) throws -> PageStep {
    var items = [
      ("action", "query"), ("format", "json"), ("formatversion", "2"), ("generator", "search"),
      ("gsrsearch", "filetype:bitmap \(query)"), ("gsrnamespace", "6"), ("gsrlimit", String(pageSize)),
      ("prop", "imageinfo"), ("iiprop", "url|size|mime|extmetadata"),
    ]
    let continuation = (try? JSONSerialization.jsonObject(with: Data(cursor.utf8))) as? [String: Any] ?? [:]
    for key in continuation.keys.sorted() {
      items.append((key, JSON(continuation[key]).string ?? ""))
    }
    return .request(HTTPRequest(url: url(base, items), redirects: .sameHost))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    guard json.object != nil else {
      throw CrawlerError.malformedResponse(provider: name, url: url, detail: "not a JSON object")
    }
    if let error = json["error"]["info"].string {
      throw CrawlerError.providerStatus(provider: name, url: url, status: 200, detail: error)
    }
    // A search without hits has no `query` at all.
    let pages = json["query"]["pages"].array ?? []
    let ordered = pages.enumerated().sorted {
      ($0.element["index"].int ?? $0.offset) < ($1.element["index"].int ?? $1.offset)
    }
    let found: [CrawlResult] = ordered.compactMap { _, page in
      let info = page["imageinfo"][0]
      guard let link = info["url"].string else { return nil }
      let meta = info["extmetadata"]
      let license = meta["LicenseShortName"]["value"].string.map(plainText)
      let artist = meta["Artist"]["value"].string.map(plainText)
      let attribution = [artist, license].compactMap { $0 }.joined(separator: ", ")
      return CrawlResult(
        url: link, pageURL: info["descriptionurl"].string, license: license,
        licenseURL: meta["LicenseUrl"]["value"].string, creator: artist,
        attribution: attribution.isEmpty ? nil : attribution + ", via Wikimedia Commons",
        title: page["title"].string, width: info["width"].int, height: info["height"].int)
    }
    var next: String?
    if let continuation = json["continue"].object, !pages.isEmpty,
      let data = try? JSONSerialization.data(withJSONObject: continuation, options: [.sortedKeys])
    {
      next = String(decoding: data, as: UTF8.self)
    }
    return ProviderPage(results: found, next: next)
  }
}

/// Flickr `flickr.photos.search`. Licenses are Flickr's numeric ids.
struct Flickr: CrawlProvider {
  let name = "flickr"
  let base: String
  let key: String
  let licenseIDs: [String]
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "1" }
  var budget: RequestBudget? { RequestBudget(limit: 3600, windowSeconds: 3600) }

  static let licenses: [String: (name: String, url: String?)] = [
    "0": ("All Rights Reserved", nil),
    "1": ("CC BY-NC-SA 2.0", "https://creativecommons.org/licenses/by-nc-sa/2.0/"),
    "2": ("CC BY-NC 2.0", "https://creativecommons.org/licenses/by-nc/2.0/"),
    "3": ("CC BY-NC-ND 2.0", "https://creativecommons.org/licenses/by-nc-nd/2.0/"),
    "4": ("CC BY 2.0", "https://creativecommons.org/licenses/by/2.0/"),
    "5": ("CC BY-SA 2.0", "https://creativecommons.org/licenses/by-sa/2.0/"),
    "6": ("CC BY-ND 2.0", "https://creativecommons.org/licenses/by-nd/2.0/"),
    "7": ("No known copyright restrictions", "https://www.flickr.com/commons/usage/"),
    "8": ("United States Government Work", "http://www.usa.gov/copyright.shtml"),
    "9": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "10": ("Public Domain Mark 1.0", "https://creativecommons.org/publicdomain/mark/1.0/"),
  ]
  static let idsByShortName: [String: String] = [
    "by": "4", "by-sa": "5", "by-nc-sa": "1", "by-nc": "2", "by-nc-nd": "3", "by-nd": "6", "nkcr": "7",
    "usgov": "8", "cc0": "9", "pdm": "10",
  ]

  init(settings: ProviderSettings, key: String) {
    base = settings.endpoint ?? "https://api.flickr.com/services/rest/"
    self.key = key
    let mapped = settings.licenses.compactMap { Self.idsByShortName[$0.lowercased()] ?? (Int($0) != nil ? $0 : nil) }
    licenseIDs = mapped.isEmpty ? ["4", "5", "7", "8", "9", "10"] : mapped
    pageSize = min(settings.pageSize ?? 100, 500)
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let items = [
      ("method", "flickr.photos.search"), ("api_key", key), ("text", query),
      ("license", licenseIDs.joined(separator: ",")), ("content_type", "1"), ("media", "photos"),
      ("extras", "url_o,url_l,license,owner_name,o_dims"), ("per_page", String(pageSize)),
      ("page", String(pageNumber(cursor))), ("format", "json"), ("nojsoncallback", "1"),
    ]
    return .request(HTTPRequest(url: url(base, items), redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    guard json["stat"].string == "ok" else {
      let message = json["message"].string ?? "stat is not ok"
      throw CrawlerError.providerStatus(provider: name, url: url, status: 200, detail: message)
    }
    let photos = try requireArray(json["photos"]["photo"], "photos.photo", provider: name, url: url)
    let found: [CrawlResult] = photos.compactMap { photo in
      let original = photo["url_o"].string
      guard let link = original ?? photo["url_l"].string else { return nil }
      let license = photo["license"].string.flatMap { Self.licenses[$0] }
      let owner = photo["owner"].string ?? ""
      let page = photo["id"].string.map { "https://www.flickr.com/photos/\(owner)/\($0)" }
      let creator = photo["ownername"].string
      return CrawlResult(
        url: link, pageURL: page, license: license?.name, licenseURL: license?.url, creator: creator,
        attribution: creator.map { "\(photo["title"].string ?? "Photo") by \($0) on Flickr" },
        title: photo["title"].string,
        width: original != nil ? photo["width_o"].int : photo["width_l"].int,
        height: original != nil ? photo["height_o"].int : photo["height_l"].int)
    }
    let page = json["photos"]["page"].int ?? pageNumber(cursor)
    let pages = json["photos"]["pages"].int ?? page
    return ProviderPage(results: found, next: !photos.isEmpty && page < pages ? String(page + 1) : nil)
  }
}

/// Pexels `GET /v1/search`; the key is the raw `Authorization` header.
struct Pexels: CrawlProvider {
  let name = "pexels"
  let base: String
  let key: String
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "1" }
  var budget: RequestBudget? { RequestBudget(limit: 200, windowSeconds: 3600) }

  init(settings: ProviderSettings, key: String) {
    base = settings.endpoint ?? "https://api.pexels.com/v1/search"
    self.key = key
    pageSize = min(settings.pageSize ?? 80, 80)
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let items = [("query", query), ("per_page", String(pageSize)), ("page", String(pageNumber(cursor)))]
    return .request(
      HTTPRequest(url: url(base, items), headers: ["Authorization: \(key)"], redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    let photos = try requireArray(json["photos"], "photos", provider: name, url: url)
    let found: [CrawlResult] = photos.compactMap { photo in
      guard let link = photo["src"]["original"].string else { return nil }
      let creator = photo["photographer"].string
      return CrawlResult(
        url: link, pageURL: photo["url"].string, license: "Pexels License",
        licenseURL: "https://www.pexels.com/license/", creator: creator,
        attribution: creator.map { "Photo by \($0) on Pexels" }, title: photo["alt"].string,
        width: photo["width"].int, height: photo["height"].int)
    }
    let hasNext = !photos.isEmpty && json["next_page"].string != nil
    return ProviderPage(results: found, next: hasNext ? String(pageNumber(cursor) + 1) : nil)
  }
}

/// Pixabay `GET /api/`; at most 500 hits per query are reachable.
struct Pixabay: CrawlProvider {
  let name = "pixabay"
  let base: String
  let key: String
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "1" }
  var budget: RequestBudget? { RequestBudget(limit: 100, windowSeconds: 60) }

  init(settings: ProviderSettings, key: String) {
    base = settings.endpoint ?? "https://pixabay.com/api/"
    self.key = key
    pageSize = max(3, min(settings.pageSize ?? 200, 200))
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let items = [
      ("key", key), ("q", query), ("image_type", "photo"), ("per_page", String(pageSize)),
      ("page", String(pageNumber(cursor))), ("safesearch", "true"),
    ]
    return .request(HTTPRequest(url: url(base, items), redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    let hits = try requireArray(json["hits"], "hits", provider: name, url: url)
    let found: [CrawlResult] = hits.compactMap { hit in
      guard let link = hit["largeImageURL"].string ?? hit["webformatURL"].string else { return nil }
      let creator = hit["user"].string
      return CrawlResult(
        url: link, pageURL: hit["pageURL"].string, license: "Pixabay Content License",
        licenseURL: "https://pixabay.com/service/license-summary/", creator: creator,
        attribution: creator.map { "Image by \($0) from Pixabay" }, title: hit["tags"].string,
        width: hit["imageWidth"].int, height: hit["imageHeight"].int)
    }
    let page = pageNumber(cursor)
    let reachable = min(json["totalHits"].int ?? 0, 500)
    return ProviderPage(results: found, next: !hits.isEmpty && page * pageSize < reachable ? String(page + 1) : nil)
  }
}

/// Google Custom Search JSON API with `searchType=image`; `start + num ≤ 100`.
struct GoogleCSE: CrawlProvider {
  /// `num=10`, the API's largest page.
  var resultsPerPage: Int { 10 }
  let name = "google"
  let base: String
  let key: String
  let engine: String
  var firstCursor: String { "1" }
  var budget: RequestBudget? { RequestBudget(limit: 100, windowSeconds: 86400) }

  init(settings: ProviderSettings, key: String, engine: String) {
    base = settings.endpoint ?? "https://www.googleapis.com/customsearch/v1"
    self.key = key
    self.engine = engine
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let start = pageNumber(cursor)
    guard start <= 91 else { return .end }
    let items = [
      ("key", key), ("cx", engine), ("q", query), ("searchType", "image"), ("num", "10"), ("start", String(start)),
    ]
    return .request(HTTPRequest(url: url(base, items), redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    guard json.object != nil else {
      throw CrawlerError.malformedResponse(provider: name, url: url, detail: "not a JSON object")
    }
    let items = json["items"].array ?? []  // no `items` when there are no results
    let found: [CrawlResult] = items.compactMap { item in
      guard let link = item["link"].string else { return nil }
      return CrawlResult(
        url: link, pageURL: item["image"]["contextLink"].string, title: item["title"].string,
        width: item["image"]["width"].int, height: item["image"]["height"].int)
    }
    let next = json["queries"]["nextPage"][0]["startIndex"].int
    return ProviderPage(results: found, next: !items.isEmpty ? next.flatMap { $0 <= 91 ? String($0) : nil } : nil)
  }
}

/// SerpApi `engine=google_images`; `ijn` is the 0-based page index.
struct SerpApi: CrawlProvider {
  /// google_images gives at most 100 results per `ijn` page.
  var resultsPerPage: Int { 100 }
  let name = "serpapi"
  let base: String
  let key: String
  var firstCursor: String { "0" }
  var budget: RequestBudget? { nil }

  init(settings: ProviderSettings, key: String) {
    base = settings.endpoint ?? "https://serpapi.com/search.json"
    self.key = key
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let items = [("engine", "google_images"), ("q", query), ("api_key", key), ("ijn", String(Int(cursor) ?? 0))]
    return .request(HTTPRequest(url: url(base, items), redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    if let error = json["error"].string {
      if error.lowercased().contains("hasn't returned any results") { return ProviderPage(results: [], next: nil) }
      throw CrawlerError.providerStatus(provider: name, url: url, status: 200, detail: error)
    }
    let results = try requireArray(json["images_results"], "images_results", provider: name, url: url)
    let found: [CrawlResult] = results.compactMap { item in
      guard let link = item["original"].string else { return nil }
      return CrawlResult(
        url: link, pageURL: item["link"].string, creator: item["source"].string, title: item["title"].string,
        width: item["original_width"].int, height: item["original_height"].int)
    }
    let hasNext = !results.isEmpty && json["serpapi_pagination"]["next"].string != nil
    return ProviderPage(results: found, next: hasNext ? String((Int(cursor) ?? 0) + 1) : nil)
  }
}

/// A Bing Image Search v7-compatible endpoint (Bing's own was retired 2025-08-11).
struct BingV7: CrawlProvider {
  let name = "bing"
  let base: String
  let key: String
  let pageSize: Int
  var resultsPerPage: Int { pageSize }
  var firstCursor: String { "0" }
  var budget: RequestBudget? { nil }

  init(settings: ProviderSettings, key: String) {
    base = settings.endpoint ?? "https://api.bing.microsoft.com/v7.0/images/search"
    self.key = key
    pageSize = min(settings.pageSize ?? 150, 150)
  }

  func step(query: String, cursor: String) throws -> PageStep {
    let items = [("q", query), ("count", String(pageSize)), ("offset", String(Int(cursor) ?? 0))]
    return .request(
      HTTPRequest(
        url: url(base, items), headers: ["Ocp-Apim-Subscription-Key: \(key)"], redirects: .sameHost, secrets: [key]))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    let json = try JSON.parse(body, provider: name, url: url)
    let values = try requireArray(json["value"], "value", provider: name, url: url)
    let found: [CrawlResult] = values.compactMap { item in
      guard let link = item["contentUrl"].string else { return nil }
      return CrawlResult(
        url: link, pageURL: item["hostPageUrl"].string, title: item["name"].string, width: item["width"].int,
        height: item["height"].int)
    }
    let offset = Int(cursor) ?? 0
    let next = json["nextOffset"].int ?? (offset + values.count)
    let total = json["totalEstimatedMatches"].int ?? Int.max
    return ProviderPage(results: found, next: !values.isEmpty && next > offset && next < total ? String(next) : nil)
  }
}
