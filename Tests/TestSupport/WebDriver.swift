import Foundation
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// chromedriver driving Debian's headless Chromium over WebDriver (plain HTTP + JSON).
public struct WebDriver {
  public static let driverPath = "/usr/bin/chromedriver"
  public static let chromiumPath = "/usr/bin/chromium"
  public static var available: Bool {
    FileManager.default.isExecutableFile(atPath: driverPath)
      && FileManager.default.isExecutableFile(atPath: chromiumPath)
  }
  public static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

  public var process: Process
  public var port: Int
  public var session: String

  /// Ports handed to chromedriver: one sequence per test process (from its pid), never one port twice in it.
  static let nextPort = Atomic<Int>(20_000 + Int(getpid() % 1_000) * 20)

  /// Starts chromedriver and a headless Chromium session; `logPerformance` records every network event
  /// (read them with `performanceLog()`). A chromedriver that exits at once (its port taken) is started again on
  /// the next port.
  public static func start(logPerformance: Bool = false) async throws -> WebDriver {
    var lastError = ""
    for _ in 0..<5 {
      let port = 20_000 + (nextPort.add(1, ordering: .relaxed).newValue - 20_000) % 20_000
      let process = Process()
      process.executableURL = URL(fileURLWithPath: driverPath)
      process.arguments = ["--port=\(port)"]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      try process.run()
      if let driver = try await session(process: process, port: port, logPerformance: logPerformance, &lastError) {
        return driver
      }
      if process.isRunning { process.terminate() }
    }
    throw RawHTTP.Failure(description: "chromedriver did not start a session: \(lastError)")
  }

  /// A session on the chromedriver just started on `port`, or nil when that process has exited (its port was
  /// taken) or never answered.
  static func session(process: Process, port: Int, logPerformance: Bool, _ lastError: inout String) async throws
    -> WebDriver?
  {
    let profile = try TestSupport.temporaryFolder("chromium")
    let capabilities: [String: Any] = [
      "capabilities": [
        "alwaysMatch": [
          "goog:chromeOptions": [
            "binary": chromiumPath,
            "args": [
              "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,900",
              "--user-data-dir=\(profile)",
            ],
          ]
        ].merging(logPerformance ? ["goog:loggingPrefs": ["performance": "ALL"]] : [:]) { $1 }
      ]
    ]
    for _ in 0..<100 {
      // An exited driver could not bind its port: whatever answers there is not ours.
      guard process.isRunning else {
        lastError = "chromedriver exited (port \(port) taken?)"
        return nil
      }
      do {
        let reply = try await RawHTTP.fetchJSON(port: port, method: "POST", target: "/session", capabilities)
        if let value = (reply as? [String: Any])?["value"] as? [String: Any], let id = value["sessionId"] as? String {
          return WebDriver(process: process, port: port, session: id)
        }
        lastError = "\(reply)"
      } catch {
        lastError = "\(error)"
      }
      try await Task.sleep(for: .milliseconds(200))
    }
    return nil
  }

  @discardableResult
  public func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
    let reply = try await RawHTTP.fetchJSON(
      port: port, method: method, target: "/session/\(session)\(path)", method == "POST" ? (body ?? [:]) : nil)
    let value = (reply as? [String: Any])?["value"]
    if let error = (value as? [String: Any])?["error"] as? String {
      throw RawHTTP.Failure(description: "WebDriver \(path): \(error): \((value as? [String: Any])?["message"] ?? "")")
    }
    return value
  }

  public func script(_ source: String) async throws -> Any? {
    try await call("POST", "/execute/sync", ["script": source, "args": []])
  }

  /// Polls `condition` (a JavaScript expression) until it is true.
  public func wait(_ condition: String, seconds: Double = 20) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try await script("return !!(\(condition));") as? Bool == true { return }
      try await Task.sleep(for: .milliseconds(100))
    }
    let state = try await script(
      "const s = document.getElementById('status'); return JSON.stringify({status: s && s.textContent, saved: window.dsk && window.dsk.saved});"
    )
    throw RawHTTP.Failure(description: "timed out waiting for \(condition); page: \(state ?? "nil")")
  }

  public func press(_ key: String) async throws {
    try await call(
      "POST", "/actions",
      [
        "actions": [
          [
            "type": "key", "id": "keyboard",
            "actions": [["type": "keyDown", "value": key], ["type": "keyUp", "value": key]],
          ]
        ]
      ])
  }

  public func element(_ css: String) async throws -> String {
    let value = try await call("POST", "/element", ["using": "css selector", "value": css]) as? [String: Any]
    guard let id = value?[Self.elementKey] as? String else { throw RawHTTP.Failure(description: "no element \(css)") }
    return id
  }

  /// Drags the mouse from (x, y) to (x + dx, y + dy), offsets from the element's centre.
  public func drag(on element: String, x: Int, y: Int, dx: Int, dy: Int) async throws {
    let pointer: [[String: Any]] = [
      ["type": "pointerMove", "duration": 0, "origin": [Self.elementKey: element], "x": x, "y": y],
      ["type": "pointerDown", "button": 0],
      ["type": "pointerMove", "duration": 150, "origin": "pointer", "x": dx / 2, "y": dy / 2],
      ["type": "pointerMove", "duration": 150, "origin": "pointer", "x": dx - dx / 2, "y": dy - dy / 2],
      ["type": "pointerUp", "button": 0],
    ]
    try await call(
      "POST", "/actions",
      ["actions": [["type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"], "actions": pointer]]])
  }

  /// The network events Chromium logged since the last call (needs `start(logPerformance: true)`): each
  /// entry's `message` is a DevTools event as JSON text.
  public func performanceLog() async throws -> [[String: Any]] {
    (try await call("POST", "/se/log", ["type": "performance"]) as? [[String: Any]]) ?? []
  }

  public func quit() async {
    _ = try? await RawHTTP.fetch(port: port, method: "DELETE", target: "/session/\(session)", timeoutSeconds: 10)
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
  }
}
