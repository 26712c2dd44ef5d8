// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "datasetkit",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "datasetkit", targets: ["datasetkit"]),
    .executable(name: "sample-images", targets: ["sample-images"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // C libraries, one system-library target each (pkg-config + apt provider).
    .systemLibrary(
      name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(
      name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(
      name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(
      name: "COpenCV", pkgConfig: "opencv4", providers: [.apt(["libopencv-dev"])]),
    // Linux calls Swift's Glibc module leaves out (syncfs).
    .target(name: "CPlatform"),
    // The one room where C++ lives: OpenCV behind a pure C header.
    .target(
      name: "AutoFaceShim",
      dependencies: ["COpenCV"]),

    // Libraries: one responsibility each; none of them prints or exits.
    .target(name: "Catalog", dependencies: ["CSQLite", "CCrypto", "CPlatform"]),
    .target(name: "Ingest", dependencies: ["Catalog"]),
    .target(name: "Crawler", dependencies: ["CCurl", "Catalog", "Ingest", "AutoFace"]),
    .target(name: "Annotations", dependencies: ["CLibXML2", "Catalog"]),
    .target(name: "AutoFace", dependencies: ["AutoFaceShim", "Catalog", "Ingest"]),

    // The thin CLI.
    .executableTarget(
      name: "datasetkit",
      dependencies: [
        "Catalog", "Ingest", "Crawler", "Annotations", "AutoFace",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Developer tool: makes sample photo trees for the demo, tests and benchmarks.
    .executableTarget(name: "sample-images", dependencies: ["AutoFace"]),

    .testTarget(name: "CatalogTests", dependencies: ["Catalog"]),
    .testTarget(name: "IngestTests", dependencies: ["Ingest", "Catalog", "AutoFace"]),
    .testTarget(name: "CrawlerTests", dependencies: ["Crawler", "Catalog", "Ingest"]),
    .testTarget(name: "AnnotationsTests", dependencies: ["Annotations"]),
    .testTarget(name: "AutoFaceTests", dependencies: ["AutoFace"]),
    .testTarget(name: "CLITests", dependencies: ["Catalog", "AutoFace"]),
  ],
  swiftLanguageModes: [.v6],
  cxxLanguageStandard: .cxx17
)
