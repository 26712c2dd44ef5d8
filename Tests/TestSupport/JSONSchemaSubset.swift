import Foundation

/// A validator for the part of JSON Schema that `schemas/coco.schema.json` and `schemas/manifest.schema.json`
/// use: `type` (object, array, string, integer, number, boolean, null, or a list of them), `properties`,
/// `required`, `additionalProperties` (false, or a schema every other member must match), `items`,
/// `minItems`, `maxItems`, `minimum`, `minLength`, `pattern`, `enum` (of numbers or strings) and local
/// `$ref` (`#/$defs/name`, resolved against `root`). Returns one line per problem, with its JSON path.
public enum JSONSchemaSubset {
  public static func validate(
    _ value: Any, against schema: [String: Any], root: [String: Any]? = nil, at path: String = "$"
  ) -> [String] {
    let root = root ?? schema
    if let reference = schema["$ref"] as? String {
      let parts = reference.hasPrefix("#/") ? reference.dropFirst(2).split(separator: "/").map(String.init) : []
      var target: Any? = root
      for part in parts { target = (target as? [String: Any])?[part] }
      guard !parts.isEmpty, let resolved = target as? [String: Any] else {
        return ["\(path): cannot resolve \(reference)"]
      }
      return validate(value, against: resolved, root: root, at: path)
    }
    var problems: [String] = []
    let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map { [$0] }
    if let types, !types.contains(where: { matches(value, $0) }) {
      return ["\(path): expected \(types.joined(separator: " or ")), found \(describe(value))"]
    }
    if value is NSNull { return [] }
    if let allowed = schema["enum"] as? [Any] {
      let ok = allowed.contains { candidate in
        if let a = candidate as? String, let b = value as? String { return a == b }
        if let a = number(candidate), let b = number(value) { return a == b }
        return false
      }
      if !ok { problems.append("\(path): \(value) is not one of \(allowed)") }
    }
    if let minimum = schema["minimum"].flatMap(number), let n = number(value), n < minimum {
      problems.append("\(path): \(n) is below the minimum \(minimum)")
    }
    if let minLength = schema["minLength"] as? Int, let text = value as? String, text.count < minLength {
      problems.append("\(path): string shorter than \(minLength)")
    }
    if let pattern = schema["pattern"] as? String, let text = value as? String,
      text.range(of: pattern, options: .regularExpression) == nil
    {
      problems.append("\(path): \"\(text)\" does not match \(pattern)")
    }
    if let object = value as? [String: Any] {
      for key in schema["required"] as? [String] ?? [] where object[key] == nil {
        problems.append("\(path): missing required \"\(key)\"")
      }
      let properties = schema["properties"] as? [String: Any] ?? [:]
      for (key, child) in object.sorted(by: { $0.key < $1.key }) {
        if let childSchema = properties[key] as? [String: Any] {
          problems += validate(child, against: childSchema, root: root, at: "\(path).\(key)")
        } else if (schema["additionalProperties"] as? Bool) == false {
          problems.append("\(path): unexpected property \"\(key)\"")
        } else if let other = schema["additionalProperties"] as? [String: Any] {
          problems += validate(child, against: other, root: root, at: "\(path).\(key)")
        }
      }
    }
    if let array = value as? [Any] {
      if let minItems = schema["minItems"] as? Int, array.count < minItems {
        problems.append("\(path): \(array.count) items, fewer than \(minItems)")
      }
      if let maxItems = schema["maxItems"] as? Int, array.count > maxItems {
        problems.append("\(path): \(array.count) items, more than \(maxItems)")
      }
      if let items = schema["items"] as? [String: Any] {
        for (index, element) in array.enumerated() {
          problems += validate(element, against: items, root: root, at: "\(path)[\(index)]")
        }
      }
    }
    return problems
  }

  static func number(_ value: Any) -> Double? {
    if value is String || value is [Any] || value is [String: Any] { return nil }
    if let n = value as? Double { return n }
    if let n = value as? Int { return Double(n) }
    return nil
  }

  static func matches(_ value: Any, _ type: String) -> Bool {
    switch type {
    case "object": return value is [String: Any]
    case "array": return value is [Any]
    case "string": return value is String
    case "number": return number(value) != nil
    case "integer": return number(value).map { $0 == $0.rounded() } ?? false
    case "boolean": return value is Bool
    case "null": return value is NSNull
    default: return true
    }
  }

  static func describe(_ value: Any) -> String {
    if value is [String: Any] { return "object" }
    if value is [Any] { return "array" }
    if value is String { return "string" }
    return "\(value)"
  }
}
