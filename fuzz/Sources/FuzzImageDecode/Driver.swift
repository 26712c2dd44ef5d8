import FuzzDriver

@_cdecl("FuzzImageDecode_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  fuzzerMain(argc, argv)
}
