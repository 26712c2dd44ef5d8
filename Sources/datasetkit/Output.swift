import ArgumentParser
import Foundation
import Splitter

#if canImport(Glibc)
  import Glibc
#endif

/// A library error that is the command line's fault (a name that is not there), exit 64 like a usage error.
protocol UsageRefusal: Error {
  var isUsageRefusal: Bool { get }
}

/// Writes results to stdout and everything else to stderr.
enum Output {
  static let jsonSchemaVersion = 1

  static func result(_ text: String) {
    FileHandle.standardOutput.write(Data((safe(text).hasSuffix("\n") ? safe(text) : safe(text) + "\n").utf8))
  }

  static func note(_ text: String, _ global: GlobalOptions) {
    guard !global.quiet else { return }
    FileHandle.standardError.write(Data((safe(text) + "\n").utf8))
  }

  static func error(_ text: String) {
    FileHandle.standardError.write(Data(("datasetkit: error: " + safe(text) + "\n").utf8))
  }

  /// `text` with every control character but newline and tab escaped (`\x1B`): a name holding a terminal
  /// escape sequence (`import --name $'a\e[31mRED'`) is shown, never obeyed. Names that must also stay on one
  /// line go through `printable` where they are printed.
  static func safe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: { isControl($0) && $0 != "\n" && $0 != "\t" }) else { return text }
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      if isControl(scalar) && scalar != "\n" && scalar != "\t" {
        out.append(contentsOf: String(format: "\\x%02X", scalar.value).unicodeScalars)
      } else {
        out.append(scalar)
      }
    }
    return String(out)
  }

  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
  }

  /// Encodes `value` as the command's JSON result: sorted keys, with `schemaVersion`.
  static func json<T: Encodable>(_ command: String, _ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
    let envelope = Envelope(schemaVersion: jsonSchemaVersion, command: command, result: value)
    guard let data = try? encoder.encode(envelope) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  struct Envelope<T: Encodable>: Encodable {
    var schemaVersion: Int
    var command: String
    var result: T
  }

  struct ErrorBody: Encodable {
    var error: String
  }

  /// Runs a command body: renders its result as JSON or text, turns a thrown error into a message on
  /// stderr (and a JSON error on stdout with --json) and exit code 1. A command over many items passes
  /// `items`: when at least one item failed and none succeeded it exits 1 too, after its report.
  static func run<T: Encodable>(
    _ command: String, _ global: GlobalOptions, body: () throws -> T, text: (T) -> String,
    items: ((T) -> ItemCounts)? = nil
  ) throws {
    do {
      let value = try body()
      result(global.json ? json(command, value) : text(value))
      if let message = items?(value).everyItemFailed {
        Output.error(message)
        throw ExitCode.failure
      }
    } catch let error as ExitCode {
      throw error
    } catch let error as SplitterError {
      // A flag that says other than the split it is given with is a usage error (exit 64).
      let message = error.errorDescription ?? String(describing: error)
      if global.json { result(json(command, ErrorBody(error: message))) }
      Output.error(message)
      if case .contradictsSplit = error { throw ExitCode.validationFailure }
      throw ExitCode.failure
    } catch {
      let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
      if global.json { result(json(command, ErrorBody(error: message))) }
      Output.error(message)
      throw (error as? UsageRefusal)?.isUsageRefusal == true ? ExitCode.validationFailure : ExitCode.failure
    }
  }

  /// A text table: columns in `leftAligned` (default: the first) padded right, the others (numbers)
  /// padded left.
  static func table(_ header: [String], _ rows: [[String]], leftAligned: Set<Int> = [0]) -> String {
    let all = [header] + rows
    let widths = (0..<header.count).map { column in all.map { $0[column].count }.max() ?? 0 }
    return all.map { row in
      row.enumerated().map { index, cell in
        let pad = String(repeating: " ", count: widths[index] - cell.count)
        return leftAligned.contains(index) ? cell + pad : pad + cell
      }.joined(separator: "  ").replacingOccurrences(of: " +$", with: "", options: .regularExpression)
    }.joined(separator: "\n")
  }

  /// A name as it can be shown on one line: control characters escaped.
  static func printable(_ name: String) -> String {
    var out = ""
    for scalar in name.unicodeScalars {
      switch scalar {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if isControl(scalar) {
          out += String(format: "\\x%02X", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}

/// Where progress goes: a line redrawn in place on a terminal (stderr a TTY); plain lines when `--progress`
/// asks for them on something else (a log, a pipe); nothing otherwise, nor with --quiet.
enum ProgressMode {
  case off, terminal, lines

  init(_ global: GlobalOptions, isTerminal: Bool = isatty(STDERR_FILENO) == 1) {
    if global.quiet {
      self = .off
    } else if isTerminal {
      self = .terminal
    } else {
      self = global.progress ? .lines : .off
    }
  }
}

/// A progress bar on stderr (see ``ProgressMode``), only once the work has taken more than a second;
/// with --progress off a terminal, a plain line at most every 2 s.
final class ProgressBar {
  let label: String
  let mode: ProgressMode
  let started = Date()
  var drawn = false
  var lastLine = Date.distantPast

  init(_ label: String, _ global: GlobalOptions) {
    self.label = label
    mode = ProgressMode(global)
  }

  func update(_ done: Int, of total: Int, detail: String = "") {
    let now = Date()
    let elapsed = now.timeIntervalSince(started)
    guard mode != .off, elapsed > 1, total > 0 else { return }
    let text = Self.line(label, done: done, of: total, detail: detail, elapsed: elapsed)
    if mode == .lines {
      guard now.timeIntervalSince(lastLine) >= 2 else { return }
      lastLine = now
      FileHandle.standardError.write(Data((text + "\n").utf8))
      return
    }
    FileHandle.standardError.write(Data(("\r" + text + "\u{1B}[K").utf8))
    drawn = true
  }

  /// One drawing of the bar: `label [####......] done/total detail, rate, ETA`.
  static func line(_ label: String, done: Int, of total: Int, detail: String, elapsed: Double) -> String {
    let width = 30
    let filled = total > 0 ? max(0, min(width, done * width / total)) : 0
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let pace = rateAndETA(done: done, of: total, elapsed: elapsed)
    return "\(label) [\(bar)] \(done)/\(total)" + (detail.isEmpty ? "" : " \(detail)")
      + (pace.isEmpty ? "" : ", \(pace)")
  }

  /// "120/s, ETA 1m05s": items per second so far and the time left at that pace; empty until there is a
  /// pace to go by, and no ETA once done.
  static func rateAndETA(done: Int, of total: Int, elapsed: Double) -> String {
    guard done > 0, elapsed > 0, elapsed.isFinite else { return "" }
    let rate = Double(done) / elapsed
    let shown = rate >= 10 ? String(format: "%.0f/s", rate) : String(format: "%.1f/s", rate)
    guard done < total else { return shown }
    return shown + ", ETA " + duration(Double(total - done) / rate)
  }

  /// A duration as "42s", "3m05s" or "2h07m".
  static func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds < 360_000 else { return ">99h" }
    let whole = Int(seconds.rounded(.up))
    if whole < 60 { return "\(whole)s" }
    if whole < 3600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
    return String(format: "%dh%02dm", whole / 3600, whole % 3600 / 60)
  }

  func finish() {
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    drawn = false
  }
}

/// What a batch command did with its items, for its exit status: a run in which items failed and none
/// succeeded exits 1 (after its report) so a script notices; a run with nothing to do exits 0.
struct ItemCounts {
  var succeeded = 0
  var failed = 0
  /// What an item is, plural ("files", "URLs").
  var noun: String

  init(succeeded: Int = 0, failed: Int = 0, noun: String) {
    self.succeeded = succeeded
    self.failed = failed
    self.noun = noun
  }

  /// The error line when every item failed; nil otherwise.
  var everyItemFailed: String? {
    guard failed > 0, succeeded == 0 else { return nil }
    return "every item failed (\(failed) \(noun), none succeeded); see the report above"
  }
}
