import Foundation

/// A source row: one import or crawl.
public struct SourceSpec: Sendable, Hashable {
  public var kind: String
  public var name: String
  public var uri: String
  public var license: String?
  public var recipe: String?

  public init(kind: String, name: String, uri: String, license: String? = nil, recipe: String? = nil) {
    self.kind = kind
    self.name = name
    self.uri = uri
    self.license = license
    self.recipe = recipe
  }
}

/// The facts about an image file that go into the `images` row.
public struct ImageFacts: Sendable, Hashable {
  public var sha256: String
  public var size: Int
  public var width: Int
  public var height: Int
  public var format: String
  public var fileExtension: String
  /// `.active`, or `.quarantined` for a damaged file.
  public var status: ImageStatus
  public var statusReason: String?

  public init(
    sha256: String, size: Int, width: Int, height: Int, format: String, fileExtension: String,
    status: ImageStatus = .active, statusReason: String? = nil
  ) {
    self.sha256 = sha256
    self.size = size
    self.width = width
    self.height = height
    self.format = format
    self.fileExtension = fileExtension
    self.status = status
    self.statusReason = statusReason
  }
}

/// Where one copy of an image came from (an `image_origins` row).
public struct OriginFacts: Sendable, Hashable {
  public var relativePath: [UInt8]
  public var fileSize: Int64?
  public var modifiedNanoseconds: Int64?
  public var originalSplit: String?
  public var url: String?
  public var pageURL: String?
  public var license: String?
  public var licenseURL: String?
  public var creator: String?
  public var attribution: String?
  public var query: String?
  public var rank: Int?
  public var httpStatus: Int?
  /// A URL list's caption (img2dataset's `caption_col`), exported with the origin.
  public var caption: String?

  public init(
    relativePath: [UInt8], fileSize: Int64? = nil, modifiedNanoseconds: Int64? = nil,
    originalSplit: String? = nil, url: String? = nil, pageURL: String? = nil, license: String? = nil,
    licenseURL: String? = nil, creator: String? = nil, attribution: String? = nil, query: String? = nil,
    rank: Int? = nil, httpStatus: Int? = nil, caption: String? = nil
  ) {
    self.relativePath = relativePath
    self.fileSize = fileSize
    self.modifiedNanoseconds = modifiedNanoseconds
    self.originalSplit = originalSplit
    self.url = url
    self.pageURL = pageURL
    self.license = license
    self.licenseURL = licenseURL
    self.creator = creator
    self.attribution = attribution
    self.query = query
    self.rank = rank
    self.httpStatus = httpStatus
    self.caption = caption
  }
}

/// One image arriving from a source, ready to be recorded.
public struct ArrivingImage: Sendable, Hashable {
  public var image: ImageFacts
  public var origin: OriginFacts
  /// The class name to attach, if any, and how it was found ("folder", "csv", ...).
  public var label: String?
  public var labelHow: String

  public init(image: ImageFacts, origin: OriginFacts, label: String?, labelHow: String) {
    self.image = image
    self.origin = origin
    self.label = label
    self.labelHow = labelHow
  }
}

/// What recording an arriving image did.
public enum RecordOutcome: String, Sendable, Codable {
  /// A new image row.
  case added
  /// The bytes were already in the catalog; this origin was added to that image.
  case knownBytes
  /// This source had already recorded this file with the same bytes.
  case unchanged
}

/// An origin this source recorded before: enough to skip an unchanged file without reading it.
public struct KnownOrigin: Sendable, Hashable {
  public var imageID: Int64
  public var fileSize: Int64?
  public var modifiedNanoseconds: Int64?
  /// The image's object and size, to check it is still whole before skipping the file.
  public var sha256: String = ""
  public var size: Int64 = 0
}

extension Catalog {
  /// The id of the source with this kind and URI, creating it if needed.
  public func sourceID(for spec: SourceSpec) throws -> (id: Int64, created: Bool) {
    if let id = try database.scalarInt(
      "SELECT id FROM sources WHERE kind = ? AND uri = ?", [.text(spec.kind), .text(spec.uri)])
    {
      return (id, false)
    }
    return try database.writeTransaction {
      if let id = try database.scalarInt(
        "SELECT id FROM sources WHERE kind = ? AND uri = ?", [.text(spec.kind), .text(spec.uri)])
      {
        return (id, false)
      }
      // Sources are named after their folder, so two of them often share a name (`images`): the later
      // one gets the first free `-2`, `-3`, … (names compared in NFC).
      let taken = Set(
        try database.rows("SELECT name FROM sources") { ($0.text(0) ?? "").precomposedStringWithCanonicalMapping })
      var name = spec.name
      var suffix = 2
      while taken.contains(name.precomposedStringWithCanonicalMapping) {
        name = "\(spec.name)-\(suffix)"
        suffix += 1
      }
      try database.run(
        "INSERT INTO sources (kind, name, uri, license, recipe, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        [
          .text(spec.kind), .text(name), .text(spec.uri), .optional(spec.license),
          .optional(spec.recipe), .text(Timestamp.now()),
        ])
      return (database.lastInsertRowID, true)
    }
  }

  /// Files this source recorded before, by relative path bytes.
  public func knownOrigins(sourceID: Int64) throws -> [[UInt8]: KnownOrigin] {
    var known: [[UInt8]: KnownOrigin] = [:]
    let statement = try database.prepare(
      """
      SELECT o.rel_path_bytes, o.image_id, o.file_size, o.file_mtime_ns, i.sha256, i.size
      FROM image_origins o JOIN images i ON i.id = o.image_id WHERE o.source_id = ?
      """)
    defer { statement.reset() }
    try statement.bind([.int(sourceID)])
    while try statement.step() {
      known[statement.blob(0)] = KnownOrigin(
        imageID: statement.int64(1),
        fileSize: statement.isNull(2) ? nil : statement.int64(2),
        modifiedNanoseconds: statement.isNull(3) ? nil : statement.int64(3),
        sha256: statement.text(4) ?? "", size: statement.int64(5))
    }
    return known
  }

  /// The ids of the images with these SHA-256 digests (those that exist).
  public func imageIDs(sha256 digests: some Sequence<String>) throws -> [String: Int64] {
    var found: [String: Int64] = [:]
    for digest in digests {
      if let id = try database.scalarInt("SELECT id FROM images WHERE sha256 = ?", [.text(digest)]) {
        found[digest] = id
      }
    }
    return found
  }

  /// The id of a class, created on first use. Call inside a write transaction. The name is stored as
  /// `Catalog.className(_:)` cleans it (NFC, control characters as spaces).
  public func classID(named raw: String) throws -> Int64 {
    let name = try Catalog.checkedClassName(raw)
    if let id = try database.scalarInt("SELECT id FROM classes WHERE name = ?", [.text(name)]) {
      return id
    }
    try database.run("INSERT INTO classes (name) VALUES (?)", [.text(name)])
    return database.lastInsertRowID
  }

  /// A label as the catalog stores it: Unicode NFC (so `café` typed on Linux and unpacked from a macOS
  /// zip, NFD, is one class), every control character (newline, tab, NUL, U+0080–U+009F) and U+2028/2029 replaced by a
  /// space and white space trimmed at both ends, so a label is always one line of text (YOLO's
  /// classes.txt, CSV, folder names). A label left empty becomes `_`.
  public static func className(_ raw: String) -> String {
    let cleaned = String(
      String.UnicodeScalarView(
        raw.precomposedStringWithCanonicalMapping.unicodeScalars.map {
          [.control, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory) ? " " : $0
        })
    ).trimmingCharacters(in: .whitespacesAndNewlines)
    return cleaned.isEmpty ? "_" : cleaned
  }

  /// The longest label, in UTF-8 bytes (after `className`): a label is a file or folder name in exports, and
  /// Linux file systems hold names of at most 255 bytes.
  public static let maxLabelBytes = 255

  /// `className(raw)`, or `CatalogError.labelTooLong` when that is over `maxLabelBytes`.
  public static func checkedClassName(_ raw: String) throws -> String {
    let name = className(raw)
    if name.utf8.count > maxLabelBytes { throw CatalogError.labelTooLong(label: name, bytes: name.utf8.count) }
    return name
  }

  /// The name of a source.
  public func sourceName(id: Int64) throws -> String {
    try database.scalarText("SELECT name FROM sources WHERE id = ?", [.int(id)]) ?? ""
  }

  /// Records arriving images for a source. Call inside a write transaction; the caller makes sure
  /// every image's object is already published in the store.
  public func record(_ arrivals: [ArrivingImage], sourceID: Int64) throws -> [RecordOutcome] {
    let now = Timestamp.now()
    var outcomes: [RecordOutcome] = []
    outcomes.reserveCapacity(arrivals.count)
    for arrival in arrivals {
      var outcome = RecordOutcome.knownBytes
      var imageID = try database.scalarInt(
        "SELECT id FROM images WHERE sha256 = ?", [.text(arrival.image.sha256)])
      if imageID == nil {
        let facts = arrival.image
        try database.run(
          """
          INSERT INTO images (sha256, size, width, height, format, extension, status, status_reason, created_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
          [
            .text(facts.sha256), .int(Int64(facts.size)), .int(Int64(facts.width)),
            .int(Int64(facts.height)), .text(facts.format), .text(facts.fileExtension),
            .text(facts.status.rawValue), .optional(facts.statusReason), .text(now),
          ])
        imageID = database.lastInsertRowID
        outcome = .added
      }
      guard let imageID else { continue }
      let origin = arrival.origin
      let previous = try database.scalarInt(
        "SELECT image_id FROM image_origins WHERE source_id = ? AND rel_path_bytes = ?",
        [.int(sourceID), .blob(origin.relativePath)])
      if previous == imageID && outcome != .added {
        outcome = .unchanged
      }
      // The same path in the same source: keep one origin row, pointing at the current bytes.
      try database.run(
        """
        INSERT INTO image_origins (image_id, source_id, rel_path, rel_path_bytes, file_size, file_mtime_ns,
          original_split, url, page_url, license, license_url, creator, attribution, query, rank,
          http_status, retrieved_at, caption)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (source_id, rel_path_bytes) DO UPDATE SET image_id = excluded.image_id,
          file_size = excluded.file_size, file_mtime_ns = excluded.file_mtime_ns,
          retrieved_at = excluded.retrieved_at
        """,
        [
          .int(imageID), .int(sourceID), .text(FileIO.display(origin.relativePath)),
          .blob(origin.relativePath), .optional(origin.fileSize), .optional(origin.modifiedNanoseconds),
          .optional(origin.originalSplit), .optional(origin.url), .optional(origin.pageURL),
          .optional(origin.license), .optional(origin.licenseURL), .optional(origin.creator),
          .optional(origin.attribution), .optional(origin.query), .optional(origin.rank),
          .optional(origin.httpStatus), .text(now), .optional(origin.caption),
        ])
      if let label = arrival.label, !label.isEmpty {
        try addFoundLabel(imageID: imageID, className: label, sourceID: sourceID, how: arrival.labelHow, at: now)
      }
      outcomes.append(outcome)
    }
    return outcomes
  }
}
