import Foundation
import Testing

@testable import Annotations

@Suite("SafeXML: libxml2 without entities")
struct SafeXMLTests {
  let labelImg = """
    <annotation verified="yes">
    \t<folder>images</folder>
    \t<filename>raccoon-1.jpg</filename>
    \t<size>
    \t\t<width>650</width>
    \t\t<height>417</height>
    \t</size>
    \t<object>
    \t\t<name>raccoon</name>
    \t\t<bndbox><xmin>81</xmin><ymin>88</ymin><xmax>522</xmax><ymax>408</ymax></bndbox>
    \t</object>
    </annotation>

    """

  @Test("parses a LabelImg file into elements with attributes, text and line numbers")
  func parses() throws {
    let root = try SafeXML.parse(Array(labelImg.utf8), file: "raccoon-1.xml")
    #expect(root.name == "annotation")
    #expect(root.attributes.first?.name == "verified" && root.attributes.first?.value == "yes")
    #expect(root.child("filename")?.text == "raccoon-1.jpg")
    #expect(root.child("object")?.child("bndbox")?.child("xmax")?.text == "522")
    #expect(root.child("size")?.line == 4)
  }

  @Test("any DOCTYPE is refused before parsing: no entity is ever loaded")
  func doctypeRefused() {
    let xxe = """
      <?xml version="1.0"?>
      <!DOCTYPE annotation [<!ENTITY x SYSTEM "file:///etc/hostname">]>
      <annotation><filename>&x;</filename></annotation>
      """
    #expect(throws: AnnotationsError.doctypeNotAllowed(file: "x.xml")) {
      try SafeXML.parse(Array(xxe.utf8), file: "x.xml")
    }
    #expect(throws: AnnotationsError.doctypeNotAllowed(file: "y.xml")) {
      try SafeXML.parse(Array("<!doctype a SYSTEM \"http://127.0.0.1:1/x.dtd\"><a/>".utf8), file: "y.xml")
    }
  }

  @Test("malformed XML names the file and line; oversized files are refused unread")
  func malformed() {
    do {
      _ = try SafeXML.parse(Array("<annotation>\n<object>\n</size>\n</annotation>".utf8), file: "bad.xml")
      Issue.record("expected an error")
    } catch let error as AnnotationsError {
      guard case .malformedXML(let file, let line, _) = error else {
        Issue.record("wrong error \(error)")
        return
      }
      #expect(file == "bad.xml" && line == 3)
    } catch {
      Issue.record("wrong error \(error)")
    }
    #expect(throws: AnnotationsError.tooLarge(file: "big.xml", size: 100, limit: 10)) {
      try SafeXML.parse([UInt8](repeating: 0x20, count: 100), file: "big.xml", maxBytes: 10)
    }
  }
}
