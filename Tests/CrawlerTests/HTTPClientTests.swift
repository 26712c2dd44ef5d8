import Foundation
import Testing

@testable import Crawler

/// A one-connection-at-a-time HTTP/1.1 server on 127.0.0.1 for tests: each request gets the raw bytes
/// `respond(path)` returns (nil closes the connection without answering).
final class RawLoopbackServer: @unchecked Sendable {
  let port: UInt16
  private let socketFD: Int32
  private let lock = NSLock()
  private var _paths: [String] = []
  var paths: [String] { lock.withLock { _paths } }

  init(respond: @escaping @Sendable (String) -> [UInt8]?) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 16) == 0 else { throw CocoaError(.fileWriteUnknown) }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
    socketFD = fd
    Thread.detachNewThread { [self] in
      while true {
        let client = accept(fd, nil, nil)
        if client < 0 { return }
        var request = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !request.suffix(4).elementsEqual([13, 10, 13, 10]) {
          let n = read(client, &buffer, buffer.count)
          if n <= 0 { break }
          request += buffer[0..<n]
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        lock.withLock { _paths.append(path) }
        if let response = respond(path) {
          _ = response.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }
        close(client)
      }
    }
  }

  deinit {
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
  }

  static func response(_ status: Int, _ headers: [String] = [], body: [UInt8] = []) -> [UInt8] {
    let head = (["HTTP/1.1 \(status) X", "Content-Length: \(body.count)", "Connection: close"] + headers)
      .joined(separator: "\r\n") + "\r\n\r\n"
    return Array(head.utf8) + body
  }
}

@Suite("HTTPClient: libcurl transfers from a loopback server")
struct HTTPClientTests {
  @Test("GET returns status, body and headers")
  func get() throws {
    let body = Array("hello from loopback".utf8)
    let server = try RawLoopbackServer { _ in RawLoopbackServer.response(200, ["Content-Type: image/jpeg"], body: body) }
    let response = try HTTPClient().get("http://127.0.0.1:\(server.port)/a.jpg")
    #expect(response.status == 200)
    #expect(response.body == body)
    #expect(response.contentType == "image/jpeg")
    #expect(server.paths == ["/a.jpg"])
  }

  @Test("a body over the byte cap is stopped in the write callback")
  func byteCap() throws {
    let server = try RawLoopbackServer { _ in
      RawLoopbackServer.response(200, [], body: [UInt8](repeating: 0x41, count: 300_000))
    }
    var limits = TransferLimits()
    limits.maxBytes = 100_000
    #expect(throws: CrawlerError.tooLarge(url: "http://127.0.0.1:\(server.port)/big", limit: 100_000)) {
      try HTTPClient().get("http://127.0.0.1:\(server.port)/big", limits: limits)
    }
  }

  @Test("redirects: at most 5 hops, and never to file:// or ftp://")
  func redirects() throws {
    let server = try RawLoopbackServer { path in
      switch path {
      case "/file": return RawLoopbackServer.response(302, ["Location: file:///etc/hostname"])
      case "/ftp": return RawLoopbackServer.response(302, ["Location: ftp://127.0.0.1/x"])
      default:
        let hop = Int(path.dropFirst()) ?? 0
        return RawLoopbackServer.response(302, ["Location: /\(hop + 1)"])
      }
    }
    let base = "http://127.0.0.1:\(server.port)"
    for path in ["/file", "/ftp", "/0"] {
      #expect(throws: CrawlerError.self) { try HTTPClient().get(base + path) }
    }
    #expect(server.paths.filter { Int($0.dropFirst()) != nil }.count == 6)  // the first request + 5 hops
    #expect(throws: CrawlerError.unsupportedScheme(url: "file:///etc/passwd")) {
      try HTTPClient().get("file:///etc/passwd")
    }
  }
}
