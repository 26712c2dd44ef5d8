import Foundation

/// The parameters of a split version: what `datasetkit split` was asked for. Stored as JSON with the
/// split; re-running a split by name requires the same plan (or `--rebalance`).
public struct SplitPlan: Sendable, Codable, Equatable {
  /// Subset names with their weights, e.g. train 80, val 10, test 10; or fold1…foldK.
  public var subsets: [Subset]
  /// Strata keys: "label" and/or "source".
  public var stratify: [String]
  /// Keep duplicate clusters (from `datasetkit dedup`) together.
  public var groupDuplicates: Bool
  /// A regular expression on the original file name (the last path component; the whole relative path
  /// with `groupByPath`) whose first capture group (or whole match) is a group key, e.g. a person id.
  public var groupBy: String?
  /// Match `groupBy` against the relative path instead of the file name (nil: false; optional so plans
  /// stored before it decode unchanged).
  public var groupByPath: Bool?
  /// Only crops or only photos (nil: both).
  public var kind: ImageKind?
  /// Only images with an origin in one of these sources (nil: all).
  public var sources: [String]?
  /// The label view ("" = labels as imported).
  public var view: String
  public var seed: UInt64

  public struct Subset: Sendable, Codable, Equatable {
    public var name: String
    public var weight: Double

    public init(name: String, weight: Double) {
      self.name = name
      self.weight = weight
    }
  }

  public init(
    subsets: [Subset], stratify: [String] = ["label"], groupDuplicates: Bool = true,
    groupBy: String? = nil, view: String = "", seed: UInt64 = 0, groupByPath: Bool? = nil, kind: ImageKind? = nil,
    sources: [String]? = nil
  ) {
    self.groupByPath = groupByPath
    self.kind = kind
    self.sources = sources
    self.subsets = subsets
    self.stratify = stratify
    self.groupDuplicates = groupDuplicates
    self.groupBy = groupBy
    self.view = view
    self.seed = seed
  }

  /// Parses "80/10/10" (train/val/test) or "80/20" (train/test): each a finite number from 0 to 100,
  /// summing to 100 (within 0.01).
  public static func subsets(ratios: String) throws -> [Subset] {
    let parts = ratios.split(separator: "/", omittingEmptySubsequences: false).map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    let values = parts.compactMap { $0 }
    guard values.count == parts.count, values.count == 2 || values.count == 3,
      values.allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 100 }), abs(values.reduce(0, +) - 100) <= 0.01
    else {
      throw SplitterError.badRatios(ratios)
    }
    let names = values.count == 3 ? ["train", "val", "test"] : ["train", "test"]
    return zip(names, values).map { Subset(name: $0, weight: $1) }
  }

  /// The fold counts `folds(_:)` takes.
  public static let foldRange = 2...100

  /// K equal folds named fold1…foldK.
  public static func folds(_ k: Int) throws -> [Subset] {
    guard foldRange.contains(k) else { throw SplitterError.badFolds(k) }
    return (1...k).map { Subset(name: "fold\($0)", weight: 1) }
  }

  /// The plan as canonical JSON (sorted keys), as stored in `splits.params`.
  public func canonicalJSON() -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
  }
}

/// Errors of the splitter; each says what to do.
public enum SplitterError: LocalizedError, Equatable {
  case badRatios(String)
  case badFolds(Int)
  case badGroupPattern(String)
  case planChanged(name: String)
  /// A split name that does not exist, with the names that do (empty: no split yet).
  case unknownSplit(String, known: [String])
  case nothingToSplit(view: String)
  case unknownStratum(String)
  case groupPatternMatchedNothing(pattern: String, scope: String, files: Int, example: String?)
  case unknownSource(String, known: [String])
  case unhashedImages(split: String, count: Int, method: String)
  /// A flag given with `--split V` that says other than the split was made with.
  case contradictsSplit(flag: String, split: String, made: String)

  public var errorDescription: String? {
    switch self {
    case .badRatios(let ratios):
      return
        "--ratios \(ratios): give two or three numbers from 0 to 100 that sum to 100, like 80/10/10 (train/val/test) or 80/20 (train/test)"
    case .badFolds(let k):
      return "--folds \(k): give \(SplitPlan.foldRange.lowerBound) to \(SplitPlan.foldRange.upperBound) folds"
    case .badGroupPattern(let pattern): return "--group-by \(pattern): not a valid regular expression"
    case .planChanged(let name):
      return
        "split \"\(name)\" exists with other parameters; use a new --name, or --rebalance to reassign it (which moves images)"
    case .unknownSplit(let name, let known):
      let none = "there is no split yet; make one with `datasetkit split`"
      if name.isEmpty { return none }
      return "no split named \"\(name)\"; " + (known.isEmpty ? none : "splits are: " + known.joined(separator: ", "))
    case .nothingToSplit(let view):
      return "no active images\(view.isEmpty ? "" : " in view \(view)") to split; import some first"
    case .unknownStratum(let key): return "--stratify \(key): use label, source or both (label,source)"
    case .groupPatternMatchedNothing(let pattern, let scope, let files, let example):
      return
        "--group-by \(pattern) matches none of the \(files) \(scope)s\(example.map { " (e.g. \"\($0)\")" } ?? ""); "
        + (scope == "file name"
          ? "it is matched against the file name only (add --group-by-path to match the relative path)"
          : "it is matched against the relative path in its source")
    case .unhashedImages(let split, let count, let method):
      return
        "\(count) images of split \(split) have no \(method) hash, so near-duplicates among them cannot be seen; run `datasetkit dedup` (or check leakage without --no-hash, which hashes them)"
    case .contradictsSplit(let flag, let split, let made):
      return "\(flag) contradicts split \(split), made with \(made); drop the flag or make a new split"
    case .unknownSource(let name, let known):
      return "--source \(name): no such source; sources are: \(known.joined(separator: ", ")) (see `datasetkit stats`)"
    }
  }
}

/// Crops (cut from a box of another image, with lineage to it) or photos (every other image).
public enum ImageKind: String, Sendable, Codable, CaseIterable {
  case crops
  case photos
}

/// A `--group-by` pattern: the key of an original file name (or relative path) is the pattern's first
/// capture group, or its whole match.
public struct GroupKeyPattern: Sendable {
  public let text: String
  /// Match against the whole relative path (else the file name, its last component).
  public let path: Bool
  let expression: NSRegularExpression

  public init(_ text: String, path: Bool = false) throws {
    do { expression = try NSRegularExpression(pattern: text) } catch { throw SplitterError.badGroupPattern(text) }
    self.text = text
    self.path = path
  }

  /// What the pattern is matched against: the file name of `relativePath`, or all of it.
  public func subject(_ relativePath: String) -> String {
    guard !path, let slash = relativePath.lastIndex(of: "/") else { return relativePath }
    return String(relativePath[relativePath.index(after: slash)...])
  }

  /// The key of `subject` (a file name or path as given by `subject(_:)`), or nil when it does not match.
  public func key(_ subject: String) -> Substring? {
    guard let match = expression.firstMatch(in: subject, range: NSRange(subject.startIndex..., in: subject)) else {
      return nil
    }
    let captured =
      match.numberOfRanges > 1 && match.range(at: 1).location != NSNotFound ? match.range(at: 1) : match.range
    return Range(captured, in: subject).map { subject[$0] }
  }
}
