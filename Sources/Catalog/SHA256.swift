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

/// A SHA-256 fed piece by piece (a file as it is written or read in parts).
public final class SHA256Stream {
  private let context: OpaquePointer?

  public init() {
    context = EVP_MD_CTX_new()
    EVP_DigestInit_ex(context, EVP_sha256(), nil)
  }

  deinit { EVP_MD_CTX_free(context) }

  public func update(_ bytes: UnsafeRawBufferPointer) {
    if bytes.count > 0 { EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
  }

  public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

  /// The lowercase hex digest of everything fed so far; feed nothing after.
  public func finish() -> String {
    var digest = [UInt8](repeating: 0, count: Int(SHA256_DIGEST_LENGTH))
    var length: UInt32 = 0
    digest.withUnsafeMutableBufferPointer { out in _ = EVP_DigestFinal_ex(context, out.baseAddress, &length) }
    return SHA256.hexString(digest)
  }
}
