import Foundation

/// The one reader of label text files (CSV/TSV label tables, YOLO `classes.txt` and label files).
///
/// Encoding: UTF-8 (a byte-order mark is dropped) or UTF-16 (with a byte-order mark, or without one when
/// NUL bytes sit at every other position, as Excel's "Unicode text" writes). Anything else, such as
/// cp1252's `niño`, is refused with the line and column of the first byte that is not UTF-8: a label is
/// never silently turned into `ni�o`. Line ends: LF, CRLF or CR alone (classic Mac).
public enum LabelText {
  /// The text of a label file, or `AnnotationsError.invalid` naming the line of the first bad byte.
  public static func decode(_ bytes: [UInt8], path: String) throws -> String {
    var body = bytes[...]
    if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { body = bytes.dropFirst(3) }
    if let bigEndian = utf16Order(bytes) {
      let start = bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) ? 2 : 0
      guard (bytes.count - start) % 2 == 0 else {
        throw AnnotationsError.invalid(
          file: path, line: nil, message: "UTF-16 text with an odd number of bytes (cut short?)")
      }
      var units: [UInt16] = []
      units.reserveCapacity((bytes.count - start) / 2)
      var at = start
      while at + 1 < bytes.count {
        units.append(
          bigEndian ? UInt16(bytes[at]) << 8 | UInt16(bytes[at + 1]) : UInt16(bytes[at + 1]) << 8 | UInt16(bytes[at]))
        at += 2
      }
      guard let text = String(validating: units, as: UTF16.self) else {
        throw AnnotationsError.invalid(file: path, line: nil, message: "UTF-16 text with a broken surrogate pair")
      }
      return text
    }
    if let text = String(validating: body, as: UTF8.self) { return text }
    // Find the first byte that breaks UTF-8, to name its line.
    var line = 1
    var lineStart = body.startIndex
    var index = body.startIndex
    while index < body.endIndex {
      let byte = body[index]
      if byte < 0x80 {
        if byte == 0x0A || (byte == 0x0D && (index + 1 == body.endIndex || body[index + 1] != 0x0A)) {
          line += 1
          lineStart = index + 1
        }
        index += 1
        continue
      }
      let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
      let end = min(body.endIndex, index + length)
      if length == 1 || String(validating: body[index..<end], as: UTF8.self) == nil { break }
      index = end
    }
    let shown = index < body.endIndex ? String(format: "0x%02X", body[index]) : "end of file"
    throw AnnotationsError.invalid(
      file: path, line: line,
      message:
        "byte \(shown) at column \(index - lineStart + 1) is not UTF-8 (cp1252 or Latin-1?); save the file as UTF-8 and import again"
    )
  }

  /// nil for not UTF-16; else true for big-endian.
  static func utf16Order(_ bytes: [UInt8]) -> Bool? {
    if bytes.starts(with: [0xFF, 0xFE]) { return false }
    if bytes.starts(with: [0xFE, 0xFF]) { return true }
    let sample = bytes.prefix(512)
    guard sample.count >= 4 else { return nil }
    let even = stride(from: 0, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
    let odd = stride(from: 1, to: sample.count, by: 2).filter { sample[$0] == 0 }.count
    let half = sample.count / 2
    if odd * 10 >= half * 9 && even == 0 { return false }
    if even * 10 >= half * 9 && odd == 0 { return true }
    return nil
  }

  /// The lines of a text, split at LF, CRLF or a lone CR, each with its 1-based number.
  public static func lines(_ text: String) -> [(text: String, line: Int)] {
    var out: [(text: String, line: Int)] = []
    var current = String.UnicodeScalarView()
    var previousCR = false
    for scalar in text.unicodeScalars {
      if scalar == "\n" && previousCR {
        previousCR = false
        continue
      }
      previousCR = scalar == "\r"
      if scalar == "\n" || scalar == "\r" {
        out.append((String(current), out.count + 1))
        current = String.UnicodeScalarView()
      } else {
        current.append(scalar)
      }
    }
    if !current.isEmpty { out.append((String(current), out.count + 1)) }
    return out
  }

  /// The records of a label table, each with the line it starts on; blank lines are skipped.
  ///
  /// The first line decides the dialect: a comma makes it CSV by RFC 4180 (double-quoted fields may
  /// hold commas, line breaks and `""` for a quote; white space around unquoted fields is trimmed); else
  /// a tab makes it TSV (fields split at tabs only, so `with mask` stays one label); else fields are
  /// split at runs of spaces (CelebA's text files). An unterminated quote is an error naming its line.
  public static func records(_ text: String, path: String) throws -> [(fields: [String], line: Int)] {
    let first = lines(text).first?.text ?? ""
    if !first.contains(",") {
      let tabs = first.contains("\t")
      return lines(text).compactMap { line in
        if line.text.allSatisfy({ $0 == " " || $0 == "\t" }) { return nil }
        let fields =
          tabs
          ? line.text.split(separator: "\t", omittingEmptySubsequences: false).map {
            $0.trimmingCharacters(in: .whitespaces)
          }
          : line.text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return (fields, line.line)
      }
    }
    var records: [(fields: [String], line: Int)] = []
    var fields: [String] = []
    var field = String.UnicodeScalarView()
    var quoted = false  // inside a quoted field
    var wasQuoted = false  // the current field was quoted (its content is kept as is)
    var line = 1
    var recordLine = 1
    var quoteLine = 1
    var previousCR = false
    func endField() {
      let value = String(field)
      fields.append(wasQuoted ? value : value.trimmingCharacters(in: .whitespaces))
      field = String.UnicodeScalarView()
      wasQuoted = false
    }
    func endRecord() {
      endField()
      if !(fields.count == 1 && fields[0].isEmpty) { records.append((fields, recordLine)) }
      fields = []
    }
    let scalars = Array(text.unicodeScalars)
    var index = 0
    while index < scalars.count {
      let scalar = scalars[index]
      index += 1
      let crlf = scalar == "\n" && previousCR
      previousCR = scalar == "\r"
      if scalar == "\n" || scalar == "\r" {
        if !crlf { line += 1 }
        if quoted {
          if !crlf { field.append("\n") }
          continue
        }
        if !crlf { endRecord() }
        recordLine = line
        continue
      }
      if quoted {
        if scalar == "\"" {
          if index < scalars.count && scalars[index] == "\"" {
            field.append("\"")
            index += 1
          } else {
            quoted = false
          }
        } else {
          field.append(scalar)
        }
      } else if scalar == "\"" && String(field).allSatisfy({ $0 == " " }) {
        field = String.UnicodeScalarView()
        quoted = true
        wasQuoted = true
        quoteLine = line
      } else if scalar == "," {
        endField()
      } else {
        field.append(scalar)
      }
    }
    if quoted {
      throw AnnotationsError.invalid(
        file: path, line: quoteLine, message: "a quoted field opened here is never closed (a missing \")")
    }
    if !field.isEmpty || !fields.isEmpty { endRecord() }
    return records
  }
}
