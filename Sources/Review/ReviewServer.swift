import Annotations
import Catalog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Imaging
import Labeling
import Logging
import NIOCore

/// How `datasetkit review serve` listens and what it shows first.
public struct ReviewServerOptions: Sendable {
  /// Loopback only by default; the page has no other protection than its token.
  public var host = "127.0.0.1"
  /// 0 picks a free port.
  public var port = 0
  /// The access token every request must carry (nil: 32 random hex digits).
  public var token: String?
  /// The grid's starting filter (the page can change it).
  public var filter = ReviewFilter()
  /// Classes for the relabel keys 1–9, before the catalog's own.
  public var labels: [String] = []
  public var perPage = 48
  /// Thumbnail side in pixels.
  public var thumbnail = 160
  public var logLevel: Logger.Level = .warning
  /// Timeouts and caps against half-sent and idle connections.
  public var limits = ConnectionLimits()
  /// Finished thumbnails kept in memory, in bytes.
  public var thumbnailCacheBytes = 64 << 20
  /// Decodes running at once (a large image takes every slot).
  public var decodeSlots = max(1, min(4, ProcessInfo.processInfo.activeProcessorCount))
  public init() {}
}

/// The local review web page: a keyboard-first grid of face boxes with accept / reject / relabel / undo, and
/// the full image to move a box or draw a missed face. Served by the binary itself with Hummingbird.
///
/// Every request must carry the access token (`?token=` or an `X-Review-Token` header); a URL with a `..`
/// segment (raw or percent-encoded) is answered 404 before anything else; images are served by catalog id
/// only, so nothing in a request ever names a file. A decision is answered only after its transaction is
/// committed with `synchronous=FULL`.
public struct ReviewServer: Sendable {
  public let desk: ReviewDesk
  public let options: ReviewServerOptions
  public let token: String
  let thumbnails: ThumbnailCache
  let decoder: DecodeLimiter
  let waiting: WaitingConnections
  /// The port bound (known once the server runs): a request naming another `Host` is refused.
  let served = ServedAddress()

  public init(desk: ReviewDesk, options: ReviewServerOptions) {
    self.desk = desk
    self.options = options
    token = options.token ?? Self.randomToken()
    thumbnails = ThumbnailCache(budget: options.thumbnailCacheBytes)
    decoder = DecodeLimiter(slots: options.decodeSlots)
    waiting = WaitingConnections(limit: options.limits.maxWaiting)
  }

  /// Listens and serves until SIGINT or SIGTERM (or the task is cancelled). `onReady` gets the page's URL,
  /// token included, once the socket is bound.
  public func run(onReady: @escaping @Sendable (String) -> Void) async throws {
    var logger = Logger(label: "datasetkit.review")
    logger.logLevel = options.logLevel
    let token = token
    let host = options.host
    let limits = options.limits
    let waiting = waiting
    let served = served
    let app = Application(
      responder: CallbackResponder<ReviewContext> { request, context in
        await self.respond(to: request, context: context)
      },
      server: .http1(
        configuration: .init(
          additionalChannelHandlers: [ConnectionGuard(limits: limits, waiting: waiting)],
          idleTimeout: limits.idleTimeout)),
      configuration: .init(
        address: .hostname(host, port: options.port), serverName: nil,
        availableConnectionsDelegate: MaximumAvailableConnections(limits.maxConnections)),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? 0
        served.set(host: host, port: port)
        let shown = host.contains(":") ? "[\(host)]" : host
        onReady("http://\(shown):\(port)/?token=\(token)")
      },
      logger: logger)
    do {
      try await app.runService()
    } catch let error as IOError {
      throw ReviewError.cannotListen(host: host, port: options.port, reason: error.description)
    }
  }

  /// Answers one request (the whole routing table; no other code sees a request).
  func respond(to request: Request, context: ReviewContext) async -> Response {
    let path = request.uri.path
    if Self.climbsOut(request.uri.string) { return Self.text(.notFound, "not found") }
    let query = Self.query(request.uri.query)
    if let refusal = served.refusal(request) { return Self.text(.forbidden, refusal) }
    guard authorised(request, query: query) else {
      return Self.text(
        .forbidden, "this page needs its access token: open the URL that `datasetkit review serve` printed")
    }
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    do {
      if let response = try await browseRoute(request, parts: parts, query: query, context: context) {
        return response
      }
      switch (request.method, parts.first ?? "", parts.count) {
      case (.get, "", 0):
        return Self.html(ReviewPageHTML.page)
      case (.get, "api", 2) where parts[1] == "config":
        let labels = try await desk.labels(preferred: options.labels)
        return try Self.json(
          PageConfig(labels: labels, filter: options.filter, perPage: options.perPage, thumbnail: options.thumbnail))
      case (.get, "api", 2) where parts[1] == "tiles":
        let filter = try Self.filter(from: query, base: options.filter)
        let page = Int(query["page"] ?? "0") ?? 0
        let per = Int(query["per"] ?? "") ?? options.perPage
        return try Self.json(try await desk.page(filter, page: page, perPage: per))
      case (.get, "api", 3) where parts[1] == "image":
        return try Self.json(try await desk.image(try Self.id(parts[2])))
      case (.get, "thumb", 2):
        let side = max(16, min(Int(query["side"] ?? "") ?? options.thumbnail, 1024))
        let bytes = try await boxThumbnail(try Self.id(parts[1]), side: side, context: context)
        return Self.bytes(bytes, type: "image/jpeg")
      case (.get, "object", 2):
        let (bytes, format) = try await desk.imageBytes(try Self.id(parts[1]))
        return Self.bytes(bytes, type: "image/" + format)
      case (.post, "api", 2):
        return try await post(parts[1], request: request, context: context)
      default:
        return Self.text(.notFound, "not found")
      }
    } catch let error as ReviewError {
      if case .notFound = error { return Self.text(.notFound, error.localizedDescription) }
      return Self.text(.badRequest, error.localizedDescription)
    } catch let error as LabelingError {
      return Self.text(.badRequest, error.localizedDescription)
    } catch AnnotationsError.unknownClass(let name, let suggestion, let known, let view) {
      // A class outside the vocabulary: 400, with the nearest class for the page to offer.
      let refusal = AnnotationsError.unknownClass(name, suggestion: suggestion, known: known, view: view)
      let body = ClassRefusal(
        error: refusal.errorDescription ?? name, label: name, suggestion: suggestion, classes: known, view: view)
      return (try? Self.json(body, status: .badRequest)) ?? Self.text(.badRequest, body.error)
    } catch let error as CatalogError {
      if case .labelTooLong = error { return Self.text(.badRequest, error.localizedDescription) }
      return Self.text(.internalServerError, error.localizedDescription)
    } catch is CancellationError {
      // The client went away; nobody reads this.
      return Self.text(.serviceUnavailable, "cancelled")
    } catch is NIOTooManyBytesError {
      return Self.text(.contentTooLarge, "the request body is over the 1 MiB this page accepts")
    } catch {
      return Self.text(.internalServerError, (error as? LocalizedError)?.errorDescription ?? "\(error)")
    }
  }

  private func post(_ name: String, request: Request, context: ReviewContext) async throws -> Response {
    var request = request
    let body = try await request.collectBody(upTo: 1 << 20)
    let data = Data(body.readableBytesView)
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
      do { return try JSONDecoder().decode(type, from: data) } catch {
        throw ReviewError.badRequest("the body is not the JSON \(name) expects")
      }
    }
    switch name {
    case "decide":
      let decision = try decode(Decision.self)
      let action: ReviewAction
      switch decision.action {
      case "accept": action = .accept
      case "reject": action = .reject
      case "relabel":
        guard let label = decision.label else { throw ReviewError.badRequest("relabel needs a label") }
        action = .relabel(label)
      default: throw ReviewError.badRequest("unknown action '\(decision.action)'")
      }
      guard !decision.boxes.isEmpty else { throw ReviewError.badRequest("no boxes") }
      return try Self.json(try await desk.decide(action, boxes: decision.boxes))
    case "add":
      let add = try decode(AddFace.self)
      return try Self.json(try await desk.addMissedFace(image: add.image, rect: add.rect, label: add.label))
    case "adjust":
      let adjust = try decode(AdjustBox.self)
      return try Self.json(try await desk.adjust(box: adjust.box, rect: adjust.rect))
    case "undo":
      return try Self.json(try await desk.undo(review: try decode(Undo.self).review))
    default:
      return Self.text(.notFound, "not found")
    }
  }

  private func authorised(_ request: Request, query: [String: String]) -> Bool {
    let header: String? = request.headers[Self.tokenHeader]
    guard let given = header ?? query["token"] else { return false }
    // Constant-time comparison: the token is the page's only lock.
    let a = Array(given.utf8)
    let b = Array(token.utf8)
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count { difference |= a[i] ^ b[i] }
    return difference == 0
  }

  /// True for a request target with a `..` path segment, raw or percent-encoded (`%2e%2e`, `.%2E`, …).
  static func climbsOut(_ target: String) -> Bool {
    let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? target
    let decoded = (path.removingPercentEncoding ?? path).replacingOccurrences(of: "\\", with: "/")
    return decoded.split(separator: "/", omittingEmptySubsequences: false).contains("..")
      || path.lowercased().contains("%2e%2e")
  }

  // swift-format-ignore: NeverForceUnwrap
  // A literal, valid header name: the initializer fails only on characters a token may not hold.
  static let tokenHeader = HTTPField.Name("X-Review-Token")!
  // swift-format-ignore: NeverForceUnwrap
  // The same.
  static let contentTypeOptions = HTTPField.Name("X-Content-Type-Options")!

  /// The query string's parameters, percent-decoded (`+` is a space); the first of a repeated name wins.
  static func query(_ text: String?) -> [String: String] {
    var result: [String: String] = [:]
    for pair in (text ?? "").split(separator: "&") {
      let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      func decode(_ s: Substring) -> String {
        let plain = s.replacingOccurrences(of: "+", with: " ")
        return plain.removingPercentEncoding ?? plain
      }
      let name = decode(parts[0])
      if result[name] == nil { result[name] = parts.count > 1 ? decode(parts[1]) : "" }
    }
    return result
  }

  static func filter(from query: [String: String], base: ReviewFilter) throws -> ReviewFilter {
    var filter = base
    if let status = query["status"] {
      guard status == "any" || BoxStatus(rawValue: status) != nil else {
        throw ReviewError.badRequest("status must be proposed, accepted, rejected or any")
      }
      filter.status = BoxStatus(rawValue: status)
    }
    if let label = query["label"] { filter.label = label.isEmpty ? nil : label }
    if let source = query["source"] { filter.source = source.isEmpty ? nil : source }
    if let origin = query["origin"] { filter.origin = origin.isEmpty ? nil : origin }
    if let min = query["minScore"] { filter.minScore = min.isEmpty ? nil : Double(min) }
    if let max = query["maxScore"] { filter.maxScore = max.isEmpty ? nil : Double(max) }
    if let crops = query["crops"] { filter.crops = crops == "1" || crops == "true" }
    return filter
  }

  static func id(_ text: String) throws -> Int64 {
    guard let id = Int64(text), id > 0 else { throw ReviewError.notFound("'\(text)'") }
    return id
  }

  static func randomToken() -> String {
    var generator = SystemRandomNumberGenerator()
    return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
  }

  static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
    respond(status, Array((message + "\n").utf8), type: "text/plain; charset=utf-8")
  }

  static func html(_ page: String) -> Response {
    var response = respond(.ok, Array(page.utf8), type: "text/html; charset=utf-8")
    response.headers[.contentSecurityPolicy] =
      "default-src 'self'; img-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    return response
  }

  static func bytes(_ bytes: [UInt8], type: String) -> Response { respond(.ok, bytes, type: type) }

  static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return respond(status, Array(try encoder.encode(value)), type: "application/json")
  }

  static func respond(_ status: HTTPResponse.Status, _ bytes: [UInt8], type: String) -> Response {
    var headers = HTTPFields()
    headers[.contentType] = type
    headers[.cacheControl] = "no-store"
    headers[contentTypeOptions] = "nosniff"
    return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}

struct PageConfig: Encodable {
  var labels: [String]
  var filter: ReviewFilter
  var perPage: Int
  var thumbnail: Int
}

/// The answer (400) to a decision naming a class the vocabulary does not hold.
struct ClassRefusal: Encodable {
  var error: String
  /// The name refused.
  var label: String
  /// The nearest class there is (nil: none near).
  var suggestion: String?
  /// The classes a decision may give.
  var classes: [String]
  /// The view in force (nil: the catalog's classes).
  var view: String?
}

struct Decision: Decodable {
  var action: String
  var boxes: [Int64]
  var label: String?
}

struct AddFace: Decodable {
  var image: Int64
  var rect: Box
  var label: String?
}

struct AdjustBox: Decodable {
  var box: Int64
  var rect: Box
}

struct Undo: Decodable {
  var review: Int64
}
