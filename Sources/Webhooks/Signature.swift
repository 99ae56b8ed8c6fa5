import FoundationEssentials
import Platform

/// Standard Webhooks signing: `webhook-signature` is `v1,` + base64(HMAC-SHA256(key,
/// "<webhook-id>.<webhook-timestamp>.<body>")), where the key is the base64 part of the
/// `whsec_…` secret. Several signatures (during a secret rotation) are space-separated.
public enum WebhookSignature {
    /// A new secret: `whsec_` + base64 of 24 random bytes.
    public static func newSecret() -> String {
        "whsec_" + Data(Crypto.randomBytes(24)).base64EncodedString()
    }

    public static func sign(secret: String, id: String, timestamp: Int, body: [UInt8]) -> String {
        let key = Data(base64Encoded: String(secret.dropFirst("whsec_".count))).map(Array.init) ?? Array(secret.utf8)
        let mac = Crypto.hmacSHA256(key: key, message: Array("\(id).\(timestamp).".utf8) + body)
        return "v1," + Data(mac).base64EncodedString()
    }
}
