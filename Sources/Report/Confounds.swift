import Foundation

/// The shortcuts a classifier could learn instead of the class: a source, an image size, an aspect ratio
/// or a file format that goes with one class more than with the others.
enum ConfoundAnalysis {
  static func run(rows: [CardRow], classes: [String], sourceNames: [Int64: String], thresholds: ConfoundThresholds)
    -> (Confounds, [ConfoundWarning])
  {
    let labelled = rows.filter { !$0.label.isEmpty }
    let sourceIDs = Array(Set(labelled.compactMap(\.source))).sorted()
    let sources = sourceIDs.map { sourceNames[$0] ?? "#\($0)" }
    let column = Dictionary(sourceIDs.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var counts: [String: [Int]] = [:]
    for row in labelled {
      guard let source = row.source, let index = column[source] else { continue }
      counts[row.label, default: Array(repeating: 0, count: sources.count)][index] += 1
    }
    var classTotals: [String: Int] = [:]
    for row in labelled { classTotals[row.label, default: 0] += 1 }
    let tableRows = classes.map { label -> Confounds.Row in
      let images = counts[label] ?? Array(repeating: 0, count: sources.count)
      return Confounds.Row(label: label, images: images, shares: images.map { ratio($0, classTotals[label] ?? 0) })
    }
    let figures = classes.map { label -> Confounds.ClassFigures in
      let members = labelled.filter { $0.label == label }
      var formats: [String: Int] = [:]
      for row in members { formats[row.format, default: 0] += 1 }
      return Confounds.ClassFigures(
        label: label, images: members.count,
        typicalSide: median(members.map { (Double($0.width) * Double($0.height)).squareRoot() }),
        medianAspect: median(members.compactMap { $0.height > 0 ? Double($0.width) / Double($0.height) : nil }),
        formats: formats.sorted { ($0.value, $1.key) > ($1.value, $0.key) }.map {
          Confounds.FormatShare(format: $0.key, images: $0.value, share: ratio($0.value, members.count))
        })
    }
    var warnings: [ConfoundWarning] = []
    let t = thresholds
    let allLabelled = labelled.count
    // A source supplying most of one class and much less of the others.
    for row in tableRows where (classTotals[row.label] ?? 0) >= t.minClassImages {
      let classTotal = classTotals[row.label] ?? 0
      let others = allLabelled - classTotal
      guard others > 0 else { continue }
      for (index, images) in row.images.enumerated() where row.shares[index] >= t.sourceShare {
        let sourceTotal = tableRows.map { $0.images[index] }.reduce(0, +)
        let elsewhere = ratio(sourceTotal - images, others)
        guard elsewhere < t.sourceShareElsewhere else { continue }
        warnings.append(
          ConfoundWarning(
            kind: "source", label: row.label, source: sources[index],
            message:
              "\(percent(row.shares[index])) of \(row.label) images (\(images) of \(classTotal)) come from source \(sources[index]), "
              + "against \(percent(elsewhere)) of the other classes' images: a model can learn to recognise the source "
              + "(its lighting, cameras, compression) instead of \(row.label)."))
      }
    }
    let compared = figures.filter { $0.images >= t.minClassImages }
    if compared.count >= 2 {
      if let (small, large) = extremes(compared, \.typicalSide), small.typicalSide > 0,
        large.typicalSide / small.typicalSide >= t.sizeRatio
      {
        warnings.append(
          ConfoundWarning(
            kind: "size", label: large.label, source: nil,
            message:
              "\(large.label) images are typically \(Int(large.typicalSide.rounded())) px (median √(width × height)), "
              + "\(small.label) images \(Int(small.typicalSide.rounded())) px: "
              + "\(String(format: "%.1f", large.typicalSide / small.typicalSide))× apart. Resizing for training hides the "
              + "size but not the blur or detail it leaves."))
      }
      if let (narrow, wide) = extremes(compared, \.medianAspect), narrow.medianAspect > 0,
        wide.medianAspect / narrow.medianAspect >= t.aspectRatio
      {
        warnings.append(
          ConfoundWarning(
            kind: "aspect", label: wide.label, source: nil,
            message:
              "\(wide.label) images have a median aspect ratio (width / height) of \(String(format: "%.2f", wide.medianAspect)), "
              + "\(narrow.label) images \(String(format: "%.2f", narrow.medianAspect)): squashing or padding to a square "
              + "marks the class."))
      }
      let formatNames = Set(compared.flatMap { $0.formats.map(\.format) }).sorted()
      var worst: (gap: Double, format: String, high: Confounds.ClassFigures, low: Confounds.ClassFigures)?
      for format in formatNames {
        let shares = compared.map { figure in (figure, figure.formats.first { $0.format == format }?.share ?? 0) }
        guard let high = shares.max(by: { $0.1 < $1.1 }), let low = shares.min(by: { $0.1 < $1.1 }) else { continue }
        let gap = high.1 - low.1
        if gap >= t.formatGap && gap > (worst?.gap ?? -1) { worst = (gap, format, high.0, low.0) }
      }
      if let worst {
        let share = { (figure: Confounds.ClassFigures) in figure.formats.first { $0.format == worst.format }?.share ?? 0
        }
        warnings.append(
          ConfoundWarning(
            kind: "format", label: worst.high.label, source: nil,
            message:
              "\(percent(share(worst.high))) of \(worst.high.label) images are \(worst.format.uppercased()), against "
              + "\(percent(share(worst.low))) of \(worst.low.label) images: compression artefacts can give the class away."
          ))
      }
    }
    return (Confounds(sources: sources, rows: tableRows, classFigures: figures, thresholds: thresholds), warnings)
  }

  /// The classes with the smallest and the largest value.
  static func extremes(_ figures: [Confounds.ClassFigures], _ value: KeyPath<Confounds.ClassFigures, Double>)
    -> (Confounds.ClassFigures, Confounds.ClassFigures)?
  {
    guard let low = figures.min(by: { $0[keyPath: value] < $1[keyPath: value] }),
      let high = figures.max(by: { $0[keyPath: value] < $1[keyPath: value] })
    else { return nil }
    return (low, high)
  }

  static func median(_ values: [Double]) -> Double {
    let sorted = values.filter(\.isFinite).sorted()
    guard !sorted.isEmpty else { return 0 }
    let middle = sorted.count / 2
    return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
  }
}

func percent(_ share: Double) -> String { "\(Int((share * 100).rounded())) %" }

/// The bins of the card's histograms.
enum Bins {
  static func count<T: Comparable>(_ values: [T], edges: [T], labels: [String]) -> Histogram {
    var counts = Array(repeating: 0, count: labels.count)
    for value in values {
      let index = edges.firstIndex { value < $0 } ?? edges.count
      counts[min(index, labels.count - 1)] += 1
    }
    return Histogram(bins: labels, counts: counts)
  }

  static func longerSide(_ sides: [Int]) -> Histogram {
    count(
      sides, edges: [64, 128, 256, 512, 1024, 2048],
      labels: ["<64", "64–127", "128–255", "256–511", "512–1023", "1024–2047", "≥2048"])
  }

  static func aspect(_ ratios: [Double]) -> Histogram {
    count(
      ratios, edges: [0.5, 0.75, 0.9, 1.1, 1.34, 2.0],
      labels: ["<0.5", "0.5–0.75", "0.75–0.9", "0.9–1.1", "1.1–1.33", "1.33–2", "≥2"])
  }

  static func boxesPerImage(_ counts: [Int]) -> Histogram {
    count(counts, edges: [1, 2, 3, 4, 5, 10], labels: ["0", "1", "2", "3", "4", "5–9", "≥10"])
  }

  static func boxSide(_ sides: [Double]) -> Histogram {
    count(
      sides, edges: [16, 32, 64, 128, 256, 512],
      labels: ["<16", "16–31", "32–63", "64–127", "128–255", "256–511", "≥512"])
  }
}
