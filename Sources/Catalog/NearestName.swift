/// The name nearest to a mistyped one, for "did you mean": a subcommand or option (the CLI), a class
/// (`review relabel --label withmask` → `with_mask`).
public enum NearestName {
  /// The candidate nearest by edit distance (a swap of two neighbours counts as one edit), when it is near enough
  /// to be a typo: at most 2 edits (1 for words of up to 4 letters), or `typed` starts exactly one candidate
  /// (`imp` → `import`). Case is ignored. Ties go to the candidate listed first.
  public static func closest(to typed: String, among candidates: [String]) -> String? {
    let word = typed.lowercased()
    let allowed = word.count <= 4 ? 1 : 2
    var best: (name: String, distance: Int)?
    for candidate in candidates {
      let distance = editDistance(word, candidate.lowercased())
      if distance <= allowed && distance < (best?.distance ?? Int.max) { best = (candidate, distance) }
    }
    if let best { return best.name }
    let prefixed = candidates.filter { word.count >= 2 && $0.lowercased().hasPrefix(word) }
    return prefixed.count == 1 ? prefixed[0] : nil
  }

  /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two neighbouring
  /// characters (`lsit` → `list` is one edit).
  public static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a)
    let b = Array(b)
    guard !a.isEmpty else { return b.count }
    guard !b.isEmpty else { return a.count }
    var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
    for i in 0...a.count { table[i][0] = i }
    for j in 0...b.count { table[0][j] = j }
    for i in 1...a.count {
      for j in 1...b.count {
        let cost = a[i - 1] == b[j - 1] ? 0 : 1
        table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
        if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
          table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
        }
      }
    }
    return table[a.count][b.count]
  }
}
