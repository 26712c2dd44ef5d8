import Foundation

/// A box in pixels, LabelImg's convention: `xmin ≤ xmax`, `ymin ≤ ymax`, min ≥ 1 when LabelImg drew it,
/// max ≤ the image size.
public struct VOCBox: Sendable, Hashable, Codable {
  public var xmin: Double
  public var ymin: Double
  public var xmax: Double
  public var ymax: Double

  public init(xmin: Double, ymin: Double, xmax: Double, ymax: Double) {
    self.xmin = xmin
    self.ymin = ymin
    self.xmax = xmax
    self.ymax = ymax
  }

  /// The box as LabelImg would save it for an image of this size: clamped to the image, integer
  /// coordinates by truncation, mins at least 1 (`LabelFile.convert_points_to_bnd_box`).
  public func labelImgIntegers(width: Int, height: Int) -> VOCBox {
    func fit(_ value: Double, _ limit: Int) -> Double {
      Double(Int(max(0, min(Double(limit), value))))
    }
    return VOCBox(
      xmin: max(1, fit(xmin, width)), ymin: max(1, fit(ymin, height)),
      xmax: fit(xmax, width), ymax: fit(ymax, height))
  }
}

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
  public var name: String
  /// `<pose>`; nil when absent (written as LabelImg's "Unspecified").
  public var pose: String?
  /// `<truncated>` as written; nil means "derive it with LabelImg's rule" when writing.
  public var truncated: String?
  /// `<difficult>` as written; nil (old LabelImg files have none) is written as "0".
  public var difficult: String?
  public var box: VOCBox
  /// Attributes on `<object>`, kept verbatim.
  public var attributes: [XMLAttribute]
  /// Unknown children of `<object>` (`<occluded>`, `<attributes>`, …), kept verbatim.
  public var extras: [VOCExtra]
  /// Unknown children of `<bndbox>`, kept verbatim.
  public var boxExtras: [VOCExtra]
  /// The line of `<object>` in the file read (0 for objects made in code).
  public var line: Int

  public init(
    name: String, box: VOCBox, pose: String? = "Unspecified", truncated: String? = nil,
    difficult: String? = "0", attributes: [XMLAttribute] = [], extras: [VOCExtra] = [],
    boxExtras: [VOCExtra] = [], line: Int = 0
  ) {
    self.name = name
    self.box = box
    self.pose = pose
    self.truncated = truncated
    self.difficult = difficult
    self.attributes = attributes
    self.extras = extras
    self.boxExtras = boxExtras
    self.line = line
  }

  /// `difficult` as a flag: "1" (or any non-zero number) is difficult.
  public var isDifficult: Bool { (difficult.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 0) != 0 }
  /// `truncated` as a flag.
  public var isTruncated: Bool { (truncated.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 0) != 0 }
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
    Array(VOCWriter.text(of: element()).utf8)
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
  func labelImgTruncated(_ box: VOCBox) -> Bool {
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
    var out = ""
    write(root, depth: 0, into: &out)
    return out.replacingOccurrences(of: "  ", with: "\t")
  }

  /// A coordinate as LabelImg writes it: an integer, by truncation.
  static func coordinate(_ value: Double) -> String {
    guard value.isFinite, abs(value) < 1e15 else { return "0" }
    return String(Int(value))
  }

  /// Known children in their order, with each extra placed after the known element it followed.
  static func place(_ known: [(String, [XMLElementNode])], _ extras: [VOCExtra]) -> [XMLElementNode] {
    let knownNames = Set(known.map(\.0))
    var result = extras.filter { $0.after == nil || !knownNames.contains($0.after ?? "") }.map(\.element)
    for (name, elements) in known {
      result += elements
      result += extras.filter { $0.after == name }.map(\.element)
    }
    return result
  }

  static func write(_ element: XMLElementNode, depth: Int, into out: inout String) {
    let indent = String(repeating: "  ", count: depth)
    out += indent
    out += open(element)
    let text = element.text
    if element.children.isEmpty {
      if text.isEmpty {
        out.removeLast()
        out += "/>\n"
      } else {
        out += escapeText(text) + "</\(element.name)>\n"
      }
    } else if !text.allSatisfy(\.isWhitespace) {
      // Mixed content: lxml does not indent inside it.
      out += escapeText(text)
      for child in element.children { compact(child, into: &out) }
      out += "</\(element.name)>\n"
    } else {
      out += "\n"
      for child in element.children { write(child, depth: depth + 1, into: &out) }
      out += indent + "</\(element.name)>\n"
    }
  }

  static func compact(_ element: XMLElementNode, into out: inout String) {
    out += open(element)
    if element.children.isEmpty && element.text.isEmpty {
      out.removeLast()
      out += "/>"
      return
    }
    out += escapeText(element.text)
    for child in element.children { compact(child, into: &out) }
    out += "</\(element.name)>"
  }

  static func open(_ element: XMLElementNode) -> String {
    var tag = "<" + element.name
    for attribute in element.attributes {
      tag += " \(attribute.name)=\"\(escapeAttribute(attribute.value))\""
    }
    return tag + ">"
  }

  /// libxml2's text escaping as lxml uses it: `&`, `<`, `>`, and CR as a character reference.
  static func escapeText(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\r": out += "&#13;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
  }

  static func escapeAttribute(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "\n": out += "&#10;"
      case "\r": out += "&#13;"
      case "\t": out += "&#9;"
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out
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
    var out = ""
    VOCWriter.compact(root, into: &out)
    return out
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
