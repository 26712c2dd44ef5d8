// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "datasetkit",
  products: [
    .executable(name: "datasetkit", targets: ["datasetkit"]),
    .executable(name: "sample-images", targets: ["sample-images"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // C libraries, one system-library target each (pkg-config + apt provider).
    .systemLibrary(
      name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
    .systemLibrary(
      name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(
      name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    // OpenCV's include path and only the modules the shim links (core, imgproc, dnn, objdetect): opencv4.pc names
    // all ~54, which made every command load 378 libraries. scripts/bootstrap writes datasetkit-opencv.pc.
    .systemLibrary(
      name: "COpenCV", pkgConfig: "datasetkit-opencv", providers: [.apt(["libopencv-dev"])]),
    // libcurl, opened on the first transfer rather than linked (start-up): curl.h's types and typed wrappers.
    .target(name: "CCurl"),
    // JPEG and PNG are decoded with libjpeg(-turbo) and libpng directly (warnings returned to the caller, never
    // printed); other formats go through OpenCV's imgcodecs.
    .systemLibrary(
      name: "CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    // Linux calls Swift's Glibc module leaves out (syncfs).
    .target(name: "CPlatform"),
    // The one room where C++ lives: OpenCV behind a pure C header.
    .target(
      name: "OpenCVShim",
      dependencies: ["COpenCV", "CJPEG", "CPNG"],
      // The built-in YuNet model as a C array (scripts/embed-model), #included by autoface_shim.cpp.
      exclude: ["yunet_model.inc"]),

    // Libraries: one responsibility each; none of them prints or exits.
    // The one helper for running work on all cores (ordered results, an error per item).
    .target(name: "Parallel"),
    .target(name: "Catalog", dependencies: ["CSQLite", "CCrypto", "CPlatform"]),
    .target(name: "Ingest", dependencies: ["Catalog", "Parallel"]),
    .target(name: "Crawler", dependencies: ["CCurl", "Catalog", "Imaging", "Ingest", "Parallel"]),
    .target(name: "Annotations", dependencies: ["CLibXML2", "Catalog", "Ingest", "Parallel"]),
    // Images through OpenCV: decode (header checked first), resize, crop, draw, encode, the DCT; `faces crop`.
    .target(name: "Imaging", dependencies: ["Annotations", "Catalog", "Ingest", "OpenCVShim", "Parallel"]),
    // The review log (decisions on boxes, undo) and the LabelImg round trip: no OpenCV.
    .target(name: "Labeling", dependencies: ["Annotations", "Catalog"]),
    // Face detectors, their evaluation and contact sheets.
    .target(
      name: "AutoFace",
      dependencies: ["Annotations", "Catalog", "Imaging", "Ingest", "Labeling", "OpenCVShim", "Parallel"]),
    .target(name: "Splitter", dependencies: ["Annotations", "Catalog"]),
    .target(name: "Dedup", dependencies: ["Annotations", "Catalog", "Imaging", "Ingest", "Parallel"]),
    // `check leakage`: what ties images of different subsets together (hashes, near-duplicate groups, lineage).
    .target(name: "Leakage", dependencies: ["Annotations", "Catalog", "Dedup", "Splitter"]),
    .target(name: "Export", dependencies: ["Annotations", "Catalog", "Imaging", "Ingest", "Splitter"]),
    .target(
      name: "Merge",
      dependencies: [
        "Annotations", "Catalog", "Imaging", "Ingest", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        .product(name: "Yams", package: "Yams"),
      ]),
    // The dataset card: one self-contained HTML page (and its figures as JSON) per split.
    .target(
      name: "Report", dependencies: ["Annotations", "Catalog", "Dedup", "Imaging", "Leakage", "Parallel", "Splitter"]),
    // The review web page, served by the binary itself.
    .target(
      name: "Review",
      dependencies: [
        "Annotations", "Catalog", "Dedup", "Imaging", "Ingest", "Labeling", "Leakage", "Splitter",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "Logging", package: "swift-log"), .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
      ]),

    // The thin CLI.
    .executableTarget(
      name: "datasetkit",
      dependencies: [
        "Catalog", "Ingest", "Crawler", "Annotations", "Imaging", "Labeling", "AutoFace", "Splitter", "Dedup",
        "Leakage",
        "Export", "Merge", "Review", "Report", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // Developer tool: makes sample photo trees for the demo, tests and benchmarks.
    .executableTarget(
      name: "sample-images", dependencies: ["Annotations", "AutoFace", "Catalog", "Imaging", "Ingest", "Parallel"]),
    // Developer tool: the figures of bench/dedup (hash throughput, all-pairs search at scale).
    .executableTarget(name: "dedup-bench", dependencies: ["Catalog", "Dedup", "Imaging", "Parallel"]),
    // Developer tool: bench/faces (images/s against opencv-python) and tuning the default face detector.
    .executableTarget(name: "faces-bench", dependencies: ["AutoFace", "Catalog", "Imaging", "Parallel"]),

    // Helpers shared by the test targets (temporary folders, sample photographs, the built binary).
    .target(name: "TestSupport", dependencies: ["Catalog", "Dedup", "Imaging"], path: "Tests/TestSupport"),
    .testTarget(name: "CatalogTests", dependencies: ["CSQLite", "Catalog", "TestSupport"]),
    .testTarget(name: "ParallelTests", dependencies: ["Parallel"]),
    .testTarget(name: "IngestTests", dependencies: ["Ingest", "Catalog", "Imaging", "TestSupport"]),
    .testTarget(name: "CrawlerTests", dependencies: ["Crawler", "Catalog", "Ingest", "TestSupport"]),
    .testTarget(name: "AnnotationsTests", dependencies: ["Annotations", "Catalog", "Export", "Ingest", "TestSupport"]),
    .testTarget(
      name: "AutoFaceTests",
      dependencies: ["Annotations", "AutoFace", "Catalog", "Imaging", "Ingest", "Labeling", "TestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "LabelingTests", dependencies: ["Annotations", "Catalog", "Ingest", "Labeling", "TestSupport"]),
    .testTarget(name: "SplitterTests", dependencies: ["Splitter", "Catalog", "Ingest", "Leakage", "TestSupport"]),
    .testTarget(name: "ExportTests", dependencies: ["Export", "Splitter", "Catalog", "Ingest", "TestSupport"]),
    .testTarget(
      name: "MergeTests",
      dependencies: [
        "Merge", "Annotations", "AutoFace", "Catalog", "Export", "Imaging", "Ingest", "TestSupport",
        .product(name: "ZIPFoundation", package: "ZIPFoundation"),
      ]),
    .testTarget(
      name: "ReviewTests",
      dependencies: [
        "Review", "AutoFace", "Catalog", "Dedup", "Imaging", "Ingest", "Labeling", "Leakage", "Splitter", "TestSupport",
      ]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "Catalog", "Imaging", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
    .testTarget(name: "CLITests", dependencies: ["Catalog", "Imaging", "TestSupport", "datasetkit"]),
    .testTarget(
      name: "DedupTests", dependencies: ["Dedup", "Catalog", "Imaging", "Ingest", "TestSupport"],
      resources: [.copy("Fixtures")]),
  ],
  swiftLanguageModes: [.v6],
  cxxLanguageStandard: .cxx17
)
