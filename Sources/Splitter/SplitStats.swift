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
  public var subsets: [String]
  public var cells: [Cell]
  /// Per label: the largest-remainder targets of its total, and the actual counts.
  public var strata: [StratumReport]

  public func images(subset: String? = nil, label: String? = nil, source: String? = nil) -> Int {
    cells.filter {
      (subset == nil || $0.subset == subset) && (label == nil || $0.label == label) && (source == nil || $0.source == source)
    }.reduce(0) { $0 + $1.images }
  }

  public var labels: [String] { Array(Set(cells.map(\.label))).sorted() }
  public var sources: [String] { Array(Set(cells.map(\.source))).sorted() }
}

extension SplitCatalog {
  public static func stats(catalog: Catalog, split: String) throws -> SplitStats {
    guard let summary = try list(catalog: catalog).first(where: { $0.name == split }) else {
      throw SplitterError.unknownSplit(split)
    }
    let id = try catalog.database.scalarInt("SELECT id FROM splits WHERE name = ?", [.text(split)]) ?? 0
    let cells = try catalog.database.rows(
      """
      SELECT a.subset,
        COALESCE((SELECT MIN(c.name) FROM image_labels l JOIN classes c ON c.id = l.class_id
                  WHERE l.image_id = a.image_id AND l.view = ?), ''),
        COALESCE((SELECT s.name FROM image_origins o JOIN sources s ON s.id = o.source_id
                  WHERE o.image_id = a.image_id ORDER BY o.id LIMIT 1), ''),
        COUNT(*)
      FROM split_assignments a JOIN images i ON i.id = a.image_id
      WHERE a.split_id = ? AND i.status = 'active'
      GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
      """, [.text(summary.plan.view), .int(id)]
    ) { SplitStats.Cell(subset: $0.text(0) ?? "", label: $0.text(1) ?? "", source: $0.text(2) ?? "", images: $0.int(3)) }
    var stats = SplitStats(split: split, subsets: summary.plan.subsets.map(\.name), cells: cells, strata: [])
    let weights = summary.plan.subsets.map(\.weight)
    for label in stats.labels {
      let actual = stats.subsets.map { stats.images(subset: $0, label: label) }
      let targets = SplitAssigner.largestRemainder(total: actual.reduce(0, +), weights: weights)
      stats.strata.append(
        StratumReport(
          stratum: label, total: actual.reduce(0, +), target: Dictionary(zip(stats.subsets, targets), uniquingKeysWith: { first, _ in first }),
          actual: Dictionary(zip(stats.subsets, actual), uniquingKeysWith: { first, _ in first }),
          deviation: zip(actual, targets).map { abs($0 - $1) }.max() ?? 0))
    }
    return stats
  }
}

/// A self-contained HTML page (inline SVG bar charts, no scripts or links) of a split's counts.
public enum SplitStatsPage {
  public static func render(_ stats: SplitStats) -> String {
    let palette = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"]
    let labels = stats.labels
    let maxTotal = max(1, stats.subsets.map { stats.images(subset: $0) }.max() ?? 1)
    var html = """
      <!DOCTYPE html><html><head><meta charset="utf-8"><title>datasetkit split \(escape(stats.split))</title>
      <style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse;margin:1em 0}
      td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
      .bad{color:#c00}</style></head><body>
      <h1>Split \(escape(stats.split))</h1>
      <h2>Images per subset, by label</h2>

      """
    let width = 640
    let barHeight = 28
    html += "<svg width=\"\(width + 160)\" height=\"\((stats.subsets.count + 1) * (barHeight + 10) + 20)\" xmlns=\"http://www.w3.org/2000/svg\">"
    for (row, subset) in stats.subsets.enumerated() {
      let y = row * (barHeight + 10) + 10
      html += "<text x=\"0\" y=\"\(y + 19)\">\(escape(subset))</text>"
      var x = 80.0
      for (index, label) in labels.enumerated() {
        let count = stats.images(subset: subset, label: label)
        let w = Double(width) * Double(count) / Double(maxTotal)
        html += "<rect x=\"\(Int(x))\" y=\"\(y)\" width=\"\(max(0, Int(w.rounded())))\" height=\"\(barHeight)\" fill=\"\(palette[index % palette.count])\"><title>\(escape(label)): \(count)</title></rect>"
        x += w
      }
      html += "<text x=\"\(Int(x) + 6)\" y=\"\(y + 19)\">\(stats.images(subset: subset))</text>"
    }
    let legendY = stats.subsets.count * (barHeight + 10) + 20
    for (index, label) in labels.enumerated() {
      html += "<rect x=\"\(80 + index * 150)\" y=\"\(legendY)\" width=\"12\" height=\"12\" fill=\"\(palette[index % palette.count])\"/>"
      html += "<text x=\"\(96 + index * 150)\" y=\"\(legendY + 11)\">\(escape(label.isEmpty ? "(no label)" : label))</text>"
    }
    html += "</svg>\n<h2>Target vs actual per label</h2>\n<table><tr><th>label</th>"
    html += stats.subsets.map { "<th>\(escape($0)) actual / target</th>" }.joined() + "<th>off by</th></tr>\n"
    for stratum in stats.strata {
      html += "<tr><td>\(escape(stratum.stratum.isEmpty ? "(no label)" : stratum.stratum))</td>"
      html += stats.subsets.map { "<td>\(stratum.actual[$0] ?? 0) / \(stratum.target[$0] ?? 0)</td>" }.joined()
      html += "<td class=\"\(stratum.deviation > 1 ? "bad" : "")\">\(stratum.deviation)</td></tr>\n"
    }
    html += "</table>\n<h2>Subset × source × label</h2>\n<table><tr><th>source</th><th>label</th>"
    html += stats.subsets.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
    for source in stats.sources {
      for label in labels where stats.images(label: label, source: source) > 0 {
        html += "<tr><td>\(escape(source))</td><td>\(escape(label))</td>"
        html += stats.subsets.map { "<td>\(stats.images(subset: $0, label: label, source: source))</td>" }.joined() + "</tr>\n"
      }
    }
    return html + "</table>\n</body></html>\n"
  }

  static func escape(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
