import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A TCP server on 127.0.0.1 that counts the connections it receives and answers each with a tiny DTD.
/// Used to prove that the parser never fetches anything: the count must stay zero.
final class LoopbackServer: @unchecked Sendable {
  let port: UInt16
  private let socketFD: Int32
  private let state: State
  private let thread: Thread

  final class State: @unchecked Sendable {
    let lock = NSLock()
    var connections = 0
    var stopped = false
  }

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, 16) == 0 else {
      close(fd)
      throw POSIXError(.EADDRINUSE)
    }
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    port = UInt16(bigEndian: address.sin_port)
    socketFD = fd
    let state = State()
    self.state = state
    thread = Thread { LoopbackServer.serve(fd, state) }
    thread.start()
  }

  /// Connections accepted so far.
  var requestCount: Int {
    state.lock.lock()
    defer { state.lock.unlock() }
    return state.connections
  }

  func stop() {
    state.lock.lock()
    state.stopped = true
    state.lock.unlock()
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
  }

  private static func serve(_ socketFD: Int32, _ state: State) {
    while true {
      var poller = pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)
      let ready = poll(&poller, 1, 100)
      state.lock.lock()
      let done = state.stopped
      state.lock.unlock()
      if done { return }
      guard ready > 0 else { continue }
      let client = accept(socketFD, nil, nil)
      if client < 0 { continue }
      state.lock.lock()
      state.connections += 1
      state.lock.unlock()
      let body = "<!ENTITY leak \"fetched\">"
      let response = "HTTP/1.0 200 OK\r\nContent-Type: application/xml-dtd\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
      _ = response.withCString { send(client, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
      close(client)
    }
  }
}
