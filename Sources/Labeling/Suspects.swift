import Annotations
import Catalog
import Foundation

/// Why an image is suspect.
public struct SuspectReason: Sendable, Codable, Equatable {
  public enum Kind: String, Sendable, Codable {
    /// Its duplicates (the same picture, confirmed by dedup; also the same picture dedup left unmarked because
    /// its labels differ) carry another label.
    case duplicates
    /// Its mirrored or edited copies carry another label: weaker. (A painted copy is not compared: the mask
    /// painted over the lower face is what changes its class.)
    case related
    /// A face crop whose label is not its box's class.
    case cropBox
    /// Its source supplies almost all images of its class: a model may learn the source, not the class.
    case sourceClass
  }

  public var kind: Kind
  /// What a person reads: the other labels and the images carrying them.
  public var detail: String
  /// The images it disagrees with (neighbours, or the crop's parent photo).
  public var others: [Int64]
  /// This reason's share of the score.
  public var weight: Double
}

/// An image whose label is likely wrong, with the reasons, most suspect first.
public struct Suspect: Sendable, Codable, Equatable {
  public var image: Int64
  public var sha256: String
  /// Where it first came from: `source/relative path`.
  public var path: String
  /// Its stored object (what a person opens).
  public var object: String
  /// Its label in the view ranked (nil: none).
  public var label: String?
  public var score: Double
  public var reasons: [SuspectReason]
}

/// `review suspects`: the ranking, most suspect first.
public struct SuspectReport: Sendable, Codable, Equatable {
  /// The view whose labels were compared (nil: the labels as found, through every view's class map).
  public var view: String?
  /// Suspect images in all (before `limit`).
  public var total: Int
  public var suspects: [Suspect]
}

/// How suspects are ranked.
public struct SuspectOptions: Sendable, Equatable {
  /// The view whose labels are compared (nil: the labels as found).
  public var view: String?
  /// At most this many suspects (0: all).
  public var limit = 50
  /// A source supplying at least this share of a class (with at least `minimumClassSize` images) and less
  /// than `sourceShareElsewhere` of the other classes' images makes its images of that class suspect (only
  /// when two sources or more label the view).
  public var sourceShare = 0.95
  public var sourceShareElsewhere = 0.5
  public var minimumClassSize = 20

  public init(view: String? = nil, limit: Int = 50) {
    self.view = view
    self.limit = limit
  }
}

extension Catalog {
  /// Ranks the images whose label most likely is wrong (the cleanlab idea, on what the catalog knows):
  /// - an image whose duplicates (the same picture, whatever dedup marked) carry another effective label
  ///   (weight: the share of them that do);
  /// - the same with mirrored or edited copies (half that weight); a painted copy's label rightly differs and
  ///   is not compared (a run without stored pairs, before schema 024, is compared by its clusters and groups);
  /// - a crop whose label is not its box's class (0.9);
  /// - an image whose source supplies almost all of its class and under half of the others (0.1: a confound,
  ///   not an error; only with two sources or more).
  /// Only active images are ranked; reasons add up; ties go by image id.
  public func suspects(_ options: SuspectOptions) throws -> SuspectReport {
    let store = SuspectStore(catalog: self)
    let mappings = try BoxStore(catalog: self).viewClassMappings()
    // An unknown view throws, naming the views there are.
    if let view = options.view { _ = try classVocabulary(ClassPolicy(view: view)) }
    // Labels shown (credited, active images) and labels compared (one key per image).
    let credited = try creditedLabels(view: options.view ?? "")
    // Neighbours: duplicate clusters and related groups of every stored dedup run, and the pairs the runs
    // confirmed (`dedup_relations`).
    let relations = try store.relations()
    let pairRows = try store.pairs()
    // Keys are compared between neighbours only: made for the images with a relation (a tenth of a catalog).
    let related = Set(relations.map(\.image)).union(pairRows.flatMap { [$0.first, $0.second] })
    var key: [Int64: String] = [:]
    if options.view == nil {
      key = try effectiveLabelKeys(of: related)
    } else {
      for image in related { key[image] = credited[image]?.label }
    }
    var reasons: [Int64: [SuspectReason]] = [:]
    var seen: Set<String> = []
    /// A reason when some of an image's neighbours (of one kind) carry another label.
    func disagreement(_ image: Int64, _ mine: String, others: [Int64], kind: SuspectReason.Kind, scale: Double) {
      let differing = others.filter { key[$0] != mine }
      guard !others.isEmpty, !differing.isEmpty, seen.insert("\(kind)|\(image)|\(differing)").inserted else {
        return
      }
      let labels = Set(differing.compactMap { credited[$0]?.label ?? key[$0] }).sorted()
      let what = kind == .duplicates ? "duplicates (the same picture)" : "related images (mirrored or edited copies)"
      reasons[image, default: []].append(
        SuspectReason(
          kind: kind,
          detail:
            "\(differing.count) of its \(others.count) \(what) \(differing.count == 1 ? "is" : "are") labelled "
            + "\(labels.joined(separator: ", ")) (images \(differing.prefix(8).map(String.init).joined(separator: ", ")))",
          others: differing, weight: scale * Double(differing.count) / Double(others.count)))
    }
    // Neighbours, from the pairs each stored dedup run confirmed: the same picture (`same`, or `labels`: the
    // same picture under another label, which dedup relates instead of marking) weighs fully; a mirrored or
    // edited copy half; a painted copy not at all — painting a mask over the lower face is what changes its
    // class, so its label rightly differs.
    var runsWithPairs: Set<String> = []
    var sameAs: [String: [Int64: [Int64]]] = [:]
    var relatedTo: [String: [Int64: [Int64]]] = [:]
    for pair in pairRows {
      let run = "\(pair.method)|\(pair.radius)"
      runsWithPairs.insert(run)
      switch pair.evidence {
      case "painted": continue
      case "mirror", "edited":
        relatedTo[run, default: [:]][pair.first, default: []].append(pair.second)
        relatedTo[run, default: [:]][pair.second, default: []].append(pair.first)
      default:
        sameAs[run, default: [:]][pair.first, default: []].append(pair.second)
        sameAs[run, default: [:]][pair.second, default: []].append(pair.first)
      }
    }
    for (sets, kind, scale) in [(sameAs, SuspectReason.Kind.duplicates, 1.0), (relatedTo, .related, 0.5)] {
      for (_, partners) in sets.sorted(by: { $0.key < $1.key }) {
        for (image, others) in partners.sorted(by: { $0.key < $1.key }) where credited[image] != nil {
          guard let mine = key[image] else { continue }
          let labelled = others.filter { key[$0] != nil }.sorted()
          disagreement(image, mine, others: labelled, kind: kind, scale: scale)
        }
      }
    }
    // A run without stored pairs (before schema 024, or one that could not confirm every candidate): its
    // duplicate clusters and related groups.
    var clusters: [String: [Int64]] = [:]
    var groups: [String: [Int64]] = [:]
    for row in relations where !runsWithPairs.contains("\(row.method)|\(row.radius)") {
      clusters["\(row.method)|\(row.radius)|\(row.cluster)", default: []].append(row.image)
      groups["\(row.method)|\(row.radius)|\(row.group)", default: []].append(row.image)
    }
    var clusterOf: [Int64: Set<Int64>] = [:]
    for members in clusters.values where members.count > 1 {
      for image in members { clusterOf[image, default: []].formUnion(members) }
    }
    func neighbours(_ sets: [String: [Int64]], kind: SuspectReason.Kind, scale: Double) {
      for (_, members) in sets.sorted(by: { $0.key < $1.key }) where members.count > 1 {
        for image in members where credited[image] != nil {
          guard let mine = key[image] else { continue }
          // Related: only the images that are not also its duplicates (those count once, as duplicates).
          let duplicates = kind == .related ? clusterOf[image] ?? [] : []
          let others = members.filter { $0 != image && key[$0] != nil && !duplicates.contains($0) }
          disagreement(image, mine, others: others, kind: kind, scale: scale)
        }
      }
    }
    neighbours(clusters, kind: .duplicates, scale: 1)
    neighbours(groups, kind: .related, scale: 0.5)
    // Crops against their boxes (the box's class through the view's class map).
    let names = try store.classNames()
    var mapped: [Int64: String] = [:]
    if let view = options.view {
      for mapping in mappings where mapping.view == view {
        if case .map(let target) = mapping.action { mapped[mapping.foundClassID] = target }
      }
    }
    for crop in try store.cropsWithBoxes() {
      guard let label = credited[crop.crop]?.label, let classID = crop.classID,
        let boxClass = mapped[classID] ?? (options.view == nil ? names[classID] : nil), boxClass != label
      else { continue }
      reasons[crop.crop, default: []].append(
        SuspectReason(
          kind: .cropBox,
          detail: "labelled \(label) but cut from box \(crop.box) of class \(boxClass) on image \(crop.parent)",
          others: [crop.parent], weight: 0.9))
    }
    // Sources that supply almost all of a class and little of the others (the card's confound rule). Only
    // with two sources or more labelling the view: with one, every class is "all one source"; and a source
    // supplying almost all of every class (a big set beside a small one) is no confound either.
    let sources = try store.sourceNames()
    var byClass: [String: [Int64: [Int64]]] = [:]
    var perSourceTotal: [Int64: Int] = [:]
    var counted = 0
    for (image, entry) in credited {
      guard let source = entry.source else { continue }
      byClass[entry.label, default: [:]][source, default: []].append(image)
      perSourceTotal[source, default: 0] += 1
      counted += 1
    }
    if byClass.count > 1, perSourceTotal.count > 1 {
      for (label, perSource) in byClass.sorted(by: { $0.key < $1.key }) {
        let total = perSource.values.reduce(0) { $0 + $1.count }
        let others = counted - total
        guard total >= options.minimumClassSize, others > 0 else { continue }
        for (source, images) in perSource.sorted(by: { $0.key < $1.key })
        where Double(images.count) >= options.sourceShare * Double(total) {
          let elsewhere = Double((perSourceTotal[source] ?? 0) - images.count) / Double(others)
          guard elsewhere < options.sourceShareElsewhere else { continue }
          let share = Int((100 * Double(images.count) / Double(total)).rounded())
          let name = sources[source] ?? String(source)
          for image in images {
            reasons[image, default: []].append(
              SuspectReason(
                kind: .sourceClass,
                detail:
                  "source \(name) supplies \(share) % of \(label) (\(images.count) of \(total)) against "
                  + "\(Int((100 * elsewhere).rounded())) % of the other classes' images: a model may learn the source",
                others: [], weight: 0.1))
          }
        }
      }
    }
    var ranked: [Suspect] = []
    for (image, found) in reasons {
      let score = found.reduce(0) { $0 + $1.weight }
      ranked.append(
        Suspect(
          image: image, sha256: "", path: "", object: "", label: credited[image]?.label,
          score: (score * 1000).rounded() / 1000, reasons: found.sorted { $0.weight > $1.weight }))
    }
    ranked.sort { ($1.score, $0.image) < ($0.score, $1.image) }
    let total = ranked.count
    if options.limit > 0 && ranked.count > options.limit { ranked = Array(ranked.prefix(options.limit)) }
    for index in ranked.indices {
      if let naming = try store.naming(ranked[index].image) {
        ranked[index].sha256 = naming.sha256
        ranked[index].path = naming.path
        ranked[index].object = store.path(of: naming.sha256)
      }
    }
    return SuspectReport(view: options.view, total: total, suspects: ranked)
  }
}

extension SuspectStore {
  func path(of sha256: String) -> String { catalog.store.path(of: sha256) }
}
