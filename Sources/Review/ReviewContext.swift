import Foundation
import HTTPTypes
import Hummingbird
import Imaging
import Ingest
import NIOCore

/// The request context of the review server: Hummingbird's, and the connection, so work for a client that
/// has gone can stop.
public struct ReviewContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  let channel: any Channel

  public init(source: ApplicationRequestContextSource) {
    coreContext = .init(source: source)
    channel = source.channel
  }
}

/// The address the server answers for, once bound: a request whose `Host` names another (DNS rebinding)
/// or a POST whose `Origin` is another site is refused.
final class ServedAddress: @unchecked Sendable {
  // Guarded by `lock`.
  private let lock = NSLock()
  private var host = ""
  private var port = 0

  func set(host: String, port: Int) {
    lock.withLock {
      self.host = host
      self.port = port
    }
  }

  /// The authorities (`host:port`) a request may name: the served host and, when it is a loopback address,
  /// the loopback names. Empty before the server is bound or when it listens on every address.
  var authorities: Set<String> {
    lock.withLock {
      guard port > 0, !["0.0.0.0", "::", ""].contains(host) else { return [] }
      let bracketed = host.contains(":") ? "[\(host)]" : host
      var names: Set<String> = [bracketed.lowercased()]
      if host == "::1" || host == "localhost" || host.hasPrefix("127.") {
        names.formUnion(["localhost", "127.0.0.1", "[::1]"])
      }
      return Set(names.map { "\($0):\(port)" })
    }
  }

  /// Why a request is refused (nil: it is not): a `Host` the server does not serve, or a state-changing
  /// request whose `Origin` is not the page's own.
  func refusal(_ request: Request) -> String? {
    let allowed = authorities
    guard !allowed.isEmpty else { return nil }
    let authority = (request.head.authority ?? "").lowercased()
    guard allowed.contains(authority) else {
      return "this server answers only for \(allowed.sorted().joined(separator: ", ")); Host \(authority) is refused"
    }
    if request.method != .get && request.method != .head, let origin = request.headers[.origin] {
      let given = origin.lowercased()
      guard given.hasPrefix("http://"), allowed.contains(String(given.dropFirst("http://".count))) else {
        return "a decision must come from the review page itself; Origin \(origin) is refused"
      }
    }
    return nil
  }
}

extension ReviewServer {
  /// Runs `work` until it ends or the client's connection closes, whichever comes first (then the work is
  /// cancelled and `CancellationError` thrown).
  func untilClientGoes<T: Sendable>(
    _ context: ReviewContext, _ work: @escaping @Sendable () async throws -> T
  ) async throws -> T {
    let task = Task { try await work() }
    context.channel.closeFuture.whenComplete { _ in task.cancel() }
    return try await withTaskCancellationHandler {
      try await task.value
    } onCancel: {
      task.cancel()
    }
  }

  /// A thumbnail made once by `make` (cached, shared by the requests asking meanwhile), abandoned when its
  /// client goes.
  private func cached(
    _ key: String, _ context: ReviewContext, make: @escaping @Sendable () async throws -> [UInt8]
  ) async throws -> [UInt8] {
    let thumbnails = thumbnails
    return try await untilClientGoes(context) { try await thumbnails.thumbnail(key, make: make) }
  }

  /// A box's thumbnail, cut on a decode thread (a large image takes every decode slot).
  func boxThumbnail(_ id: Int64, side: Int, context: ReviewContext) async throws -> [UInt8] {
    let desk = desk
    let decoder = decoder
    return try await cached("box:\(id):\(side)", context) {
      let (bytes, rect) = try await desk.boxSource(id)
      let maxPixels = desk.maxPixels
      let pixels = bytes.withUnsafeBytes { raw in
        (try? DecodedImage.checkHeader(raw, maxPixels: maxPixels)).map { $0.width * $0.height } ?? 0
      }
      return try await decoder.run(weight: await decoder.weight(pixels: pixels)) {
        let image = try DecodedImage(bytes: bytes, maxPixels: maxPixels)
        return try image.thumbnail(of: rect, margin: 0.2, side: side).encoded(.jpeg(quality: 85))
      }
    }
  }

  /// An image's thumbnail (the whole image) on a decode thread, JPEGs DCT-scaled; an image too large to
  /// preview without decoding it whole is refused (404), not decoded.
  func imageThumbnail(_ id: Int64, side: Int, context: ReviewContext) async throws -> [UInt8] {
    let desk = desk
    let decoder = decoder
    return try await cached("image:\(id):\(side)", context) {
      let bytes = try await desk.imageSource(id)
      let maxPixels = desk.maxPixels
      let made = try await decoder.run {
        bytes.withUnsafeBytes { DecodedImage.thumbnailJPEG(of: $0, side: side, maxPixels: maxPixels) }
      }
      guard let made else { throw ReviewError.notFound("a preview of image \(id) (too large or not decodable)") }
      return made
    }
  }
}
