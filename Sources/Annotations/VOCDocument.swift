import Catalog
import Foundation

/// An element the reader does not know, kept verbatim and written back after the known sibling it
/// followed (`after == nil`: first in its parent).
public struct VOCExtra: Sendable, Hashable {
  public var after: String?
  public var element: XMLElementNode

  public init(after: String?, element: XMLElementNode) {
    self.after = after
    self.element = element
  }
}

/// `<size>`: the image size the annotation was drawn on.
public struct VOCSize: Sendable, Hashable {
  public var width: Int
  public var height: Int
  /// `<depth>` as written ("3", "1"); nil when absent.
  public var depth: String?
  public var extras: [VOCExtra]

  public init(width: Int, height: Int, depth: String? = "3", extras: [VOCExtra] = []) {
    self.width = width
    self.height = height
    self.depth = depth
    self.extras = extras
  }
}

/// One `<object>`.
public struct VOCObject: Sendable, Hashable {
  /// `<name>` as written: the box's label.
  public var name: String {
    get { box.label ?? "" }
    set { box.label = newValue }
  }
  /// `<pose>`; nil when absent (written as LabelImg's "Unspecified").
  public var pose: String?
  /// `<truncated>` as written; nil means "derive it with LabelImg's rule" when writing.
  public var truncated: String?
  /// `<difficult>` as written; nil (old LabelImg files have none) is written as "0".
  public var difficult: String?
  /// The box, its label the object's `<name>`.
  public var box: Box
  /// Attributes on `<object>`, kept verbatim.
  public var attributes: [XMLAttribute]
  /// Unknown children of `<object>` (`<occluded>`, `<attributes>`, …), kept verbatim.
  public var extras: [VOCExtra]
  /// Unknown children of `<bndbox>`, kept verbatim.
  public var boxExtras: [VOCExtra]
  /// The line of `<object>` in the file read (0 for objects made in code).
  public var line: Int

  public init(
    name: String, box: Box, pose: String? = "Unspecified", truncated: String? = nil,
    difficult: String? = "0", attributes: [XMLAttribute] = [], extras: [VOCExtra] = [],
    boxExtras: [VOCExtra] = [], line: Int = 0
  ) {
    self.box = box.labeled(name)
    self.pose = pose
    self.truncated = truncated
    self.difficult = difficult
    self.attributes = attributes
    self.extras = extras
    self.boxExtras = boxExtras
    self.line = line
  }

  /// `difficult` as a flag: "1" (or any non-zero number) is difficult.
  public var isDifficult: Bool { (difficult.flatMap(VOCReader.number) ?? 0) != 0 }
  /// `truncated` as a flag.
  public var isTruncated: Bool { (truncated.flatMap(VOCReader.number) ?? 0) != 0 }
}

/// A Pascal VOC annotation file as LabelImg writes it, plus whatever else a file in the wild holds
/// (unknown elements and attributes are kept verbatim, so nothing is lost on the way back out).
///
/// Read one with `VOCReader.read`, write one with `bytes()`; a LabelImg file read and written back
/// gives the same bytes.
public struct VOCDocument: Sendable, Hashable {
  /// Attributes of `<annotation>` in order (`verified="yes"`, old files' `verified="no"`, others).
  public var attributes: [XMLAttribute]
  public var folder: String?
  public var filename: String?
  /// `<path>`: informational only, never used to find the image.
  public var path: String?
  /// `<source>` kept as a subtree (LabelImg writes `<database>Unknown</database>`; VOC2007 has more).
  public var source: XMLElementNode?
  public var size: VOCSize?
  public var segmented: String?
  public var objects: [VOCObject]
  /// Unknown children of `<annotation>` (`<owner>`, …), kept verbatim.
  public var extras: [VOCExtra]

  public init(
    attributes: [XMLAttribute] = [], folder: String? = nil, filename: String? = nil, path: String? = nil,
    source: XMLElementNode? = nil, size: VOCSize? = nil, segmented: String? = nil,
    objects: [VOCObject] = [], extras: [VOCExtra] = []
  ) {
    self.attributes = attributes
    self.folder = folder
    self.filename = filename
    self.path = path
    self.source = source
    self.size = size
    self.segmented = segmented
    self.objects = objects
    self.extras = extras
  }

  /// A new document shaped exactly like LabelImg's `PascalVocWriter` output.
  public static func labelImg(
    folder: String, filename: String, path: String?, width: Int, height: Int, depth: Int = 3,
    objects: [VOCObject] = [], verified: Bool = false
  ) -> VOCDocument {
    VOCDocument(
      attributes: verified ? [XMLAttribute(name: "verified", value: "yes")] : [], folder: folder,
      filename: filename, path: path, source: labelImgSource,
      size: VOCSize(width: width, height: height, depth: String(depth)), segmented: "0", objects: objects)
  }

  /// LabelImg's `<source><database>Unknown</database></source>`.
  public static let labelImgSource = XMLElementNode(
    name: "source", children: [XMLElementNode(name: "database", text: "Unknown")])

  /// `verified="yes"` on `<annotation>`; anything else, or no attribute, is not verified (as LabelImg reads it).
  public var verified: Bool {
    get { attributes.first { $0.name == "verified" }?.value == "yes" }
    set {
      attributes.removeAll { $0.name == "verified" }
      if newValue { attributes.insert(XMLAttribute(name: "verified", value: "yes"), at: 0) }
    }
  }

  /// The file as LabelImg writes it: no XML declaration, one tab per level (LabelImg pretty-prints with
  /// two spaces and then turns every two spaces into a tab, text included), `\n`, a final newline.
  public func bytes() -> [UInt8] {
    VOCWriter.bytes(of: element())
  }

  /// The element tree `bytes()` serialises, in LabelImg's order with extras in their places.
  public func element() -> XMLElementNode {
    var known: [(String, [XMLElementNode])] = []
    func leaf(_ name: String, _ text: String?) -> [XMLElementNode] {
      text.map { [XMLElementNode(name: name, text: $0)] } ?? []
    }
    known.append(("folder", leaf("folder", folder)))
    known.append(("filename", leaf("filename", filename)))
    known.append(("path", leaf("path", path)))
    known.append(("source", source.map { [$0] } ?? []))
    if let size {
      let children = VOCWriter.place(
        [
          ("width", leaf("width", String(size.width))), ("height", leaf("height", String(size.height))),
          ("depth", leaf("depth", size.depth)),
        ], size.extras)
      known.append(("size", [XMLElementNode(name: "size", children: children)]))
    } else {
      known.append(("size", []))
    }
    known.append(("segmented", leaf("segmented", segmented)))
    known.append(("object", objects.map { objectElement($0) }))
    return XMLElementNode(name: "annotation", attributes: attributes, children: VOCWriter.place(known, extras))
  }

  func objectElement(_ object: VOCObject) -> XMLElementNode {
    func leaf(_ name: String, _ text: String) -> [XMLElementNode] { [XMLElementNode(name: name, text: text)] }
    let box = object.box
    let coordinates = VOCWriter.place(
      [
        ("xmin", leaf("xmin", VOCWriter.coordinate(box.xmin))),
        ("ymin", leaf("ymin", VOCWriter.coordinate(box.ymin))),
        ("xmax", leaf("xmax", VOCWriter.coordinate(box.xmax))),
        ("ymax", leaf("ymax", VOCWriter.coordinate(box.ymax))),
      ], object.boxExtras)
    let derived = labelImgTruncated(box) ? "1" : "0"
    let children = VOCWriter.place(
      [
        ("name", leaf("name", object.name)),
        ("pose", leaf("pose", object.pose ?? "Unspecified")),
        ("truncated", leaf("truncated", object.truncated ?? derived)),
        ("difficult", leaf("difficult", object.difficult ?? "0")),
        ("bndbox", [XMLElementNode(name: "bndbox", children: coordinates)]),
      ], object.extras)
    return XMLElementNode(name: "object", attributes: object.attributes, children: children)
  }

  /// LabelImg's rule: truncated iff the box touches an edge (`ymax == height || ymin == 1 ||
  /// xmax == width || xmin == 1`, on integers).
  func labelImgTruncated(_ box: Box) -> Bool {
    let width = size?.width ?? -1
    let height = size?.height ?? -1
    return Int(box.ymax) == height || Int(box.ymin) == 1 || Int(box.xmax) == width || Int(box.xmin) == 1
  }
}

/// Serialises element trees the way LabelImg's `prettify` does (lxml `pretty_print`, then
/// `"  "` → `"\t"` over the whole text).
public enum VOCWriter {
  /// The whole file's text, ending in a newline.
  public static func text(of root: XMLElementNode) -> String {
    String(decoding: bytes(of: root), as: UTF8.self)
  }

  /// The whole file's bytes: pretty-printed with two spaces, then every two spaces made a tab.
  public static func bytes(of root: XMLElementNode) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(1024)
    write(root, depth: 0, into: &out)
    var tabbed: [UInt8] = []
    tabbed.reserveCapacity(out.count)
    var index = 0
    while index < out.count {
      if out[index] == 0x20, index + 1 < out.count, out[index + 1] == 0x20 {
        tabbed.append(0x09)
        index += 2
      } else {
        tabbed.append(out[index])
        index += 1
      }
    }
    return tabbed
  }

  /// A coordinate as LabelImg writes it: an integer, by truncation.
  static func coordinate(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return "0" }
    return String(Int(value))
  }

  /// Known children in their order, with each extra placed after the known element it followed.
  static func place(_ known: [(String, [XMLElementNode])], _ extras: [VOCExtra]) -> [XMLElementNode] {
    if extras.isEmpty { return known.flatMap(\.1) }
    let knownNames = Set(known.map(\.0))
    var result = extras.filter { $0.after == nil || !knownNames.contains($0.after ?? "") }.map(\.element)
    for (name, elements) in known {
      result += elements
      result += extras.filter { $0.after == name }.map(\.element)
    }
    return result
  }

  static func write(_ element: XMLElementNode, depth: Int, into out: inout [UInt8]) {
    for _ in 0..<depth { out += [0x20, 0x20] }
    open(element, into: &out)
    let text = element.text
    if element.children.isEmpty {
      if text.isEmpty {
        out.removeLast()
        out += Array("/>\n".utf8)
      } else {
        escape(text, attribute: false, into: &out)
        close(element, into: &out)
        out.append(0x0A)
      }
    } else if !VOCReader.isBlank(text) {
      // Mixed content: lxml does not indent inside it.
      escape(text, attribute: false, into: &out)
      for child in element.children { compact(child, into: &out) }
      close(element, into: &out)
      out.append(0x0A)
    } else {
      out.append(0x0A)
      for child in element.children { write(child, depth: depth + 1, into: &out) }
      for _ in 0..<depth { out += [0x20, 0x20] }
      close(element, into: &out)
      out.append(0x0A)
    }
  }

  static func compact(_ element: XMLElementNode, into out: inout [UInt8]) {
    open(element, into: &out)
    if element.children.isEmpty && element.text.isEmpty {
      out.removeLast()
      out += Array("/>".utf8)
      return
    }
    escape(element.text, attribute: false, into: &out)
    for child in element.children { compact(child, into: &out) }
    close(element, into: &out)
  }

  static func compact(_ element: XMLElementNode) -> String {
    var out: [UInt8] = []
    compact(element, into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  static func open(_ element: XMLElementNode, into out: inout [UInt8]) {
    out.append(0x3C)
    out += element.name.utf8
    for attribute in element.attributes {
      out.append(0x20)
      out += attribute.name.utf8
      out += [0x3D, 0x22]
      escape(attribute.value, attribute: true, into: &out)
      out.append(0x22)
    }
    out.append(0x3E)
  }

  static func close(_ element: XMLElementNode, into out: inout [UInt8]) {
    out += [0x3C, 0x2F]
    out += element.name.utf8
    out.append(0x3E)
  }

  /// libxml2's escaping as lxml uses it: in text `&`, `<`, `>` and CR; in attribute values also `"`,
  /// LF and TAB (as character references). Non-ASCII text stays raw UTF-8.
  static func escape(_ text: String, attribute: Bool, into out: inout [UInt8]) {
    for byte in text.utf8 {
      switch byte {
      case 0x26: out += Array("&amp;".utf8)
      case 0x3C: out += Array("&lt;".utf8)
      case 0x3E: out += Array("&gt;".utf8)
      case 0x0D: out += Array("&#13;".utf8)
      case 0x22 where attribute: out += Array("&quot;".utf8)
      case 0x0A where attribute: out += Array("&#10;".utf8)
      case 0x09 where attribute: out += Array("&#9;".utf8)
      default: out.append(byte)
      }
    }
  }
}

extension VOCObject {
  /// The object's attributes and unknown children as one compact XML string for the catalog's
  /// `boxes.extra_xml` (nil when there are none): `<object a="…"><after name="truncated">…</after>
  /// <box-after name="ymax">…</box-after></object>`.
  public var extraXML: String? {
    guard !attributes.isEmpty || !extras.isEmpty || !boxExtras.isEmpty else { return nil }
    func wrap(_ tag: String, _ extra: VOCExtra) -> XMLElementNode {
      XMLElementNode(
        name: tag, attributes: extra.after.map { [XMLAttribute(name: "name", value: $0)] } ?? [],
        children: [extra.element])
    }
    let root = XMLElementNode(
      name: "object", attributes: attributes,
      children: extras.map { wrap("after", $0) } + boxExtras.map { wrap("box-after", $0) })
    return VOCWriter.compact(root)
  }

  /// Restores what `extraXML` stored.
  public mutating func apply(extraXML: String) throws {
    let root = try SafeXML.parse(Array(extraXML.utf8), file: "boxes.extra_xml")
    attributes = root.attributes
    extras = []
    boxExtras = []
    for wrapper in root.children {
      guard let element = wrapper.children.first else { continue }
      let extra = VOCExtra(after: wrapper.attribute("name"), element: element)
      if wrapper.name == "box-after" { boxExtras.append(extra) } else { extras.append(extra) }
    }
  }
}
