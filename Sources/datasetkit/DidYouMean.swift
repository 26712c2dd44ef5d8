import ArgumentParser
import Catalog
import Foundation

/// A mistyped subcommand or option, with the nearest name there is: `datasetkit imprt` → "Did you mean 'import'?".
///
/// ArgumentParser reports a mistyped subcommand only as an unexpected argument, and a mistyped option only once
/// the command's `validate()` has passed (`crawl --queyr mask` fails first on the missing --query). So after any
/// usage error the arguments are read again here: the leading words against the subcommand names, the options
/// (`--name`, `--name=value`) against the long names of the command they reach.
struct UsageTypo {
  enum Kind: String {
    case subcommand
    case option
  }

  var kind: Kind
  /// The command the word was given to (`datasetkit`, `datasetkit review`, …), for the usage line.
  var command: any ParsableCommand.Type
  var path: [String]
  var typed: String
  var suggestion: String?

  static func find(in arguments: [String], root: any ParsableCommand.Type) -> UsageTypo? {
    var command = root
    var info = CommandInfo.tree(of: root)
    var path = [root._commandName]
    func descend(to next: any ParsableCommand.Type) {
      command = next
      info = info?.subcommands?.first { $0.commandName == next._commandName }
      path.append(next._commandName)
    }
    var index = arguments.startIndex
    // The leading words name subcommands; the first one that names none is either a typo or a leaf's argument.
    while index < arguments.endIndex, !arguments[index].hasPrefix("-") {
      let word = arguments[index]
      let subcommands = command.configuration.subcommands
      if subcommands.isEmpty { break }
      if let next = subcommands.first(where: { names(of: $0).contains(word) }) {
        descend(to: next)
        index += 1
        continue
      }
      guard let suggestion = closest(to: word, among: subcommands.flatMap(names(of:))) else { break }
      return UsageTypo(kind: .subcommand, command: command, path: path, typed: word, suggestion: suggestion)
    }
    while let next = command.configuration.defaultSubcommand { descend(to: next) }

    let options = info?.longOptions ?? [:]
    let builtIn: Set = ["help", "version", "experimental-dump-help", "generate-completion-script"]
    while index < arguments.endIndex {
      let word = arguments[index]
      index += 1
      if word == "--" { break }
      guard word.hasPrefix("--") else { continue }
      let name = String(word.dropFirst(2).prefix { $0 != "=" })
      if builtIn.contains(name) { continue }
      if let takesValue = options[name] {
        if takesValue && !word.contains("=") { index += 1 }
        continue
      }
      let suggestion = closest(to: name, among: Array(options.keys).sorted()).map { "--" + $0 }
      return UsageTypo(kind: .option, command: command, path: path, typed: "--" + name, suggestion: suggestion)
    }
    return nil
  }

  /// The error as ArgumentParser shapes its own usage errors: the message, the usage line and where help is.
  func message(root: any ParsableCommand.Type) -> String {
    let name = path.joined(separator: " ")
    let hint = suggestion.map { " Did you mean '\($0)'?" } ?? ""
    return """
      Error: Unknown \(kind.rawValue) '\(typed)'.\(hint)
      Usage: \(root.usageString(for: command).trimmingCharacters(in: .whitespacesAndNewlines))
        See '\(name) --help' for more information.
      """
  }

  static func names(of command: any ParsableCommand.Type) -> [String] {
    [command._commandName] + command.configuration.aliases
  }

  /// The candidate nearest by edit distance, when it is near enough to be a typo (`NearestName.closest`).
  static func closest(to typed: String, among candidates: [String]) -> String? {
    NearestName.closest(to: typed, among: candidates)
  }
}

/// The part of ArgumentParser's help dump (`--experimental-dump-help`, public as `_dumpHelp()`) that names each
/// command's subcommands and options; ArgumentParser has no other public list of a command's option names.
struct CommandInfo: Decodable {
  struct Argument: Decodable {
    struct Name: Decodable {
      var kind: String
      var name: String
    }
    var kind: String
    var names: [Name]?
  }

  var commandName: String
  var subcommands: [CommandInfo]?
  var arguments: [Argument]?

  /// Long option and flag names, each with whether it takes a value.
  var longOptions: [String: Bool] {
    var found: [String: Bool] = [:]
    for argument in arguments ?? [] where argument.kind != "positional" {
      for name in argument.names ?? [] where name.kind == "long" { found[name.name] = argument.kind == "option" }
    }
    return found
  }

  static func tree(of root: any ParsableCommand.Type) -> CommandInfo? {
    struct Dump: Decodable { var command: CommandInfo }
    return try? JSONDecoder().decode(Dump.self, from: Data(root._dumpHelp().utf8)).command
  }
}
