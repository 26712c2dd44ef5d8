import Catalog
import Foundation
import Imaging
import Ingest

/// The self-contained HTML page of a dedup run: clusters largest first with inline thumbnails,
/// distances, origins and the kept member, and the source × source near-duplicate matrix. Nothing is
/// fetched from anywhere: thumbnails are base64 JPEGs in `data:` URLs.
public enum DedupReportPage {
  /// Clusters drawn with thumbnails; the rest are counted.
  public static let clusterLimit = 500

  public static func render(_ result: DedupResult, catalog: Catalog, thumbnailSide: Int = 120) -> String {
    var html = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8"><title>datasetkit dedup report</title>
      <style>
      body{font:14px system-ui,sans-serif;margin:24px;color:#222}
      h2{margin-top:32px} table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
      th:first-child,td:first-child{text-align:left}
      .cluster{border:1px solid #ddd;border-radius:6px;padding:8px;margin:12px 0}
      .members{display:flex;flex-wrap:wrap;gap:8px}
      .member{width:\(thumbnailSide + 40)px;font-size:11px;word-break:break-all}
      .member img{display:block;max-width:\(thumbnailSide)px;max-height:\(thumbnailSide)px;border:3px solid #bbb}
      .kept img{border-color:#2a2} .kept b{color:#2a2}
      .none{color:#999} .wide{border-color:#d80;background:#fff8ee} .flag{color:#b60;font-weight:bold}
      .related{border-color:#48c;background:#f2f7ff} .related .member img{border-color:#48c}
      </style></head><body>
      <h1>Near-duplicates</h1>

      """
    let totalImages = result.imagesSearched
    html +=
      "<p>Method <b>\(escape(result.method))</b>, radius <b>\(result.radius)</b>, keep <b>\(escape(result.keep))</b>"
    html += result.dryRun ? " — <b>dry run</b>: nothing was changed.</p>\n" : ".</p>\n"
    html +=
      "<p>\(totalImages) images compared, \(result.pairs) pairs within the radius, \(result.clusters.count) clusters "
    html += "holding \(result.imagesInClusters) images; \(result.markedDuplicate) marked duplicate in this run.</p>\n"
    html += "<p>Every member of a cluster is within the radius of its kept image (star linkage). Pairs joined "
    html += "transitively form \(result.groups) near-duplicate groups of \(result.imagesInGroups) images; "
    html += "\(result.wideGroups.count) of them hold several clusters (a chain reaching beyond the radius): "
    html += "nothing is marked for being in one, but a split keeps each group in one subset.</p>\n"
    if result.candidates > 0 {
      html +=
        "<p>Two relations. <b>Duplicate</b>: the same picture (resized, re-encoded, brightened, cropped a little), "
      html +=
        "confirmed by comparing the pixels; marked, one kept. <b>Related</b>: a mirrored, painted or edited copy; "
      html +=
        "never marked, kept in one subset by splits. \(result.candidates) hash candidates: \(result.pairs) duplicate "
      html +=
        "pairs, \(result.relatedPairs) related pairs, \(result.rejectedCandidates) rejected (different pictures that "
      html += "hash alike).</p>\n"
    }
    if !result.hashing.skipped.isEmpty {
      html += "<p>Skipped (could not be hashed): \(result.hashing.skipped.count)</p><ul>\n"
      for skipped in result.hashing.skipped.prefix(100) {
        html += "<li>\(escape(skipped.origin)): \(escape(skipped.reason))</li>\n"
      }
      html += "</ul>\n"
    }

    html += "<h2>Source × source</h2>\n"
    html += sourceMatrix(result.sourceMatrix)

    let wide = Dictionary(result.wideGroups.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
    if !result.wideGroups.isEmpty {
      html += "<h2>Wide near-duplicate groups</h2>\n<table><tr><th>group</th><th>images</th><th>clusters</th></tr>\n"
      for group in result.wideGroups.prefix(clusterLimit) {
        html += "<tr><td>\(group.id)</td><td>\(group.imageIDs.count)</td><td>"
        html += group.clusterIDs.map(String.init).joined(separator: ", ") + "</td></tr>\n"
      }
      html += "</table>\n"
    }

    html += "<h2>Duplicate clusters, largest first</h2>\n"
    for cluster in result.clusters.prefix(clusterLimit) {
      let group = wide[cluster.groupID]
      html +=
        "<div class=\"cluster\(group == nil ? "" : " wide")\"><div>Cluster \(cluster.id) — \(cluster.members.count) images (\(escape(cluster.change)))"
      if let group {
        html +=
          " <span class=\"flag\">wide group \(group.id): \(group.imageIDs.count) images in \(group.clusterIDs.count) clusters</span>"
      }
      if cluster.conflictingLabels { html += " <span class=\"flag\">labels differ: one kept per label</span>" }
      html += "</div>\n"
      html += "<div class=\"members\">\n"
      for member in cluster.members {
        html += "<div class=\"member\(member.kept ? " kept" : "")\">"
        if let thumbnail = thumbnail(member.sha256, catalog: catalog, side: thumbnailSide) {
          html += "<img alt=\"image \(member.imageID)\" src=\"data:image/jpeg;base64,\(thumbnail)\">"
        } else {
          html += "<div class=\"none\">(no preview)</div>"
        }
        html += member.kept ? "<b>kept</b>" : escape(member.status.rawValue)
        html += " · distance \(member.distanceToKept)"
        html += "<br>label " + (member.label.isEmpty ? "<i>none</i>" : "<b>\(escape(member.label))</b>")
        if let decision = member.decision { html += " · <span class=\"flag\">\(escape(decision)) by a person</span>" }
        html += "<br>#\(member.imageID) · \(member.width)×\(member.height) · \(member.bytes / 1024) KB"
        for origin in member.origins.prefix(5) { html += "<br>\(escape(origin))" }
        if member.origins.count > 5 { html += "<br>… \(member.origins.count - 5) more origins" }
        html += "</div>\n"
      }
      html += "</div></div>\n"
    }
    if result.clusters.count > clusterLimit {
      html += "<p>… and \(result.clusters.count - clusterLimit) smaller clusters (see <code>--json</code>).</p>\n"
    }
    if result.clusters.isEmpty { html += "<p class=\"none\">No near-duplicates.</p>\n" }
    html += relatedGroups(result, catalog: catalog, thumbnailSide: thumbnailSide)
    html += "</body></html>\n"
    return html
  }

  /// The related groups, each member with its label, status and the link that tied it in.
  static func relatedGroups(_ result: DedupResult, catalog: Catalog, thumbnailSide: Int) -> String {
    var html = "<h2>Related groups (never marked; a split keeps each in one subset)</h2>\n"
    if result.relatedGroups.isEmpty { return html + "<p class=\"none\">No related images.</p>\n" }
    for group in result.relatedGroups.prefix(clusterLimit) {
      html += "<div class=\"cluster related\"><div>Related group \(group.id) — \(group.members.count) images</div>\n"
      html += "<div class=\"members\">\n"
      for member in group.members {
        html += "<div class=\"member\">"
        if let thumbnail = thumbnail(member.sha256, catalog: catalog, side: thumbnailSide) {
          html += "<img alt=\"image \(member.imageID)\" src=\"data:image/jpeg;base64,\(thumbnail)\">"
        } else {
          html += "<div class=\"none\">(no preview)</div>"
        }
        html += "#\(member.imageID) · \(escape(member.status.rawValue))"
        html += "<br>label " + (member.label.isEmpty ? "<i>none</i>" : "<b>\(escape(member.label))</b>")
        if let other = member.linkedTo {
          html += "<br><b>\(escape(member.relation ?? ""))</b> (\(escape(member.evidence ?? ""))) of #\(other)"
          html += " · distance \(member.distance.map(String.init) ?? "-")"
          if let similarity = member.similarity { html += " · similarity \(String(format: "%.3f", similarity))" }
        } else {
          html += "<br>first of the group"
        }
        for origin in member.origins.prefix(3) { html += "<br>\(escape(origin))" }
        html += "</div>\n"
      }
      html += "</div></div>\n"
    }
    if result.relatedGroups.count > clusterLimit {
      html +=
        "<p>… and \(result.relatedGroups.count - clusterLimit) more related groups (see <code>--json</code>).</p>\n"
    }
    return html
  }

  /// Renders the page and writes it to `path` (replacing the file at once; `OutputFile` refuses the workspace's
  /// own files, devices, FIFOs and folders).
  public static func write(_ result: DedupResult, catalog: Catalog, to path: String) throws {
    do {
      try OutputFile.write(Array(render(result, catalog: catalog).utf8), to: path, workspace: catalog.workspace)
    } catch let refused as CatalogError {
      throw refused
    } catch {
      throw DedupError.reportNotWritten(path: path, reason: error.localizedDescription)
    }
  }

  static func sourceMatrix(_ counts: [SourcePairCount]) -> String {
    let names = Array(Set(counts.flatMap { [$0.sourceA, $0.sourceB] })).sorted()
    guard !names.isEmpty else { return "<p class=\"none\">No near-duplicate pairs.</p>\n" }
    var lookup: [String: Int] = [:]
    for count in counts {
      lookup["\(count.sourceA)\u{0}\(count.sourceB)"] = count.pairs
      lookup["\(count.sourceB)\u{0}\(count.sourceA)"] = count.pairs
    }
    var html = "<table><tr><th>pairs</th>" + names.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
    for a in names {
      html += "<tr><th>\(escape(a))</th>"
      for b in names {
        let value = lookup["\(a)\u{0}\(b)"] ?? 0
        html += value == 0 ? "<td class=\"none\">·</td>" : "<td>\(value)</td>"
      }
      html += "</tr>\n"
    }
    return html + "</table>\n"
  }

  /// A small JPEG of an object, base64, or nil when it cannot be read or decoded.
  static func thumbnail(_ sha256: String, catalog: Catalog, side: Int) -> String? {
    guard let bytes = try? catalog.store.read(sha256) else { return nil }
    return bytes.withUnsafeBytes { raw in
      DecodedImage.thumbnailJPEG(of: raw, side: side).map { Data($0).base64EncodedString() }
    }
  }

  /// Text made safe inside HTML elements and quoted attributes (the dataset card uses it too).
  public static func escape(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(character)
      }
    }
    return out
  }
}
