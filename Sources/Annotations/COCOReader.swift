import Catalog
import Foundation

/// One COCO annotation as found: its box (when it gives one) and what it says besides (provenance).
public struct COCOAnnotation: Sendable, Equatable {
  /// The annotation's `id` in the file.
  public var id: Int
  /// The category's name (the class as found).
  public var className: String
  /// `bbox` as written: x, y (top-left), width, height, in pixels.
  public var bbox: [Double]
  /// The box in pixels (clamped to the image when it passed the edge by a few pixels); nil for a crowd
  /// region (`iscrowd: 1`), which is kept as provenance, never as a box.
  public var box: Box?
  public var isCrowd: Bool
  public var area: Double?
  /// `segmentation` as written (JSON text), nil when absent or over `COCOReaderOptions.maxSegmentationBytes`.
  public var segmentation: String?
}

/// One entry of `images` with its annotations, in file order.
public struct COCOImageEntry: Sendable, Equatable {
  public var id: Int
  /// `file_name` as written.
  public var fileName: String
  public var width: Int
  public var height: Int
  public var annotations: [COCOAnnotation] = []
}

/// What a COCO detection file holds once read: its images with their annotations, and every entry that
/// could not be used (with why). Nothing here has touched the catalog.
public struct COCODocument: Sendable {
  public var categories: [Int: String] = [:]
  public var images: [COCOImageEntry] = []
  /// Entries refused (an annotation, an image, a category), as `images[3]: reason` (the caller names the file).
  public var problems: [String] = []
  /// Boxes clamped to their image (a few pixels past the edge).
  public var warnings: [String] = []
  public var annotationCount = 0
}

/// Limits of the COCO reader.
public struct COCOReaderOptions: Sendable {
  /// Files larger than this are refused before parsing (the whole file is parsed in memory, about ten
  /// times its size; COCO 2017's instances_train2017.json is 448 MB, so split such a file first).
  public var maxBytes = 256 << 20
  /// A `segmentation` larger than this (as JSON text) is not kept (its box still is).
  public var maxSegmentationBytes = 64 << 10
  /// A box may pass the image edge by this many pixels (or `edgeFraction` of the side, if larger) and
  /// is clamped with a warning; further out it is refused (the same rule as VOC).
  public var edgePixels = 4.0
  public var edgeFraction = 0.02
  /// The largest side `images[].width/height` may state.
  public var maxSide = 1 << 20

  public init() {}
}

/// Reads a COCO object-detection file (`images`, `annotations`, `categories`): tolerant of what it does
/// not use, strict about every number. Ids must be integers; a repeated image or category id makes every
/// entry using it ambiguous (refused); a repeated annotation id keeps the first. `bbox` must be four
/// finite numbers with x, y ≥ 0 and width, height > 0, inside the stated image size (a few pixels over
/// are clamped). `file_name` may not be absolute or climb out with `..`. A missing `categories` list
/// refuses the file: the classes would be guessed.
public enum COCOReader {
  /// Reads the file at `path` (`size` bytes as found by the walk; `display` names it in messages).
  public static func read(
    path: [UInt8], size: Int64, display: String, options: COCOReaderOptions = COCOReaderOptions()
  ) throws -> COCODocument {
    guard size <= Int64(options.maxBytes) else {
      throw AnnotationsError.invalid(
        file: display, line: nil,
        message:
          "\(size) bytes is over the \(options.maxBytes >> 20) MB limit for a COCO file (it is parsed in memory); split it by image, e.g. one file per subset"
      )
    }
    return try read(try FileIO.read(path: path, limit: options.maxBytes), file: display, options: options)
  }

  public static func read(_ bytes: [UInt8], file: String, options: COCOReaderOptions = COCOReaderOptions()) throws
    -> COCODocument
  {
    guard bytes.count <= options.maxBytes else {
      throw AnnotationsError.tooLarge(file: file, size: bytes.count, limit: options.maxBytes)
    }
    let root: Any
    do {
      root = try JSONSerialization.jsonObject(with: Data(bytes))
    } catch {
      throw AnnotationsError.invalid(file: file, line: nil, message: "not JSON (\(error.localizedDescription))")
    }
    guard let top = root as? [String: Any] else {
      throw AnnotationsError.invalid(file: file, line: nil, message: "not a COCO file: the top level is not an object")
    }
    guard let images = top["images"] as? [Any] else {
      throw AnnotationsError.invalid(file: file, line: nil, message: "not a COCO file: no `images` list")
    }
    guard let categories = top["categories"] as? [Any] else {
      throw AnnotationsError.invalid(
        file: file, line: nil,
        message: "no `categories` list: a COCO detection file names its classes there; nothing imported")
    }
    let annotations = (top["annotations"] as? [Any]) ?? []
    if top["annotations"] != nil && top["annotations"] as? [Any] == nil {
      throw AnnotationsError.invalid(file: file, line: nil, message: "`annotations` is not a list")
    }
    var document = COCODocument()
    document.annotationCount = annotations.count

    // Categories: id → name; a repeated id is ambiguous and refused (its annotations too).
    var ambiguousCategories: Set<Int> = []
    for (position, raw) in categories.enumerated() {
      let at = "categories[\(position)]"
      guard let entry = raw as? [String: Any], let id = integer(entry["id"]) else {
        document.problems.append("\(at): no integer `id`; refused")
        continue
      }
      guard let name = entry["name"] as? String, !Catalog.className(name).isEmpty, name.utf8.count <= 255 else {
        document.problems.append("\(at): category \(id) has no usable `name` (a string of 1–255 bytes); refused")
        continue
      }
      if let earlier = document.categories[id] {
        if earlier != name {
          ambiguousCategories.insert(id)
          document.problems.append(
            "\(at): category id \(id) is used twice (\(earlier), \(name)); its annotations are refused")
        }
        continue
      }
      document.categories[id] = name
    }
    for id in ambiguousCategories { document.categories[id] = nil }

    // Images: id → entry; a repeated id is ambiguous (which file do its boxes belong to?) and refused.
    var imageIndex: [Int: Int] = [:]
    var ambiguousImages: Set<Int> = []
    for (position, raw) in images.enumerated() {
      let at = "images[\(position)]"
      guard let entry = raw as? [String: Any], let id = integer(entry["id"]) else {
        document.problems.append("\(at): no integer `id`; refused")
        continue
      }
      guard let name = entry["file_name"] as? String else {
        document.problems.append("\(at): image \(id) has no `file_name`; refused")
        continue
      }
      if let reason = unsafeReason(name) {
        document.problems.append("\(at): image \(id) file_name \"\(shown(name))\" \(reason); refused")
        continue
      }
      guard let width = integer(entry["width"]), let height = integer(entry["height"]),
        (1...options.maxSide).contains(width), (1...options.maxSide).contains(height)
      else {
        document.problems.append(
          "\(at): image \(id) needs integer `width` and `height` in 1…\(options.maxSide); refused")
        continue
      }
      if imageIndex[id] != nil {
        ambiguousImages.insert(id)
        document.problems.append("\(at): image id \(id) is used twice; its annotations are refused")
        continue
      }
      imageIndex[id] = document.images.count
      document.images.append(COCOImageEntry(id: id, fileName: name, width: width, height: height))
    }

    // The first entry of a repeated id is as ambiguous as the others.
    if !ambiguousImages.isEmpty {
      document.images.removeAll { ambiguousImages.contains($0.id) }
      imageIndex = [:]
      for (position, entry) in document.images.enumerated() { imageIndex[entry.id] = position }
    }
    var seenAnnotations: Set<Int> = []
    for (position, raw) in annotations.enumerated() {
      let at = "annotations[\(position)]"
      guard let entry = raw as? [String: Any], let id = integer(entry["id"]) else {
        document.problems.append("\(at): no integer `id`; refused")
        continue
      }
      guard seenAnnotations.insert(id).inserted else {
        document.problems.append("\(at): annotation id \(id) is used twice; the first is kept")
        continue
      }
      guard let imageID = integer(entry["image_id"]), let index = imageIndex[imageID] else {
        let imageID = integer(entry["image_id"])
        let why =
          imageID.map {
            ambiguousImages.contains($0)
              ? "names image \($0), whose id is used twice" : "names image \($0), which `images` lacks"
          }
          ?? "has no integer `image_id`"
        document.problems.append("\(at): annotation \(id) \(why); refused")
        continue
      }
      guard let categoryID = integer(entry["category_id"]), let className = document.categories[categoryID] else {
        let categoryID = integer(entry["category_id"])
        document.problems.append(
          "\(at): annotation \(id) "
            + (categoryID.map { "names category \($0), which `categories` lacks or holds twice" }
              ?? "has no integer `category_id`") + "; refused")
        continue
      }
      let crowdValue = entry["iscrowd"].map { integer($0) } ?? 0
      guard let crowd = crowdValue, crowd == 0 || crowd == 1 else {
        document.problems.append("\(at): annotation \(id) `iscrowd` is not 0 or 1; refused")
        continue
      }
      var area: Double?
      if let raw = entry["area"] {
        guard let value = number(raw), value >= 0 else {
          document.problems.append("\(at): annotation \(id) `area` is not a finite number ≥ 0; refused")
          continue
        }
        area = value
      }
      var segmentation: String?
      if let raw = entry["segmentation"], JSONSerialization.isValidJSONObject([raw]),
        let data = try? JSONSerialization.data(withJSONObject: raw, options: [.sortedKeys, .fragmentsAllowed])
      {
        if data.count <= options.maxSegmentationBytes {
          segmentation = String(decoding: data, as: UTF8.self)
        } else {
          document.warnings.append(
            "\(at): annotation \(id) segmentation of \(data.count) bytes is over \(options.maxSegmentationBytes) bytes; not kept"
          )
        }
      }
      guard let list = entry["bbox"] as? [Any], list.count == 4 else {
        document.problems.append("\(at): annotation \(id) `bbox` is not a list of 4 numbers; refused")
        continue
      }
      let values = list.compactMap(number)
      guard values.count == 4 else {
        document.problems.append("\(at): annotation \(id) `bbox` holds something that is not a finite number; refused")
        continue
      }
      let image = document.images[index]
      var annotation = COCOAnnotation(
        id: id, className: className, bbox: values, box: nil, isCrowd: crowd == 1, area: area,
        segmentation: segmentation)
      if crowd == 0 {
        switch box(values, width: image.width, height: image.height, options: options) {
        case .success(let result):
          annotation.box = result.box
          if result.clamped {
            document.warnings.append(
              "\(at): \(className) bbox [\(values.map(show).joined(separator: ","))] passes the edge of the \(image.width)×\(image.height) image; clamped to \(show(result.box.xmax)),\(show(result.box.ymax))"
            )
          }
        case .failure(let problem):
          document.problems.append("\(at): annotation \(id) \(className) bbox \(problem.reason); refused")
          continue
        }
      }
      document.images[index].annotations.append(annotation)
    }
    return document
  }

  struct BoxProblem: Error { var reason: String }

  /// COCO `[x, y, w, h]` → a pixel box (`xmin = x`, `xmax = x + w`: the inverse of the COCO export).
  static func box(_ values: [Double], width: Int, height: Int, options: COCOReaderOptions) -> Result<
    (box: Box, clamped: Bool), BoxProblem
  > {
    let (x, y, w, h) = (values[0], values[1], values[2], values[3])
    let shownBox = values.map(show).joined(separator: ",")
    guard x >= 0, y >= 0 else { return .failure(BoxProblem(reason: "[\(shownBox)] starts at a negative coordinate")) }
    guard w > 0, h > 0 else { return .failure(BoxProblem(reason: "[\(shownBox)] has no width or height")) }
    let imageWidth = Double(width)
    let imageHeight = Double(height)
    let xmax = x + w
    let ymax = y + h
    let slackX = max(options.edgePixels, options.edgeFraction * imageWidth)
    let slackY = max(options.edgePixels, options.edgeFraction * imageHeight)
    guard xmax.isFinite, ymax.isFinite, x < imageWidth, y < imageHeight, xmax <= imageWidth + slackX,
      ymax <= imageHeight + slackY
    else {
      return .failure(BoxProblem(reason: "[\(shownBox)] lies outside the \(width)×\(height) image"))
    }
    let box = Box(xmin: x, ymin: y, xmax: min(xmax, imageWidth), ymax: min(ymax, imageHeight))
    return .success((box, xmax > imageWidth || ymax > imageHeight))
  }

  /// Why a `file_name` may not be used (absolute, climbing out, control characters), nil when it may.
  static func unsafeReason(_ name: String) -> String? {
    if name.isEmpty { return "is empty" }
    if name.utf8.count > 4096 { return "is over 4096 bytes" }
    if name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
      return "holds control characters"
    }
    if name.hasPrefix("/") || name.hasPrefix("\\") || name.hasPrefix("~")
      || (name.count > 1 && name.dropFirst().first == ":")
    {
      return "is an absolute path (names are looked up inside the dataset folder only)"
    }
    let parts = name.split(whereSeparator: { $0 == "/" || $0 == "\\" })
    if parts.contains("..") { return "climbs out of the dataset folder with `..`" }
    return nil
  }

  /// An integer id or size: a JSON integer (or a float with no fraction) within ±2^53; not a Bool.
  static func integer(_ value: Any?) -> Int? {
    if let number = value as? NSNumber {
      if isBool(number) { return nil }
      let double = number.doubleValue
      guard double.isFinite, double == double.rounded(), abs(double) <= 9_007_199_254_740_992 else { return nil }
      return Int(double)
    }
    return nil
  }

  /// A finite number; not a Bool, a string, or null.
  static func number(_ value: Any) -> Double? {
    guard let number = value as? NSNumber, !isBool(number) else { return nil }
    let double = number.doubleValue
    return double.isFinite ? double : nil
  }

  package static func show(_ value: Double) -> String {
    value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
  }

  package static func shown(_ text: String) -> String {
    let cleaned = String(
      String.UnicodeScalarView(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : $0 }))
    return cleaned.count > 80 ? String(cleaned.prefix(80)) + "…" : cleaned
  }
}

/// True when `number` came from a JSON `true` / `false`: Foundation on Linux bridges both to NSNumber (and
/// `is Bool` holds for the integers 0 and 1 too), but only booleans have the Objective-C type `c`.
private func isBool(_ number: NSNumber) -> Bool {
  String(cString: number.objCType) == "c"
}

/// How a COCO file's `file_name` finds its image inside the dataset folder.
public enum COCOLayout {
  /// The relative path of the image `fileName` names, among `index` only (never outside the root): the
  /// name as a path from the root, from the JSON's folder, from the folder above it and from an `images/`
  /// folder there; then the bare name alone, as VOC looks it up (a unique match anywhere).
  public static func resolve(fileName: String, jsonPath: String, index: VOCLayout.FileIndex) -> VOCLayout.Resolution {
    let relative = fileName.replacingOccurrences(of: "\\", with: "/").split(separator: "/").filter { $0 != "." }
      .joined(separator: "/")
    let folder = VOCLayout.folder(of: jsonPath)
    let parent = VOCLayout.folder(of: folder)
    var bases = ["", folder, parent] + VOCLayout.imageFolders.map { VOCLayout.join(parent, $0) }
    bases += VOCLayout.imageFolders
    var tried: Set<String> = []
    for base in bases {
      let path = VOCLayout.join(base, relative)
      guard tried.insert(path).inserted else { continue }
      if let hit = index.exact(path) ?? index.caseInsensitive(path) { return .found(hit, note: nil) }
    }
    let bare = VOCLayout.lastComponent(relative)
    var anywhere = (index.byName[bare] ?? []).filter(VOCLayout.isImageName)
    if anywhere.isEmpty {
      anywhere = index.lowercasedPaths.filter { VOCLayout.lastComponent($0.key) == bare.lowercased() }
        .flatMap(\.value).filter(VOCLayout.isImageName)
    }
    anywhere = Array(Set(anywhere)).sorted()
    if anywhere.count == 1 { return .found(anywhere[0], note: "found \"\(fileName)\" by its name at \(anywhere[0])") }
    if anywhere.count > 1 { return .ambiguous(lookedFor: fileName, candidates: anywhere) }
    return .missing(lookedFor: fileName, note: nil)
  }

  /// True when a relative path looks like a COCO annotation file (`instances_*.json`, a JSON with `coco` in
  /// its name, or a JSON in an `annotations/` folder).
  public static func isAnnotationFile(_ path: String) -> Bool {
    let lower = path.lowercased()
    guard lower.hasSuffix(".json") else { return false }
    let name = VOCLayout.lastComponent(lower)
    let folder = VOCLayout.lastComponent(VOCLayout.folder(of: lower))
    return name.hasPrefix("instances") || name.contains("coco") || folder == "annotations"
  }
}
