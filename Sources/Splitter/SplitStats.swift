import Catalog
import Foundation

/// Counts of a split: subset × label × source, and each label's target vs actual per subset.
public struct SplitStats: Sendable, Codable, Equatable {
  public struct Cell: Sendable, Codable, Equatable {
    public var subset: String
    public var label: String
    public var source: String
    public var images: Int
  }

  public var split: String
  /// The split's label view ("" = labels as imported).
  public var view: String = ""
  public var subsets: [String]
  public var cells: [Cell]
  /// Per label: the largest-remainder targets of its total, and the actual counts.
  public var strata: [StratumReport]

  public func images(subset: String? = nil, label: String? = nil, source: String? = nil) -> Int {
    cells.filter {
      (subset == nil || $0.subset == subset) && (label == nil || $0.label == label)
        && (source == nil || $0.source == source)
    }.reduce(0) { $0 + $1.images }
  }

  public var labels: [String] { Array(Set(cells.map(\.label))).sorted() }
  public var sources: [String] { Array(Set(cells.map(\.source))).sorted() }
}

extension SplitCatalog {
  /// Counts of split `split` as frozen. `given`: flags the command was given, which must agree with the
  /// split's recipe (`SplitterError.contradictsSplit`).
  public static func stats(catalog: Catalog, split: String, given: SplitRecipeFlags = .init()) throws -> SplitStats {
    guard let summary = try list(catalog: catalog).first(where: { $0.name == split }) else {
      throw unknownSplit(split, catalog: catalog)
    }
    try given.check(against: summary.plan, split: split)
    let id = try splitID(catalog: catalog, name: split) ?? 0
    // Every member with the label frozen in the split (what its export writes, whatever was relabelled
    // since: `split status` lists that), credited to the source `stats` and `merge` credit with its label
    // (`Catalog.creditedLabels`); an image without one to the source it first arrived from.
    let credited = try catalog.creditedLabels(view: summary.plan.view)
    let sourceNames = Dictionary(try catalog.sourceNames(), uniquingKeysWith: { a, _ in a })
    var counts: [String: [String: [String: Int]]] = [:]
    for member in try members(catalog: catalog, splitID: id) {
      let entry = credited[member.imageID]
      let source = entry?.source.flatMap { sourceNames[$0] } ?? member.firstSource
      counts[member.subset, default: [:]][member.label ?? "", default: [:]][source, default: 0] += 1
    }
    var cells: [SplitStats.Cell] = []
    for subset in counts.keys.sorted() {
      for label in (counts[subset] ?? [:]).keys.sorted() {
        for (source, images) in (counts[subset]?[label] ?? [:]).sorted(by: { $0.key < $1.key }) {
          cells.append(SplitStats.Cell(subset: subset, label: label, source: source, images: images))
        }
      }
    }
    var stats = SplitStats(
      split: split, view: summary.plan.view, subsets: summary.plan.subsets.map(\.name), cells: cells, strata: [])
    let weights = summary.plan.subsets.map(\.weight)
    for label in stats.labels {
      let actual = stats.subsets.map { stats.images(subset: $0, label: label) }
      let targets = SplitAssigner.largestRemainder(total: actual.reduce(0, +), weights: weights)
      stats.strata.append(
        StratumReport(
          stratum: label, total: actual.reduce(0, +),
          target: Dictionary(zip(stats.subsets, targets), uniquingKeysWith: { first, _ in first }),
          actual: Dictionary(zip(stats.subsets, actual), uniquingKeysWith: { first, _ in first }),
          deviation: zip(actual, targets).map { abs($0 - $1) }.max() ?? 0))
    }
    return stats
  }
}
