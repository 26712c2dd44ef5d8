import Catalog
import Foundation
import Imaging
import TestSupport
import Testing

@testable import AutoFace

@Suite("OpenCV through the C shim: decode, transform, encode, cascades")
struct OpenCVShimTests {
  @Test("a real photograph decodes to its header's size; encode → decode round-trips the size")
  func decodeEncode() throws {
    let image = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
    #expect(image.width == 548 && image.height == 342 && image.channels == 3)
    let gray = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"), grayscale: true)
    #expect(gray.channels == 1)
    let png = try image.encoded(.png)
    let back = try DecodedImage(bytes: png)
    #expect(back.width == 548 && back.height == 342)
  }

  @Test("Haar cascade finds the faces in a real photograph")
  func haarFindsFaces() throws {
    let cascade = try CascadeClassifier(path: CascadeLocations.defaultFrontalFace)
    let image = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
    let faces = try cascade.detect(in: image, parameters: .common)
    #expect(!faces.isEmpty)
    // Faces are inside the image and of a plausible size for this 548×342 photo.
    for face in faces {
      #expect(face.x >= 0 && face.y >= 0 && face.x + face.width <= 548 && face.y + face.height <= 342)
      #expect(face.width >= 30 && face.width < 200)
    }
    // The same call twice gives the same boxes (deterministic).
    #expect(try cascade.detect(in: image, parameters: .common) == faces)
  }

  @Test("detecting with histogram equalisation leaves a grayscale image's pixels untouched")
  func equaliseDoesNotWriteIntoTheImage() throws {
    let cascade = try CascadeClassifier(path: CascadeLocations.defaultFrontalFace)
    let gray = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"), grayscale: true)
    let before = try gray.encoded(.png)
    var parameters = CascadeParameters.common
    parameters.equalize = true
    _ = try cascade.detect(in: gray, parameters: parameters)
    #expect(try gray.encoded(.png) == before)
  }

  @Test("corrupt bytes, a missing cascade and a bad crop are errors, not crashes")
  func errors() throws {
    var bytes = try TestSupport.photo("messi5.jpg")
    for index in stride(from: 200, to: bytes.count, by: 97) { bytes[index] ^= 0x5A }
    // OpenCV either decodes garbage pixels or reports an error; it must not crash.
    _ = try? DecodedImage(bytes: bytes)
    #expect(throws: ImagingError.self) { try DecodedImage(bytes: Array("<html></html>".utf8)) }
    // A PNG cut after its header: libpng fails and the shim reports it.
    let png = try DecodedImage(bytes: TestSupport.photo("messi5.jpg")).encoded(.png)
    #expect(throws: ImagingError.self) { try DecodedImage(bytes: Array(png.prefix(200))) }
    #expect(throws: AutoFaceError.self) { try CascadeClassifier(path: "/no/such/cascade.xml") }
    let notCascade = try TestSupport.temporaryFolder() + "/bad.xml"
    try Data("<opencv_storage></opencv_storage>".utf8).write(to: URL(fileURLWithPath: notCascade))
    #expect(throws: AutoFaceError.self) { try CascadeClassifier(path: notCascade) }
    let image = try DecodedImage(bytes: TestSupport.photo("messi5.jpg"))
    #expect(throws: ImagingError.self) {
      try image.cropped(to: PixelRect(x: 5000, y: 5000, width: 10, height: 10), width: 10, height: 10)
    }
  }
}
