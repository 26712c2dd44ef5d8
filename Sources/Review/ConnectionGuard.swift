import Foundation
import NIOCore
import NIOHTTPTypes

/// How the review server keeps half-sent and idle connections from locking it up (slowloris).
public struct ConnectionLimits: Sendable, Equatable {
  /// A request's head and body must arrive within this after the connection opens or the previous response
  /// ends; else the connection is closed.
  public var requestTimeout: TimeAmount = .seconds(10)
  /// A connection with nothing to do is closed after this.
  public var idleTimeout: TimeAmount = .seconds(60)
  /// At most this many connections may wait for a request's head at once: a new one closes the one that
  /// has waited longest, so half-sent requests never keep a real one out.
  public var maxWaiting = 64
  /// At most this many connections open at once (more wait in the kernel's backlog).
  public var maxConnections = 512

  public init() {}
}

/// The connections waiting for their first request head, oldest first, shared by every connection of a
/// server.
final class WaitingConnections: @unchecked Sendable {
  // Guarded by `lock`.
  private let lock = NSLock()
  private var next: UInt64 = 0
  private var waiting: [(id: UInt64, channel: any Channel)] = []
  let limit: Int

  init(limit: Int) { self.limit = max(1, limit) }

  /// Registers a connection; returns its ticket and the connections to close to stay within the limit.
  func add(_ channel: any Channel) -> (UInt64, [any Channel]) {
    lock.withLock {
      next += 1
      waiting.append((next, channel))
      var evicted: [any Channel] = []
      while waiting.count > limit { evicted.append(waiting.removeFirst().channel) }
      return (next, evicted)
    }
  }

  func remove(_ id: UInt64) {
    lock.withLock { waiting.removeAll { $0.id == id } }
  }

  var count: Int { lock.withLock { waiting.count } }
}

/// Closes a connection whose request does not arrive in time, and registers it among the connections
/// waiting for a first request (`WaitingConnections`) until its first head arrives.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPRequestPart
  typealias InboundOut = HTTPRequestPart
  typealias OutboundIn = HTTPResponsePart
  typealias OutboundOut = HTTPResponsePart

  private let limits: ConnectionLimits
  private let waiting: WaitingConnections
  private var ticket: UInt64?
  private var timer: Scheduled<Void>?

  init(limits: ConnectionLimits, waiting: WaitingConnections) {
    self.limits = limits
    self.waiting = waiting
  }

  func handlerAdded(context: ChannelHandlerContext) {
    let (ticket, evicted) = waiting.add(context.channel)
    self.ticket = ticket
    for channel in evicted { channel.close(promise: nil) }
    arm(context, limits.requestTimeout)
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    disarm()
    leaveWaiting()
  }

  func channelInactive(context: ChannelHandlerContext) {
    disarm()
    leaveWaiting()
    context.fireChannelInactive()
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch unwrapInboundIn(data) {
    case .head:
      leaveWaiting()
      arm(context, limits.requestTimeout)
    case .body: break
    case .end: disarm()
    }
    context.fireChannelRead(data)
  }

  func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
    if case .end = unwrapOutboundIn(data) {
      // Keep-alive: the next request has the idle time to start and the request time to finish once begun.
      arm(context, limits.idleTimeout)
    }
    context.write(data, promise: promise)
  }

  private func arm(_ context: ChannelHandlerContext, _ after: TimeAmount) {
    disarm()
    let channel = context.channel
    timer = context.eventLoop.scheduleTask(in: after) { channel.close(promise: nil) }
  }

  private func disarm() {
    timer?.cancel()
    timer = nil
  }

  private func leaveWaiting() {
    if let ticket { waiting.remove(ticket) }
    ticket = nil
  }
}
