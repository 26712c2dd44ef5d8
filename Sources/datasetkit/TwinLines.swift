import Annotations

/// Lines describing images annotated by several files (merge, import, voc lint): both file names, the
/// largest box shift and the class disagreements.
enum TwinLines {
  static func lines(_ twins: [AnnotationTwin], limit: Int) -> [String] {
    var out: [String] = []
    for twin in twins.prefix(limit) {
      let what = twin.sha256.isEmpty ? "" : "\(twin.sha256.prefix(12)) "
      out.append("  \(what)kept \(Output.printable(twin.kept))")
      for other in twin.alternates {
        let shift = other.largestShift.map { String(format: "largest box shift %.0f px", $0) } ?? "no box to compare"
        let classes =
          other.classDisagreements.isEmpty
          ? "same classes"
          : "classes differ: "
            + other.classDisagreements.sorted { $0.key < $1.key }.map { "\(Output.printable($0.key)) ×\($0.value)" }
            .joined(separator: ", ")
        func boxes(_ n: Int) -> String { n == 1 ? "1 box" : "\(n) boxes" }
        out.append(
          "    alternate \(Output.printable(other.file)): \(boxes(other.boxes)) (kept file \(boxes(other.keptBoxes))), \(shift), \(classes)"
        )
      }
    }
    if twins.count > limit { out.append("  … \(twins.count - limit) more (--verbose or --json lists them)") }
    return out
  }
}
