import Foundation

/// Transfer and provider errors. Messages carry libcurl's own text and never an API key.
public enum CrawlerError: LocalizedError, Equatable {
  /// libcurl failed; `message` is `curl_easy_strerror` plus its error buffer.
  case transfer(url: String, code: Int32, message: String)
  /// The body passed `--max-bytes`; the transfer was stopped in the write callback.
  case tooLarge(url: String, limit: Int)
  /// The URL is not http or https.
  case unsupportedScheme(url: String)

  public var errorDescription: String? {
    switch self {
    case .transfer(let url, let code, let message): return "\(url): transfer failed (curl \(code)): \(message)"
    case .tooLarge(let url, let limit): return "\(url): body larger than \(limit) bytes; stopped"
    case .unsupportedScheme(let url): return "\(url): only http and https URLs are fetched"
    }
  }
}
