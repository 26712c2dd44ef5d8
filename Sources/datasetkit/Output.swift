import ArgumentParser
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Writes results to stdout and everything else to stderr.
enum Output {
  static let jsonSchemaVersion = 1

  static func result(_ text: String) {
    FileHandle.standardOutput.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
  }

  static func note(_ text: String, _ global: GlobalOptions) {
    guard !global.quiet else { return }
    FileHandle.standardError.write(Data((text + "\n").utf8))
  }

  static func error(_ text: String) {
    FileHandle.standardError.write(Data(("datasetkit: error: " + text + "\n").utf8))
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
  /// stderr (and a JSON error on stdout with --json) and exit code 1.
  static func run<T: Encodable>(
    _ command: String, _ global: GlobalOptions, body: () throws -> T, text: (T) -> String
  ) throws {
    do {
      let value = try body()
      result(global.json ? json(command, value) : text(value))
    } catch let error as ExitCode {
      throw error
    } catch {
      let message = (error as? LocalizedError)?.errorDescription ?? String(describing: error)
      if global.json { result(json(command, ErrorBody(error: message))) }
      Output.error(message)
      throw ExitCode.failure
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
        if scalar.value < 0x20 || scalar.value == 0x7F {
          out += String(format: "\\x%02X", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out
  }
}

/// A progress bar on stderr: only on a terminal, only when NO_COLOR/--quiet allow, and only once the
/// work has taken more than a second.
final class ProgressBar {
  let label: String
  let enabled: Bool
  let started = Date()
  var drawn = false

  init(_ label: String, _ global: GlobalOptions) {
    self.label = label
    enabled = !global.quiet && isatty(STDERR_FILENO) == 1
  }

  func update(_ done: Int, of total: Int, detail: String = "") {
    guard enabled, Date().timeIntervalSince(started) > 1, total > 0 else { return }
    let width = 30
    let filled = min(width, done * width / total)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line = "\r\(label) [\(bar)] \(done)/\(total) \(detail)"
    FileHandle.standardError.write(Data(line.utf8))
    drawn = true
  }

  func finish() {
    if drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
  }
}
