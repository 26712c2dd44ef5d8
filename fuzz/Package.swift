// swift-tools-version:6.0
// libFuzzer harnesses for the binary parsers that face downloads: the image header reader
// (Sources/Ingest/ImageHeader.swift), the zip central-directory reader (Sources/Merge/ZipDirectory.swift), and the
// decode path (the header check, then the shim's JPEG and PNG decoders, Sources/OpenCVShim/image_decoders.cpp).
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
    // The shim's JPEG and PNG decoders (Sources/OpenCVShim/image_decoders.*, linked) with OpenCV, libjpeg and
    // libpng as the main package finds them (the same system-library targets, linked).
    .systemLibrary(name: "COpenCV", pkgConfig: "datasetkit-opencv"),
    .systemLibrary(name: "CJPEG", pkgConfig: "libjpeg"),
    .systemLibrary(name: "CPNG", pkgConfig: "libpng"),
    .target(name: "ImageDecoders", dependencies: ["COpenCV", "CJPEG", "CPNG"]),
    .executableTarget(name: "FuzzImageDecode", dependencies: ["FuzzDriver", "ImageDecoders"]),
  ],
  swiftLanguageModes: [.v6],
  cxxLanguageStandard: .cxx17
)
