import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A minimal HTTP/1.1 client over a plain socket that sends the request target exactly as given (no URL
/// normalisation: `/../` stays `/../`), for testing the review server and driving chromedriver.
public enum RawHTTP {
  public struct Reply: Sendable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]
    public var text: String { String(decoding: body, as: UTF8.self) }
    public func json() throws -> Any { try JSONSerialization.jsonObject(with: Data(body)) }
  }

  public struct Failure: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
  }

  /// A TCP socket connected to 127.0.0.1:`port` (the caller closes it); `sendTimeout` also bounds the connect.
  public static func connected(port: Int, receiveTimeout: Int = 60, sendTimeout: Int? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure(description: "socket: \(errno)") }
    var timeout = timeval(tv_sec: receiveTimeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    if let sendTimeout {
      var timeout = timeval(tv_sec: sendTimeout, tv_usec: 0)
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else {
      let code = errno
      close(fd)
      throw Failure(description: "connect to port \(port): errno \(code)")
    }
    return fd
  }

  /// Starts `process` (a `datasetkit review serve`, its stdout not yet set) and returns the port and token
  /// of the URL it prints first.
  public static func startReviewServer(_ process: Process) throws -> (url: String, port: Int, token: String) {
    let out = Pipe()
    process.standardOutput = out
    try process.run()
    var line = ""
    while !line.contains("\n") {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      line += String(decoding: chunk, as: UTF8.self)
    }
    let url = line.trimmingCharacters(in: .whitespacesAndNewlines)
    let port = Int(url.split(separator: ":").last?.split(separator: "/").first ?? "") ?? 0
    return (url, port, url.components(separatedBy: "token=").last ?? "")
  }

  /// Sends one request to 127.0.0.1:`port` and reads the whole reply (`Connection: close`).
  public static func request(
    port: Int, method: String = "GET", target: String, headers: [String: String] = [:], body: [UInt8] = [],
    timeoutSeconds: Int = 60
  ) throws -> Reply {
    let fd = try connected(port: port, receiveTimeout: timeoutSeconds)
    defer { close(fd) }
    var head = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    if !body.isEmpty || method == "POST" || method == "DELETE" { head += "Content-Length: \(body.count)\r\n" }
    let bytes = Array((head + "\r\n").utf8) + body
    var sent = 0
    while sent < bytes.count {
      let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
      sent += n
    }
    var reply: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
      if n < 0 { throw Failure(description: "recv: errno \(errno)") }
      if n == 0 { break }
      reply += buffer[0..<n]
      if let parsed = parse(reply), parsed.complete { return parsed.reply }
    }
    guard let parsed = parse(reply) else { throw Failure(description: "no HTTP reply (\(reply.count) bytes)") }
    return parsed.reply
  }

  /// `request` on a thread of its own, so a test awaiting it never blocks Swift's cooperative pool (which
  /// the server under test, in the same process, needs to answer).
  public static func fetch(
    port: Int, method: String = "GET", target: String, headers: [String: String] = [:], body: [UInt8] = [],
    timeoutSeconds: Int = 60
  ) async throws -> Reply {
    try await withCheckedThrowingContinuation { continuation in
      Thread {
        continuation.resume(
          with: Result {
            try request(
              port: port, method: method, target: target, headers: headers, body: body, timeoutSeconds: timeoutSeconds)
          })
      }.start()
    }
  }

  /// JSON in, JSON out (for chromedriver's WebDriver endpoints), on a thread of its own (see `fetch`).
  public static func fetchJSON(port: Int, method: String, target: String, _ object: Any? = nil) async throws -> Any {
    let body = try object.map { Array(try JSONSerialization.data(withJSONObject: $0)) } ?? []
    let reply = try await fetch(
      port: port, method: method, target: target, headers: ["Content-Type": "application/json"], body: body)
    return try reply.json()
  }

  static func parse(_ bytes: [UInt8]) -> (reply: Reply, complete: Bool)? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let end = (0..<max(0, bytes.count - 3)).first(where: { Array(bytes[$0..<$0 + 4]) == separator }) else {
      return nil
    }
    let head = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
    guard let statusLine = head.first, statusLine.split(separator: " ").count >= 2,
      let status = Int(statusLine.split(separator: " ")[1])
    else { return nil }
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    var body = Array(bytes[(end + 4)...])
    var complete = false
    if let length = headers["content-length"].flatMap(Int.init) {
      complete = body.count >= length
      body = Array(body.prefix(length))
    } else if headers["transfer-encoding"]?.lowercased() == "chunked" {
      if let decoded = dechunk(body) {
        body = decoded
        complete = true
      }
    }
    return (Reply(status: status, headers: headers, body: body), complete)
  }

  static func dechunk(_ bytes: [UInt8]) -> [UInt8]? {
    var out: [UInt8] = []
    var i = 0
    while true {
      guard let lineEnd = (i..<max(i, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
        let size = Int(String(decoding: bytes[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
      else { return nil }
      if size == 0 { return out }
      let start = lineEnd + 2
      guard bytes.count >= start + size + 2 else { return nil }
      out += bytes[start..<start + size]
      i = start + size + 2
    }
  }
}
