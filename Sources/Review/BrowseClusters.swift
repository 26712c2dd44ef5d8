import Annotations
import Catalog
import Dedup
import Foundation
import HTTPTypes
import Hummingbird
import Leakage
import Splitter

/// One image of a duplicate cluster or related group, as the browser shows it beside the others.
public struct GroupMember: Sendable, Codable, Equatable {
  public var image: Int64
  /// Its own cluster, and whether it is a kept image there.
  public var cluster: Int64
  public var kept: Bool
  /// `kept` (a kept image of the cluster looked at), `duplicate` (in that cluster) or `related` (in its group,
  /// in another cluster).
  public var relation: String
  /// What dedup's comparison of the pixels confirms now (`same`, `mirror`, `painted`, `edited`, `labels`), and
  /// with which member: the kept image when the two are confirmed, else the member it is most alike.
  public var evidence: String?
  public var linkedTo: Int64?
  /// Hamming distance to the nearest kept image of the cluster looked at: the confirmed pair's (whole,
  /// mirrored or upper-part pHash), else the two images' distance under the cluster's method; 0 for a kept one.
  public var distance: Int?
  /// The label in the browser's view (nil: none).
  public var label: String?
  public var status: String
  /// A person's `dedup keep` or `dedup unmark` on it, and who made it.
  public var decision: String?
  public var reviewer: String?
}

/// A duplicate cluster and its near-duplicate group, seen from one of its images.
public struct BrowseGroup: Sendable, Codable, Equatable {
  /// The image the group was asked for.
  public var image: Int64
  public var method: String
  public var radius: Int
  /// The image's cluster and its kept images (one per label set).
  public var cluster: Int64
  public var kept: [Int64]
  public var group: Int64
  /// The kept images first, then the cluster's duplicates, then the related images; by distance, then id.
  public var members: [GroupMember]
}

/// A pair of images tying two subsets of a split together (`check leakage`), as the browser shows it.
public struct BrowseLeakPair: Sendable, Codable, Equatable {
  public var first: BrowseTile
  public var second: BrowseTile
  public var firstSubset: String
  public var secondSubset: String
  /// `duplicate` or `related` when the pixels tie them, else nil (a group, lineage or file-name tie).
  public var relation: String?
  public var evidence: String
  public var distance: Int?
}

/// A page of the pairs that cross subsets of a split.
public struct BrowseLeaks: Sendable, Codable, Equatable {
  public var split: String
  public var radius: Int
  /// The dedup method whose hashes were compared (nil: none were).
  public var hashAlgorithm: String?
  public var imagesChecked: Int
  /// Images of the split that could not be hashed (not compared by hash).
  public var unhashable: Int
  public var pairs: [BrowseLeakPair]
  /// Pairs the filter lets through (a pair passes when either image does).
  public var total: Int
  public var page: Int
  public var perPage: Int
}

/// A `check leakage` run of one split for the browser, and the catalog state when it ended (reused while the
/// catalog is unchanged, as the suspects are).
struct LeakRun {
  var task: Task<LeakageReport, any Error>
  var state: String?
}

extension ReviewDesk {
  /// The duplicate cluster and related group of an image, each member with its relation, distance and label.
  /// Relations are confirmed as `dedup` confirms them (the members' pixels compared), for groups of up to 200.
  public func group(of image: Int64) throws -> BrowseGroup {
    let store = BrowseStore(catalog: catalog)
    guard try store.facts(image) != nil else { throw ReviewError.notFound("image \(image)") }
    guard let place = try store.clusterPlaces(of: image).first else {
      throw ReviewError.notFound("a duplicate cluster or related group of image \(image) (run `datasetkit dedup`)")
    }
    let stored = try store.groupMembers(place, view: browseView)
    let kept = stored.filter { $0.cluster == place.cluster && $0.kept }.map(\.image)
    let method = DedupMethod(rawValue: place.method)
    var hashes: ImageHashes = [:]
    var pairs: [[Int64]: ImagePairRelation] = [:]
    if let method {
      hashes = try store.hashes(of: stored.map(\.image), method.algorithms.union(relationAlgorithms))
      let comparable = Set(stored.filter { $0.status == "active" || $0.status == "duplicate" }.map(\.image))
      if comparable.count <= 200 {
        let labels = try catalog.effectiveLabelKeys().filter { comparable.contains($0.key) }
        for pair in try catalog.confirmRelations(
          method: method, radius: place.radius, hashes: hashes.filter { comparable.contains($0.key) },
          labels: labels
        ).relations {
          pairs[[pair.first, pair.second]] = pair
        }
      }
    }
    func pair(_ a: Int64, _ b: Int64) -> ImagePairRelation? { pairs[[min(a, b), max(a, b)]] }
    var members: [GroupMember] = []
    for member in stored {
      let isKept = kept.contains(member.image)
      // The nearest kept image, by the confirmed pair's distance or the method's.
      var nearest: (distance: Int?, pair: ImagePairRelation?)?
      for reference in kept where reference != member.image {
        let confirmed = pair(member.image, reference)
        let distance =
          confirmed?.distance
          ?? method.flatMap {
            NearDuplicateSearch.distance(hashes[member.image] ?? [:], hashes[reference] ?? [:], method: $0)
          }
        if nearest == nil || (distance ?? Int.max) < (nearest?.distance ?? Int.max) {
          nearest = (distance, confirmed)
        }
      }
      // Not confirmed with a kept image: its closest confirmed tie within the group.
      let link =
        nearest?.pair
        ?? pairs.values.filter { $0.first == member.image || $0.second == member.image }
        .min { ($0.distance, $0.first, $0.second) < ($1.distance, $1.first, $1.second) }
      members.append(
        GroupMember(
          image: member.image, cluster: member.cluster, kept: member.kept,
          relation: isKept ? "kept" : member.cluster == place.cluster ? "duplicate" : "related",
          evidence: isKept ? nil : link?.evidence.rawValue,
          linkedTo: isKept ? nil : link.map { $0.first == member.image ? $0.second : $0.first },
          distance: isKept ? 0 : nearest?.distance, label: member.label, status: member.status,
          decision: member.decision, reviewer: member.reviewer))
    }
    let order = ["kept": 0, "duplicate": 1, "related": 2]
    members.sort {
      (order[$0.relation] ?? 3, $0.distance ?? Int.max, $0.image) < (
        order[$1.relation] ?? 3, $1.distance ?? Int.max, $1.image
      )
    }
    return BrowseGroup(
      image: image, method: place.method, radius: place.radius, cluster: place.cluster, kept: kept,
      group: place.group, members: members)
  }

  /// `dedup keep` or `dedup unmark` from the page (`Catalog.decide(_:on:reviewer:)`, recorded with its time and
  /// the page's reviewer); the suspects and leaks are found again (the catalog's state changed).
  public func dedup(_ decision: DedupDecision, image: Int64) throws -> DedupDecisionResult {
    do {
      return try catalog.decide(decision, on: image, reviewer: reviewer)
    } catch DedupError.unknownImage {
      throw ReviewError.notFound("image \(image)")
    } catch let error as DedupError {
      throw ReviewError.badRequest(error.localizedDescription)
    }
  }

  /// A page of the pairs crossing subsets of `filter.leaks` (`check leakage --split`, hashing what lacks a
  /// hash as it does) that the rest of the filter lets through: a pair passes when either of its images does.
  public func leaks(_ filter: BrowseFilter, page: Int, perPage: Int) async throws -> BrowseLeaks {
    guard let split = filter.leaks else { throw ReviewError.badRequest("leaks needs a split") }
    let report = try await leakReport(split)
    let store = BrowseStore(catalog: catalog)
    let view = browseView
    var others = filter
    others.leaks = nil
    others.suspects = false
    var pairs = report.pairs
    if others != BrowseFilter() {
      let images = Array(Set(pairs.flatMap { [$0.first, $0.second] })).sorted()
      let wanted = others.ids.map(Set.init)
      var passing: Set<Int64> = []
      for start in stride(from: 0, to: images.count, by: 500) {
        var chunk = others
        chunk.ids = images[start..<min(images.count, start + 500)].filter { wanted?.contains($0) ?? true }
        passing.formUnion(try store.tiles(chunk, view: view, limit: nil, offset: 0).map(\.image))
      }
      pairs = pairs.filter { passing.contains($0.first) || passing.contains($0.second) }
    }
    let per = max(1, min(perPage, 200))
    let current = max(0, page)
    let offset = Self.offset(page: current, perPage: per)
    let shown = offset < pairs.count ? Array(pairs[offset..<min(pairs.count, offset + per)]) : []
    var both = BrowseFilter()
    both.ids = Array(Set(shown.flatMap { [$0.first, $0.second] })).sorted()
    var tiles: [Int64: BrowseTile] = [:]
    for tile in try store.tiles(both, view: view, limit: nil, offset: 0) { tiles[tile.image] = tile }
    return BrowseLeaks(
      split: report.split, radius: report.radius, hashAlgorithm: report.hashAlgorithm,
      imagesChecked: report.imagesChecked, unhashable: report.unhashable.count,
      pairs: shown.compactMap { pair in
        guard let first = tiles[pair.first], let second = tiles[pair.second] else { return nil }
        return BrowseLeakPair(
          first: first, second: second, firstSubset: pair.firstSubset, secondSubset: pair.secondSubset,
          relation: pair.relation, evidence: pair.evidence, distance: pair.distance)
      }, total: pairs.count, page: current, perPage: per)
  }

  /// `check leakage` of a split, on its own connection off the desk; one run at a time per split, its report
  /// kept while the catalog is unchanged (`BrowseStore.state()`: no commit by any connection since it ended).
  func leakReport(_ split: String) async throws -> LeakageReport {
    let task: Task<LeakageReport, any Error>
    let now = try BrowseStore(catalog: catalog).state()
    if let run = leakRuns[split], run.state.map({ $0 == now }) ?? true {
      task = run.task
    } else {
      let workspace = catalog.workspace
      task = Task.detached { try LeakageCheck.run(catalog: try Catalog(workspace: workspace), split: split) }
      leakRuns[split] = LeakRun(task: task, state: nil)
    }
    do {
      let report = try await task.value
      // The state after the run (which may have stored hashes it made): the next request reuses it if unchanged.
      if leakRuns[split]?.task == task && leakRuns[split]?.state == nil {
        leakRuns[split]?.state = try BrowseStore(catalog: catalog).state()
      }
      return report
    } catch {
      if leakRuns[split]?.task == task { leakRuns[split] = nil }
      if case SplitterError.unknownSplit = error { throw ReviewError.notFound("split '\(split)'") }
      throw error
    }
  }
}

/// The browser's cluster and leak routes:
/// - `GET /api/browse/group/ID` the duplicate cluster and related group of an image (``BrowseGroup``);
/// - `GET /api/browse/leaks?leaks=SPLIT&…` a page of the pairs crossing its subsets (``BrowseLeaks``);
/// - `POST /api/browse/dedup` `{"action": "keep|unmark", "image": ID}` (`dedup keep` / `dedup unmark`).
extension ReviewServer {
  func clusterRoute(_ request: Request, parts: [String], query: [String: String]) async throws -> Response? {
    guard parts.count >= 3, parts[0] == "api", parts[1] == "browse" else { return nil }
    switch (request.method, parts[2], parts.count) {
    case (.get, "group", 4):
      return try Self.json(try await desk.group(of: try Self.id(parts[3])))
    case (.get, "leaks", 3):
      let filter = try Self.browseFilter(query)
      guard filter.leaks != nil else { throw ReviewError.badRequest("leaks: name a split") }
      let page = Int(query["page"] ?? "0") ?? 0
      let per = Int(query["per"] ?? "") ?? 24
      return try Self.json(try await desk.leaks(filter, page: page, perPage: per))
    case (.post, "dedup", 3):
      var request = request
      let body = try await request.collectBody(upTo: 1 << 16)
      guard let given = try? JSONDecoder().decode(DedupDecisionBody.self, from: Data(body.readableBytesView)) else {
        throw ReviewError.badRequest(#"the body is not the JSON dedup expects: {"action": "keep|unmark", "image": ID}"#)
      }
      guard let decision = DedupDecision(rawValue: given.action) else {
        throw ReviewError.badRequest("action must be keep or unmark")
      }
      guard given.image > 0 else { throw ReviewError.notFound("image \(given.image)") }
      return try Self.json(try await desk.dedup(decision, image: given.image))
    default:
      return nil
    }
  }

  /// The score range and the leaking split of the browser's filter, checked: a score is a finite number from 0
  /// to 1, and `minScore` is not above `maxScore`.
  static func clusterFilter(_ query: [String: String], into filter: inout BrowseFilter) throws {
    func score(_ name: String) throws -> Double? {
      guard let text = query[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
      guard let value = Double(text), value.isFinite, (0...1).contains(value) else {
        throw ReviewError.badRequest("\(name) must be a number from 0 to 1, not '\(text.prefix(40))'")
      }
      return value
    }
    filter.minScore = try score("minScore")
    filter.maxScore = try score("maxScore")
    if let low = filter.minScore, let high = filter.maxScore, low > high {
      throw ReviewError.badRequest("minScore \(low) is above maxScore \(high)")
    }
    filter.leaks = query["leaks"].flatMap { $0.isEmpty ? nil : $0 }
  }
}

struct DedupDecisionBody: Decodable {
  var action: String
  var image: Int64
}
