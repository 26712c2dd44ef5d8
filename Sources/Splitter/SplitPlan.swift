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
  /// A regular expression on the original file name whose first capture group (or whole match) is a
  /// group key, e.g. a person id.
  public var groupBy: String?
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
    groupBy: String? = nil, view: String = "", seed: UInt64 = 0
  ) {
    self.subsets = subsets
    self.stratify = stratify
    self.groupDuplicates = groupDuplicates
    self.groupBy = groupBy
    self.view = view
    self.seed = seed
  }

  /// Parses "80/10/10" (train/val/test) or "80/20" (train/test).
  public static func subsets(ratios: String) throws -> [Subset] {
    let parts = ratios.split(separator: "/").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard parts.allSatisfy({ $0 != nil && $0! >= 0 }), parts.count == 2 || parts.count == 3,
      parts.reduce(0, { $0 + ($1 ?? 0) }) > 0
    else {
      throw SplitterError.badRatios(ratios)
    }
    let names = parts.count == 3 ? ["train", "val", "test"] : ["train", "test"]
    return zip(names, parts).map { Subset(name: $0, weight: $1 ?? 0) }
  }

  /// K equal folds named fold1…foldK.
  public static func folds(_ k: Int) throws -> [Subset] {
    guard k >= 2 else { throw SplitterError.badFolds(k) }
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
  case unknownSplit(String)
  case nothingToSplit(view: String)
  case unknownStratum(String)

  public var errorDescription: String? {
    switch self {
    case .badRatios(let ratios):
      return "--ratios \(ratios): give two or three non-negative numbers like 80/10/10 or 80/20"
    case .badFolds(let k): return "--folds \(k): give 2 or more folds"
    case .badGroupPattern(let pattern): return "--group-by \(pattern): not a valid regular expression"
    case .planChanged(let name):
      return
        "split \"\(name)\" exists with other parameters; use a new --name, or --rebalance to reassign it (which moves images)"
    case .unknownSplit(let name): return "no split named \"\(name)\"; `datasetkit split list` shows them"
    case .nothingToSplit(let view):
      return "no active images\(view.isEmpty ? "" : " in view \(view)") to split; import some first"
    case .unknownStratum(let key): return "--stratify \(key): use label, source or both (label,source)"
    }
  }
}
