import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests: POSIX sockets, one thread per connection,
/// keep-alive, and a script deciding each reply by request (status, headers, body, endless chunked
/// body, slow drip, hang, immediate close). It logs every request it sees.
public final class LoopbackServer: @unchecked Sendable {
  public struct Request: Sendable {
    public var method: String
    /// Path plus query, as sent.
    public var target: String
    public var headers: [String: String]
    public var time = Date()
    public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    public var query: [String: String] {
      guard let components = URLComponents(string: "http://x" + target) else { return [:] }
      var out: [String: String] = [:]
      for item in components.queryItems ?? [] { out[item.name] = item.value ?? "" }
      return out
    }
  }

  public enum Reply: Sendable {
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// `Transfer-Encoding: chunked` forever, 64 KiB chunks.
    case endlessChunks
    /// Headers, then one body byte every `interval` seconds, forever.
    case drip(interval: Double)
    /// Accept, read the request, never answer.
    case hang
    /// Close the connection without answering.
    case close

    public static func json(_ text: String, status: Int = 200) -> Reply {
      .respond(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
    }
    public static func status(_ code: Int, headers: [(String, String)] = []) -> Reply {
      .respond(status: code, headers: headers, body: Array("status \(code)\n".utf8))
    }
    public static func redirect(_ location: String, status: Int = 302) -> Reply {
      .respond(status: status, headers: [("Location", location)], body: [])
    }
  }

  public let port: Int
  public var base: String { "http://127.0.0.1:\(port)" }
  private let listener: Int32
  private let lock = NSLock()
  private var seen: [Request] = []
  private var stopped = false
  private let script: @Sendable (Request) -> Reply

  public init(_ script: @escaping @Sendable (Request) -> Reply) throws {
    self.script = script
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 512) == 0 else { throw POSIXError(.EADDRINUSE) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
    }
    listener = fd
    port = Int(UInt16(bigEndian: address.sin_port))
    let thread = Thread { [self] in acceptLoop() }
    thread.start()
  }

  deinit { stop() }

  public func stop() {
    lock.lock()
    let wasStopped = stopped
    stopped = true
    lock.unlock()
    if !wasStopped {
      shutdown(listener, Int32(SHUT_RDWR))
      close(listener)
    }
  }

  public var isStopped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return stopped
  }

  /// Every request seen so far.
  public var requests: [Request] {
    lock.lock()
    defer { lock.unlock() }
    return seen
  }

  /// Requests whose path is `path`.
  public func hits(_ path: String) -> Int { requests.filter { $0.path == path }.count }

  private func acceptLoop() {
    while !isStopped {
      let connection = accept(listener, nil, nil)
      if connection < 0 {
        if isStopped { return }
        continue
      }
      let thread = Thread { [self] in serve(connection) }
      thread.stackSize = 256 << 10
      thread.start()
    }
  }

  private func serve(_ connection: Int32) {
    defer { close(connection) }
    var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
    setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var buffer: [UInt8] = []
    while !isStopped {
      guard let request = readRequest(connection, &buffer) else { return }
      lock.lock()
      seen.append(request)
      lock.unlock()
      switch script(request) {
      case .respond(let status, let headers, let body):
        var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\nContent-Length: \(body.count)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        guard write(connection, Array(head.utf8) + (request.method == "HEAD" ? [] : body)) else { return }
      case .endlessChunks:
        guard
          write(
            connection, Array("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        else { return }
        let chunk = Array("10000\r\n".utf8) + [UInt8](repeating: 0xFF, count: 0x10000) + Array("\r\n".utf8)
        while !isStopped, write(connection, chunk) {}
        return
      case .drip(let interval):
        guard
          write(connection, Array("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 1000\r\n\r\n".utf8))
        else { return }
        while !isStopped {
          guard write(connection, [0xFF]) else { return }
          pause(interval, connection)
        }
        return
      case .hang:
        while !isStopped && !peerClosed(connection) { usleep(50_000) }
        return
      case .close:
        return
      }
    }
  }

  private func pause(_ seconds: Double, _ connection: Int32) {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end && !isStopped && !peerClosed(connection) { usleep(50_000) }
  }

  private func peerClosed(_ connection: Int32) -> Bool {
    var byte: UInt8 = 0
    let got = recv(connection, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
    return got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
  }

  private func write(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent <= 0 {
        if sent < 0 && (errno == EAGAIN || errno == EINTR) && !isStopped { continue }
        return false
      }
      offset += sent
    }
    return true
  }

  private func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> Request? {
    let terminator: [UInt8] = [13, 10, 13, 10]
    while true {
      if let end = Self.find(terminator, in: buffer) {
        let head = String(decoding: buffer[..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines.first?.split(separator: " ") ?? []
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
          guard let colon = line.firstIndex(of: ":") else { continue }
          headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Request(
          method: parts.count > 0 ? String(parts[0]) : "", target: parts.count > 1 ? String(parts[1]) : "/",
          headers: headers)
      }
      var chunk = [UInt8](repeating: 0, count: 16384)
      let got = recv(connection, &chunk, chunk.count, 0)
      if got == 0 { return nil }
      if got < 0 {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) && !isStopped { continue }
        return nil
      }
      buffer.append(contentsOf: chunk[0..<got])
    }
  }

  private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    for index in 0...(haystack.count - needle.count) where haystack[index] == needle[0] {
      if Array(haystack[index..<index + needle.count]) == needle { return index }
    }
    return nil
  }

  private static func reason(_ status: Int) -> String {
    switch status {
    case 200: return "OK"
    case 301: return "Moved Permanently"
    case 302: return "Found"
    case 404: return "Not Found"
    case 429: return "Too Many Requests"
    case 503: return "Service Unavailable"
    default: return "Status"
    }
  }
}
