import CCurl
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Limits every transfer runs under.
public struct TransferLimits: Sendable {
  /// The body is counted in the write callback and the transfer stopped past this many bytes
  /// (libcurl 7.88 does not enforce CURLOPT_MAXFILESIZE on a chunked body).
  public var maxBytes: Int = 32 << 20
  public var connectTimeoutSeconds: Int = 10
  public var totalTimeoutSeconds: Int = 60
  /// Abort when slower than `lowSpeedBytesPerSecond` for `lowSpeedSeconds`.
  public var lowSpeedBytesPerSecond: Int = 1024
  public var lowSpeedSeconds: Int = 15
  /// At most this many redirects, http and https only.
  public var maxRedirects: Int = 5
  public var followRedirects: Bool = true
  /// Tries per request, counting the first; retried on 408, 429, 500, 502, 503, 504 and dropped connections.
  public var maxAttempts: Int = 4
  /// Exponential backoff: `base × 2^(try-1)`, capped, times a random factor in 0.5…1.0.
  public var backoffBaseSeconds: Double = 0.5
  public var backoffCapSeconds: Double = 30
  /// A `Retry-After` longer than this is cut to it.
  public var retryAfterCapSeconds: Double = 120

  public init() {}
}

/// Which addresses a transfer may connect to. Checked on the resolved address of every connection
/// libcurl opens (CURLOPT_OPENSOCKETFUNCTION), so numeric spellings (2130706433, 0x7f.1), names that
/// resolve to private addresses and redirects to them are all caught.
public struct NetworkPolicy: Sendable {
  /// Allow loopback, private (RFC 1918, ULA), link-local, CGNAT and other non-public addresses.
  public var allowPrivateNetwork = false
  /// Loopback ports treated as public hosts (tests stand in a "public" server with this).
  public var publicLoopbackPorts: Set<Int> = []

  public init(allowPrivateNetwork: Bool = false) {
    self.allowPrivateNetwork = allowPrivateNetwork
  }

  /// Whether connecting to `address` (4 or 16 bytes) on `port` is allowed.
  public func allows(address: [UInt8], port: Int) -> Bool {
    if allowPrivateNetwork { return true }
    if !Self.isPrivate(address) { return true }
    let loopback = address == [127, 0, 0, 1] || address == Array(repeating: 0, count: 15) + [1]
    return loopback && publicLoopbackPorts.contains(port)
  }

  /// Whether an IPv4 (4 bytes) or IPv6 (16 bytes) address is not a public unicast address.
  public static func isPrivate(_ a: [UInt8]) -> Bool {
    if a.count == 4 {
      switch (a[0], a[1]) {
      case (0, _), (10, _), (127, _): return true
      case (169, 254), (192, 168): return true
      case (172, 16...31): return true
      case (100, 64...127): return true  // CGNAT
      case (192, 0) where a[2] == 0 || a[2] == 2: return true
      case (198, 18...19): return true
      case (198, 51) where a[2] == 100: return true
      case (203, 0) where a[2] == 113: return true
      default: return a[0] >= 224  // multicast, reserved, broadcast
      }
    }
    guard a.count == 16 else { return true }
    if a[0..<10].allSatisfy({ $0 == 0 }) && a[10] == 0xFF && a[11] == 0xFF {
      return isPrivate(Array(a[12..<16]))  // ::ffff:a.b.c.d
    }
    if a[0..<12].allSatisfy({ $0 == 0 }) { return true }  // ::, ::1, ::a.b.c.d (deprecated)
    if a[0] == 0x00 && a[1] == 0x64 && a[2] == 0xFF && a[3] == 0x9B && a[4..<12].allSatisfy({ $0 == 0 }) {
      return isPrivate(Array(a[12..<16]))  // 64:ff9b::/96 NAT64
    }
    if a[0] & 0xFE == 0xFC { return true }  // fc00::/7 unique local
    if a[0] == 0xFE && a[1] & 0xC0 == 0x80 { return true }  // fe80::/10 link-local
    if a[0] == 0xFF { return true }  // multicast
    if a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0D && a[3] == 0xB8 { return true }  // documentation
    return false
  }

  static func describe(_ a: [UInt8]) -> String {
    if a.count == 4 { return a.map(String.init).joined(separator: ".") }
    var groups: [String] = []
    for i in stride(from: 0, to: a.count, by: 2) {
      groups.append(String(UInt16(a[i]) << 8 | UInt16(a[i + 1]), radix: 16))
    }
    return groups.joined(separator: ":")
  }
}

/// How a request treats redirects.
public enum RedirectPolicy: Sendable {
  /// Follow up to `maxRedirects` hops, http/https only, to any host the network policy allows.
  case follow
  /// Follow only to the same scheme, host and port (requests carrying an API key: a key header or
  /// query parameter must never reach another host).
  case sameHost
  /// Return the 3xx response.
  case none
}

/// One GET to perform.
public struct HTTPRequest: Sendable {
  public var url: String
  public var headers: [String]
  public var redirects: RedirectPolicy
  /// Strings (API keys) that must never appear in an error message; replaced by `<redacted>`.
  public var secrets: [String]
  /// The caller's tag, handed back with the result.
  public var tag: Int
  /// A body limit for this request below the session's `TransferLimits.maxBytes` (an API page), or nil.
  public var maxBytes: Int?

  public init(
    url: String, headers: [String] = [], redirects: RedirectPolicy = .follow, secrets: [String] = [],
    tag: Int = 0, maxBytes: Int? = nil
  ) {
    self.url = url
    self.headers = headers
    self.redirects = redirects
    self.secrets = secrets
    self.tag = tag
    self.maxBytes = maxBytes
  }

  /// The body limit this request runs under.
  func bodyLimit(_ limits: TransferLimits) -> Int { min(limits.maxBytes, maxBytes ?? Int.max) }
}

/// A finished HTTP exchange.
public struct HTTPResponse: Sendable {
  public var status: Int
  public var body: [UInt8]
  public var contentType: String?
  public var effectiveURL: String
  /// Response headers of the last hop, lowercased names.
  public var headers: [String: String]
  public var redirects: Int
  /// Tries it took (1 when the first try answered).
  public var attempts: Int = 1
}

/// How a transfer session runs: limits, parallelism, politeness and network policy.
public struct TransferConfiguration: Sendable {
  public var limits = TransferLimits()
  /// Transfers in flight at once.
  public var concurrency = 16
  /// Connections to one host:port at once.
  public var perHostConnections = 8
  /// Requests started per second to one host:port; 0 for no limit.
  public var perHostRequestsPerSecond: Double = 0
  public var userAgent = HTTPClient.defaultUserAgent
  public var network = NetworkPolicy()
  /// libcurl `CURLOPT_RESOLVE` entries, `host:port:address` (pin a name to an address).
  public var resolve: [String] = []

  public init() {}
}

/// Key-bearing query parameters, shown as `<redacted>` wherever a URL is displayed.
enum Redaction {
  static let keyParameters: Set<String> = [
    "key", "api_key", "apikey", "client_id", "client_secret", "access_token", "token", "auth",
    "subscription-key",
  ]

  /// `url` with key parameter values replaced and every secret scrubbed.
  static func display(_ url: String, secrets: [String] = []) -> String {
    var shown = url
    if let question = url.firstIndex(of: "?") {
      let head = url[..<question]
      var tail = String(url[url.index(after: question)...])
      var fragment = ""
      if let hash = tail.firstIndex(of: "#") {
        fragment = String(tail[hash...])
        tail = String(tail[..<hash])
      }
      let pairs = tail.split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
        guard let equals = pair.firstIndex(of: "=") else { return String(pair) }
        let name = pair[..<equals].lowercased()
        return keyParameters.contains(name) ? "\(pair[..<equals])=<redacted>" : String(pair)
      }
      shown = head + "?" + pairs.joined(separator: "&") + fragment
    }
    return scrub(withoutCredentials(in: shown), secrets: secrets)
  }

  /// `text` with the user name and password of every URL in it removed (`http://alice:S3cret@host/a.jpg` →
  /// `http://host/a.jpg`): what may be printed, stored or exported of a URL whose fetch needs them.
  static func withoutCredentials(in text: String) -> String {
    guard text.contains("@") else { return text }
    return text.replacingOccurrences(
      of: "([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\\s]*@", with: "$1", options: .regularExpression)
  }

  static func scrub(_ text: String, secrets: [String]) -> String {
    var out = text
    for secret in secrets where secret.count >= 4 {
      out = out.replacingOccurrences(of: secret, with: "<redacted>")
      if let encoded = secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != secret {
        out = out.replacingOccurrences(of: encoded, with: "<redacted>")
      }
    }
    return out
  }
}

/// Blocking HTTP GET of one URL, with the limits every request needs (a one-request
/// ``TransferSession``): http/https only (also for redirects), bounded redirects, byte cap counted in
/// the write callback, connect/low-speed/total timeouts, private addresses refused unless allowed.
public final class HTTPClient {
  public static let defaultUserAgent =
    "datasetkit/0.1 (dataset builder; +https://github.com/datasetkit/datasetkit; honours robots.txt and X-Robots-Tag)"
  public let userAgent: String
  public var network: NetworkPolicy

  public init(userAgent: String = HTTPClient.defaultUserAgent, network: NetworkPolicy = NetworkPolicy()) {
    self.userAgent = userAgent
    self.network = network
  }

  /// Opens libcurl (once per process; it is not linked, so commands that never fetch don't load it). Throws
  /// when the library can't be opened or lacks a function datasetkit calls.
  static func openLibrary() throws {
    var message = [CChar](repeating: 0, count: 512)
    guard dsk_curl_open(&message, message.count) != 0 else { return }
    throw CrawlerError.library(
      String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
  }

  /// The libcurl version, e.g. "7.88.1" (opens the library).
  public static func libraryVersion() throws -> String {
    try openLibrary()
    return String(cString: dsk_curl_version())
  }

  /// GETs `url`. Throws for transfer failures; HTTP error statuses are returned, not thrown.
  public func get(_ url: String, headers: [String] = [], limits: TransferLimits = TransferLimits())
    throws -> HTTPResponse
  {
    var configuration = TransferConfiguration()
    configuration.limits = limits
    configuration.limits.maxAttempts = 1
    configuration.concurrency = 1
    configuration.userAgent = userAgent
    configuration.network = network
    let session = try TransferSession(configuration)
    var outcome: Result<HTTPResponse, CrawlerError> = .failure(.unsupportedScheme(url: url))
    try session.run([
      HTTPRequest(url: url, headers: headers, redirects: limits.followRedirects ? .follow : .none)
    ]) { _, result in outcome = result }
    return try outcome.get()
  }
}

/// Many GETs at once through libcurl's multi interface: `concurrency` transfers in flight, per-host
/// connection and request-rate limits, retries with `Retry-After` and jittered exponential backoff,
/// and every limit of ``TransferLimits``. Not thread-safe: use one session from one thread.
public final class TransferSession {
  public let configuration: TransferConfiguration
  let multi: UnsafeMutableRawPointer
  var spareHandles: [UnsafeMutableRawPointer] = []
  /// When each host may get its next request (rate limit, Retry-After); kept across `run` calls.
  var hostNotBefore: [String: Double] = [:]
  /// Hosts (`host:port`) whose first connection was refused as private, with the address: later requests
  /// to them are refused before connecting. Kept across `run` calls.
  var refusedHosts: [String: String] = [:]

  /// Throws when libcurl can't be opened or can't make a multi handle (out of memory).
  public init(_ configuration: TransferConfiguration) throws {
    try HTTPClient.openLibrary()
    self.configuration = configuration
    guard let multi = dsk_curl_multi_init() else {
      throw CrawlerError.transfer(url: "-", code: -1, message: "curl_multi_init failed (out of memory?)")
    }
    self.multi = multi
    dsk_curl_multi_setopt_long(multi, CURLMOPT_MAX_HOST_CONNECTIONS, max(1, configuration.perHostConnections))
    dsk_curl_multi_setopt_long(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, max(1, configuration.concurrency))
    dsk_curl_multi_setopt_long(multi, CURLMOPT_PIPELINING, Int(CURLPIPE_MULTIPLEX))
  }

  deinit {
    for handle in spareHandles { dsk_curl_easy_cleanup(handle) }
    dsk_curl_multi_cleanup(multi)
  }

  struct Pending {
    var request: HTTPRequest
    var url: String
    var attempt: Int
    var hops: Int
    var notBefore: Double
  }

  /// Runs `requests` and calls `onComplete` once per request, on the calling thread, as each ends
  /// (after its retries). A throwing `onComplete` stops the run: transfers in flight are dropped and
  /// the error is rethrown.
  public func run(
    _ requests: [HTTPRequest],
    onComplete: (HTTPRequest, Result<HTTPResponse, CrawlerError>) throws -> Void
  ) throws {
    var queues: [String: [Pending]] = [:]
    var queueHeads: [String: Int] = [:]
    var hostOrder: [String] = []
    var activePerHost: [String: Int] = [:]
    var active: [UnsafeMutableRawPointer: Transfer] = [:]
    var waiting = 0
    let limits = configuration.limits
    let interval = configuration.perHostRequestsPerSecond > 0 ? 1 / configuration.perHostRequestsPerSecond : 0

    func enqueue(_ pending: Pending) {
      let host = Self.hostKey(pending.url)
      if queues[host] == nil {
        queues[host] = []
        queueHeads[host] = 0
        hostOrder.append(host)
      }
      queues[host, default: []].append(pending)
      waiting += 1
    }
    for request in requests {
      enqueue(Pending(request: request, url: request.url, attempt: 1, hops: 0, notBefore: 0))
    }
    defer {
      for (handle, transfer) in active {
        dsk_curl_multi_remove_handle(multi, handle)
        transfer.release()
        recycle(handle)
      }
    }

    var cursor = 0
    /// The next request to start, or one refused without a connection (a private address known before
    /// connecting): such a refusal waits on no rate limit and takes no connection slot.
    func nextStartable(now: Double) -> (Pending, refused: CrawlerError?)? {
      guard !hostOrder.isEmpty else { return nil }
      for step in 0..<hostOrder.count {
        let host = hostOrder[(cursor + step) % hostOrder.count]
        guard let head = queueHeads[host], let queue = queues[host], head < queue.count else { continue }
        let refused = upFrontRefusal(queue[head])
        if refused == nil {
          if (hostNotBefore[host] ?? 0) > now || queue[head].notBefore > now { continue }
          if activePerHost[host, default: 0] >= max(1, configuration.perHostConnections) { continue }
        }
        queueHeads[host] = head + 1
        if head + 1 == queue.count {
          queues[host] = []
          queueHeads[host] = 0
        }
        cursor = (cursor + step + 1) % hostOrder.count
        waiting -= 1
        if refused != nil { return (queue[head], refused) }
        if interval > 0 { hostNotBefore[host] = now + interval }
        activePerHost[host, default: 0] += 1
        return (queue[head], nil)
      }
      return nil
    }

    while true {
      var now = Self.clock()
      while active.count < max(1, configuration.concurrency), let (pending, refused) = nextStartable(now: now) {
        if let refused {
          try onComplete(pending.request, .failure(refused))
          continue
        }
        switch start(pending) {
        case .success(let (handle, transfer)):
          active[handle] = transfer
        case .failure(let error):
          activePerHost[Self.hostKey(pending.url), default: 1] -= 1
          try onComplete(pending.request, .failure(error))
        }
      }
      if active.isEmpty && waiting == 0 { return }

      var running: Int32 = 0
      dsk_curl_multi_perform(multi, &running)
      var left: Int32 = 0
      while let message = dsk_curl_multi_info_read(multi, &left) {
        guard dsk_curl_msg_done(message) != 0, let handle = dsk_curl_msg_easy(message),
          let transfer = active.removeValue(forKey: handle)
        else { continue }
        let code = dsk_curl_msg_result(message)
        dsk_curl_multi_remove_handle(multi, handle)
        let host = Self.hostKey(transfer.pending.url)
        activePerHost[host, default: 1] -= 1
        let outcome = finish(handle, transfer, code: code)
        transfer.release()
        recycle(handle)
        now = Self.clock()
        switch outcome {
        case .done(let result):
          try onComplete(transfer.pending.request, result)
        case .retry(var pending, let delay, let hostWide):
          pending.notBefore = now + delay
          if hostWide { hostNotBefore[host] = max(hostNotBefore[host] ?? 0, now + delay) }
          enqueue(pending)
        case .redirect(let pending):
          enqueue(pending)
        }
      }
      if active.isEmpty && waiting == 0 { return }
      // Sleep until a socket is ready or the next delayed request may start.
      var timeout = 1000.0
      if waiting > 0 {
        var earliest = Double.infinity
        for host in hostOrder {
          guard let head = queueHeads[host], let queue = queues[host], head < queue.count else { continue }
          earliest = min(earliest, max(queue[head].notBefore, hostNotBefore[host] ?? 0))
        }
        if earliest.isFinite { timeout = min(timeout, max(0, (earliest - Self.clock()) * 1000)) }
      }
      if active.isEmpty {
        if timeout > 0 { usleep(useconds_t(min(timeout, 1000) * 1000)) }
      } else {
        dsk_curl_multi_poll(multi, Int32(timeout.rounded(.up)))
      }
    }
  }

  /// A private-address refusal known before connecting: the URL's host is a literal address (any spelling
  /// `inet_aton` reads: 127.0.0.1, 2130706433, 0x7f.1; or [::1]) the policy refuses, or a name whose first
  /// connection in this session was refused (it resolved to a private address). Nil: start the transfer
  /// (the socket check still sees every address it connects to).
  func upFrontRefusal(_ pending: Pending) -> CrawlerError? {
    let network = configuration.network
    guard !network.allowPrivateNetwork, let components = URLComponents(string: pending.url),
      var host = components.host?.lowercased(), !host.isEmpty
    else { return nil }
    let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
    if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
    var address: String?
    if let bytes = Self.literalAddress(host) {
      if !network.allows(address: bytes, port: port) { address = NetworkPolicy.describe(bytes) }
    } else {
      address = refusedHosts[Self.hostKey(pending.url)]
    }
    guard let address else { return nil }
    return .privateAddress(url: Redaction.display(pending.url, secrets: pending.request.secrets), address: address)
  }

  /// The bytes of a literal IPv4 (as `inet_aton` reads it, the way the resolver does) or IPv6 address.
  static func literalAddress(_ host: String) -> [UInt8]? {
    if host.contains(":") {
      var six = in6_addr()
      guard inet_pton(AF_INET6, host, &six) == 1 else { return nil }
      return withUnsafeBytes(of: &six) { Array($0) }
    }
    guard let first = host.unicodeScalars.first, ("0"..."9").contains(first) else { return nil }
    var four = in_addr()
    guard inet_aton(host, &four) != 0 else { return nil }
    return withUnsafeBytes(of: &four.s_addr) { Array($0) }
  }

  enum Outcome {
    case done(Result<HTTPResponse, CrawlerError>)
    case retry(Pending, delay: Double, hostWide: Bool)
    case redirect(Pending)
  }

  func start(_ pending: Pending) -> Result<(UnsafeMutableRawPointer, Transfer), CrawlerError> {
    let url = pending.url
    let lowered = url.lowercased()
    guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://") else {
      return .failure(.unsupportedScheme(url: Redaction.display(url, secrets: pending.request.secrets)))
    }
    let handle: UnsafeMutableRawPointer
    if let spare = spareHandles.popLast() {
      handle = spare
    } else if let fresh = dsk_curl_easy_init() {
      handle = fresh
    } else {
      return .failure(.transfer(url: Redaction.display(url), code: -1, message: "curl_easy_init failed"))
    }
    let limits = configuration.limits
    let bodyLimit = pending.request.bodyLimit(limits)
    let transfer = Transfer(pending: pending, limit: bodyLimit, network: configuration.network)
    for header in pending.request.headers { transfer.headerList = dsk_curl_slist_append(transfer.headerList, header) }
    for entry in configuration.resolve { transfer.resolveList = dsk_curl_slist_append(transfer.resolveList, entry) }
    let context = transfer.retain()
    let follows = pending.request.redirects == .follow
    dsk_curl_setopt_string(handle, CURLOPT_URL, url)
    dsk_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
    dsk_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
    dsk_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, follows ? 1 : 0)
    dsk_curl_setopt_long(handle, CURLOPT_MAXREDIRS, limits.maxRedirects)
    dsk_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, limits.connectTimeoutSeconds)
    dsk_curl_setopt_long(handle, CURLOPT_TIMEOUT, limits.totalTimeoutSeconds)
    dsk_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond)
    dsk_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds)
    dsk_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(bodyLimit))
    dsk_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
    dsk_curl_setopt_long(handle, CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
    dsk_curl_setopt_string(handle, CURLOPT_PROXY, "")  // never an ambient proxy: the policy sees the real peer
    dsk_curl_setopt_string(handle, CURLOPT_USERAGENT, configuration.userAgent)
    dsk_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
    dsk_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, transfer.errorBuffer)
    dsk_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, transfer.headerList)
    if transfer.resolveList != nil { dsk_curl_setopt_slist(handle, CURLOPT_RESOLVE, transfer.resolveList) }
    dsk_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, responseBodyCallback)
    dsk_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
    dsk_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, responseHeaderCallback)
    dsk_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
    dsk_curl_setopt_opensocket(handle, openSocketCallback)
    dsk_curl_setopt_opensocket_data(handle, context)
    dsk_curl_multi_add_handle(multi, handle)
    return .success((handle, transfer))
  }

  func finish(_ handle: UnsafeMutableRawPointer, _ transfer: Transfer, code: CURLcode) -> Outcome {
    let pending = transfer.pending
    let request = pending.request
    let limits = configuration.limits
    let shown = Redaction.display(pending.url, secrets: request.secrets)
    if transfer.sink.overLimit || code == CURLE_FILESIZE_EXCEEDED {
      return .done(.failure(.tooLarge(url: shown, limit: request.bodyLimit(limits))))
    }
    if let refused = transfer.refusedAddress {
      var redirects = 0
      dsk_curl_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &redirects)
      if pending.hops == 0 && redirects == 0 {
        // The host itself resolves to a private address: its other URLs are refused without connecting.
        refusedHosts[Self.hostKey(pending.url)] = refused
      }
      return .done(.failure(.privateAddress(url: shown, address: refused)))
    }
    guard code == CURLE_OK else {
      let detail = Redaction.scrub(String(cString: transfer.errorBuffer), secrets: request.secrets)
      let summary = String(cString: dsk_curl_easy_strerror(code))
      let transient = [CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE].contains(code)
      if transient && pending.attempt < limits.maxAttempts {
        var next = pending
        next.attempt += 1
        return .retry(next, delay: backoff(attempt: pending.attempt), hostWide: false)
      }
      return .done(
        .failure(
          .transfer(
            url: shown, code: Int32(code.rawValue), message: detail.isEmpty ? summary : "\(summary): \(detail)")))
    }
    var status = 0
    dsk_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
    var redirects = 0
    dsk_curl_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &redirects)
    var effective: UnsafeMutablePointer<CChar>?
    dsk_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
    let effectiveURL = effective.map { String(cString: $0) } ?? pending.url
    let headers = transfer.sink.headers

    if [408, 429, 500, 502, 503, 504].contains(status) && pending.attempt < limits.maxAttempts {
      var next = pending
      next.attempt += 1
      var delay = backoff(attempt: pending.attempt)
      if let value = headers["retry-after"], let asked = Self.retryAfterSeconds(value, now: Date()) {
        delay = min(limits.retryAfterCapSeconds, asked) + Double.random(in: 0...0.05)
      }
      return .retry(next, delay: delay, hostWide: status == 429 || status == 503)
    }
    if request.redirects == .sameHost, (300...399).contains(status), let location = headers["location"] {
      guard let base = URL(string: pending.url), let target = URL(string: location, relativeTo: base)?.absoluteURL
      else {
        return .done(
          .failure(
            .crossHostRedirect(url: shown, target: "an unparsable Location", carriesKey: !request.secrets.isEmpty)))
      }
      let sameOrigin =
        target.scheme?.lowercased() == base.scheme?.lowercased()
        && target.host?.lowercased() == base.host?.lowercased() && target.port == base.port
      guard sameOrigin else {
        let port = target.port.map { ":\($0)" } ?? ""
        return .done(
          .failure(
            .crossHostRedirect(url: shown, target: (target.host ?? "?") + port, carriesKey: !request.secrets.isEmpty)))
      }
      guard pending.hops < limits.maxRedirects else {
        return .done(
          .failure(
            .transfer(
              url: shown, code: Int32(CURLE_TOO_MANY_REDIRECTS.rawValue),
              message: "more than \(limits.maxRedirects) redirects")))
      }
      var next = pending
      next.url = target.absoluteString
      next.hops += 1
      return .redirect(next)
    }
    return .done(
      .success(
        HTTPResponse(
          status: status, body: transfer.sink.body, contentType: headers["content-type"],
          effectiveURL: effectiveURL, headers: headers, redirects: redirects + pending.hops,
          attempts: pending.attempt)))
  }

  func backoff(attempt: Int) -> Double {
    let limits = configuration.limits
    let raw = limits.backoffBaseSeconds * pow(2, Double(max(0, attempt - 1)))
    return min(limits.backoffCapSeconds, raw) * Double.random(in: 0.5...1.0)
  }

  func recycle(_ handle: UnsafeMutableRawPointer) {
    dsk_curl_easy_reset(handle)
    spareHandles.append(handle)
  }

  /// `Retry-After` as seconds from `now`: delta-seconds or an HTTP-date (past dates give 0).
  public static func retryAfterSeconds(_ value: String, now: Date) -> Double? {
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    if let seconds = Double(trimmed), seconds.isFinite { return max(0, seconds) }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
      formatter.dateFormat = format
      if let date = formatter.date(from: trimmed) { return max(0, date.timeIntervalSince(now)) }
    }
    return nil
  }

  /// `host:port` of a URL, the unit of per-host limits.
  static func hostKey(_ url: String) -> String {
    guard let components = URLComponents(string: url), let host = components.host else { return url }
    let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
    return "\(host.lowercased()):\(port)"
  }

  static func clock() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
  }
}

/// One transfer in flight: the request, its body sink and what the socket check saw.
final class Transfer {
  let pending: TransferSession.Pending
  let sink: ResponseSink
  let network: NetworkPolicy
  let errorBuffer: UnsafeMutablePointer<CChar>
  var headerList: UnsafeMutablePointer<curl_slist>?
  var resolveList: UnsafeMutablePointer<curl_slist>?
  var refusedAddress: String?

  init(pending: TransferSession.Pending, limit: Int, network: NetworkPolicy) {
    self.pending = pending
    sink = ResponseSink(limit: limit)
    self.network = network
    errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
    errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
  }

  deinit {
    errorBuffer.deallocate()
    dsk_curl_slist_free_all(headerList)
    dsk_curl_slist_free_all(resolveList)
  }

  func retain() -> UnsafeMutableRawPointer { Unmanaged.passRetained(self).toOpaque() }
  func release() { Unmanaged.passUnretained(self).release() }
}

/// Collects the body (counting it against the limit) and the last hop's headers.
final class ResponseSink {
  let limit: Int
  var body: [UInt8] = []
  var headers: [String: String] = [:]
  var overLimit = false

  init(limit: Int) {
    self.limit = limit
  }
}

private func transfer(_ context: UnsafeMutableRawPointer) -> Transfer {
  Unmanaged<Transfer>.fromOpaque(context).takeUnretainedValue()
}

private func openSocketCallback(
  _ context: UnsafeMutableRawPointer?, _ purpose: curlsocktype, _ address: UnsafeMutablePointer<curl_sockaddr>?
) -> curl_socket_t {
  guard let context, let address else { return CURL_SOCKET_BAD }
  let owner = transfer(context)
  var bytes = [UInt8](repeating: 0, count: 16)
  let family = dsk_curl_sockaddr_bytes(address, &bytes)
  let port = Int(dsk_curl_sockaddr_port(address))
  if family == AF_INET { bytes = Array(bytes[0..<4]) }
  guard family != 0, owner.network.allows(address: bytes, port: port) else {
    owner.refusedAddress = family == 0 ? "a non-IP address" : NetworkPolicy.describe(bytes)
    return CURL_SOCKET_BAD
  }
  return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
}

private func responseBodyCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
  guard let data, let context else { return 0 }
  let sink = transfer(context).sink
  let length = size * count
  if sink.body.count + length > sink.limit {
    sink.overLimit = true
    return 0  // makes libcurl stop with CURLE_WRITE_ERROR
  }
  data.withMemoryRebound(to: UInt8.self, capacity: length) {
    sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
  }
  return length
}

private func responseHeaderCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
  guard let data, let context else { return 0 }
  let sink = transfer(context).sink
  let length = size * count
  let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
  }
  if line.hasPrefix("HTTP/") {
    sink.headers = [:]  // a new hop (redirect) starts
  } else if let colon = line.firstIndex(of: ":") {
    let name = line[..<colon].lowercased()
    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    if let previous = sink.headers[name], name == "x-robots-tag" {
      sink.headers[name] = previous + ", " + value
    } else {
      sink.headers[name] = value
    }
  }
  return length
}
