import FuzzDriver

@_cdecl("FuzzImageHeader_main")
func fuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
  fuzzerMain(argc, argv)
}
