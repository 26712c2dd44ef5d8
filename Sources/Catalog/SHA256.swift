import CCrypto
import Foundation

/// SHA-256 through OpenSSL's libcrypto (hardware-accelerated where the CPU has SHA or AVX2).
public enum SHA256 {
  /// The lowercase hex digest of `bytes`.
  public static func hex(of bytes: UnsafeRawBufferPointer) -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    var length: UInt32 = 0
    digest.withUnsafeMutableBufferPointer { out in
      _ = EVP_Digest(bytes.baseAddress, bytes.count, out.baseAddress, &length, EVP_sha256(), nil)
    }
    return hexString(digest)
  }

  public static func hex(of bytes: [UInt8]) -> String {
    bytes.withUnsafeBytes { hex(of: $0) }
  }

  public static func hex(of data: Data) -> String {
    data.withUnsafeBytes { hex(of: $0) }
  }

  static func hexString(_ digest: [UInt8]) -> String {
    let digits: [UInt8] = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(digest.count * 2)
    for byte in digest {
      out.append(digits[Int(byte >> 4)])
      out.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
