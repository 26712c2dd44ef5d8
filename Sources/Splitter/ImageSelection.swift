import Catalog
import Foundation

/// Which images a split or an export takes: crops or photos (`--kind`), from some sources (`--source`).
public struct ImageSelection: Sendable, Equatable {
  public var kind: ImageKind?
  /// Source names; empty: every source.
  public var sources: [String]

  public init(kind: ImageKind? = nil, sources: [String] = []) {
    self.kind = kind
    self.sources = sources
  }

  public var selectsEverything: Bool { kind == nil && sources.isEmpty }

  /// The ids of the selected images (of any status), or nil when everything is selected. A crop is an
  /// image cut from a box of another image (a row of `crops`: `faces crop`, a recipe's `boxes: crops`);
  /// every other image is a photo. Throws for a source name the catalog does not have.
  public func imageIDs(in catalog: Catalog) throws -> Set<Int64>? {
    try SplitCatalog.imageIDs(catalog: catalog, selection: self)
  }
}
