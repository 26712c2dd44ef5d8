import Foundation

/// What went wrong serving the review page.
public enum ReviewError: LocalizedError, Equatable {
  case notFound(String)
  case badRequest(String)
  case cannotListen(host: String, port: Int, reason: String)

  public var errorDescription: String? {
    switch self {
    case .notFound(let what): return "\(what) is not in the catalog"
    case .badRequest(let why): return "bad request: \(why)"
    case .cannotListen(let host, let port, let reason):
      return "cannot serve the review page on \(host):\(port): \(reason); pick another --port (0 chooses a free one)"
    }
  }
}
