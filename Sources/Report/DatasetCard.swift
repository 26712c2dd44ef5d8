import Foundation

/// The figures of a dataset card: everything the HTML page shows, as plain values (`--json` prints this).
/// Made by `DatasetCard.build(catalog:options:)`; drawn by `CardPage.render(_:thumbnails:)`.
public struct DatasetCard: Sendable, Codable, Equatable {
  /// The datasetkit version that made the card.
  public var toolVersion: String
  public var catalogSchema: Int
  /// SHA-256 of the images the card describes: every image's SHA-256, label and subset, sorted (see
  /// `fingerprintRule`), so two cards with the same fingerprint describe the same data.
  public var fingerprint: String
  public var fingerprintRule: String
  /// The split described, or nil for every active image.
  public var split: SplitInfo?
  /// The label set counted ("" is the labels as found; else a merge view).
  public var view: String
  /// Active images described (the split's assigned images, or all active images).
  public var images: Int
  /// Class names in order ("" is the images without a label in the view).
  public var classes: [String]
  public var subsets: [String]
  public var composition: [SubsetComposition]
  /// Per class: each subset's actual count against the split's target (empty without a split).
  public var deviations: [ClassDeviation]
  public var confounds: Confounds
  public var samples: SampleStrips
  public var quality: Quality
  public var provenance: Provenance

  /// The plain-language confound warnings, thresholds in `confounds.thresholds` (what
  /// `--fail-on-warning` counts).
  public var warnings: [ConfoundWarning]
}

public struct SplitInfo: Sendable, Codable, Equatable {
  public var name: String
  public var createdAt: String
  public var seed: UInt64
  /// Each subset's share of the images the split aims at (its weight over the sum of weights).
  public var ratios: [SubsetRatio]
}

public struct SubsetRatio: Sendable, Codable, Equatable {
  public var subset: String
  public var ratio: Double
}

/// One subset: its classes' counts and proportions, and the proportion each class would have if the
/// subset mirrored the whole set (the target of a stratified split).
public struct SubsetComposition: Sendable, Codable, Equatable {
  public struct Share: Sendable, Codable, Equatable {
    public var label: String
    public var images: Int
    /// images / the subset's images.
    public var share: Double
    /// The class's share of all images described.
    public var targetShare: Double
  }

  public var subset: String
  public var images: Int
  /// images / all images described.
  public var share: Double
  /// The split's ratio for this subset (1 without a split).
  public var targetShare: Double
  public var classes: [Share]
}

/// One class across the subsets: actual counts against the split's targets (largest remainder of the
/// class's total by the split's ratios).
public struct ClassDeviation: Sendable, Codable, Equatable {
  public struct Cell: Sendable, Codable, Equatable {
    public var subset: String
    public var actual: Int
    public var target: Int
    /// actual / the class's total.
    public var share: Double
    /// The split's ratio for the subset.
    public var targetShare: Double
  }

  public var label: String
  public var total: Int
  public var subsets: [Cell]
  /// The largest |actual − target| over the subsets, in images.
  public var deviation: Int
  /// The largest |share − ratio| over the subsets, in percentage points.
  public var deviationPoints: Double
}

/// Thresholds of the confound warnings, stated on the page.
public struct ConfoundThresholds: Sendable, Codable, Equatable {
  /// A source supplying at least this share of a class's images…
  public var sourceShare = 0.8
  /// …while supplying less than this share of the other classes' images.
  public var sourceShareElsewhere = 0.5
  /// Typical image sides (median of √(width × height)) of two classes this many times apart.
  public var sizeRatio = 2.0
  /// Median aspect ratios (width / height) of two classes this many times apart.
  public var aspectRatio = 1.25
  /// A format's share in two classes this far apart (0.5 = 50 percentage points).
  public var formatGap = 0.5
  /// Classes with fewer images are not compared (too few to say).
  public var minClassImages = 10

  public init() {}
}

public struct ConfoundWarning: Sendable, Codable, Equatable {
  /// source, size, aspect or format.
  public var kind: String
  public var label: String
  /// The source, for kind source.
  public var source: String?
  public var message: String
}

/// Class × source counts (each image counted under the source of its first origin) and per-class image
/// figures: what the warnings are drawn from.
public struct Confounds: Sendable, Codable, Equatable {
  public struct Row: Sendable, Codable, Equatable {
    public var label: String
    /// Images per source, in `sources` order.
    public var images: [Int]
    /// images / the class's total, per source.
    public var shares: [Double]
  }

  public struct ClassFigures: Sendable, Codable, Equatable {
    public var label: String
    public var images: Int
    /// Median of √(width × height), pixels.
    public var typicalSide: Double
    /// Median of width / height.
    public var medianAspect: Double
    /// Share of each format among the class's images, largest first.
    public var formats: [FormatShare]
  }

  public struct FormatShare: Sendable, Codable, Equatable {
    public var format: String
    public var images: Int
    public var share: Double
  }

  public var sources: [String]
  public var rows: [Row]
  public var classFigures: [ClassFigures]
  public var thresholds: ConfoundThresholds
}

/// Sample thumbnails per subset and class, chosen by a seeded hash of each image's SHA-256 (the same
/// catalog and seed give the same samples).
public struct SampleStrips: Sendable, Codable, Equatable {
  public struct Strip: Sendable, Codable, Equatable {
    public var subset: String
    public var label: String
    public var images: Int
    public var samples: [CardImage]
  }

  public var seed: UInt64
  public var perStrip: Int
  public var strips: [Strip]
}

/// An image shown on the card; for a crop, the photo it was cut from and where.
public struct CardImage: Sendable, Codable, Equatable {
  public var id: Int64
  public var sha256: String
  public var width: Int
  public var height: Int
  public var parent: Parent?

  public struct Parent: Sendable, Codable, Equatable {
    public var id: Int64
    public var sha256: String
    public var width: Int
    public var height: Int
    /// The box the crop was cut from, in the parent's pixels (xmin, ymin, xmax, ymax), when recorded.
    public var box: [Double]?
  }
}

/// Counts in labelled bins.
public struct Histogram: Sendable, Codable, Equatable {
  public var bins: [String]
  public var counts: [Int]
}

public struct Quality: Sendable, Codable, Equatable {
  public struct ClassHistograms: Sendable, Codable, Equatable {
    public var label: String
    /// Longer side in pixels.
    public var size: Histogram
    /// width / height.
    public var aspect: Histogram
  }

  public struct StatusCount: Sendable, Codable, Equatable {
    public var status: String
    public var reason: String
    public var images: Int
  }

  public var histograms: [ClassHistograms]
  /// Images not active in the whole catalog (quarantined, rejected, duplicate), by reason.
  public var removed: [StatusCount]
  public var duplicates: Duplicates
  /// Near-duplicate pairs across subsets, as `check leakage` finds them (nil without a split).
  public var leakage: Leakage?
  /// Boxes on the images described (nil when none has a box).
  public var boxes: Boxes?
}

public struct Duplicates: Sendable, Codable, Equatable {
  public struct Method: Sendable, Codable, Equatable {
    public var method: String
    public var radius: Int
    public var clusters: Int
    public var images: Int
  }

  public struct Cluster: Sendable, Codable, Equatable {
    public var id: Int64
    public var method: String
    public var members: Int
    /// The first members (the kept one first), with their status.
    public var shown: [CardImage]
    public var kept: Int64?
  }

  public var methods: [Method]
  /// Images marked duplicate in the catalog.
  public var markedDuplicate: Int
  /// The largest clusters touching the images described.
  public var largest: [Cluster]
}

public struct Leakage: Sendable, Codable, Equatable {
  public struct Pair: Sendable, Codable, Equatable {
    public var first: CardImage
    public var firstSubset: String
    public var second: CardImage
    public var secondSubset: String
    public var distance: Int?
    public var evidence: String
  }

  public var radius: Int
  public var hashAlgorithm: String?
  public var pairs: Int
  public var shown: [Pair]
}

public struct Boxes: Sendable, Codable, Equatable {
  public struct ClassCount: Sendable, Codable, Equatable {
    public var label: String
    public var boxes: Int
  }

  public var images: Int
  public var boxes: Int
  /// Boxes per image, over the images described.
  public var perImage: Histogram
  /// √(box width × box height) in pixels.
  public var size: Histogram
  public var byClass: [ClassCount]
}

public struct Provenance: Sendable, Codable, Equatable {
  public struct License: Sendable, Codable, Equatable {
    public var license: String
    /// Images with at least one origin under the license.
    public var images: Int
  }

  public struct Source: Sendable, Codable, Equatable {
    public var name: String
    public var kind: String
    /// The path, URL or provider the source was read from.
    public var uri: String
    public var recipe: String?
    public var license: String?
    /// Images described with an origin in this source.
    public var images: Int
    /// Of those, the ones whose origin records a URL.
    public var withURL: Int
  }

  public var licenses: [License]
  public var sources: [Source]
}
