import Catalog
import Foundation
import Ingest

/// YOLO (Ultralytics / LabelImg): `class x_center y_center width height`, normalised, one line per box.
public enum YOLOFormat {
  /// One label line, exactly as LabelImg writes it (`%d %.6f %.6f %.6f %.6f\n`), the box clamped to the image.
  public static func line(classIndex: Int, box: Box, width: Int, height: Int) -> String {
    let b = COCOFile.clamp(box, width: width, height: height)
    let w = Double(max(width, 1))
    let h = Double(max(height, 1))
    return String(
      format: "%d %.6f %.6f %.6f %.6f\n", classIndex, (b.xmin + b.xmax) / 2 / w, (b.ymin + b.ymax) / 2 / h,
      (b.xmax - b.xmin) / w, (b.ymax - b.ymin) / h)
  }

  /// A normalised `cx cy w h` box in pixels of a `imageWidth`×`imageHeight` image, clamped to the image.
  /// `rounded`: to whole pixels as LabelImg reads YOLO files (`round()` of Python, half to even).
  public static func pixelBox(
    centerX: Double, centerY: Double, width: Double, height: Double, imageWidth: Int, imageHeight: Int,
    rounded: Bool = false
  ) -> Box {
    let scale = { (value: Double, side: Int) -> Double in
      rounded ? (value * Double(side)).rounded(.toNearestOrEven) : value * Double(side)
    }
    return Box(
      xmin: scale(max(centerX - width / 2, 0), imageWidth), ymin: scale(max(centerY - height / 2, 0), imageHeight),
      xmax: scale(min(centerX + width / 2, 1), imageWidth), ymax: scale(min(centerY + height / 2, 1), imageHeight))
  }

  /// A YAML scalar in double quotes.
  package static func quote(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\x%02X", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }

  /// Reads a YOLO export back: `classes.txt`, `labels/<subset>/*.txt`, and the image sizes from
  /// `images/<subset>/` headers. Returns boxes in pixels by image file name.
  public static func read(root: String, subset: String) throws -> [String: [Box]] {
    let classes = LabelText.lines(
      try LabelText.decode(
        try FileIO.read(path: Array((root + "/classes.txt").utf8), limit: 1 << 20), path: root + "/classes.txt")
    ).map(\.text).filter { !$0.isEmpty }
    let imageFolder = root + "/images/" + subset
    var result: [String: [Box]] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: imageFolder).sorted() {
      let bytes = try FileIO.read(path: Array((imageFolder + "/" + name).utf8), limit: 1 << 30)
      guard case .image(_, let width, let height, _) = ImageHeader.sniff(bytes) else {
        throw AnnotationsError.invalid(file: imageFolder + "/" + name, line: nil, message: "not an image")
      }
      let stem = name.lastIndex(of: ".").map { String(name[..<$0]) } ?? name
      let labelPath = root + "/labels/" + subset + "/" + stem + ".txt"
      let text = (try? String(contentsOfFile: labelPath, encoding: .utf8)) ?? ""
      var boxes: [Box] = []
      for (number, line) in text.split(separator: "\n").enumerated() {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 5, let index = Int(fields[0]), index >= 0, index < classes.count,
          let xc = Double(fields[1]), let yc = Double(fields[2]), let w = Double(fields[3]), let h = Double(fields[4])
        else {
          throw AnnotationsError.invalid(file: labelPath, line: number + 1, message: "not a YOLO line: \(line)")
        }
        boxes.append(
          pixelBox(centerX: xc, centerY: yc, width: w, height: h, imageWidth: width, imageHeight: height)
            .labeled(classes[index]))
      }
      result[name] = boxes
    }
    return result
  }
}

/// A COCO detection file (the subset of the format datasetkit writes and reads).
public struct COCOFile: Codable, Sendable {
  // swift-format-ignore: AlwaysUseLowerCamelCase
  // COCO's own field names, encoded as they are.
  public struct Info: Codable, Sendable {
    public var description: String
    public var version: String
    public var year: Int
    public var contributor: String
    public var date_created: String

    public init(description: String, version: String, year: Int, contributor: String, date_created: String) {
      self.description = description
      self.version = version
      self.year = year
      self.contributor = contributor
      self.date_created = date_created
    }
  }

  public struct License: Codable, Sendable {
    public var id: Int
    public var name: String
    public var url: String

    public init(id: Int, name: String, url: String) {
      self.id = id
      self.name = name
      self.url = url
    }
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  // COCO's own field names, encoded as they are.
  public struct Image: Codable, Sendable {
    public var id: Int
    public var file_name: String
    public var width: Int
    public var height: Int
    public var license: Int?

    public init(id: Int, file_name: String, width: Int, height: Int, license: Int?) {
      self.id = id
      self.file_name = file_name
      self.width = width
      self.height = height
      self.license = license
    }
  }

  // swift-format-ignore: AlwaysUseLowerCamelCase
  // COCO's own field names, encoded as they are.
  public struct Annotation: Codable, Sendable {
    public var id: Int
    public var image_id: Int
    public var category_id: Int
    /// x, y (top-left), width, height in pixels.
    public var bbox: [Double]
    public var area: Double
    public var iscrowd: Int
    public var segmentation: [[Double]]

    public init(
      id: Int, image_id: Int, category_id: Int, bbox: [Double], area: Double, iscrowd: Int, segmentation: [[Double]]
    ) {
      self.id = id
      self.image_id = image_id
      self.category_id = category_id
      self.bbox = bbox
      self.area = area
      self.iscrowd = iscrowd
      self.segmentation = segmentation
    }
  }

  public struct Category: Codable, Sendable {
    public var id: Int
    public var name: String
    public var supercategory: String

    public init(id: Int, name: String, supercategory: String) {
      self.id = id
      self.name = name
      self.supercategory = supercategory
    }
  }

  public var info: Info
  public var licenses: [License]
  public var images: [Image]
  public var annotations: [Annotation]
  public var categories: [Category]

  public init(info: Info, licenses: [License], images: [Image], annotations: [Annotation], categories: [Category]) {
    self.info = info
    self.licenses = licenses
    self.images = images
    self.annotations = annotations
    self.categories = categories
  }

  /// The box inside the image (COCO and Create ML have no notion of a box past the edge).
  package static func clamp(_ box: Box, width: Int, height: Int) -> Box {
    let w = Double(width)
    let h = Double(height)
    return Box(
      xmin: min(max(box.xmin, 0), w), ymin: min(max(box.ymin, 0), h), xmax: min(max(box.xmax, 0), w),
      ymax: min(max(box.ymax, 0), h))
  }

  /// Reads a COCO file back: boxes in pixels by image file name.
  public static func read(path: String) throws -> [String: [Box]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    let file = try JSONDecoder().decode(COCOFile.self, from: data)
    var categories: [Int: String] = [:]
    for category in file.categories where categories.updateValue(category.name, forKey: category.id) != nil {
      throw AnnotationsError.invalid(file: path, line: nil, message: "two categories have id \(category.id)")
    }
    var images: [Int: String] = [:]
    for image in file.images where images.updateValue(image.file_name, forKey: image.id) != nil {
      throw AnnotationsError.invalid(file: path, line: nil, message: "two images have id \(image.id)")
    }
    var result: [String: [Box]] = [:]
    for image in file.images { result[image.file_name] = [] }
    for annotation in file.annotations {
      guard let name = images[annotation.image_id], let category = categories[annotation.category_id],
        annotation.bbox.count == 4
      else {
        throw AnnotationsError.invalid(
          file: path, line: nil, message: "annotation \(annotation.id) names no image or category")
      }
      let b = annotation.bbox
      result[name, default: []].append(
        Box(xmin: b[0], ymin: b[1], xmax: b[0] + b[2], ymax: b[1] + b[3], label: category))
    }
    return result
  }
}

/// Apple Create ML object detection: a JSON list of `{image, annotations: [{label, coordinates: {x, y,
/// width, height}}]}` with x, y the box centre (as LabelImg writes it).
public enum CreateMLFormat {
  public struct Coordinates: Codable, Sendable {
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double

    public init(x: Double, y: Double, width: Double, height: Double) {
      self.x = x
      self.y = y
      self.width = width
      self.height = height
    }
  }

  public struct Annotation: Codable, Sendable {
    public var label: String
    public var coordinates: Coordinates

    public init(label: String, coordinates: Coordinates) {
      self.label = label
      self.coordinates = coordinates
    }
  }

  public struct Entry: Codable, Sendable {
    public var image: String
    public var annotations: [Annotation]

    public init(image: String, annotations: [Annotation]) {
      self.image = image
      self.annotations = annotations
    }
  }

  /// Reads a Create ML file back: boxes in pixels by image file name.
  public static func read(path: String) throws -> [String: [Box]] {
    let entries = try JSONDecoder().decode([Entry].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    var result: [String: [Box]] = [:]
    for entry in entries {
      result[entry.image] = entry.annotations.map { a in
        let c = a.coordinates
        return Box(
          xmin: c.x - c.width / 2, ymin: c.y - c.height / 2, xmax: c.x + c.width / 2, ymax: c.y + c.height / 2,
          label: a.label)
      }
    }
    return result
  }
}
