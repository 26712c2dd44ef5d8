import Foundation

/// Transfer, provider and crawl errors. Messages carry libcurl's own text and never an API key
/// (URLs are shown with key parameters redacted).
public enum CrawlerError: LocalizedError, Equatable {
  /// libcurl failed; `message` is `curl_easy_strerror` plus its error buffer.
  case transfer(url: String, code: Int32, message: String)
  /// The body passed `--max-bytes`; the transfer was stopped in the write callback.
  case tooLarge(url: String, limit: Int)
  /// A provider API page passed `CrawlRequest.maxPageBytes`; the transfer was stopped in the write callback.
  case pageTooLarge(provider: String, url: String, limit: Int, resultsAsked: Int)
  /// The URL is not http or https.
  case unsupportedScheme(url: String)
  /// The host resolved to a private, loopback or link-local address.
  case privateAddress(url: String, address: String)
  /// A request carrying an API key was redirected to another host and not followed.
  /// `carriesKey`: the request holds an API key (the reason it stays on its host).
  case crossHostRedirect(url: String, target: String, carriesKey: Bool = true)
  /// The provider answered with something that is not its documented JSON shape.
  case malformedResponse(provider: String, url: String, detail: String)
  /// The provider answered with an HTTP error.
  case providerStatus(provider: String, url: String, status: Int, detail: String)
  /// A provider needs a key from the environment.
  case missingKey(provider: String, variable: String)
  /// Bad crawl input: unknown provider, unreadable URL list or plan, bad option value.
  case invalidInput(String)
  /// libcurl can't be opened (not installed, too old); the message says which.
  case library(String)
  /// The per-provider request budget is spent for now.
  case budgetExhausted(provider: String, limit: Int, windowSeconds: Int, retryAfterSeconds: Int)

  /// The message, with the credentials of any URL in it removed (they are used for the fetch only).
  public var errorDescription: String? { Redaction.withoutCredentials(in: message) }

  var message: String {
    switch self {
    case .transfer(let url, let code, let message):
      return "\(url): transfer failed (curl \(code)): \(message)"
    case .tooLarge(let url, let limit):
      return "\(url): body larger than \(limit) bytes; stopped (raise --max-bytes to allow bigger files)"
    case .pageTooLarge(let provider, let url, let limit, let asked):
      return
        "\(provider): \(url): the API page is larger than \(limit) bytes for \(asked) results asked; stopped and not read (a page that size is not an answer to the request)"
    case .unsupportedScheme(let url): return "\(url): only http and https URLs are fetched"
    case .privateAddress(let url, let address):
      return
        "\(url): refused to connect to \(address), a private, loopback or link-local address (pass --allow-private-network to allow it)"
    case .crossHostRedirect(let url, let target, let carriesKey):
      return carriesKey
        ? "\(url): redirected to another host (\(target)); not followed because the request carries an API key"
        : "\(url): redirected to another host (\(target)); not followed: provider API requests stay on the provider's host"
    case .malformedResponse(let provider, let url, let detail):
      return "\(provider): \(url): the response is not the JSON the API documents: \(detail)"
    case .providerStatus(let provider, let url, let status, let detail):
      let tail = detail.isEmpty ? "" : ": \(detail)"
      return "\(provider): \(url): HTTP \(status)\(tail)"
    case .missingKey(let provider, let variable):
      return "\(provider) needs an API key: set the environment variable \(variable)"
    case .invalidInput(let message): return message
    case .library(let message): return "cannot fetch anything: \(message)"
    case .budgetExhausted(let provider, let limit, let window, let retry):
      return
        "\(provider): request budget of \(limit) per \(window) s is spent; run the crawl again in \(retry) s to continue from where it stopped"
    }
  }
}
