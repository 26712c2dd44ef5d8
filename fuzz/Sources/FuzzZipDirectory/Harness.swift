/// libFuzzer entry point: any bytes as a zip archive through `ZipDirectory.read`. Refusing is fine
/// (`MergeError.archive`); trapping is a finding. An accepted directory must be consistent: every entry's
/// data inside the file and before the central directory.
// swift-format-ignore: AlwaysUseLowerCamelCase
// libFuzzer's C entry point keeps its C name.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let file = ZipFile(bytes: Array(UnsafeBufferPointer(start: data, count: size)), name: "fuzz.zip")
  guard let directory = try? ZipDirectory.read(file: file, maxEntries: .max) else { return 0 }
  precondition(directory.centralDirectoryOffset <= UInt64(size), "central directory past the end")
  for entry in directory.entries where entry.dataOffset > 0 {
    precondition(entry.dataOffset <= directory.centralDirectoryOffset, "data past the directory")
    precondition(
      entry.compressedSize <= directory.centralDirectoryOffset - entry.dataOffset, "data overlaps the directory")
  }
  return 0
}
