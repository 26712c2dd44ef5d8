import CCurl
import Foundation

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

  public init() {}
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
}

/// Blocking HTTP GET through libcurl's easy interface, with the limits every request needs:
/// http/https only (also for redirects), bounded redirects, byte cap counted in the write callback,
/// connect/low-speed/total timeouts.
public final class HTTPClient {
  let handle: UnsafeMutableRawPointer
  public let userAgent: String

  static let globalInit: Bool = {
    curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    return true
  }()

  public init(userAgent: String = "datasetkit/0.1 (+https://github.com/datasetkit/datasetkit)") {
    _ = Self.globalInit
    handle = curl_easy_init()
    self.userAgent = userAgent
  }

  deinit { curl_easy_cleanup(handle) }

  /// The libcurl version, e.g. "7.88.1".
  public static var libraryVersion: String {
    _ = globalInit
    return String(cString: curl_version_info(CURLVERSION_TENTH).pointee.version)
  }

  /// GETs `url`. Throws for transfer failures; HTTP error statuses are returned, not thrown.
  public func get(_ url: String, headers: [String] = [], limits: TransferLimits = TransferLimits())
    throws -> HTTPResponse
  {
    guard url.lowercased().hasPrefix("http://") || url.lowercased().hasPrefix("https://") else {
      throw CrawlerError.unsupportedScheme(url: url)
    }
    curl_easy_reset(handle)
    let sink = ResponseSink(limit: limits.maxBytes)
    let context = Unmanaged.passRetained(sink)
    defer { context.release() }
    var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE))
    var headerList: UnsafeMutablePointer<curl_slist>?
    for header in headers { headerList = curl_slist_append(headerList, header) }
    defer { curl_slist_free_all(headerList) }

    let code: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { buffer in
      dsk_curl_setopt_string(handle, CURLOPT_URL, url)
      dsk_curl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
      dsk_curl_setopt_string(handle, CURLOPT_REDIR_PROTOCOLS_STR, "http,https")
      dsk_curl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, limits.followRedirects ? 1 : 0)
      dsk_curl_setopt_long(handle, CURLOPT_MAXREDIRS, limits.maxRedirects)
      dsk_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT, limits.connectTimeoutSeconds)
      dsk_curl_setopt_long(handle, CURLOPT_TIMEOUT, limits.totalTimeoutSeconds)
      dsk_curl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, limits.lowSpeedBytesPerSecond)
      dsk_curl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, limits.lowSpeedSeconds)
      dsk_curl_setopt_off(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(limits.maxBytes))
      dsk_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
      dsk_curl_setopt_string(handle, CURLOPT_USERAGENT, userAgent)
      dsk_curl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")
      dsk_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, buffer.baseAddress)
      dsk_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
      dsk_curl_setopt_data_callback(handle, CURLOPT_WRITEFUNCTION, responseBodyCallback)
      dsk_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context.toOpaque())
      dsk_curl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, responseHeaderCallback)
      dsk_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context.toOpaque())
      return curl_easy_perform(handle)
    }
    if sink.overLimit { throw CrawlerError.tooLarge(url: url, limit: limits.maxBytes) }
    if code == CURLE_FILESIZE_EXCEEDED { throw CrawlerError.tooLarge(url: url, limit: limits.maxBytes) }
    guard code == CURLE_OK else {
      let detail = String(cString: errorBuffer)
      let summary = String(cString: curl_easy_strerror(code))
      throw CrawlerError.transfer(
        url: url, code: Int32(code.rawValue), message: detail.isEmpty ? summary : "\(summary): \(detail)")
    }
    var status = 0
    dsk_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
    var redirects = 0
    dsk_curl_getinfo_long(handle, CURLINFO_REDIRECT_COUNT, &redirects)
    var effective: UnsafeMutablePointer<CChar>?
    dsk_curl_getinfo_string(handle, CURLINFO_EFFECTIVE_URL, &effective)
    return HTTPResponse(
      status: status, body: sink.body, contentType: sink.headers["content-type"],
      effectiveURL: effective.map { String(cString: $0) } ?? url, headers: sink.headers,
      redirects: redirects)
  }
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

private func responseBodyCallback(
  _ data: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?
) -> Int {
  guard let data, let context else { return 0 }
  let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
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
  let sink = Unmanaged<ResponseSink>.fromOpaque(context).takeUnretainedValue()
  let length = size * count
  let line = data.withMemoryRebound(to: UInt8.self, capacity: length) {
    String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
  }
  if line.hasPrefix("HTTP/") {
    sink.headers = [:]  // a new hop (redirect) starts
  } else if let colon = line.firstIndex(of: ":") {
    let name = line[..<colon].lowercased()
    let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
    sink.headers[name] = value
  }
  return length
}
