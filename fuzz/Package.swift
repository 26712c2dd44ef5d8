// swift-tools-version:6.0
// libFuzzer harnesses for the two binary parsers that face downloads: the image header reader
// (Sources/Ingest/ImageHeader.swift) and the zip central-directory reader (Sources/Merge/ZipDirectory.swift).
// The targets compile those very files (symbolic links), so the harness sees the internal API and the
// main package gains no products. Built and run by `make fuzz` (scripts/fuzz), never by `make test`:
//   swift build --package-path fuzz -c release -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
import PackageDescription

let package = Package(
  name: "datasetkit-fuzz",
  targets: [
    .target(name: "FuzzDriver"),
    .executableTarget(name: "FuzzImageHeader", dependencies: ["FuzzDriver"]),
    .executableTarget(name: "FuzzZipDirectory", dependencies: ["FuzzDriver"]),
  ],
  swiftLanguageModes: [.v6]
)
