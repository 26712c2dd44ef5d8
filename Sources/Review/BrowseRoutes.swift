import Foundation
import HTTPTypes
import Hummingbird
import Labeling

/// The browser's routes (the dataset as images, not only face boxes):
/// - `GET /browse` the page; `GET /api/browse/config` the filter choices;
/// - `GET /api/browse/tiles?label=&source=&kind=&status=&split=&subset=&group=&ids=&decided=&suspects=&page=&per=`;
/// - `GET /api/browse/image/ID` everything about an image; `GET /ithumb/ID?side=` its thumbnail;
/// - `POST /api/browse/decide` `{"action": "relabel|exclude|restore|undo", "images": [...], "label", "reason"}`;
/// - `minScore=&maxScore=`, `leaks=SPLIT`, the group and dedup routes: `BrowseClusters.swift`.
extension ReviewServer {
  /// Answers a browser route, or nil for any other path.
  func browseRoute(
    _ request: Request, parts: [String], query: [String: String], context: ReviewContext
  ) async throws -> Response? {
    if let response = try await clusterRoute(request, parts: parts, query: query) { return response }
    switch (request.method, parts.first ?? "", parts.count) {
    case (.get, "browse", 1):
      return Self.html(BrowsePageHTML.page)
    case (.get, "api", 3) where parts[1] == "browse" && parts[2] == "config":
      return try Self.json(try await desk.choices())
    case (.get, "api", 3) where parts[1] == "browse" && parts[2] == "tiles":
      let filter = try Self.browseFilter(query)
      let page = Int(query["page"] ?? "0") ?? 0
      let per = Int(query["per"] ?? "") ?? options.perPage
      return try Self.json(try await desk.browse(filter, page: page, perPage: per))
    case (.get, "api", 4) where parts[1] == "browse" && parts[2] == "image":
      return try Self.json(try await desk.detail(try Self.id(parts[3])))
    case (.get, "ithumb", 2):
      let side = max(16, min(Int(query["side"] ?? "") ?? options.thumbnail, 1024))
      let bytes = try await imageThumbnail(try Self.id(parts[1]), side: side, context: context)
      return Self.bytes(bytes, type: "image/jpeg")
    case (.post, "api", 3) where parts[1] == "browse" && parts[2] == "decide":
      var request = request
      let body = try await request.collectBody(upTo: 1 << 20)
      guard let decision = try? JSONDecoder().decode(ImageDecisionBody.self, from: Data(body.readableBytesView))
      else { throw ReviewError.badRequest("the body is not the JSON decide expects") }
      guard !decision.images.isEmpty, decision.images.count <= 10_000 else {
        throw ReviewError.badRequest("give 1 to 10000 images")
      }
      let action: ImageAction
      switch decision.action {
      case "relabel":
        guard let label = decision.label else { throw ReviewError.badRequest("relabel needs a label") }
        action = .relabel(label)
      case "exclude":
        action = .exclude(reason: decision.reason ?? "")
      case "restore": action = .restore
      case "undo": action = .undo
      default: throw ReviewError.badRequest("unknown action '\(decision.action)'")
      }
      return try Self.json(try await desk.decide(action, images: decision.images))
    default:
      return nil
    }
  }

  /// The browser's filter from the URL's query (empty values mean "any").
  static func browseFilter(_ query: [String: String]) throws -> BrowseFilter {
    func value(_ name: String) -> String? { query[name].flatMap { $0.isEmpty ? nil : $0 } }
    var filter = BrowseFilter()
    filter.label = value("label")
    filter.source = value("source")
    if let kind = value("kind") {
      guard kind == "photo" || kind == "crop" else { throw ReviewError.badRequest("kind must be photo or crop") }
      filter.kind = kind
    }
    if let status = value("status") {
      guard ["active", "rejected", "duplicate", "quarantined"].contains(status) else {
        throw ReviewError.badRequest("status must be active, rejected, duplicate or quarantined")
      }
      filter.status = status
    }
    filter.split = value("split")
    filter.subset = filter.split == nil ? nil : value("subset")
    if let group = value("group") { filter.group = try id(group) }
    if let ids = value("ids") {
      let parsed = ids.split(separator: ",").prefix(1000).map { Int64($0.trimmingCharacters(in: .whitespaces)) }
      guard parsed.allSatisfy({ ($0 ?? 0) > 0 }) else {
        throw ReviewError.badRequest("ids: image ids, comma-separated")
      }
      filter.ids = parsed.compactMap { $0 }
    }
    if let decided = value("decided") {
      guard decided == "1" || decided == "0" else { throw ReviewError.badRequest("decided must be 1 or 0") }
      filter.decided = decided == "1"
    }
    filter.suspects = value("suspects") == "1"
    try clusterFilter(query, into: &filter)
    return filter
  }
}

struct ImageDecisionBody: Decodable {
  var action: String
  var images: [Int64]
  var label: String?
  var reason: String?
}
