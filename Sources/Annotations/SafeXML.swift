import CLibXML2
import Foundation

/// An XML element as read: name, attributes in document order, text and child elements.
public struct XMLElementNode: Sendable, Equatable {
  public var name: String
  public var attributes: [(name: String, value: String)]
  /// The element's own text (all direct text children, concatenated).
  public var text: String
  public var children: [XMLElementNode]
  /// The line libxml2 recorded for the start tag.
  public var line: Int

  public func child(_ name: String) -> XMLElementNode? { children.first { $0.name == name } }

  public static func == (lhs: XMLElementNode, rhs: XMLElementNode) -> Bool {
    lhs.name == rhs.name && lhs.text == rhs.text && lhs.children == rhs.children && lhs.line == rhs.line
      && lhs.attributes.map(\.name) == rhs.attributes.map(\.name)
      && lhs.attributes.map(\.value) == rhs.attributes.map(\.value)
  }
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

  public static func parse(_ bytes: [UInt8], file: String, maxBytes: Int = defaultMaxBytes) throws
    -> XMLElementNode
  {
    if bytes.count > maxBytes {
      throw AnnotationsError.tooLarge(file: file, size: bytes.count, limit: maxBytes)
    }
    if containsDoctype(bytes) { throw AnnotationsError.doctypeNotAllowed(file: file) }
    let options = Int32(XML_PARSE_NONET.rawValue | XML_PARSE_NOERROR.rawValue | XML_PARSE_NOWARNING.rawValue)
    guard let context = xmlNewParserCtxt() else {
      throw AnnotationsError.malformedXML(file: file, line: 0, message: "cannot create a parser")
    }
    defer { xmlFreeParserCtxt(context) }
    let document = bytes.withUnsafeBufferPointer { buffer in
      buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
        xmlCtxtReadMemory(context, $0, Int32(buffer.count), file, nil, options)
      }
    }
    guard let document else {
      if let error = xmlCtxtGetLastError(context) {
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown error"
        throw AnnotationsError.malformedXML(
          file: file, line: Int(error.pointee.line),
          message: message.trimmingCharacters(in: .whitespacesAndNewlines))
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
    return element(root)
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

  static func element(_ node: xmlNodePtr) -> XMLElementNode {
    var attributes: [(String, String)] = []
    var attribute = node.pointee.properties
    while let current = attribute {
      let name = String(cString: current.pointee.name)
      var value = ""
      if let content = xmlNodeGetContent(UnsafeMutableRawPointer(current).assumingMemoryBound(to: xmlNode.self)) {
        value = String(cString: content)
        dsk_xml_free(content)
      }
      attributes.append((name, value))
      attribute = current.pointee.next
    }
    var text = ""
    var children: [XMLElementNode] = []
    var child = node.pointee.children
    while let current = child {
      switch current.pointee.type {
      case XML_ELEMENT_NODE: children.append(element(current))
      case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
        if let content = current.pointee.content { text += String(cString: content) }
      default: break
      }
      child = current.pointee.next
    }
    return XMLElementNode(
      name: String(cString: node.pointee.name), attributes: attributes, text: text, children: children,
      line: Int(xmlGetLineNo(node)))
  }

  /// libxml2's runtime version number, e.g. "20914".
  public static var libraryVersion: String { String(cString: dsk_xml_runtime_version()) }
}
