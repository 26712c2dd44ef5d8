import Catalog
import Crawler
import Foundation

/// Test images made here: valid PNG files (zlib stored blocks, real CRCs), distinct per seed.
enum TestImages {
  static func png(width: Int, height: Int, seed: Int) -> [UInt8] {
    var raw: [UInt8] = []
    raw.reserveCapacity((width * 3 + 1) * height)
    var state = UInt32(truncatingIfNeeded: seed &* 2_654_435_761 &+ 1)
    for _ in 0..<height {
      raw.append(0)
      for _ in 0..<width {
        state = state &* 1_103_515_245 &+ 12345
        raw.append(UInt8(truncatingIfNeeded: state >> 16))
        raw.append(UInt8(truncatingIfNeeded: state >> 8))
        raw.append(UInt8(truncatingIfNeeded: seed))
      }
    }
    var zlib: [UInt8] = [0x78, 0x01]
    var offset = 0
    repeat {
      let length = min(65535, raw.count - offset)
      let final: UInt8 = offset + length >= raw.count ? 1 : 0
      zlib += [final, UInt8(length & 0xFF), UInt8(length >> 8), UInt8(~length & 0xFF), UInt8((~length >> 8) & 0xFF)]
      zlib += raw[offset..<offset + length]
      offset += length
    } while offset < raw.count
    zlib += bigEndian(adler32(raw))
    var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    out += chunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 2, 0, 0, 0])
    out += chunk("IDAT", zlib)
    out += chunk("IEND", [])
    return out
  }

  static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
    let typed = Array(type.utf8) + data
    return bigEndian(UInt32(data.count)) + typed + bigEndian(crc32(typed))
  }

  static func bigEndian(_ value: UInt32) -> [UInt8] {
    [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
  }

  static func crc32(_ bytes: [UInt8]) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
      crc ^= UInt32(byte)
      for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
  }

  static func adler32(_ bytes: [UInt8]) -> UInt32 {
    var a: UInt32 = 1
    var b: UInt32 = 0
    for byte in bytes {
      a = (a + UInt32(byte)) % 65521
      b = (b + a) % 65521
    }
    return b << 16 | a
  }
}

/// A fresh workspace in a temporary folder.
final class TempWorkspace {
  let root: String
  let catalog: Catalog

  init() throws {
    root = NSTemporaryDirectory() + "dsk-crawl-\(UUID().uuidString)"
    catalog = try Workspace.create(at: root)
  }

  deinit { try? FileManager.default.removeItem(atPath: root) }

  func count(_ sql: String, _ values: [SQLValue] = []) throws -> Int {
    Int(try catalog.database.scalarInt(sql, values) ?? -1)
  }
}

/// A crawl request aimed at loopback test servers, with short timeouts and fast retries.
func testRequest(_ provider: String, query: String, label: String? = "with_mask", endpoint: String?, limit: Int = 100)
  -> CrawlRequest
{
  var request = CrawlRequest(provider: provider, query: query, label: label)
  request.limit = limit
  request.settings.endpoint = endpoint
  request.settings.environment = [:]
  request.transfer = testTransfer()
  return request
}

func testTransfer(allowPrivate: Bool = true) -> TransferConfiguration {
  var configuration = TransferConfiguration()
  configuration.network.allowPrivateNetwork = allowPrivate
  configuration.limits.connectTimeoutSeconds = 3
  configuration.limits.totalTimeoutSeconds = 8
  configuration.limits.lowSpeedBytesPerSecond = 100
  configuration.limits.lowSpeedSeconds = 2
  configuration.limits.backoffBaseSeconds = 0.05
  configuration.limits.backoffCapSeconds = 0.2
  configuration.limits.retryAfterCapSeconds = 1.5
  configuration.concurrency = 8
  return configuration
}

/// Runs `requests` through a session and returns the results in request order.
func fetchAll(_ requests: [HTTPRequest], _ configuration: TransferConfiguration = testTransfer()) throws
  -> [Result<HTTPResponse, CrawlerError>]
{
  var results = [Result<HTTPResponse, CrawlerError>?](repeating: nil, count: requests.count)
  let tagged = requests.enumerated().map { index, request in
    var copy = request
    copy.tag = index
    return copy
  }
  try TransferSession(configuration).run(tagged) { request, result in results[request.tag] = result }
  return results.map { $0 ?? .failure(.invalidInput("no result")) }
}

func fetch(_ url: String, _ configuration: TransferConfiguration = testTransfer(), redirects: RedirectPolicy = .follow)
  throws -> Result<HTTPResponse, CrawlerError>
{
  try fetchAll([HTTPRequest(url: url, redirects: redirects)], configuration)[0]
}
