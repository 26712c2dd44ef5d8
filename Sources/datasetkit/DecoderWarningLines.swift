import Imaging

extension [DecoderWarnings] {
  /// The report's line for photos whose decoder warned ("2 photos decoded with warnings (first: x.jpg: …)") and,
  /// with --verbose, every such file with its warnings; nothing when there were none.
  func listed(verbose: Bool) -> [String] {
    guard let summary = DecoderWarnings.summary(self, printable: Output.printable) else { return [] }
    return [summary] + (verbose ? DecoderWarnings.lines(self, printable: Output.printable) : [])
  }
}
