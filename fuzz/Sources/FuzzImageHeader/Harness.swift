/// libFuzzer entry point: any bytes through `ImageHeader.sniff`. Besides not trapping, an image it
/// accepts must have sides in 1...maxDimension, so the callers' `width * height` stays inside 64 bits.
// swift-format-ignore: AlwaysUseLowerCamelCase
// libFuzzer's C entry point keeps its C name.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  if case .image(_, let width, let height, _) = ImageHeader.sniff(bytes) {
    precondition(width > 0 && height > 0, "non-positive side")
    precondition(width <= ImageHeader.maxDimension && height <= ImageHeader.maxDimension, "side over the limit")
    _ = width * height
  }
  return 0
}
