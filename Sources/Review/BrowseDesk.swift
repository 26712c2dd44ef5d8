import Annotations
import Catalog
import Foundation
import Imaging
import Labeling

/// Everything the browser shows about one image.
public struct ImageDetail: Sendable, Codable {
  public var image: Int64
  public var sha256: String
  public var format: String
  public var width: Int
  public var height: Int
  public var status: String
  public var statusReason: String?
  public var kind: String
  public var parent: Int64?
  /// The label in the browser's view (nil: none).
  public var label: String?
  public var labels: [BrowseLabel]
  public var origins: [BrowseOrigin]
  public var boxes: [ReviewTile]
  public var relations: [BrowseRelation]
  public var splits: [BrowseMembership]
  public var decisions: [ImageDecisionEntry]
  public var reasons: [SuspectReason]
}

/// The browser's filter choices.
public struct BrowseChoices: Sendable, Codable {
  public var view: String
  public var labels: [String]
  public var classes: [String]
  public var sources: [String]
  public var splits: [String: [String]]
}

extension ReviewDesk {
  /// The view whose labels the browser shows and relabels (`""`: the labels as found).
  var browseView: String { classes.view ?? "" }

  /// One page of the images `filter` lets through: in id order, or most suspect first with `suspects`.
  public func browse(_ filter: BrowseFilter, page: Int, perPage: Int) async throws -> BrowsePage {
    let store = BrowseStore(catalog: catalog)
    let per = max(1, min(perPage, 500))
    let current = max(0, page)
    let offset = Self.offset(page: current, perPage: per)
    let view = browseView
    var tiles: [BrowseTile]
    var total: Int
    // Suspects first waits for the ranking; any other page shows the scores known (ranked in the background).
    let scores = try await suspectScores(wait: filter.suspects) ?? SuspectScores(ranked: [], score: [:])
    if filter.suspects {
      var restricted = filter
      let ranked = scores.ranked.map(\.image)
      restricted.ids = filter.ids.map { ids in ranked.filter(Set(ids).contains) } ?? ranked
      let found = try store.tiles(restricted, view: view, limit: nil, offset: 0)
      let rank = Dictionary(ranked.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
      let ordered = found.sorted { (rank[$0.image] ?? Int.max) < (rank[$1.image] ?? Int.max) }
      total = ordered.count
      tiles = offset < ordered.count ? Array(ordered[offset..<min(ordered.count, offset + per)]) : []
    } else {
      total = try store.count(filter, view: view)
      tiles = try store.tiles(filter, view: view, limit: per, offset: offset)
    }
    for index in tiles.indices { tiles[index].suspect = scores.score[tiles[index].image] }
    return BrowsePage(tiles: tiles, total: total, page: current, perPage: per, view: view)
  }

  /// The filter's choices: labels in the view, classes a relabel may give, sources, splits and subsets.
  public func choices() throws -> BrowseChoices {
    let found = try BrowseStore(catalog: catalog).choices(view: browseView)
    let vocabulary = try catalog.classVocabulary(classes)
    return BrowseChoices(
      view: browseView, labels: found.labels, classes: vocabulary?.classes ?? found.labels, sources: found.sources,
      splits: found.splits)
  }

  /// Everything known about one image.
  public func detail(_ id: Int64) async throws -> ImageDetail {
    let store = BrowseStore(catalog: catalog)
    guard let facts = try store.facts(id), let size = try catalog.imageFacts(id: id) else {
      throw ReviewError.notFound("image \(id)")
    }
    let labels = try store.labels(id)
    let view = browseView
    let reasons = try await suspectScores(wait: false)?.ranked.first { $0.image == id }?.reasons ?? []
    return ImageDetail(
      image: id, sha256: facts.sha256, format: facts.format, width: size.width, height: size.height,
      status: facts.status, statusReason: facts.reason, kind: facts.parent == nil ? "photo" : "crop",
      parent: facts.parent, label: labels.first { $0.view == view }?.label, labels: labels,
      origins: try store.origins(id), boxes: try BoxStore(catalog: catalog).tiles(onImage: id),
      relations: try store.relations(id, view: view), splits: try store.memberships(id),
      decisions: try catalog.imageDecisions(id),
      reasons: reasons)
  }

  /// A decision on images from the page, logged with the page's reviewer; the suspects are ranked again.
  public func decide(_ action: ImageAction, images: [Int64]) throws -> ImageDecisionReport {
    defer {
      suspectCache = nil
      ranking = nil
      leakRuns = [:]
    }
    return try catalog.decide(action, images: images, reviewer: reviewer, classes: classes)
  }

  /// The stored bytes of an image for its thumbnail, checked to exist.
  func imageSource(_ id: Int64) throws -> [UInt8] {
    guard let object = try BrowseStore(catalog: catalog).object(id) else { throw ReviewError.notFound("image \(id)") }
    return try catalog.store.read(object.sha256)
  }

  /// The suspects of the view, ranked. Ranking reads the whole catalog (seconds on 100,000 images), so it
  /// runs on its own connection off the desk, at most once at a time, and is kept for 30 s (and until the
  /// page's next decision). `wait` false: what is known now (nil: nothing yet), a ranking started if stale.
  func suspectScores(wait: Bool) async throws -> SuspectScores? {
    if let cached = suspectCache, Date().timeIntervalSince(cached.at) < 30 { return cached.scores }
    let task: Task<SuspectScores, any Error>
    if let running = ranking {
      task = running
    } else {
      let workspace = catalog.workspace
      let view = classes.view
      task = Task.detached {
        let report = try Catalog(workspace: workspace).suspects(SuspectOptions(view: view, limit: 0))
        var score: [Int64: Double] = [:]
        for suspect in report.suspects { score[suspect.image] = suspect.score }
        return SuspectScores(ranked: report.suspects, score: score)
      }
      ranking = task
      Task { await self.finish(task) }
    }
    guard wait else { return suspectCache?.scores }
    return try await task.value
  }

  private func finish(_ task: Task<SuspectScores, any Error>) async {
    let scores = try? await task.value
    // A decision since made this ranking stale: it is dropped.
    guard ranking == task else { return }
    ranking = nil
    if let scores { suspectCache = (Date(), scores) }
  }
}

/// The suspects of a view, ranked, and each one's score.
struct SuspectScores: Sendable {
  var ranked: [Suspect]
  var score: [Int64: Double]
}
