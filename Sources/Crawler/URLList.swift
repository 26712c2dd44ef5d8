import Foundation

/// The file formats of a URL list, as img2dataset names them (`--input_format`).
public enum URLListFormat: String, Sendable, CaseIterable, Codable {
  /// One URL per line (`#` comments, anything after the first white space ignored).
  case txt
  /// RFC 4180 CSV with a header row (quoted fields may hold commas, doubled quotes and newlines).
  case csv
  /// Tab-separated with a header row (quoted fields as in CSV).
  case tsv
  /// One JSON object per line.
  case jsonl

  /// The format a file name implies (`.csv`, `.tsv`, `.jsonl`, `.ndjson`; anything else is `txt`).
  public static func guess(path: String) -> URLListFormat {
    let lower = path.lowercased()
    if lower.hasSuffix(".csv") { return .csv }
    if lower.hasSuffix(".tsv") || lower.hasSuffix(".tab") { return .tsv }
    if lower.hasSuffix(".jsonl") || lower.hasSuffix(".ndjson") { return .jsonl }
    return .txt
  }
}

/// How to read a URL list: its format and which columns (CSV/TSV header names, JSONL keys) hold the URL
/// and the caption (img2dataset's `url_col`, `caption_col`).
public struct URLListOptions: Sendable, Equatable {
  public var format: URLListFormat?
  /// Default `url`.
  public var urlColumn: String?
  /// A caption stored with each image's origin and exported (manifest, data.csv); none by default.
  public var captionColumn: String?

  public init(format: URLListFormat? = nil, urlColumn: String? = nil, captionColumn: String? = nil) {
    self.format = format
    self.urlColumn = urlColumn
    self.captionColumn = captionColumn
  }
}

extension URLListOptions {
  /// The columns of the list at `path` (CSV/TSV header names, the first JSONL object's keys; none for TXT),
  /// for checking `--url-col` / `--caption-col` before a crawl starts.
  public func columnNames(path: String) throws -> [String] {
    try URLList.header(path: path, format: format ?? URLListFormat.guess(path: path)).names
  }
}

/// One record of a list file: its fields (CSV/TSV) or its text (TXT/JSONL), the line it starts on and the
/// byte offset just past it.
struct ListRecord {
  var fields: [String]
  var line: Int
  var end: Int64
  /// Why the record cannot be read (bytes that are not UTF-8), nil when it can.
  var problem: String?
}

/// Reads a list file record by record from any byte offset, holding one chunk and one record in memory.
struct ListRecordReader {
  static let chunkSize = 1 << 20
  /// A record longer than this (an unclosed quote swallowing the file) stops the reading with an error.
  static let maxRecordBytes = 1 << 20

  let path: String
  let handle: FileHandle
  let separator: UInt8?
  var buffer: [UInt8] = []
  var position = 0
  /// The file offset of `buffer[0]`.
  var base: Int64
  var line: Int
  var atEnd = false

  /// `separator`: `,` or tab for CSV/TSV (quotes honoured); nil for line formats (one field per line).
  init(path: String, separator: UInt8?, offset: Int64 = 0, line: Int = 1) throws {
    var status = stat()
    guard stat(path, &status) == 0 else {
      throw CrawlerError.invalidInput("\(path): cannot read the URL list (does the file exist?)")
    }
    guard (status.st_mode & S_IFMT) == S_IFREG else {
      throw CrawlerError.invalidInput("\(path): the URL list is not a regular file")
    }
    guard let handle = FileHandle(forReadingAtPath: path) else {
      throw CrawlerError.invalidInput("\(path): cannot read the URL list (permission?)")
    }
    self.path = path
    self.handle = handle
    self.separator = separator
    base = offset
    self.line = line
    if offset > 0 { try handle.seek(toOffset: UInt64(offset)) }
  }

  mutating func fill() throws -> Bool {
    if atEnd { return false }
    let data = try handle.read(upToCount: Self.chunkSize) ?? Data()
    if data.isEmpty {
      atEnd = true
      return false
    }
    if position > 0 {
      buffer.removeFirst(position)
      base += Int64(position)
      position = 0
    }
    buffer.append(contentsOf: data)
    return true
  }

  mutating func byte() throws -> UInt8? {
    if position >= buffer.count, try !fill() { return nil }
    defer { position += 1 }
    return buffer[position]
  }

  mutating func peek() throws -> UInt8? {
    if position >= buffer.count, try !fill() { return nil }
    return buffer[position]
  }

  /// The next record; nil at the end of the file. Blank lines are skipped.
  mutating func next() throws -> ListRecord? {
    while true {
      if base == 0 && position == 0, try peek() == 0xEF {
        // A UTF-8 byte-order mark.
        if buffer.count < 3 { _ = try fill() }
        if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
      }
      if base == 0 && position == 0, buffer.starts(with: [0xFF, 0xFE]) || buffer.starts(with: [0xFE, 0xFF]) {
        throw CrawlerError.invalidInput(
          "\(path): the URL list is UTF-16; convert it to UTF-8 (iconv -f UTF-16 -t UTF-8)")
      }
      let startLine = line
      var fields: [[UInt8]] = []
      var field: [UInt8] = []
      var quoted = false
      var wasQuoted = false
      var size = 0
      var sawAny = false
      loop: while let byte = try byte() {
        sawAny = true
        size += 1
        if size > Self.maxRecordBytes {
          throw CrawlerError.invalidInput(
            "\(path): line \(startLine): a record over \(Self.maxRecordBytes >> 20) MB"
              + (quoted ? " (a quote opened here is never closed)" : "") + "; fix the list")
        }
        if quoted {
          if byte == 0x22 {
            if try peek() == 0x22 {
              position += 1
              field.append(0x22)
            } else {
              quoted = false
            }
          } else {
            if byte == 0x0A { line += 1 }
            field.append(byte)
          }
          continue
        }
        switch byte {
        case 0x0D, 0x0A:
          if byte == 0x0D, try peek() == 0x0A { position += 1 }
          line += 1
          break loop
        case 0x22 where separator != nil && field.isEmpty && !wasQuoted:
          quoted = true
          wasQuoted = true
        case let value where separator != nil && value == separator:
          fields.append(field)
          field = []
          wasQuoted = false
        default:
          field.append(byte)
        }
      }
      if quoted {
        throw CrawlerError.invalidInput("\(path): line \(startLine): a quote opened here is never closed")
      }
      if !sawAny { return nil }
      fields.append(field)
      let end = base + Int64(position)
      if fields.count == 1 && fields[0].allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      var texts: [String] = []
      var problem: String?
      for bytes in fields {
        if let text = String(validating: bytes, as: UTF8.self) {
          texts.append(text)
        } else {
          problem = "bytes that are not UTF-8"
          texts.append(String(decoding: bytes, as: UTF8.self))
        }
      }
      return ListRecord(fields: texts, line: startLine, end: end, problem: problem)
    }
  }
}

/// A URL list (`--provider urls`): TXT, CSV, TSV or JSONL as img2dataset takes them. The file is read as a
/// stream, a page of rows at a time from a byte offset (the cursor), so a list of millions of URLs crawls in
/// bounded memory; one pass at the start counts its rows and finds the URLs that carry credentials.
struct URLList: CrawlProvider {
  let name = "urls"
  let path: String
  let format: URLListFormat
  let pageSize = 500
  /// Header names (CSV/TSV) or keys of the first object (JSONL); empty for TXT.
  let header: [String]
  let columns: Columns
  /// Rows with a URL, counted at the start.
  let count: Int
  /// Results whose URL holds a user name and password: a resumed crawl needs them for its saved items.
  let credentialed: [CrawlResult]
  /// Rows without a usable URL (first 20, `line N: why`) and how many there were.
  let skippedRows: [String]
  let skippedCount: Int
  /// The byte offset and line of the first data row (after the header).
  let dataStart: (offset: Int64, line: Int)

  var firstCursor: String { "@\(dataStart.offset):\(dataStart.line)" }
  var budget: RequestBudget? { nil }
  /// The whole list: a list is what the user chose, not a search to cut short.
  var defaultLimit: Int { max(1, count) }
  var resultsPerPage: Int { pageSize }

  struct Columns {
    var url: Int?
    var caption: Int?
    var label: Int?
    var page: Int?
    var license: Int?
    var licenseURL: Int?
    var creator: Int?
    var attribution: Int?
    /// JSONL: the keys.
    var urlKey = "url"
    var captionKey: String?
  }

  init(path: String, options: URLListOptions = URLListOptions()) throws {
    self.path = path
    let format = options.format ?? URLListFormat.guess(path: path)
    self.format = format
    let found = try Self.header(path: path, format: format)
    header = found.names
    dataStart = (found.end, found.line)
    columns = try Self.columns(header: found.names, format: format, options: options, path: path)
    var count = 0
    var credentialed: [CrawlResult] = []
    var skipped: [String] = []
    var skippedCount = 0
    var reader = try ListRecordReader(
      path: path, separator: Self.separator(format), offset: found.end, line: found.line)
    while let record = try reader.next() {
      switch Self.result(record, format: format, columns: columns) {
      case .none: continue
      case .some(.success(let result)):
        count += 1
        if Redaction.withoutCredentials(in: result.url) != result.url { credentialed.append(result) }
      case .some(.failure(let problem)):
        skippedCount += 1
        if skipped.count < 20 { skipped.append("line \(record.line): \(problem.reason)") }
      }
    }
    self.count = count
    self.credentialed = credentialed
    skippedRows = skipped
    self.skippedCount = skippedCount
  }

  static func separator(_ format: URLListFormat) -> UInt8? {
    switch format {
    case .csv: return 0x2C
    case .tsv: return 0x09
    case .txt, .jsonl: return nil
    }
  }

  /// The header names (CSV/TSV) or the first object's keys (JSONL), and where the data rows start.
  static func header(path: String, format: URLListFormat) throws -> (names: [String], end: Int64, line: Int) {
    var reader = try ListRecordReader(path: path, separator: separator(format))
    switch format {
    case .txt:
      return ([], 0, 1)
    case .csv, .tsv:
      guard let first = try reader.next() else {
        throw CrawlerError.invalidInput("\(path): the URL list is empty")
      }
      return (first.fields.map { $0.trimmingCharacters(in: .whitespaces) }, first.end, first.line + 1)
    case .jsonl:
      while let record = try reader.next() {
        guard let object = jsonObject(record.fields[0]) else { continue }
        return (object.keys.sorted(), 0, 1)
      }
      throw CrawlerError.invalidInput("\(path): the URL list holds no JSON object")
    }
  }

  static func columns(header: [String], format: URLListFormat, options: URLListOptions, path: String) throws
    -> Columns
  {
    var columns = Columns()
    func find(_ name: String) -> Int? {
      header.firstIndex(of: name)
        ?? {
          let matches = header.indices.filter { header[$0].lowercased() == name.lowercased() }
          return matches.count == 1 ? matches[0] : nil
        }()
    }
    func missing(_ flag: String, _ name: String) -> CrawlerError {
      let shown = header.prefix(20).map { "\"\($0)\"" }.joined(separator: ", ") + (header.count > 20 ? ", …" : "")
      return CrawlerError.invalidInput(
        "\(path): no column \"\(name)\" for \(flag); the \(format == .jsonl ? "first object's keys" : "columns") are \(shown)"
      )
    }
    switch format {
    case .txt:
      if options.captionColumn != nil || options.urlColumn != nil {
        throw CrawlerError.invalidInput(
          "\(path): a .txt list has no columns; --url-col and --caption-col need CSV, TSV or JSONL (--input-format)")
      }
    case .jsonl:
      let urlKey = options.urlColumn ?? "url"
      guard header.contains(urlKey) else { throw missing("--url-col", urlKey) }
      columns.urlKey = urlKey
      if let caption = options.captionColumn {
        guard header.contains(caption) else { throw missing("--caption-col", caption) }
        columns.captionKey = caption
      }
    case .csv, .tsv:
      let urlName = options.urlColumn ?? "url"
      guard let url = find(urlName) else {
        if options.urlColumn == nil {
          throw CrawlerError.invalidInput(
            "\(path): line 1: a \(format.rawValue.uppercased()) URL list needs a header row with a `url` column (or name it with --url-col); the columns are \(header.prefix(20).map { "\"\($0)\"" }.joined(separator: ", "))"
          )
        }
        throw missing("--url-col", urlName)
      }
      columns.url = url
      if let caption = options.captionColumn {
        guard let index = find(caption) else { throw missing("--caption-col", caption) }
        columns.caption = index
      }
      let lowered = header.map { $0.lowercased() }
      func column(_ names: String...) -> Int? { names.lazy.compactMap { lowered.firstIndex(of: $0) }.first }
      columns.label = column("label", "class")
      columns.page = column("page_url", "page", "landing_page")
      columns.license = column("license")
      columns.licenseURL = column("license_url")
      columns.creator = column("creator", "author")
      columns.attribution = column("attribution")
    }
    return columns
  }

  struct RowProblem: Error { var reason: String }

  static func jsonObject(_ text: String) -> [String: Any]? {
    guard let data = text.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    else { return nil }
    return object
  }

  /// The result a record gives; nil for a comment, failure for a row without a usable URL.
  static func result(_ record: ListRecord, format: URLListFormat, columns: Columns) -> Result<
    CrawlResult, RowProblem
  >? {
    if let problem = record.problem { return .failure(RowProblem(reason: problem)) }
    func clean(_ text: String?) -> String? {
      guard let text = text?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
      return text
    }
    switch format {
    case .txt:
      let trimmed = record.fields[0].trimmingCharacters(in: .whitespaces)
      guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { return nil }
      return .success(CrawlResult(url: String(trimmed.split(whereSeparator: \.isWhitespace)[0])))
    case .jsonl:
      guard let object = jsonObject(record.fields[0]) else {
        return .failure(RowProblem(reason: "not a JSON object"))
      }
      guard let url = clean(object[columns.urlKey] as? String) else {
        return .failure(RowProblem(reason: "no \"\(columns.urlKey)\" string"))
      }
      var result = CrawlResult(url: url)
      if let key = columns.captionKey, let value = object[key], !(value is NSNull) {
        result.caption = (value as? String) ?? "\(value)"
      }
      result.label = clean(object["label"] as? String)
      result.pageURL = clean(object["page_url"] as? String)
      result.license = clean(object["license"] as? String)
      result.licenseURL = clean(object["license_url"] as? String)
      result.creator = clean((object["creator"] ?? object["author"]) as? String)
      result.attribution = clean(object["attribution"] as? String)
      return .success(result)
    case .csv, .tsv:
      let fields = record.fields
      func value(_ index: Int?) -> String? {
        guard let index, index < fields.count else { return nil }
        return clean(fields[index])
      }
      guard let urlIndex = columns.url, urlIndex < fields.count else {
        return .failure(RowProblem(reason: "\(fields.count) fields, no URL column"))
      }
      guard let url = value(urlIndex) else { return .failure(RowProblem(reason: "the URL field is empty")) }
      var result = CrawlResult(
        url: url, pageURL: value(columns.page), license: value(columns.license), licenseURL: value(columns.licenseURL),
        creator: value(columns.creator), attribution: value(columns.attribution), label: value(columns.label))
      if let index = columns.caption, index < fields.count { result.caption = fields[index] }
      return .success(result)
    }
  }

  /// Cursor: `@OFFSET:LINE` (the byte offset and line of the next row), or a row index (a job saved by an
  /// older version, whose rows are skipped to by reading).
  func step(query: String, cursor: String) throws -> PageStep {
    var reader: ListRecordReader
    var skip = 0
    if cursor.hasPrefix("@"), let colon = cursor.firstIndex(of: ":"),
      let offset = Int64(cursor[cursor.index(after: cursor.startIndex)..<colon]),
      let line = Int(cursor[cursor.index(after: colon)...]), offset >= 0, line >= 1
    {
      reader = try ListRecordReader(path: path, separator: Self.separator(format), offset: offset, line: line)
    } else {
      guard let index = Int(cursor), index >= 0 else { return .end }
      reader = try ListRecordReader(
        path: path, separator: Self.separator(format), offset: dataStart.offset, line: dataStart.line)
      skip = index
    }
    var results: [CrawlResult] = []
    while results.count < pageSize, let record = try reader.next() {
      guard case .success(let result) = Self.result(record, format: format, columns: columns) else { continue }
      if skip > 0 {
        skip -= 1
        continue
      }
      results.append(result)
    }
    if results.isEmpty { return .end }
    let more = try reader.peekRecord()
    let next = more ? "@\(reader.base + Int64(reader.position)):\(reader.line)" : nil
    return .local(ProviderPage(results: results, next: next))
  }

  func parse(_ body: [UInt8], query: String, cursor: String, url: String) throws -> ProviderPage {
    ProviderPage(results: [], next: nil)
  }
}

extension ListRecordReader {
  /// Whether any byte is left to read (a record may still follow).
  mutating func peekRecord() throws -> Bool { try peek() != nil }
}
