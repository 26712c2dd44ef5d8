import Catalog
import Foundation

/// Something the VOC reader tolerated or refused, with the line it is on.
public struct VOCFinding: Sendable, Hashable, Codable {
  public enum Severity: String, Sendable, Codable, Comparable {
    /// The file's boxes cannot be used (none of them are imported).
    case error
    /// Read, but changed or doubtful (a clamped box, stray text, a size that disagrees with the image).
    case warning
    /// Worth knowing, nothing wrong (a non-LabelImg dialect, an unknown element kept verbatim).
    case note

    var rank: Int {
      switch self {
      case .error: return 0
      case .warning: return 1
      case .note: return 2
      }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
  }

  public var severity: Severity
  public var line: Int?
  /// A stable identifier: `xml`, `clamped`, `stray-text`, `inverted-box`, `dialect`, …
  public var code: String
  public var message: String

  public init(_ severity: Severity, line: Int?, code: String, _ message: String) {
    self.severity = severity
    self.line = line
    self.code = code
    self.message = message
  }
}

/// What reading one VOC file gave: the document (nil when it has errors: a file's boxes are used all
/// or none) and every finding.
public struct VOCReadResult: Sendable {
  public var document: VOCDocument?
  public var findings: [VOCFinding]
  /// "labelimg" when writing the document back gives the same bytes, else "other".
  public var dialect: String

  public var errors: [VOCFinding] { findings.filter { $0.severity == .error } }
  public var warnings: [VOCFinding] { findings.filter { $0.severity == .warning } }
}

/// Limits of the reader.
public struct VOCReaderOptions: Sendable {
  /// Files larger than this are refused before parsing.
  public var maxBytes = SafeXML.defaultMaxBytes
  /// More objects than this in one file is an error.
  public var maxObjects = 10_000
  /// A box may pass the image edge by this many pixels (or `edgeFraction` of the side, if larger)
  /// and is clamped with a warning; further out it is an error.
  public var edgePixels = 4.0
  public var edgeFraction = 0.02

  public init() {}
}

/// Reads Pascal VOC as found in the wild: every LabelImg era (tabs; 2-space indent; `verified="yes"` or
/// `"no"`; no `<difficult>`), the Kaggle face-mask dialect (leading blank line, 4 spaces, `<occluded>`, no
/// `<path>`/`<source>`), float coordinates, no `<object>` at all, extra elements anywhere.
///
/// Tolerant of form, strict about meaning: boxes a few pixels past the edge are clamped with a warning;
/// impossible boxes (inverted, negative, NaN, infinite, far outside, on a zero-size image) are errors,
/// and a file with any error yields no document. Parsing goes through `SafeXML` (no DTD, no entity ever
/// loaded).
public enum VOCReader {
  static let annotationChildren: Set<String> = [
    "folder", "filename", "path", "source", "size", "segmented", "object",
  ]
  static let objectChildren: Set<String> = ["name", "pose", "truncated", "difficult", "bndbox"]
  static let boxChildren: Set<String> = ["xmin", "ymin", "xmax", "ymax"]
  static let sizeChildren: Set<String> = ["width", "height", "depth"]

  /// Reads the file at `path` (bytes capped before parsing).
  public static func read(path: String, display: String? = nil, options: VOCReaderOptions = VOCReaderOptions())
    -> VOCReadResult
  {
    let name = display ?? path
    do {
      let bytes = try readCapped(path: path, limit: options.maxBytes, display: name)
      return read(bytes, file: name, options: options)
    } catch {
      return VOCReadResult(
        document: nil,
        findings: [VOCFinding(.error, line: nil, code: "read", error.localizedDescription)], dialect: "other")
    }
  }

  /// Reads a document and throws when it has errors (every error named in the message).
  public static func document(_ bytes: [UInt8], file: String, options: VOCReaderOptions = VOCReaderOptions())
    throws -> VOCDocument
  {
    let result = read(bytes, file: file, options: options)
    guard let document = result.document else {
      throw AnnotationsError.rejectedAnnotation(
        file: file, problems: result.errors.map { f in f.line.map { "line \($0): \(f.message)" } ?? f.message })
    }
    return document
  }

  public static func read(_ bytes: [UInt8], file: String, options: VOCReaderOptions = VOCReaderOptions())
    -> VOCReadResult
  {
    var findings: [VOCFinding] = []
    let root: XMLElementNode
    do {
      root = try SafeXML.parse(bytes, file: file, maxBytes: options.maxBytes)
    } catch let error as AnnotationsError {
      // The finding carries the file and line itself: the message is the rest.
      var message = error.localizedDescription
      let line = line(of: error)
      for prefix in [line.map { "\(file):\($0): " }, "\(file): "].compactMap({ $0 }) where message.hasPrefix(prefix) {
        message = String(message.dropFirst(prefix.count))
        break
      }
      return VOCReadResult(
        document: nil, findings: [VOCFinding(.error, line: line, code: "xml", message)], dialect: "other")
    } catch {
      return VOCReadResult(
        document: nil, findings: [VOCFinding(.error, line: nil, code: "xml", error.localizedDescription)],
        dialect: "other")
    }
    guard root.name == "annotation" else {
      return VOCReadResult(
        document: nil,
        findings: [
          VOCFinding(.error, line: root.line, code: "root", "root element is <\(root.name)>, not <annotation>")
        ], dialect: "other")
    }
    var document = VOCDocument(attributes: root.attributes)
    for attribute in root.attributes {
      if attribute.name == "verified" {
        if attribute.value != "yes" && attribute.value != "no" {
          findings.append(
            VOCFinding(
              .warning, line: root.line, code: "bad-flag",
              "verified=\"\(attribute.value)\" is neither yes nor no; read as not verified"))
        }
      } else {
        findings.append(
          VOCFinding(
            .note, line: root.line, code: "unknown-attribute",
            "attribute \(attribute.name) on <annotation> kept as it is"))
      }
    }
    strayText(root, &findings)

    var seen: Set<String> = []
    var previous: String?
    var objectElements: [XMLElementNode] = []
    for child in root.children {
      let known = annotationChildren.contains(child.name)
      if known && child.name != "object" && seen.contains(child.name) {
        findings.append(
          VOCFinding(
            .warning, line: child.line, code: "duplicate-element",
            "a second <\(child.name)>; the first is used, this one kept as it is"))
        // Anchored after the first one, so that writing keeps the first one first.
        document.extras.append(VOCExtra(after: child.name, element: child))
        continue
      }
      guard known else {
        findings.append(
          VOCFinding(
            .note, line: child.line, code: "unknown-element", "<\(child.name)> is not LabelImg's; kept as it is"))
        document.extras.append(VOCExtra(after: previous, element: child))
        continue
      }
      seen.insert(child.name)
      previous = child.name
      switch child.name {
      case "folder": document.folder = child.text
      case "filename": document.filename = child.text
      case "path": document.path = child.text
      case "source": document.source = child
      case "segmented": document.segmented = child.text
      case "size":
        document.size = readSize(child, &findings)
        // An unusable <size> is kept as it was, so nothing is lost.
        if document.size == nil { document.extras.append(VOCExtra(after: "size", element: child)) }
      default: objectElements.append(child)
      }
    }
    if document.filename == nil {
      findings.append(
        VOCFinding(
          .warning, line: root.line, code: "missing-filename",
          "no <filename>; the image is looked for by the XML file's own name"))
    } else if document.filename.map(isBlank) == true {
      findings.append(
        VOCFinding(
          .warning, line: root.child("filename")?.line, code: "missing-filename",
          "empty <filename>; the image is looked for by the XML file's own name"))
    }
    if objectElements.count > options.maxObjects {
      findings.append(
        VOCFinding(
          .error, line: objectElements[options.maxObjects].line, code: "too-many-objects",
          "\(objectElements.count) objects, over the limit of \(options.maxObjects)"))
      return VOCReadResult(document: nil, findings: findings, dialect: "other")
    }
    if !objectElements.isEmpty {
      if let size = document.size, size.width == 0 || size.height == 0 {
        findings.append(
          VOCFinding(
            .error, line: root.child("size")?.line, code: "zero-size",
            "image size \(size.width)×\(size.height) with \(objectElements.count) objects; boxes cannot be checked"))
      } else if document.size == nil && !findings.contains(where: { $0.code == "bad-size" }) {
        findings.append(
          VOCFinding(
            .warning, line: root.line, code: "missing-size", "no <size>; boxes are not checked against the image"))
      }
    }
    var boxesSeen: [String: Int] = [:]
    for element in objectElements {
      guard let object = readObject(element, size: document.size, options: options, &findings) else { continue }
      let key = "\(object.name)|\(object.box.xmin),\(object.box.ymin),\(object.box.xmax),\(object.box.ymax)"
      if let first = boxesSeen[key] {
        findings.append(
          VOCFinding(
            .warning, line: element.line, code: "duplicate-box",
            "the same \(object.name) box as the object on line \(first)"))
      } else {
        boxesSeen[key] = element.line
      }
      document.objects.append(object)
    }
    if findings.contains(where: { $0.severity == .error }) {
      return VOCReadResult(document: nil, findings: findings, dialect: "other")
    }
    let dialect = document.bytes() == bytes ? "labelimg" : "other"
    if dialect == "other" {
      findings.append(
        VOCFinding(.note, line: nil, code: "dialect", "not LabelImg's exact output: " + traits(bytes, document)))
    }
    return VOCReadResult(document: document, findings: findings, dialect: dialect)
  }

  static func readSize(_ element: XMLElementNode, _ findings: inout [VOCFinding]) -> VOCSize? {
    strayText(element, &findings)
    var width: Int?
    var height: Int?
    var depth: String?
    var extras: [VOCExtra] = []
    var previous: String?
    var bad = false
    for child in element.children {
      guard sizeChildren.contains(child.name), !(child.name == "width" && width != nil),
        !(child.name == "height" && height != nil), !(child.name == "depth" && depth != nil)
      else {
        extras.append(VOCExtra(after: sizeChildren.contains(child.name) ? child.name : previous, element: child))
        findings.append(
          VOCFinding(.note, line: child.line, code: "unknown-element", "<\(child.name)> in <size> kept as it is"))
        continue
      }
      previous = child.name
      if child.name == "depth" {
        depth = child.text
        continue
      }
      guard let value = number(child.text), value >= 0, value < 1e6 else {
        findings.append(
          VOCFinding(
            .error, line: child.line, code: "bad-size", "<\(child.name)> \"\(child.text)\" is not an image size"))
        bad = true
        continue
      }
      if value != value.rounded(.towardZero) {
        findings.append(
          VOCFinding(
            .warning, line: child.line, code: "bad-size",
            "<\(child.name)> \(child.text) is not a whole number; read as \(Int(value))"))
      }
      if child.name == "width" { width = Int(value) } else { height = Int(value) }
    }
    guard !bad, let width, let height else {
      if !bad {
        findings.append(
          VOCFinding(
            .warning, line: element.line, code: "missing-size",
            "<size> without width and height; boxes are not checked against the image"))
      }
      return nil
    }
    return VOCSize(width: width, height: height, depth: depth, extras: extras)
  }

  static func readObject(
    _ element: XMLElementNode, size: VOCSize?, options: VOCReaderOptions, _ findings: inout [VOCFinding]
  ) -> VOCObject? {
    strayText(element, &findings)
    var name: String?
    var pose: String?
    var truncated: String?
    var difficult: String?
    var boxElement: XMLElementNode?
    var extras: [VOCExtra] = []
    var previous: String?
    var seen: Set<String> = []
    for child in element.children {
      guard objectChildren.contains(child.name), !seen.contains(child.name) else {
        extras.append(VOCExtra(after: objectChildren.contains(child.name) ? child.name : previous, element: child))
        let what = objectChildren.contains(child.name) ? "a second <\(child.name)>" : "<\(child.name)>"
        findings.append(
          VOCFinding(.note, line: child.line, code: "unknown-element", "\(what) in <object> kept as it is"))
        continue
      }
      seen.insert(child.name)
      previous = child.name
      switch child.name {
      case "name": name = child.text
      case "pose": pose = child.text
      case "truncated": truncated = child.text
      case "difficult": difficult = child.text
      default: boxElement = child
      }
    }
    for (label, value) in [("truncated", truncated), ("difficult", difficult)] {
      if let value, value != "0", value != "1" {
        findings.append(
          VOCFinding(
            .warning, line: element.line, code: "bad-flag",
            "<\(label)> \"\(value)\" is not 0 or 1; read as \(value == "" ? "0" : (number(value) ?? 0) != 0 ? "1" : "0")"
          ))
      }
    }
    guard let name, !isBlank(name) else {
      findings.append(
        VOCFinding(.error, line: element.line, code: "missing-name", "an <object> without a class <name>"))
      return nil
    }
    if trimmed(name).count != name.unicodeScalars.count {
      findings.append(
        VOCFinding(
          .warning, line: element.line, code: "name-space",
          "class name \"\(name)\" has white space around it; kept as written"))
    }
    guard let boxElement else {
      findings.append(VOCFinding(.error, line: element.line, code: "missing-bndbox", "\(name) object without <bndbox>"))
      return nil
    }
    strayText(boxElement, &findings)
    var values: [String: Double] = [:]
    var boxExtras: [VOCExtra] = []
    var previousCoordinate: String?
    var bad = false
    for child in boxElement.children {
      guard boxChildren.contains(child.name), values[child.name] == nil else {
        boxExtras.append(
          VOCExtra(after: boxChildren.contains(child.name) ? child.name : previousCoordinate, element: child))
        findings.append(
          VOCFinding(.note, line: child.line, code: "unknown-element", "<\(child.name)> in <bndbox> kept as it is"))
        continue
      }
      previousCoordinate = child.name
      guard let value = number(child.text) else {
        let shown = child.text.count > 40 ? String(child.text.prefix(40)) + "…" : child.text
        findings.append(
          VOCFinding(
            .error, line: child.line, code: "bad-coordinate",
            "\(name) <\(child.name)> \"\(shown)\" is not a finite number"))
        bad = true
        continue
      }
      if value < 0 {
        findings.append(
          VOCFinding(
            .error, line: child.line, code: "bad-coordinate", "\(name) <\(child.name)> \(child.text) is negative"))
        bad = true
      }
      values[child.name] = value
    }
    let missing = ["xmin", "ymin", "xmax", "ymax"].filter { values[$0] == nil }
    if !missing.isEmpty && !bad {
      findings.append(
        VOCFinding(
          .error, line: boxElement.line, code: "bad-coordinate",
          "\(name) <bndbox> lacks " + missing.map { "<\($0)>" }.joined(separator: ", ")))
    }
    guard !bad, missing.isEmpty, let xmin = values["xmin"], let ymin = values["ymin"], let xmax = values["xmax"],
      let ymax = values["ymax"]
    else { return nil }
    if xmin > xmax || ymin > ymax {
      findings.append(
        VOCFinding(
          .error, line: boxElement.line, code: "inverted-box",
          "\(name) box \(show(xmin)),\(show(ymin))–\(show(xmax)),\(show(ymax)) has min greater than max"))
      return nil
    }
    var box = Box(xmin: xmin, ymin: ymin, xmax: xmax, ymax: ymax)
    if let size, size.width > 0, size.height > 0 {
      let width = Double(size.width)
      let height = Double(size.height)
      let slackX = max(options.edgePixels, options.edgeFraction * width)
      let slackY = max(options.edgePixels, options.edgeFraction * height)
      if xmin >= width || ymin >= height || xmax > width + slackX || ymax > height + slackY {
        findings.append(
          VOCFinding(
            .error, line: boxElement.line, code: "outside-image",
            "\(name) box \(show(xmin)),\(show(ymin))–\(show(xmax)),\(show(ymax)) lies outside the \(size.width)×\(size.height) image"
          ))
        return nil
      }
      if xmax > width || ymax > height {
        box.xmax = min(xmax, width)
        box.ymax = min(ymax, height)
        findings.append(
          VOCFinding(
            .warning, line: boxElement.line, code: "clamped",
            "\(name) box \(show(xmin)),\(show(ymin))–\(show(xmax)),\(show(ymax)) passes the edge of the \(size.width)×\(size.height) image; clamped to \(show(box.xmax)),\(show(box.ymax))"
          ))
      }
    }
    if box.xmin == box.xmax || box.ymin == box.ymax {
      findings.append(
        VOCFinding(.warning, line: boxElement.line, code: "zero-area", "\(name) box has zero width or height"))
    }
    return VOCObject(
      name: name, box: box, pose: pose, truncated: truncated, difficult: difficult, attributes: element.attributes,
      extras: extras, boxExtras: boxExtras, line: element.line)
  }

  /// A plain decimal number (`12`, `12.7`, `-3`, `1e2`); not hex, `nan`, `inf`, or anything that overflows.
  static func number(_ text: String) -> Double? {
    let trimmed = Substring(Self.trimmed(text))
    guard !trimmed.isEmpty, trimmed.utf8.count < 64,
      trimmed.utf8.allSatisfy({
        ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2E || $0 == 0x2D || $0 == 0x2B || $0 == 0x65 || $0 == 0x45
      }),
      let value = Double(trimmed), value.isFinite
    else { return nil }
    return value
  }

  static func show(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  /// XML white space: space, tab, CR, LF.
  static func isXMLSpace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r"
  }

  /// Nothing but XML white space.
  static func isBlank(_ text: String) -> Bool { text.unicodeScalars.allSatisfy(isXMLSpace) }

  /// The text without leading and trailing XML white space.
  static func trimmed(_ text: String) -> String.UnicodeScalarView.SubSequence {
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isXMLSpace($0) }),
      let last = scalars.lastIndex(where: { !isXMLSpace($0) })
    else { return scalars[scalars.endIndex...] }
    return scalars[first...last]
  }

  /// Non-white text directly inside a container element (the damaged Kaggle file has a path there).
  static func strayText(_ element: XMLElementNode, _ findings: inout [VOCFinding]) {
    guard !element.children.isEmpty, !isBlank(element.text) else { return }
    let text = String(trimmed(element.text))
    let shown = text.count > 70 ? String(text.prefix(30)) + "…" + String(text.suffix(38)) : text
    findings.append(
      VOCFinding(
        .warning, line: element.textLine ?? element.line, code: "stray-text",
        "stray text inside <\(element.name)> ignored: \"\(shown)\""))
  }

  /// Why a readable file is not LabelImg's own output, in a few words.
  static func traits(_ bytes: [UInt8], _ document: VOCDocument) -> String {
    var traits: [String] = []
    let head = bytes.prefix(4096)
    if head.starts(with: Array("<?xml".utf8)) { traits.append("XML declaration") }
    if head.first == 0x0A || head.starts(with: [0x0D, 0x0A]) { traits.append("leading blank line") }
    if head.contains(0x0D) { traits.append("CRLF line ends") }
    // The indentation of the first indented line.
    if let newline = head.dropFirst().firstIndex(where: { $0 == 0x0A }) {
      var index = newline + 1
      while index < head.endIndex, head[index] == 0x0A { index += 1 }
      let start = index
      while index < head.endIndex, head[index] == 0x20 { index += 1 }
      if index > start && (index == head.endIndex || head[index] != 0x09) {
        traits.append("\(index - start)-space indent")
      }
    }
    if document.path == nil { traits.append("no <path>") }
    if document.source == nil { traits.append("no <source>") }
    let extraNames = Set(
      document.extras.map(\.element.name) + document.objects.flatMap { $0.extras.map(\.element.name) })
    if !extraNames.isEmpty { traits.append("extra " + extraNames.sorted().map { "<\($0)>" }.joined(separator: ", ")) }
    if document.objects.contains(where: { $0.difficult == nil }) {
      traits.append("no <difficult> (LabelImg before 2017-04)")
    }
    if document.attributes.contains(where: { $0.name == "verified" && $0.value == "no" }) {
      traits.append("verified=\"no\" (LabelImg 2017)")
    }
    if traits.isEmpty { traits.append("layout or number format differs") }
    return traits.joined(separator: ", ")
  }

  static func line(of error: AnnotationsError) -> Int? {
    switch error {
    case .malformedXML(_, let line, _), .tooDeep(_, let line, _), .textTooLong(_, let line, _),
      .truncated(_, let line, _), .nulByte(_, _, let line):
      return line
    default: return nil
    }
  }

  static func readCapped(path: String, limit: Int, display: String) throws -> [UInt8] {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw AnnotationsError.invalid(
        file: display, line: nil, message: "cannot read: \(String(cString: strerror(errno)))")
    }
    if Int(info.st_size) > limit {
      throw AnnotationsError.tooLarge(file: display, size: Int(info.st_size), limit: limit)
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw AnnotationsError.invalid(file: display, line: nil, message: "cannot read the file")
    }
    if data.count > limit { throw AnnotationsError.tooLarge(file: display, size: data.count, limit: limit) }
    return [UInt8](data)
  }
}
