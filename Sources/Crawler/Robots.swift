import Foundation

/// robots.txt rules for one agent (RFC 9309): the group naming the agent's product token, else `*`;
/// the longest matching `Allow`/`Disallow` path wins, `Allow` on a tie; `*` and `$` wildcards.
public struct RobotsRules: Sendable, Equatable {
  struct Rule: Sendable, Equatable {
    var allow: Bool
    var pattern: String
  }
  var rules: [Rule]

  /// Everything allowed (robots.txt missing: 4xx).
  public static let allowAll = RobotsRules(rules: [])
  /// Nothing allowed (robots.txt unreachable: 5xx or a failed transfer).
  public static let disallowAll = RobotsRules(rules: [Rule(allow: false, pattern: "/")])

  init(rules: [Rule]) { self.rules = rules }

  /// Parses robots.txt text for `agent` (a product token such as "datasetkit").
  public init(parsing text: String, agent: String) {
    let token = agent.lowercased()
    var groups: [(agents: [String], rules: [Rule])] = []
    var collectingAgents = false
    for rawLine in text.split(whereSeparator: \.isNewline) {
      let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      guard let colon = line.firstIndex(of: ":") else { continue }
      let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      switch field {
      case "user-agent":
        if !collectingAgents || groups.isEmpty { groups.append(([], [])) }
        groups[groups.count - 1].agents.append(value.lowercased())
        collectingAgents = true
      case "allow", "disallow":
        collectingAgents = false
        guard !groups.isEmpty, !value.isEmpty else { continue }
        groups[groups.count - 1].rules.append(Rule(allow: field == "allow", pattern: value))
      default:
        continue
      }
    }
    let named = groups.filter { $0.agents.contains { $0 != "*" && token.hasPrefix($0) } }
    let chosen = named.isEmpty ? groups.filter { $0.agents.contains("*") } : named
    rules = chosen.flatMap(\.rules)
  }

  /// Whether `path` (path plus query, starting with `/`) may be fetched.
  public func allows(_ path: String) -> Bool {
    var best: Rule?
    for rule in rules where Self.matches(rule.pattern, path) {
      if let current = best {
        if rule.pattern.count > current.pattern.count || (rule.pattern.count == current.pattern.count && rule.allow) {
          best = rule
        }
      } else {
        best = rule
      }
    }
    return best?.allow ?? true
  }

  static func matches(_ pattern: String, _ path: String) -> Bool {
    let anchored = pattern.hasSuffix("$")
    let body = anchored ? String(pattern.dropLast()) : pattern
    let pieces = body.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
    var position = path.startIndex
    for (index, piece) in pieces.enumerated() {
      if index == 0 {
        guard path[position...].hasPrefix(piece) else { return false }
        position = path.index(position, offsetBy: piece.count)
      } else if piece.isEmpty {
        continue
      } else if index == pieces.count - 1 && anchored {
        return path[position...].hasSuffix(piece)
      } else {
        guard let found = path.range(of: piece, range: position..<path.endIndex) else { return false }
        position = found.upperBound
      }
    }
    return !anchored || position == path.endIndex || (pieces.last?.isEmpty ?? false)
  }
}

/// Whether an `X-Robots-Tag` header value excludes AI/ML use of an image (`noai`, `noimageai`), for
/// any agent or for ours.
func robotsTagForbidsAI(_ value: String?, agent: String) -> Bool {
  guard let value else { return false }
  for part in value.lowercased().split(separator: ",") {
    var directive = part.trimmingCharacters(in: .whitespaces)
    if let colon = directive.firstIndex(of: ":") {
      let scope = directive[..<colon].trimmingCharacters(in: .whitespaces)
      let rest = directive[directive.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      // "googlebot: noai" is scoped to another agent; "unavailable_after: …" is not an agent scope.
      if !["noai", "noimageai"].contains(scope) {
        if !agent.lowercased().hasPrefix(scope) && scope != "*" { continue }
        directive = rest
      }
    }
    for token in directive.split(whereSeparator: { $0 == " " || $0 == ":" })
    where token == "noai" || token == "noimageai" {
      return true
    }
  }
  return false
}
