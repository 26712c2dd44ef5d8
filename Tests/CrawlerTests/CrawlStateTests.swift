import Foundation
import Testing

@testable import Crawler

@Suite("Crawl states and issue kinds")
struct CrawlStateTests {
  @Test("a failed transfer's kind comes from the error's case and libcurl's code, not its message")
  func issueKinds() {
    // CURLE_OPERATION_TIMEDOUT is 28, CURLE_TOO_MANY_REDIRECTS 47, CURLE_COULDNT_CONNECT 7.
    #expect(CrawlIssueKind(.transfer(url: "u", code: 28, message: "Timeout was reached")) == .timeout)
    #expect(CrawlIssueKind(.transfer(url: "u", code: 47, message: "more than 5 redirects")) == .redirects)
    #expect(CrawlIssueKind(.transfer(url: "u", code: 7, message: "Connection timed out")) == .other)
    #expect(CrawlIssueKind(.tooLarge(url: "u", limit: 10)) == .tooLarge)
    #expect(CrawlIssueKind(.privateAddress(url: "u", address: "10.0.0.1")) == .privateAddress)
    #expect(CrawlIssueKind(.crossHostRedirect(url: "u", target: "elsewhere")) == .redirects)
    #expect(CrawlIssueKind(.unsupportedScheme(url: "ftp://x")) == .other)
    #expect(
      [
        CrawlIssueKind.httpStatus(404), .notAnImage, .tooSmall, .tooLarge, .privateAddress, .robotsTxt, .robotsTag,
        .timeout, .redirects, .other,
      ].map(\.name)
        == [
          "HTTP 404", "not an image", "too small", "too large", "private address", "robots.txt", "X-Robots-Tag",
          "timeout", "redirects", "other",
        ])
  }

  @Test("the JSON report keeps an issue's url and reason only, and job states keyed by their stored names")
  func encoding() throws {
    var report = CrawlReport()
    report.status = .budget
    report.jobStates = [.stored: 3, .pending: 1]
    report.rejected = [CrawlIssue(url: "http://x/a.jpg", reason: "HTTP 404", kind: .httpStatus(404))]
    let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any]
    #expect(object?["status"] as? String == "budget")
    #expect(object?["jobStates"] as? [String: Int] == ["stored": 3, "pending": 1])
    #expect((object?["rejected"] as? [[String: String]]) == [["url": "http://x/a.jpg", "reason": "HTTP 404"]])
  }
}
