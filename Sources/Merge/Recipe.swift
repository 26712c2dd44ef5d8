import Foundation
import Imaging
import Yams

/// A merge recipe (`datasetkit merge recipe.yaml`): sources, a class map, target views, quotas, a seed.
/// The JSON Schema is `schemas/recipe.schema.json`; every value keeps the recipe line it came from.
public struct Recipe: Sendable {
  public struct Source: Sendable {
    public var name: String
    /// Absolute: resolved against the recipe's folder.
    public var path: String
    public var layout: LayoutChoice = .auto
    public var license: String?
    /// Higher wins when two sources label the same bytes differently.
    public var priority = 0
    public var table = LabelTableOptions()
    public var patterns: [PatternRule] = []
    /// What the boxes of a VOC or YOLO source become.
    public var boxes = Boxes.majority
    /// How `boxes: crops` cuts them (AutoFace's `faces crop`); `originSourceID` is set at run time.
    public var crop = FaceCropOptions()
    public var line: Int
  }

  /// What the boxes of a VOC or YOLO source become in the views.
  public enum Boxes: String, Sendable, CaseIterable {
    /// The image, labelled by its boxes' majority class.
    case majority
    /// One crop image per box, labelled by the box's class; the whole images stay out of the views.
    case crops
  }

  /// What a found class becomes.
  public enum Mapping: Sendable, Equatable {
    /// This target class.
    case to(String)
    /// The label is discarded (the image may still be labelled by another source).
    case drop
    /// The image is left out of every view.
    case ignore
  }

  public struct View: Sendable {
    public var name: String
    /// The view's classes in order (no name twice: the recipe is refused).
    public var classes: [String] { didSet { classSet = Set(classes) } }
    /// `classes` as a set, for membership tests in time independent of the view's size.
    public private(set) var classSet: Set<String>
    /// Target class → view class (`incorrect: with_mask` folds it into the 2-class view).
    public var fold: [String: String] = [:]
    public var line: Int

    public init(name: String, classes: [String], fold: [String: String] = [:], line: Int) {
      self.name = name
      self.classes = classes
      classSet = Set(classes)
      self.fold = fold
      self.line = line
    }
  }

  public var path: String
  public var name: String
  public var seed: UInt64 = 0
  public var sources: [Source] = []
  public var classMap: [String: Mapping] = [:]
  public var classMapLines: [String: Int] = [:]
  public var views: [View] = []
  /// What to do with found classes the map does not name: refuse the merge (default) or drop them.
  public var dropUnmapped = false
  public var perClass: [String: Int] = [:]
  public var perSource: [String: Int] = [:]
  public var balance = false
  /// `tie_order`: target classes in the order that decides a majority tie (empty: the views' classes).
  public var explicitTieOrder: [String] = []

  /// The order that decides a majority tie: `tie_order` when given, else every view's classes in recipe
  /// order (the first view first), then the other target classes by name.
  public var tieOrder: [String] {
    var order: [String] = []
    var seen: Set<String> = []
    for name in explicitTieOrder + views.flatMap(\.classes) + targets.sorted() where seen.insert(name).inserted {
      order.append(name)
    }
    return order
  }

  /// The classes a found label can end in: the class map's targets, and every class a view names
  /// (a found class spelled like one of them maps to itself).
  public var targets: Set<String> {
    var names = Set(classMap.values.compactMap { if case .to(let name) = $0 { name } else { nil } })
    for view in views { names.formUnion(view.classes + Array(view.fold.keys)) }
    return names
  }

  /// Reads and checks a recipe file.
  public static func load(path: String) throws -> Recipe {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw MergeError.recipe(path: path, line: nil, reason: "cannot read the recipe file")
    }
    return try parse(String(decoding: data, as: UTF8.self), path: path)
  }

  public static func parse(_ text: String, path: String) throws -> Recipe {
    let root: Node?
    do {
      root = try Yams.compose(yaml: text)
    } catch let error as YamlError {
      throw MergeError.recipe(path: path, line: Self.line(of: error), reason: "not valid YAML: \(error)")
    }
    guard let root, let top = root.mapping else {
      throw MergeError.recipe(
        path: path, line: 1, reason: "a recipe is a mapping with `sources`, `classes` and `views`")
    }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    var recipe = Recipe(path: path, name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent)
    let reader = NodeReader(path: path)
    for (keyNode, value) in top {
      let key = keyNode.string ?? ""
      switch key {
      case "name": recipe.name = try reader.string(value, "name")
      case "seed":
        guard let seed = UInt64(try reader.string(value, "seed")) else {
          throw reader.error(value, "seed must be a whole number ≥ 0")
        }
        recipe.seed = seed
      case "unmapped":
        let mode = try reader.string(value, "unmapped")
        guard mode == "refuse" || mode == "drop" else { throw reader.error(value, "unmapped is `refuse` or `drop`") }
        recipe.dropUnmapped = mode == "drop"
      case "sources":
        guard let list = value.sequence, !list.isEmpty else { throw reader.error(value, "sources is a non-empty list") }
        for item in list { recipe.sources.append(try reader.source(item, folder: folder)) }
      case "classes":
        guard let map = value.mapping else {
          throw reader.error(value, "classes maps each found class to a target class, `drop` or `ignore`")
        }
        for (found, target) in map {
          let name = try reader.string(found, "class name")
          let to = try reader.string(target, "classes.\(name)")
          recipe.classMap[name] = to == "drop" ? .drop : to == "ignore" ? .ignore : .to(to)
          recipe.classMapLines[name] = reader.line(found)
        }
      case "views":
        guard let list = value.sequence, !list.isEmpty else { throw reader.error(value, "views is a non-empty list") }
        for item in list { recipe.views.append(try reader.view(item)) }
      case "tie_order":
        guard let list = value.sequence, !list.isEmpty else {
          throw reader.error(value, "tie_order is a list of target classes, the first winning a majority tie")
        }
        recipe.explicitTieOrder = try list.map { try reader.string($0, "tie_order class") }
      case "quotas":
        guard let map = value.mapping else { throw reader.error(value, "quotas is a mapping") }
        for (quotaKey, quota) in map {
          switch quotaKey.string ?? "" {
          case "per_class": recipe.perClass = try reader.counts(quota, "quotas.per_class")
          case "per_source": recipe.perSource = try reader.counts(quota, "quotas.per_source")
          case "balance":
            let mode = try reader.string(quota, "quotas.balance")
            guard mode == "smallest" || mode == "none" else {
              throw reader.error(quota, "quotas.balance is `smallest` or `none`")
            }
            recipe.balance = mode == "smallest"
          default:
            throw reader.error(
              quotaKey, "unknown key quotas.\(quotaKey.string ?? ""); use per_class, per_source, balance")
          }
        }
      default:
        throw reader.error(
          keyNode, "unknown key `\(key)`; a recipe has name, seed, sources, classes, views, quotas, unmapped, tie_order"
        )
      }
    }
    if recipe.sources.isEmpty { throw MergeError.recipe(path: path, line: 1, reason: "the recipe lists no sources") }
    if recipe.views.isEmpty { throw MergeError.recipe(path: path, line: 1, reason: "the recipe defines no views") }
    var names: Set<String> = []
    for source in recipe.sources where !names.insert(source.name.precomposedStringWithCanonicalMapping).inserted {
      throw MergeError.recipe(path: path, line: source.line, reason: "two sources are named \(source.name)")
    }
    var byPath: [String: Source] = [:]
    for source in recipe.sources {
      let key = URL(fileURLWithPath: source.path).standardizedFileURL.resolvingSymlinksInPath().path
      if let first = byPath[key] {
        throw MergeError.recipe(
          path: path, line: source.line,
          reason: "sources \(first.name) and \(source.name) are one path (\(key)); list each folder or archive once")
      }
      byPath[key] = source
    }
    for view in recipe.views {
      var listed: Set<String> = []
      for name in view.classes where !listed.insert(name).inserted {
        throw MergeError.recipe(path: path, line: view.line, reason: "view \(view.name) lists class \(name) twice")
      }
      for (from, to) in view.fold where !view.classSet.contains(to) {
        throw MergeError.recipe(
          path: path, line: view.line,
          reason: "view \(view.name) folds \(from) into \(to), which is not one of its classes")
      }
    }
    for name in recipe.perSource.keys where !names.contains(name) {
      throw MergeError.recipe(path: path, line: nil, reason: "quotas.per_source names \(name), which is not a source")
    }
    return recipe
  }

  static func line(of error: YamlError) -> Int? {
    switch error {
    case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): return mark.line
    default: return nil
    }
  }
}

/// Reads recipe nodes, turning every mistake into an error naming the line.
struct NodeReader {
  let path: String

  func line(_ node: Node) -> Int? { node.mark?.line }

  func error(_ node: Node, _ reason: String) -> MergeError {
    MergeError.recipe(path: path, line: line(node), reason: reason)
  }

  func string(_ node: Node, _ what: String) throws -> String {
    guard let scalar = node.scalar, !scalar.string.isEmpty else { throw error(node, "\(what) must be a plain value") }
    return scalar.string
  }

  func counts(_ node: Node, _ what: String) throws -> [String: Int] {
    guard let map = node.mapping else { throw error(node, "\(what) maps names to counts") }
    var result: [String: Int] = [:]
    for (key, value) in map {
      guard let count = Int(try string(value, what)), count >= 0 else {
        throw error(value, "\(what).\(key.string ?? "") must be a count ≥ 0")
      }
      result[try string(key, what)] = count
    }
    return result
  }

  func source(_ node: Node, folder: String) throws -> Recipe.Source {
    guard let map = node.mapping else { throw error(node, "each source is a mapping with name and path") }
    var name: String?
    var path: String?
    var cropNode: Node?
    var source = Recipe.Source(name: "", path: "", line: line(node) ?? 0)
    for (keyNode, value) in map {
      let key = keyNode.string ?? ""
      switch key {
      case "name": name = try string(value, "name")
      case "path", "zip":
        let given = try string(value, key)
        path = given.hasPrefix("/") ? given : URL(fileURLWithPath: folder + "/" + given).standardizedFileURL.path
      case "layout":
        let text = try string(value, "layout")
        guard let layout = LayoutChoice(rawValue: text) else {
          throw error(
            value, "unknown layout \(text); use \(LayoutChoice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        source.layout = layout
      case "license": source.license = try string(value, "license")
      case "priority":
        guard let priority = Int(try string(value, "priority")) else {
          throw error(value, "priority must be a whole number")
        }
        source.priority = priority
      case "label_file": source.table.file = try string(value, "label_file")
      case "label_column": source.table.column = try string(value, "label_column")
      case "label_values":
        guard let values = value.mapping else { throw error(value, "label_values maps values to labels") }
        for (from, to) in values { source.table.values[try string(from, "value")] = try string(to, "label") }
      case "label_patterns":
        guard let list = value.sequence else { throw error(value, "label_patterns is a list of 'REGEX=label'") }
        for item in list {
          guard let rule = PatternRule.parse(try string(item, "label pattern")) else {
            throw error(item, "a label pattern is written REGEX=label")
          }
          source.patterns.append(rule)
        }
      case "boxes":
        let text = try string(value, "boxes")
        guard let boxes = Recipe.Boxes(rawValue: text) else {
          throw error(
            value, "boxes is `majority` (label the image) or `crops` (one labelled crop per box), not \(text)")
        }
        source.boxes = boxes
      case "crop":
        cropNode = keyNode
        source.crop = try crop(value)
      default:
        throw error(
          keyNode,
          "unknown source key `\(key)`; use name, path (or zip), layout, license, priority, label_file, label_column, label_values, label_patterns, boxes, crop"
        )
      }
    }
    guard let name else { throw error(node, "this source has no name") }
    guard let path else { throw error(node, "source \(name) has no path") }
    if let cropNode, source.boxes != .crops {
      throw error(cropNode, "source \(name): crop options need `boxes: crops`")
    }
    if source.boxes == .crops, ![.auto, .voc, .yolo, .coco].contains(source.layout) {
      throw error(
        node, "source \(name): `boxes: crops` needs boxes, from layout voc, yolo or coco, not \(source.layout.rawValue)"
      )
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw error(node, "source \(name): \(path) does not exist")
    }
    source.name = name
    source.path = path
    return source
  }

  /// `crop: {margin: 0.25, size: 112, square: true}`.
  func crop(_ node: Node) throws -> FaceCropOptions {
    guard let map = node.mapping else { throw error(node, "crop is a mapping of margin, size, square") }
    var options = FaceCropOptions()
    for (keyNode, value) in map {
      switch keyNode.string ?? "" {
      case "margin":
        guard let margin = Double(try string(value, "crop.margin")), margin >= 0, margin <= 2 else {
          throw error(value, "crop.margin is a fraction of the box from 0 to 2 (0.25 adds a quarter on each side)")
        }
        options.margin = margin
      case "size":
        guard let size = Int(try string(value, "crop.size")), (8...4096).contains(size) else {
          throw error(value, "crop.size is the longer side in pixels, 8 to 4096")
        }
        options.size = size
      case "square":
        let text = try string(value, "crop.square")
        guard text == "true" || text == "false" else { throw error(value, "crop.square is true or false") }
        options.square = text == "true"
      default:
        throw error(keyNode, "unknown crop key `\(keyNode.string ?? "")`; use margin, size, square")
      }
    }
    return options
  }

  func view(_ node: Node) throws -> Recipe.View {
    guard let map = node.mapping else { throw error(node, "each view is a mapping with name and classes") }
    var view = Recipe.View(name: "", classes: [], line: line(node) ?? 0)
    for (keyNode, value) in map {
      switch keyNode.string ?? "" {
      case "name": view.name = try string(value, "view name")
      case "classes":
        guard let list = value.sequence, !list.isEmpty else {
          throw error(value, "a view's classes is a non-empty list")
        }
        view.classes = try list.map { try string($0, "class") }
      case "fold":
        guard let folds = value.mapping else { throw error(value, "fold maps a target class to a class of the view") }
        for (from, to) in folds { view.fold[try string(from, "class")] = try string(to, "class") }
      default:
        throw error(keyNode, "unknown view key `\(keyNode.string ?? "")`; use name, classes, fold")
      }
    }
    if view.name.isEmpty || view.name.contains(" ") { throw error(node, "a view needs a name without spaces") }
    if view.classes.count < 2 { throw error(node, "view \(view.name) needs at least two classes") }
    return view
  }
}
