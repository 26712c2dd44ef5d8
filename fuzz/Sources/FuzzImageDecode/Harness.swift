import ImageDecoders

/// The pixel limit of the harness: the header check's, lowered from Pillow's 178,956,970 so that one input costs
/// at most a few hundred milliseconds and tens of megabytes under the address sanitizer.
let maxPixels = 4_000_000

/// libFuzzer entry point: any bytes through the decode path every command takes (`DecodedImage.decode`): the
/// header check (`ImageHeader.sniff`, the allow-list, the pixel limit), then the shim's JPEG or PNG decoder with
/// its work budget, in colour at full size and in grey at 1/4 (dedup's hashing). Besides not crashing or hanging
/// (libFuzzer's -timeout), a decoded image is never larger than its header said: the pixel limit holds for it.
// swift-format-ignore: AlwaysUseLowerCamelCase
// libFuzzer's C entry point keeps its C name.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let bytes = UnsafeRawBufferPointer(start: data, count: size)
  guard case .image(let format, let width, let height, _) = ImageHeader.sniff(bytes), format == .jpeg || format == .png,
    ImageHeader.pixelCount(width: width, height: height) <= maxPixels
  else { return 0 }
  for (color, reduction) in [(Int32(1), Int32(1)), (0, 4)] {
    var decodedWidth: Int32 = 0
    var decodedHeight: Int32 = 0
    let outcome = fuzz_decode(data, size, color, reduction, &decodedWidth, &decodedHeight)
    guard outcome == 0 else { continue }
    precondition(decodedWidth > 0 && decodedHeight > 0, "decoded an empty image")
    // EXIF orientations 5-8 swap the sides.
    let sides = [Int(decodedWidth), Int(decodedHeight)].sorted()
    let limit = [(width + Int(reduction) - 1) / Int(reduction), (height + Int(reduction) - 1) / Int(reduction)].sorted()
    precondition(sides[0] <= limit[0] && sides[1] <= limit[1], "decoded \(sides) from a header of \(width)x\(height)")
  }
  return 0
}
