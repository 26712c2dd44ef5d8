import CLibXML2
import Foundation

/// An attribute as read: name and value, in document order.
public struct XMLAttribute: Sendable, Hashable {
  public var name: String
  public var value: String

  public init(name: String, value: String) {
    self.name = name
    self.value = value
  }
}

/// An XML element as read: name, attributes in document order, text and child elements.
public struct XMLElementNode: Sendable, Hashable {
  public var name: String
  public var attributes: [XMLAttribute]
  /// The element's own text (all direct text children, concatenated).
  public var text: String
  public var children: [XMLElementNode]
  /// The line libxml2 recorded for the start tag.
  public var line: Int
  /// The line of the first direct text that is not white space (stray text in a container), if any.
  public var textLine: Int?

  public init(
    name: String, attributes: [XMLAttribute] = [], text: String = "", children: [XMLElementNode] = [],
    line: Int = 0, textLine: Int? = nil
  ) {
    self.name = name
    self.attributes = attributes
    self.text = text
    self.children = children
    self.line = line
    self.textLine = textLine
  }

  public func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }

  /// The value of an attribute, if present.
  public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
}

/// Parses untrusted XML with libxml2 so that no entity is ever loaded.
///
/// How: the bytes are read by the caller and capped before parsing; any document containing a
/// `<!DOCTYPE` is refused before libxml2 sees it, and again if libxml2 reports an internal or external
/// subset; it is parsed from memory with `XML_PARSE_NONET` and without NOENT, DTDLOAD, DTDATTR,
/// XINCLUDE or HUGE, so neither file nor network entities can be resolved and libxml2's default
/// size limits stay on. There is no recover mode: a malformed document is an error with its line.
public enum SafeXML {
  public static let defaultMaxBytes = 4 << 20

  /// Text nodes larger than this are refused (libxml2 2.9.14 does not enforce its own 10 MB limit
  /// on documents parsed from memory).
  public static let defaultMaxTextBytes = 1 << 20

  public static func parse(
    _ bytes: [UInt8], file: String, maxBytes: Int = defaultMaxBytes, maxTextBytes: Int = defaultMaxTextBytes
  ) throws -> XMLElementNode {
    if bytes.count > maxBytes {
      throw AnnotationsError.tooLarge(file: file, size: bytes.count, limit: maxBytes)
    }
    try checkEncoding(bytes, file: file)
    if containsDoctype(bytes) { throw AnnotationsError.doctypeNotAllowed(file: file) }
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
    guard let context = xmlNewParserCtxt() else {
      throw AnnotationsError.malformedXML(file: file, line: 0, message: "cannot create a parser")
    }
    defer { xmlFreeParserCtxt(context) }
    let document = bytes.withUnsafeBytes { raw in
      raw.withMemoryRebound(to: CChar.self) { chars in
        xmlCtxtReadMemory(context, chars.baseAddress, Int32(chars.count), file, nil, options)
      }
    }
    guard let document else {
      if let error = xmlCtxtGetLastError(context) {
        let message = (error.pointee.message.map { String(cString: $0) } ?? "unknown error")
          .trimmingCharacters(in: .whitespacesAndNewlines)
        throw classify(code: Int(error.pointee.code), line: Int(error.pointee.line), message: message, file: file)
      }
      throw AnnotationsError.malformedXML(file: file, line: 0, message: "unreadable document")
    }
    defer { xmlFreeDoc(document) }
    if document.pointee.intSubset != nil || document.pointee.extSubset != nil {
      throw AnnotationsError.doctypeNotAllowed(file: file)
    }
    guard let root = xmlDocGetRootElement(document) else {
      throw AnnotationsError.invalid(file: file, line: nil, message: "document has no root element")
    }
    return try element(root, file: file, maxTextBytes: maxTextBytes)
  }

  /// Refuses, before libxml2 sees them, inputs that would otherwise give a vague parse error or be
  /// silently converted: nothing but white space, gzip/zip data, UTF-16/UTF-32 (byte-order mark or
  /// zero bytes), NUL bytes, and an XML declaration naming an encoding other than UTF-8/ASCII.
  static func checkEncoding(_ bytes: [UInt8], file: String) throws {
    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
      throw AnnotationsError.empty(file: file)
    }
    if bytes.starts(with: [0x1F, 0x8B]) { throw AnnotationsError.compressed(file: file, format: "gzip") }
    if bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) { throw AnnotationsError.compressed(file: file, format: "zip") }
    if bytes.starts(with: [0x28, 0xB5, 0x2F, 0xFD]) { throw AnnotationsError.compressed(file: file, format: "zstd") }
    if bytes.starts(with: [0x42, 0x5A, 0x68]) { throw AnnotationsError.compressed(file: file, format: "bzip2") }
    if bytes.starts(with: [0xFF, 0xFE, 0x00, 0x00]) || bytes.starts(with: [0x00, 0x00, 0xFE, 0xFF]) {
      throw AnnotationsError.unsupportedEncoding(file: file, encoding: "UTF-32")
    }
    if bytes.starts(with: [0xFE, 0xFF]) || bytes.starts(with: [0xFF, 0xFE]) {
      throw AnnotationsError.unsupportedEncoding(file: file, encoding: "UTF-16 (byte-order mark)")
    }
    if bytes.count >= 2 && (bytes[0] == 0 || bytes[1] == 0) && bytes.prefix(8).contains(0x3C) {
      throw AnnotationsError.unsupportedEncoding(file: file, encoding: "UTF-16 (no byte-order mark)")
    }
    if let nul = bytes.firstIndex(of: 0) {
      let line = 1 + bytes[..<nul].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
      throw AnnotationsError.nulByte(file: file, offset: nul, line: line)
    }
    if let declared = declaredEncoding(bytes),
      !["utf-8", "utf8", "us-ascii", "ascii"].contains(declared.lowercased())
    {
      throw AnnotationsError.unsupportedEncoding(file: file, encoding: "\(declared) (declared)")
    }
  }

  /// The `encoding="…"` of a leading `<?xml …?>` declaration, if any.
  static func declaredEncoding(_ bytes: [UInt8]) -> String? {
    var start = 0
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
    let head = bytes[start..<min(bytes.count, start + 512)]
    guard head.starts(with: Array("<?xml".utf8)), let end = head.firstIndex(of: UInt8(ascii: ">")) else {
      return nil
    }
    let declaration = String(decoding: head[head.startIndex..<end], as: UTF8.self)
    guard let range = declaration.range(of: #"encoding\s*=\s*["']([^"']*)["']"#, options: .regularExpression)
    else { return nil }
    let match = declaration[range]
    guard let open = match.firstIndex(where: { $0 == "\"" || $0 == "'" }) else { return nil }
    return String(match[match.index(after: open)..<match.index(before: match.endIndex)])
  }

  /// Turns libxml2's error into the distinct case a user can act on, keeping libxml2's own message.
  static func classify(code: Int, line: Int, message: String, file: String) -> AnnotationsError {
    if message.contains("Excessive depth") { return .tooDeep(file: file, line: line, message: message) }
    if message.contains("huge text node") || message.contains("text node too long")
      || message.contains("xmlSAX2Characters")
    {
      return .textTooLong(file: file, line: line, message: message)
    }
    if message.contains("Premature end of data") || code == Int(XML_ERR_TAG_NOT_FINISHED.rawValue)
      || code == Int(XML_ERR_DOCUMENT_END.rawValue) && message.contains("Extra content") == false
        && message.contains("end")
    {
      return .truncated(file: file, line: line, message: message)
    }
    return .malformedXML(file: file, line: line, message: message)
  }

  /// `<!DOCTYPE` anywhere, in any case, in single-byte or UTF-16 text.
  static func containsDoctype(_ bytes: [UInt8]) -> Bool {
    let ascii = bytes.filter { $0 != 0 }  // UTF-16 text loses its zero bytes
    let needle = Array("<!doctype".utf8)
    guard ascii.count >= needle.count else { return false }
    outer: for start in 0...(ascii.count - needle.count) where ascii[start] == 0x3C {
      for k in 1..<needle.count where (ascii[start + k] | 0x20) != needle[k] && ascii[start + k] != needle[k] {
        continue outer
      }
      return true
    }
    return false
  }

  static func element(_ node: xmlNodePtr, file: String, maxTextBytes: Int) throws -> XMLElementNode {
    var attributes: [XMLAttribute] = []
    var attribute = node.pointee.properties
    while let current = attribute {
      let name = String(cString: current.pointee.name)
      var value = ""
      if let content = xmlNodeGetContent(UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self)) {
        value = String(cString: content)
        dsk_xml_free(content)
      }
      attributes.append(XMLAttribute(name: name, value: value))
      attribute = current.pointee.next
    }
    var text = ""
    var textLine: Int?
    var children: [XMLElementNode] = []
    var child = node.pointee.children
    while let current = child {
      switch current.pointee.type {
      case XML_ELEMENT_NODE: children.append(try element(current, file: file, maxTextBytes: maxTextBytes))
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
        if let content = current.pointee.content {
          let length = strlen(UnsafeRawPointer(content).assumingMemoryBound(to: CChar.self))
          if length > maxTextBytes || text.utf8.count + length > maxTextBytes {
            throw AnnotationsError.textTooLong(
              file: file, line: Int(xmlGetLineNo(node)),
              message: "\(length) bytes in <\(String(cString: node.pointee.name))>, over the \(maxTextBytes)-byte limit"
            )
          }
          let piece = String(cString: content)
          let utf8 = piece.utf8
          if textLine == nil,
            let first = utf8.firstIndex(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D })
          {
            // libxml2 numbers a text node by the line where it ends; count back to its first word.
            let newlines = utf8.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let leading = utf8[..<first].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            textLine = max(1, Int(xmlGetLineNo(current)) - newlines + leading)
          }
          text += piece
        }
      default: break
      }
      child = current.pointee.next
    }
    return XMLElementNode(
      name: String(cString: node.pointee.name), attributes: attributes, text: text, children: children,
      line: Int(xmlGetLineNo(node)), textLine: textLine)
  }

  /// libxml2's runtime version number, e.g. "20914".
  public static var libraryVersion: String { String(cString: dsk_xml_runtime_version()) }
}
