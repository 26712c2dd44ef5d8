import Foundation
import Testing

/// A precondition a test needs from the machine (the built binary, opencv-doc's photos, Chromium). `make test`
/// provides all of them (scripts/bootstrap installs the packages, the build makes the binary), so a missing one is a
/// broken set-up: the test fails and names what is missing and how to get it, instead of skipping and passing.
public struct Requirement: TestTrait, SuiteTrait, TestScoping {
  let met: @Sendable () -> Bool
  let what: String

  public var isRecursive: Bool { true }

  public func provideScope(
    for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
  ) async throws {
    guard met() else {
      Issue.record("not run: \(what)")
      return
    }
    try await function()
  }
}

extension Trait where Self == Requirement {
  /// Fails the test (never skips it) when `condition` is false, naming `what` it needs.
  public static func requires(_ condition: @autoclosure @escaping @Sendable () -> Bool, _ what: String) -> Self {
    Requirement(met: condition, what: what)
  }
}

extension Trait where Self == Requirement {
  /// The CLI tests' prerequisite: the debug binary `make test` builds.
  public static var requiresBinary: Self {
    .requires(
      FileManager.default.isExecutableFile(atPath: TestSupport.binary),
      "needs the built binary .build/debug/datasetkit (make test builds it)")
  }

  /// The browser tests' prerequisite.
  public static var requiresChromium: Self {
    .requires(WebDriver.available, "needs chromium and chromium-driver (scripts/bootstrap installs them)")
  }
}
