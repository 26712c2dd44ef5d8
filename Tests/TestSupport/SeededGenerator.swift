import Dedup

/// SplitMix64, seeded, so a test that mutates or samples does the same every run: the generator the synthetic
/// hash benchmarks use.
public typealias SeededGenerator = SyntheticHashes.Generator
