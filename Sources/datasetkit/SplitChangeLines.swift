import Splitter

/// The lines that name a split's changes (`split status`, `split --update`, `export --split`): per kind a
/// count, then each image by id and first origin — never only a count.
enum SplitChangeLines {
  /// Images listed per kind without --verbose.
  static let listed = 20

  /// `done`: the changes were taken in (`split --update`), else they are pending.
  static func lines(_ changes: [SplitChange], verbose: Bool, done: Bool = false) -> [String] {
    var lines: [String] = []
    for kind in SplitChange.Kind.allCases {
      let ofKind = changes.filter { $0.kind == kind }
      guard let first = ofKind.first else { continue }
      let n = ofKind.count
      let what: String
      switch kind {
      case .duplicate: what = done ? "marked duplicate: left the split" : "marked duplicate since: leave on update"
      case .excluded:
        what = done ? "rejected or quarantined: left the split" : "rejected or quarantined since: leave on update"
      case .relabelled:
        what = done ? "relabelled: took the new label" : "relabelled since: take the new label on update"
      case .unlabelled:
        what =
          first.leaves
          ? (done ? "lost their label in the view: left the split" : "lost their label in the view: leave on update")
          : (done ? "lost their label: kept without one" : "lost their label: stay without one on update")
      case .boxesChanged:
        what = done ? "boxes changed: took the new boxes" : "boxes changed since: take the new boxes on update"
      case .deselected:
        what =
          done
          ? "no longer match the split's --kind/--source: left the split"
          : "no longer match the split's --kind/--source: leave on update"
      case .new: what = done ? "new: assigned" : "new images the split would take: assigned on update"
      }
      lines.append("  \(n) \(what)")
      let shown = verbose ? ofKind : Array(ofKind.prefix(listed))
      for change in shown {
        var line = "    image \(change.imageID) \(Output.printable(change.path.isEmpty ? change.sha256 : change.path))"
        var detail: [String] = []
        if let subset = change.subset { detail.append(subset) }
        switch kind {
        case .relabelled, .unlabelled:
          detail.append(
            "\(Output.printable(change.label ?? "(no label)")) → \(Output.printable(change.newLabel ?? "(no label)"))")
        case .boxesChanged:
          if let label = change.label { detail.append(Output.printable(label)) }
          detail.append("\(boxes(change.boxesBefore)) → \(boxes(change.boxesAfter))")
        case .new: if let label = change.newLabel { detail.append(Output.printable(label)) }
        default: if let label = change.label { detail.append(Output.printable(label)) }
        }
        if !detail.isEmpty { line += " (" + detail.joined(separator: ", ") + ")" }
        lines.append(line)
      }
      if shown.count < n { lines.append("    … and \(n - shown.count) more (--verbose or --json lists them all)") }
    }
    return lines
  }

  /// "1 box", "3 boxes".
  static func boxes(_ count: Int?) -> String {
    let n = count ?? 0
    return n == 1 ? "1 box" : "\(n) boxes"
  }
}
