import Foundation
import TestSupport
import Testing

/// `--help` of every command (found by walking SUBCOMMANDS from the root), and "did you mean" for typos.
@Suite("Help texts and usage errors")
struct HelpTests {
  struct Command {
    var path: [String]
    /// Runs when its parent is named alone (`datasetkit crawl …` is `datasetkit crawl run …`).
    var isDefault = false
    /// `--help` on a terminal so wide that ArgumentParser re-wraps nothing.
    var help = ""
    var name: String { (["datasetkit"] + path).joined(separator: " ") }
  }

  /// Every command: datasetkit, datasetkit import, datasetkit crawl, datasetkit crawl run, …
  static func commands() throws -> [Command] {
    var found: [Command] = []
    var queue = [Command(path: [])]
    while var command = queue.first {
      queue.removeFirst()
      let help = try TestSupport.run(command.path + ["--help"], environment: ["COLUMNS": "2000"])
      #expect(help.status == 0, "\(command.name): \(help.stderr)")
      command.help = help.stdout
      found.append(command)
      queue += subcommands(in: help.stdout).map { Command(path: command.path + [$0.name], isDefault: $0.isDefault) }
    }
    return found
  }

  /// The names listed under SUBCOMMANDS: (two spaces, the name, `(default)` for the default one, its abstract).
  static func subcommands(in help: String) -> [(name: String, isDefault: Bool)] {
    guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
    return help[start.upperBound...].split(separator: "\n").compactMap { line in
      guard line.hasPrefix("  "), !line.hasPrefix("   "), !line.hasPrefix("  See ") else { return nil }
      let words = line.dropFirst(2).split(separator: " ")
      return words.first.map { (String($0), words.dropFirst().first == "(default)") }
    }
  }

  /// The discussion: the lines between the OVERVIEW paragraph and USAGE.
  static func discussion(_ help: String) -> [Substring] {
    let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
    guard let usage = lines.firstIndex(where: { $0.hasPrefix("USAGE:") }),
      let overviewEnd = lines.firstIndex(where: \.isEmpty), overviewEnd < usage
    else { return [] }
    return Array(lines[(overviewEnd + 1)..<usage])
  }

  @Test("every command's help ends its discussion with an example of that command, unwrapped at 80 columns")
  func everyCommandHasAnExample() throws {
    let commands = try Self.commands()
    #expect(commands.count >= 30, "found \(commands.count) commands")
    for command in commands {
      let text = Self.discussion(command.help)
      guard let heading = text.lastIndex(where: { $0.hasPrefix("Example") }) else {
        Issue.record("\(command.name) --help has no example")
        continue
      }
      let lines = text[(heading + 1)...].filter { !$0.isEmpty }
      // An example is copied as it stands: on an 80-column terminal it must not be wrapped.
      for line in lines {
        #expect(line.count <= 80, "\(command.name): the example \"\(line)\" is wrapped at 80 columns")
      }
      let examples = lines.map { $0.trimmingCharacters(in: .whitespaces) }
      #expect(!examples.isEmpty, "\(command.name): an example heading without an example")
      // A default subcommand's examples may leave its name out, as users do.
      let parent = (["datasetkit"] + command.path.dropLast()).joined(separator: " ")
      for example in examples where !example.hasPrefix("--") {
        let named = example == command.name || example.hasPrefix(command.name + " ")
        #expect(
          named || (command.isDefault && example.hasPrefix(parent + " ")),
          "\(command.name): the example \"\(example)\" is of another command")
      }
    }
  }

  /// A hard-wrapped paragraph breaks mid-sentence once ArgumentParser wraps it again ("name of the folder⏎holding
  /// it"). On a terminal wide enough that nothing is re-wrapped, each prose line of a discussion is a whole
  /// paragraph: a line of prose followed by more prose ends a sentence.
  @Test("discussions are one line per paragraph, so ArgumentParser's wrapping never breaks a sentence")
  func paragraphsAreNotHardWrapped() throws {
    for command in try Self.commands() {
      let text = Self.discussion(command.help)
      // Prose starts in the first column; lists and examples are indented.
      func isProse(_ line: Substring) -> Bool { !line.isEmpty && !line.hasPrefix(" ") }
      for (line, next) in zip(text, text.dropFirst()) where isProse(line) && isProse(next) {
        #expect(
          [".", ":", "!", "?"].contains(line.last.map(String.init) ?? ""),
          "\(command.name): a paragraph breaks after \"\(line.suffix(40))\"")
      }
    }
  }

  @Test("a mistyped subcommand: 'Did you mean' the nearest one, usage error 64")
  func mistypedSubcommand() throws {
    for (arguments, meant) in [
      (["imprt", "photos"], "import"), (["stast"], "stats"), (["review", "serv"], "serve"),
      (["crawl", "stauts"], "status"), (["dedup", "kep", "3"], "keep"), (["split", "lsit"], "list"),
    ] {
      let result = try TestSupport.run(arguments)
      #expect(result.status == 64, "\(arguments)")
      #expect(result.stderr.contains("Did you mean '\(meant)'?"), "\(arguments): \(result.stderr)")
      #expect(result.stderr.contains("Usage: datasetkit"), "\(arguments): \(result.stderr)")
      #expect(result.stdout.isEmpty)
    }
    let review = try TestSupport.run(["review", "serv"])
    #expect(review.stderr.contains("See 'datasetkit review --help'"), "\(review.stderr)")
    // Nothing close: ArgumentParser's own message, still a usage error.
    let far = try TestSupport.run(["frobnicate"])
    #expect(far.status == 64)
    #expect(!far.stderr.contains("Did you mean"))
    #expect(far.stderr.contains("frobnicate"))
  }

  @Test("a mistyped option: 'Did you mean' the nearest option of that command, usage error 64")
  func mistypedOption() throws {
    for (arguments, meant) in [
      (["import", "photos", "--lisence", "CC0-1.0"], "--license"), (["stats", "--jsn"], "--json"),
      (["export", "--formt", "yolo"], "--format"), (["crawl", "--queyr", "mask"], "--query"),
      (["faces", "detect", "--detecter", "haar"], "--detector"),
    ] {
      let result = try TestSupport.run(arguments)
      #expect(result.status == 64, "\(arguments)")
      #expect(result.stderr.contains("Did you mean '\(meant)'?"), "\(arguments): \(result.stderr)")
    }
    // An option's value is not taken for an option; `--name=value` is read as the name.
    let valued = try TestSupport.run(["split", "--name=v1", "--ratio", "80/20"])
    #expect(valued.stderr.contains("Unknown option '--ratio'. Did you mean '--ratios'?"), "\(valued.stderr)")
    #expect(valued.stderr.contains("See 'datasetkit split create --help'"), "\(valued.stderr)")
    // Nothing close: still named as the unknown option, before the command's own checks (here: no --query).
    let far = try TestSupport.run(["crawl", "--zzz"])
    #expect(far.status == 64)
    #expect(far.stderr.contains("Unknown option '--zzz'"), "\(far.stderr)")
    #expect(!far.stderr.contains("Did you mean"))
  }
}
