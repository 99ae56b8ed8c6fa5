import CCrypto
import FoundationEssentials

/// Hashing, HMAC, random bytes and constant-time comparison through OpenSSL's libcrypto.
public enum Crypto {
    /// SHA-256 of `bytes`.
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBufferPointer { sha256($0) }
    }

    public static func sha256(_ text: String) -> [UInt8] {
        var text = text
        return text.withUTF8 { sha256($0) }
    }

    private static func sha256(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = EVP_Digest(bytes.baseAddress, bytes.count, &digest, &length, sha256Algorithm, nil)
        return digest
    }

    /// SHA-256 fetched from its provider once. OpenSSL 3 looks up the implementation behind
    /// `EVP_sha256()` again on every digest, which costs as much as hashing a key; a fetched
    /// `EVP_MD` is immutable and may be shared between threads.
    nonisolated(unsafe) private static let sha256Algorithm: OpaquePointer? =
        EVP_MD_fetch(nil, "SHA256", nil) ?? EVP_sha256()

    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        _ = key.withUnsafeBufferPointer { k in
            message.withUnsafeBufferPointer { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.baseAddress, m.count, &digest, &length)
            }
        }
        return digest
    }

    /// Cryptographically strong random bytes (RAND_bytes); traps only if the kernel's entropy
    /// source is broken, where continuing would mint guessable keys.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        precondition(ok == 1, "RAND_bytes failed")
        return bytes
    }

    /// Compares without an early exit, so timing reveals nothing about where two secrets differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
        }
    }

    /// `count` random letters and digits (for key ids and secrets).
    public static func randomAlphanumeric(_ count: Int) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        var result: [UInt8] = []
        result.reserveCapacity(count)
        // Rejection sampling keeps every character equally likely (62 does not divide 256).
        while result.count < count {
            for byte in randomBytes(count * 2) where byte < 248 && result.count < count {
                result.append(alphabet[Int(byte) % 62])
            }
        }
        return String(decoding: result, as: UTF8.self)
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
