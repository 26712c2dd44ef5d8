import CCurl
import Foundation

/// What kind of reason kept a crawled URL out of the catalog: what crawl progress counts. Told from the
/// error's case (or where the crawl refused the URL), never from the words of its message.
public enum CrawlIssueKind: Sendable, Hashable {
  /// The server answered with this HTTP status instead of 200.
  case httpStatus(Int)
  /// The body is not an allow-listed image format.
  case notAnImage
  /// The image's shorter side is below `--min-size`.
  case tooSmall
  /// The body passed `--max-bytes`.
  case tooLarge
  /// The host resolved to a private, loopback or link-local address.
  case privateAddress
  /// The site's robots.txt does not allow fetching the URL.
  case robotsTxt
  /// The response's `X-Robots-Tag` forbids AI use.
  case robotsTag
  /// The transfer timed out.
  case timeout
  /// Too many redirects, or a redirect to another host not followed.
  case redirects
  /// Anything else (a damaged image, a reset connection, …).
  case other

  /// The kind of a failed transfer, from the error's case (and libcurl's code for a transfer failure).
  public init(_ error: CrawlerError) {
    switch error {
    case .tooLarge, .pageTooLarge: self = .tooLarge
    case .privateAddress: self = .privateAddress
    case .crossHostRedirect: self = .redirects
    case .transfer(_, let code, _) where code == Int32(CURLE_OPERATION_TIMEDOUT.rawValue): self = .timeout
    case .transfer(_, let code, _) where code == Int32(CURLE_TOO_MANY_REDIRECTS.rawValue): self = .redirects
    case .providerStatus(_, _, let status, _): self = .httpStatus(status)
    case .transfer, .unsupportedScheme, .malformedResponse, .missingKey, .invalidInput, .budgetExhausted,
      .library:
      self = .other
    }
  }

  /// The short name progress shows ("HTTP 404", "not an image", "too small", …).
  public var name: String {
    switch self {
    case .httpStatus(let status): return "HTTP \(status)"
    case .notAnImage: return "not an image"
    case .tooSmall: return "too small"
    case .tooLarge: return "too large"
    case .privateAddress: return "private address"
    case .robotsTxt: return "robots.txt"
    case .robotsTag: return "X-Robots-Tag"
    case .timeout: return "timeout"
    case .redirects: return "redirects"
    case .other: return "other"
    }
  }
}
