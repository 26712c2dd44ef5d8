import Catalog
import Foundation
import Testing

@testable import Annotations

@Suite("VOC read and write")
struct VOCRoundTripTests {
  @Test("every LabelImg raccoon file reads and writes back to identical bytes")
  func raccoonByteForByte() throws {
    let files = TestData.files("labelimg-raccoon")
    #expect(files.count == 7)
    for file in files {
      let bytes = try TestData.bytes(file)
      let result = VOCReader.read(bytes, file: file.lastPathComponent)
      let document = try #require(result.document, "\(file.lastPathComponent): \(result.findings)")
      #expect(document.bytes() == bytes, "\(file.lastPathComponent) differs")
      #expect(result.dialect == "labelimg")
      #expect(result.findings.isEmpty, "\(result.findings)")
    }
  }

  @Test("raccoon-37 keeps verified=\"no\"; the others are verified")
  func verifiedAttribute() throws {
    let old = try VOCReader.document(
      TestData.bytes(TestData.root.appendingPathComponent("labelimg-raccoon/annotations/raccoon-37.xml")), file: "37")
    #expect(old.verified == false)
    #expect(old.attributes == [XMLAttribute(name: "verified", value: "no")])
    let new = try VOCReader.document(
      TestData.bytes(TestData.root.appendingPathComponent("labelimg-raccoon/annotations/raccoon-12.xml")), file: "12")
    #expect(new.verified)
    #expect(new.objects.count == 2)
    #expect(new.objects[1].box.labeled(nil) == Box(xmin: 85, ymin: 33, xmax: 235, ymax: 193))
  }

  @Test("the Kaggle face-mask files read: stray text warned, edge boxes clamped")
  func faceMaskDialect() throws {
    let files = TestData.files("voc-facemask")
    #expect(files.count == 23)
    var classes: [String: Int] = [:]
    var clamped: [String] = []
    for file in files {
      let result = VOCReader.read(try TestData.bytes(file), file: file.lastPathComponent)
      let document = try #require(result.document, "\(file.lastPathComponent): \(result.findings)")
      #expect(result.dialect == "other")
      #expect(result.findings.contains { $0.code == "dialect" && $0.message.contains("4-space indent") })
      for object in document.objects {
        classes[object.name, default: 0] += 1
        #expect(object.extras.map(\.element.name) == ["occluded"])
        #expect(object.box.xmax <= Double(document.size?.width ?? 0))
        #expect(object.box.ymax <= Double(document.size?.height ?? 0))
      }
      if result.findings.contains(where: { $0.code == "clamped" }) { clamped.append(file.lastPathComponent) }
      if file.lastPathComponent == "maksssksksss0.xml" {
        let stray = try #require(result.findings.first { $0.code == "stray-text" })
        #expect(stray.severity == .warning)
        #expect(stray.line == 22)
        #expect(stray.message.contains("maksssksksss17.xml"))
        #expect(document.objects.count == 3)
      }
    }
    #expect(classes == ["with_mask": 90, "without_mask": 20, "mask_weared_incorrect": 6])
    #expect(clamped == ["maksssksksss231.xml", "maksssksksss251.xml", "maksssksksss501.xml"])
  }

  @Test("a face-mask file written as LabelImg keeps <occluded> in its place and reads back the same")
  func foreignWrittenAsLabelImg() throws {
    let text = """

      <annotation>
          <folder>images</folder>
          <filename>a.png</filename>
          <size>
              <width>400</width>
              <height>249</height>
              <depth>3</depth>
          </size>
          <segmented>0</segmented>
          <object>
              <name>with_mask</name>
              <pose>Unspecified</pose>
              <truncated>0</truncated>
              <occluded>0</occluded>
              <difficult>0</difficult>
              <bndbox>
                  <xmin>392</xmin>
                  <ymin>86</ymin>
                  <xmax>401</xmax>
                  <ymax>106</ymax>
              </bndbox>
          </object>
      </annotation>

      """
    let document = try VOCReader.document(Array(text.utf8), file: "a.xml")
    let written = String(decoding: document.bytes(), as: UTF8.self)
    #expect(written.hasPrefix("<annotation>\n\t<folder>images</folder>\n"))
    #expect(
      written.contains("\t\t<truncated>0</truncated>\n\t\t<occluded>0</occluded>\n\t\t<difficult>0</difficult>\n"))
    #expect(written.contains("<xmax>400</xmax>"))
    let again = VOCReader.read(document.bytes(), file: "b.xml")
    #expect(again.document?.objects.map(\.box) == document.objects.map(\.box))
    #expect(again.document?.objects.map(\.name) == document.objects.map(\.name))
    #expect(again.dialect == "labelimg")
  }

  @Test("LabelImg's golden sample from its own tests is written exactly")
  func goldenSample() throws {
    var document = VOCDocument.labelImg(
      folder: "tests", filename: "test", path: "tests/test.512.512.bmp", width: 512, height: 512, depth: 1)
    document.objects = [
      VOCObject(name: "person", box: Box(xmin: 60, ymin: 40, xmax: 430, ymax: 504), difficult: "1"),
      VOCObject(name: "face", box: Box(xmin: 113, ymin: 40, xmax: 450, ymax: 403), difficult: "1"),
    ]
    let expected = """
      <annotation>
      \t<folder>tests</folder>
      \t<filename>test</filename>
      \t<path>tests/test.512.512.bmp</path>
      \t<source>
      \t\t<database>Unknown</database>
      \t</source>
      \t<size>
      \t\t<width>512</width>
      \t\t<height>512</height>
      \t\t<depth>1</depth>
      \t</size>
      \t<segmented>0</segmented>
      \t<object>
      \t\t<name>person</name>
      \t\t<pose>Unspecified</pose>
      \t\t<truncated>0</truncated>
      \t\t<difficult>1</difficult>
      \t\t<bndbox>
      \t\t\t<xmin>60</xmin>
      \t\t\t<ymin>40</ymin>
      \t\t\t<xmax>430</xmax>
      \t\t\t<ymax>504</ymax>
      \t\t</bndbox>
      \t</object>
      \t<object>
      \t\t<name>face</name>
      \t\t<pose>Unspecified</pose>
      \t\t<truncated>0</truncated>
      \t\t<difficult>1</difficult>
      \t\t<bndbox>
      \t\t\t<xmin>113</xmin>
      \t\t\t<ymin>40</ymin>
      \t\t\t<xmax>450</xmax>
      \t\t\t<ymax>403</ymax>
      \t\t</bndbox>
      \t</object>
      </annotation>

      """
    #expect(String(decoding: document.bytes(), as: UTF8.self) == expected)
  }

  @Test("LabelImg quirks: two spaces become a tab, text escaped, empty text self-closed, truncated rule")
  func quirks() throws {
    var document = VOCDocument.labelImg(
      folder: "", filename: "a  b & <c>.jpg", path: "/x/a  b & <c>.jpg", width: 100, height: 80)
    document.objects = [
      VOCObject(name: "mask  worn", box: Box(xmin: 1, ymin: 10, xmax: 50, ymax: 60)),
      VOCObject(name: "x", box: Box(xmin: 5, ymin: 10, xmax: 50, ymax: 80)),
      VOCObject(name: "y", box: Box(xmin: 5.9, ymin: 10.2, xmax: 99.99, ymax: 70.5)),
    ]
    let text = String(decoding: document.bytes(), as: UTF8.self)
    #expect(text.contains("\t<folder/>\n"))
    #expect(text.contains("<filename>a\tb &amp; &lt;c&gt;.jpg</filename>"))
    #expect(text.contains("<name>mask\tworn</name>"))
    #expect(!text.contains("<?xml"))
    #expect(text.hasSuffix("</annotation>\n"))
    let truncated = text.components(separatedBy: "<truncated>").dropFirst().map { String($0.prefix(1)) }
    #expect(truncated == ["1", "1", "0"])
    #expect(text.contains("<xmin>5</xmin>\n\t\t\t<ymin>10</ymin>\n\t\t\t<xmax>99</xmax>\n\t\t\t<ymax>70</ymax>"))
    // Reading that back and writing again is stable.
    let again = try VOCReader.document(document.bytes(), file: "q.xml")
    #expect(again.bytes() == document.bytes())
  }

  @Test("older LabelImg: 2-space indent, verified=\"no\", no <difficult>; floats; negative image")
  func oldEras() throws {
    let old = """
      <annotation verified="no">
        <folder>imgs</folder>
        <filename>dog.jpg</filename>
        <path>C:\\Users\\me\\imgs\\dog.jpg</path>
        <source>
          <database>Unknown</database>
        </source>
        <size>
          <width>640</width>
          <height>480</height>
          <depth>3</depth>
        </size>
        <segmented>0</segmented>
        <object>
          <name>dog</name>
          <pose>Unspecified</pose>
          <truncated>0</truncated>
          <bndbox>
            <xmin>12.7</xmin>
            <ymin>20.2</ymin>
            <xmax>300.5</xmax>
            <ymax>400</ymax>
          </bndbox>
        </object>
      </annotation>

      """
    let result = VOCReader.read(Array(old.utf8), file: "dog.xml")
    let document = try #require(result.document)
    #expect(document.objects[0].difficult == nil)
    #expect(document.objects[0].box.labeled(nil) == Box(xmin: 12.7, ymin: 20.2, xmax: 300.5, ymax: 400))
    #expect(result.findings.contains { $0.code == "dialect" && $0.message.contains("2-space indent") })
    #expect(result.findings.contains { $0.message.contains("no <difficult>") })
    let written = String(decoding: document.bytes(), as: UTF8.self)
    #expect(written.contains("\t\t<difficult>0</difficult>"))
    #expect(written.contains("<xmin>12</xmin>"))

    let negative =
      "<annotation>\n\t<filename>empty.jpg</filename>\n\t<size><width>10</width><height>10</height></size>\n</annotation>\n"
    let empty = try VOCReader.document(Array(negative.utf8), file: "n.xml")
    #expect(empty.objects.isEmpty)
    #expect(empty.filename == "empty.jpg")
  }

  @Test("unknown elements and attributes anywhere are kept verbatim")
  func unknownKept() throws {
    let text = """
      <annotation verified="yes" tool="cvat">
      \t<folder>VOC2007</folder>
      \t<filename>000001.jpg</filename>
      \t<source>
      \t\t<database>The VOC2007 Database</database>
      \t\t<annotation>PASCAL VOC2007</annotation>
      \t\t<flickrid>341012865</flickrid>
      \t</source>
      \t<owner>
      \t\t<name>Fried Camels</name>
      \t</owner>
      \t<size>
      \t\t<width>353</width>
      \t\t<height>500</height>
      \t\t<depth>3</depth>
      \t</size>
      \t<segmented>0</segmented>
      \t<object id="7">
      \t\t<name>dog</name>
      \t\t<pose>Left</pose>
      \t\t<truncated>1</truncated>
      \t\t<difficult>0</difficult>
      \t\t<bndbox>
      \t\t\t<xmin>48</xmin>
      \t\t\t<ymin>240</ymin>
      \t\t\t<xmax>195</xmax>
      \t\t\t<ymax>371</ymax>
      \t\t\t<score>0.9</score>
      \t\t</bndbox>
      \t\t<attributes>
      \t\t\t<attribute name="color">brown</attribute>
      \t\t</attributes>
      \t</object>
      </annotation>

      """
    let result = VOCReader.read(Array(text.utf8), file: "000001.xml")
    let document = try #require(result.document)
    #expect(document.bytes() == Array(text.utf8))
    #expect(result.dialect == "labelimg")
    #expect(result.findings.filter { $0.code == "unknown-element" }.count == 3)
  }
}
