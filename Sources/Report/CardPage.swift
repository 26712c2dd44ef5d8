import Catalog
import Dedup
import Foundation

/// The dataset card as one self-contained HTML page: inline CSS, no script, pictures as `data:` URLs, and a
/// Content-Security-Policy that forbids the page any request. Every chart label sits in its own table cell
/// or flex item (class `lbl`), so labels cannot run into each other whatever their length.
public enum CardPage {
  static let palette = [
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f", "#ff9da7",
  ]

  public static func render(_ card: DatasetCard, thumbnails: CardThumbnails) -> String {
    var page = Page(card: card, thumbnails: thumbnails)
    page.header()
    page.composition()
    page.confounds()
    page.samples()
    page.quality()
    page.provenance()
    page.html += "</main></body></html>\n"
    return page.html
  }

  /// Renders the page and writes it to `path` (replacing the file at once; `OutputFile` refuses the workspace's
  /// own files, devices, FIFOs and folders).
  public static func write(
    _ card: DatasetCard, thumbnails: CardThumbnails, to path: String, workspace: Workspace
  ) throws {
    do {
      try OutputFile.write(Array(render(card, thumbnails: thumbnails).utf8), to: path, workspace: workspace)
    } catch let refused as CatalogError {
      throw refused
    } catch {
      throw ReportError.notWritten(path: path, reason: error.localizedDescription)
    }
  }

  static let style = """
    body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
    main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
    h1{font-size:24px;margin:8px 0} h2{margin-top:36px;border-bottom:2px solid #ddd;padding-bottom:4px}
    h3{font-size:15px;margin:20px 0 6px}
    .meta{color:#555} code{font-size:12px;word-break:break-all}
    table{border-collapse:collapse;margin:6px 0 12px} td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:middle}
    table.num td:not(:first-child):not(.s),table.num th:not(:first-child):not(.s){text-align:right} th{background:#f0f0f0;font-weight:600}
    table.heat td.warn{outline:3px solid #d62728;outline-offset:-3px}
    table.bars td,table.bars th{border:none;padding:3px 6px}
    .bar{display:flex;width:480px;height:22px;background:#eee;border-radius:3px;overflow:hidden}
    .bar.target{height:8px;margin-top:2px;opacity:.55}
    .bar span{display:block;height:100%}
    .legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:8px 0;padding:0;list-style:none}
    .legend li{display:flex;align-items:center;gap:6px}
    .sw{display:inline-block;width:12px;height:12px;border-radius:2px;flex:none}
    .warnings{padding:0;list-style:none} .warning{background:#fff3cd;border-left:5px solid #e0a800;padding:8px 12px;margin:6px 0}
    .ok{background:#e6f4ea;border-left:5px solid #34a853;padding:8px 12px}
    .thresholds{font-size:12px;color:#555}
    .bad{color:#b00020;font-weight:600}
    .strip{display:flex;flex-wrap:wrap;gap:4px;align-items:flex-end;margin:2px 0 10px}
    .t{position:relative;display:inline-block;outline:none}
    .t img,.t .none{display:block;max-width:72px;max-height:72px;border:1px solid #ccc;background:#fff}
    .t .none{width:72px;height:54px}
    .t.crop img{border:2px solid #4e79a7}
    .t .p{display:none;position:absolute;z-index:5;left:0;top:100%;background:#fff;border:1px solid #888;padding:4px;box-shadow:0 2px 8px #0004}
    .t:hover .p,.t:focus .p{display:block}
    .p .frame{position:relative} .p .frame img{max-width:none;max-height:none;border:none}
    .p .box{position:absolute;border:2px solid #e15759;box-sizing:border-box}
    .p .cap{font-size:11px;color:#555;white-space:nowrap}
    .charts{display:flex;flex-wrap:wrap;gap:12px 24px}
    .chart{background:#fff;border:1px solid #e3e3e3;border-radius:4px;padding:6px 10px}
    .chart table{margin:0} .chart td{border:none;padding:0 3px;text-align:center;font-size:11px;vertical-align:bottom}
    .col{width:22px;margin:0 auto;background:#4e79a7}
    .cluster{display:flex;gap:12px;align-items:center;margin:6px 0}
    .small{font-size:12px;color:#555}
    """

  struct Page {
    let card: DatasetCard
    let thumbnails: CardThumbnails
    var html = ""

    init(card: DatasetCard, thumbnails: CardThumbnails) {
      self.card = card
      self.thumbnails = thumbnails
    }

    func name(_ label: String) -> String { label.isEmpty ? "(no label)" : label }
    func colour(_ label: String) -> String {
      guard let index = card.classes.firstIndex(of: label), !label.isEmpty else { return "#bbb" }
      return CardPage.palette[index % CardPage.palette.count]
    }

    mutating func header() {
      let title = "Dataset card" + (card.split.map { " — split \($0.name)" } ?? " — all active images")
      html += """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(e(title))</title><style>\(CardPage.style)</style></head><body><main>
        <h1>\(e(title))</h1>

        """
      let labels = card.classes.filter { !$0.isEmpty }
      html += "<p class=\"meta\">\(card.images) images · \(labels.count) classes"
      html += " (\(card.view.isEmpty ? "labels as found" : "view " + e(card.view)))"
      html += " · subsets \(card.subsets.map(e).joined(separator: ", "))"
      if let split = card.split { html += " · split seed \(split.seed), made \(e(split.createdAt))" }
      html +=
        "</p>\n<p class=\"meta\">Made by datasetkit \(e(card.toolVersion)) from a catalog of schema \(card.catalogSchema); "
      html += "fingerprint <code>\(card.fingerprint)</code></p>\n"
      html +=
        card.warnings.isEmpty
        ? "<p class=\"ok\">No confound warning (thresholds under <a href=\"#confounds\">Confounds</a>).</p>\n"
        : "<p class=\"warning\"><b>\(card.warnings.count) confound warning\(card.warnings.count == 1 ? "" : "s")</b>: see <a href=\"#confounds\">Confounds</a>.</p>\n"
    }

    mutating func legend() {
      html += "<ul class=\"legend\">"
      for label in card.classes {
        html +=
          "<li><span class=\"sw\" style=\"background:\(colour(label))\"></span><span class=\"lbl\">\(e(name(label)))</span></li>"
      }
      html += "</ul>\n"
    }

    mutating func composition() {
      html += "<section id=\"composition\"><h2>1. Composition</h2>\n"
      html += "<p>Each subset's classes as proportions of the subset (upper bar) next to the proportions of the whole "
      html += "set (lower, faint bar): the target of a stratified split.</p>\n"
      legend()
      html += "<table class=\"bars\">"
      for subset in card.composition {
        html += "<tr><th class=\"lbl\">\(e(subset.subset))</th><td><div class=\"bar\">"
        for share in subset.classes where share.images > 0 {
          html +=
            "<span style=\"width:\(pct(share.share));background:\(colour(share.label))\" title=\"\(e(name(share.label))): \(share.images) (\(percent(share.share)))\"></span>"
        }
        html += "</div><div class=\"bar target\">"
        for share in subset.classes where share.targetShare > 0 {
          html +=
            "<span style=\"width:\(pct(share.targetShare));background:\(colour(share.label))\" title=\"\(e(name(share.label))) in the whole set: \(percent(share.targetShare))\"></span>"
        }
        html += "</div></td><td class=\"lbl\">\(subset.images) images · \(percent(subset.share))"
        if card.split != nil { html += " (target \(percent(subset.targetShare)))" }
        html += "</td></tr>"
      }
      html += "</table>\n<table class=\"num\"><tr><th>class</th>"
      html += card.composition.map { "<th>\(e($0.subset))</th>" }.joined() + "<th>whole set</th></tr>\n"
      for (index, label) in card.classes.enumerated() {
        html += "<tr><td><span class=\"sw\" style=\"background:\(colour(label))\"></span> \(e(name(label)))</td>"
        for subset in card.composition {
          let share = subset.classes[index]
          html += "<td>\(percent(share.share)) <span class=\"small\">(\(share.images))</span></td>"
        }
        html += "<td>\(percent(card.composition.first?.classes[index].targetShare ?? 0))</td></tr>\n"
      }
      html += "</table>\n"
      if let split = card.split {
        html += "<h3>Per class: the split against its target (ratios "
        html += split.ratios.map { "\(e($0.subset)) \(percent($0.ratio))" }.joined(separator: ", ") + ")</h3>\n"
        html += "<table class=\"num\"><tr><th>class</th><th>images</th>"
        html += card.subsets.map { "<th>\(e($0)) actual / target</th>" }.joined() + "<th>off by</th></tr>\n"
        for deviation in card.deviations {
          html += "<tr><td>\(e(name(deviation.label)))</td><td>\(deviation.total)</td>"
          for cell in deviation.subsets {
            html +=
              "<td>\(cell.actual) / \(cell.target) <span class=\"small\">(\(percent(cell.share)) vs \(percent(cell.targetShare)))</span></td>"
          }
          let bad = deviation.deviation > 1 && deviation.deviationPoints >= 2
          html +=
            "<td\(bad ? " class=\"bad\"" : "")>\(deviation.deviation) image\(deviation.deviation == 1 ? "" : "s") · "
          html += String(format: "%.1f", deviation.deviationPoints) + " points</td></tr>\n"
        }
        html += "</table>\n"
      }
      html += "</section>\n"
    }

    mutating func confounds() {
      let c = card.confounds
      let t = c.thresholds
      html += "<section id=\"confounds\"><h2>2. Confounds</h2>\n"
      html +=
        "<p class=\"thresholds\">A warning is raised when a source supplies at least \(percent(t.sourceShare)) of a class's "
      html +=
        "images while supplying less than \(percent(t.sourceShareElsewhere)) of the other classes' images; when the "
      html +=
        "typical image side (median √(width × height)) of two classes is \(fmt(t.sizeRatio))× apart or more; when their "
      html += "median aspect ratios are \(fmt(t.aspectRatio))× apart or more; or when a file format's share differs by "
      html +=
        "\(Int((t.formatGap * 100).rounded())) percentage points or more between two classes. Classes with fewer than "
      html += "\(t.minClassImages) images are not compared. An image counts for the source of its first origin.</p>\n"
      if card.warnings.isEmpty {
        html += "<p class=\"ok\">No confound warning at these thresholds.</p>\n"
      } else {
        html += "<ul class=\"warnings\">"
        for warning in card.warnings {
          html += "<li class=\"warning\" data-kind=\"\(e(warning.kind))\">⚠ \(e(warning.message))</li>"
        }
        html += "</ul>\n"
      }
      html += "<h3>Class × source (share of each class's images; a red frame marks a warning)</h3>\n"
      if c.sources.isEmpty {
        html += "<p class=\"small\">No labelled image.</p>\n"
      } else {
        html +=
          "<table class=\"heat num\"><tr><th>class</th>" + c.sources.map { "<th class=\"lbl\">\(e($0))</th>" }.joined()
        html += "<th>images</th></tr>\n"
        let warned = Set(card.warnings.compactMap { w in w.source.map { "\(w.label)\u{0}\($0)" } })
        for row in c.rows {
          html += "<tr><td>\(e(name(row.label)))</td>"
          for (index, (images, share)) in zip(row.images, row.shares).enumerated() {
            let alpha = String(format: "%.2f", 0.06 + 0.8 * share)
            let ink = share > 0.55 ? "#fff" : "#222"
            let warn = warned.contains("\(row.label)\u{0}\(c.sources[index])") ? " class=\"warn\"" : ""
            html +=
              images == 0
              ? "<td class=\"small\">·</td>"
              : "<td\(warn) style=\"background:rgba(40,90,160,\(alpha));color:\(ink)\">\(percent(share)) <span>(\(images))</span></td>"
          }
          html += "<td>\(row.images.reduce(0, +))</td></tr>\n"
        }
        html += "</table>\n"
      }
      html +=
        "<h3>Image figures per class</h3>\n<table class=\"num\"><tr><th>class</th><th>images</th><th>typical side</th>"
      html += "<th>median aspect</th><th class=\"s\">formats</th></tr>\n"
      for figure in c.classFigures {
        html +=
          "<tr><td>\(e(figure.label))</td><td>\(figure.images)</td><td>\(Int(figure.typicalSide.rounded())) px</td>"
        html += "<td>\(String(format: "%.2f", figure.medianAspect))</td><td class=\"s\">"
        html += figure.formats.map { "\(e($0.format)) \(percent($0.share))" }.joined(separator: ", ") + "</td></tr>\n"
      }
      html += "</table>\n</section>\n"
    }

    func thumbnail(_ image: CardImage, caption: String = "") -> String {
      let alt = "image \(image.id)"
      let img =
        thumbnails.image(image.sha256, side: CardThumbnails.side).map {
          "<img alt=\"\(alt)\" src=\"data:image/jpeg;base64,\($0)\">"
        } ?? "<span class=\"none\" title=\"\(alt): no preview\"></span>"
      let title = "#\(image.id) · \(image.width)×\(image.height)" + (caption.isEmpty ? "" : " · " + caption)
      guard let parent = image.parent else { return "<span class=\"t\" title=\"\(e(title))\">\(img)</span>" }
      var out =
        "<span class=\"t crop\" tabindex=\"0\" title=\"\(e(title)) · a crop: hover or click for its photo\">\(img)"
      out += "<span class=\"p\">"
      if let photo = thumbnails.image(parent.sha256, side: CardThumbnails.parentSide), parent.width > 0,
        parent.height > 0
      {
        let scale = min(1, Double(CardThumbnails.parentSide) / Double(max(parent.width, parent.height)))
        let w = max(1, Int(Double(parent.width) * scale))
        let h = max(1, Int(Double(parent.height) * scale))
        out += "<span class=\"frame\" style=\"display:block;width:\(w)px;height:\(h)px\">"
        out += "<img alt=\"photo \(parent.id)\" width=\"\(w)\" height=\"\(h)\" src=\"data:image/jpeg;base64,\(photo)\">"
        if let box = parent.box, box.count == 4 {
          let pw = Double(parent.width)
          let ph = Double(parent.height)
          out += "<span class=\"box\" style=\"left:\(pct(box[0] / pw));top:\(pct(box[1] / ph));"
          out += "width:\(pct((box[2] - box[0]) / pw));height:\(pct((box[3] - box[1]) / ph))\"></span>"
        }
        out += "</span>"
      }
      out += "<span class=\"cap\">cut from #\(parent.id) (\(parent.width)×\(parent.height))</span></span></span>"
      return out
    }

    mutating func samples() {
      let s = card.samples
      html += "<section id=\"samples\"><h2>3. Samples</h2>\n"
      html +=
        "<p>Up to \(s.perStrip) images per subset and class, chosen by a hash of their SHA-256 with seed \(s.seed) "
      html +=
        "(the same catalog and seed show the same images). Crops have a blue frame: hover or click one to see the "
      html += "photo it was cut from.</p>\n"
      var current = ""
      for strip in s.strips {
        if strip.subset != current {
          current = strip.subset
          html += "<h3>\(e(strip.subset))</h3>\n"
        }
        html += "<div class=\"small lbl\"><span class=\"sw\" style=\"background:\(colour(strip.label))\"></span> "
        html += "\(e(name(strip.label))) — \(strip.images) images</div>\n<div class=\"strip\">"
        html += strip.samples.map { thumbnail($0) }.joined() + "</div>\n"
      }
      if s.strips.isEmpty { html += "<p class=\"small\">No image.</p>\n" }
      html += "</section>\n"
    }

    mutating func histogram(_ title: String, _ histogram: Histogram, colour: String) {
      let top = max(1, histogram.counts.max() ?? 1)
      html += "<div class=\"chart\"><div class=\"small lbl\">\(title)</div><table><tr>"
      for count in histogram.counts {
        let height = count == 0 ? 0 : max(2, Int((60 * Double(count) / Double(top)).rounded()))
        html += "<td><div class=\"col\" style=\"height:\(height)px;background:\(colour)\"></div></td>"
      }
      html += "</tr><tr>" + histogram.counts.map { "<td class=\"lbl\">\($0)</td>" }.joined()
      html += "</tr><tr>" + histogram.bins.map { "<td class=\"lbl\">\(e($0))</td>" }.joined() + "</tr></table></div>\n"
    }

    mutating func quality() {
      let q = card.quality
      html +=
        "<section id=\"quality\"><h2>4. Quality</h2>\n<h3>Image size (longer side, px) and aspect ratio (width / height) per class</h3>\n"
      html += "<div class=\"charts\">"
      for class_ in q.histograms {
        histogram("\(e(name(class_.label))): longer side", class_.size, colour: colour(class_.label))
        histogram("\(e(name(class_.label))): aspect", class_.aspect, colour: colour(class_.label))
      }
      html += "</div>\n<h3>Removed from training (whole catalog)</h3>\n"
      if q.removed.isEmpty {
        html += "<p class=\"small\">No image is quarantined, rejected or marked duplicate.</p>\n"
      } else {
        html += "<table class=\"num\"><tr><th>status</th><th class=\"s\">reason</th><th>images</th></tr>\n"
        for row in q.removed {
          html +=
            "<tr><td>\(e(row.status))</td><td class=\"s\">\(e(row.reason.isEmpty ? "-" : row.reason))</td><td>\(row.images)</td></tr>\n"
        }
        html += "</table>\n"
      }
      let d = q.duplicates
      html += "<h3>Near-duplicate clusters</h3>\n"
      if d.methods.isEmpty {
        html += "<p class=\"small\">No dedup run recorded (<code>datasetkit dedup</code> finds them).</p>\n"
      } else {
        html += "<table class=\"num\"><tr><th>method</th><th>radius</th><th>clusters</th><th>images in them</th></tr>\n"
        for method in d.methods {
          html +=
            "<tr><td>\(e(method.method))</td><td>\(method.radius)</td><td>\(method.clusters)</td><td>\(method.images)</td></tr>\n"
        }
        html +=
          "</table>\n<p>\(d.markedDuplicate) images marked duplicate. The largest clusters touching these images (kept member first):</p>\n"
        for cluster in d.largest {
          html +=
            "<div class=\"cluster\"><span class=\"small lbl\">cluster \(cluster.id): \(cluster.members) images</span><div class=\"strip\">"
          html +=
            cluster.shown.map { thumbnail($0, caption: $0.id == cluster.kept ? "kept" : "") }.joined()
            + "</div></div>\n"
        }
      }
      html += "<h3>Leakage across subsets</h3>\n"
      if let leakage = q.leakage {
        let how =
          leakage.hashAlgorithm.map { "stored \(e($0)) hashes within \(leakage.radius) bits, and shared clusters" }
          ?? "shared clusters only (no hashes stored)"
        if leakage.pairs == 0 {
          html += "<p class=\"ok\">No near-duplicate pair crosses subsets (\(how)).</p>\n"
        } else {
          html +=
            "<p class=\"warning\">\(leakage.pairs) near-duplicate pairs cross subsets (\(how)), as <code>datasetkit check leakage</code> reports them"
          html += leakage.pairs > leakage.shown.count ? "; the first \(leakage.shown.count):" : ":"
          html += "</p>\n"
          for pair in leakage.shown {
            html +=
              "<div class=\"cluster\">" + thumbnail(pair.first)
              + "<span class=\"small lbl\">\(e(pair.firstSubset)) ↔ \(e(pair.secondSubset))"
            html += (pair.distance.map { ", distance \($0)" } ?? "") + "</span>"
            html += thumbnail(pair.second) + "<span class=\"small\">\(e(pair.evidence))</span></div>\n"
          }
        }
      } else {
        html += "<p class=\"small\">No split described: leakage needs one (<code>--split</code>).</p>\n"
      }
      if let boxes = q.boxes {
        html += "<h3>Boxes</h3>\n<p>\(boxes.boxes) boxes (not rejected) on \(boxes.images) of these images: "
        html +=
          boxes.byClass.map { "\(e(name($0.label))) \($0.boxes)" }.joined(separator: ", ")
          + ".</p>\n<div class=\"charts\">"
        histogram("boxes per image", boxes.perImage, colour: "#76b7b2")
        histogram("box side √(w × h), px", boxes.size, colour: "#76b7b2")
        html += "</div>\n"
      }
      html += "</section>\n"
    }

    mutating func provenance() {
      let p = card.provenance
      html += "<section id=\"provenance\"><h2>5. Provenance</h2>\n<h3>Licenses</h3>\n"
      html += "<table class=\"num\"><tr><th>license</th><th>images</th></tr>\n"
      for license in p.licenses { html += "<tr><td>\(e(license.license))</td><td>\(license.images)</td></tr>\n" }
      html +=
        "</table>\n<p class=\"small\">An image with origins under two licenses counts under both.</p>\n<h3>Sources</h3>\n"
      html +=
        "<table class=\"num\"><tr><th>source</th><th class=\"s\">kind</th><th class=\"s\">origin</th><th class=\"s\">recipe</th><th class=\"s\">license</th><th>images</th><th>with URL</th></tr>\n"
      for source in p.sources {
        html +=
          "<tr><td>\(e(source.name))</td><td class=\"s\">\(e(source.kind))</td><td class=\"s\"><code>\(e(source.uri))</code></td>"
        html +=
          "<td class=\"s\">\(e(source.recipe ?? "-"))</td><td class=\"s\">\(e(source.license ?? "-"))</td><td>\(source.images)</td><td>\(source.withURL)</td></tr>\n"
      }
      html += "</table>\n<h3>This card</h3>\n<table>"
      html += "<tr><td>tool</td><td>datasetkit \(e(card.toolVersion))</td></tr>"
      html += "<tr><td>catalog schema</td><td>\(card.catalogSchema)</td></tr>"
      html += "<tr><td>fingerprint</td><td><code>\(card.fingerprint)</code></td></tr>"
      html += "<tr><td>fingerprint of</td><td>\(e(card.fingerprintRule))</td></tr>"
      html += "</table>\n</section>\n"
    }

    func e(_ text: String) -> String { DedupReportPage.escape(text) }
    func pct(_ share: Double) -> String { String(format: "%.2f%%", max(0, min(1, share.isFinite ? share : 0)) * 100) }
    func fmt(_ value: Double) -> String { value == value.rounded() ? "\(Int(value))" : String(format: "%.2f", value) }
  }
}
