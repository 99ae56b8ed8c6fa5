import Foundation
import Testing

@testable import Core

/// The bytes of a model written out by hand from API.md's conventions (snake_case keys, null for
/// unset members, exact decimals, RFC 3339 UTC timestamps with milliseconds, lower-case UUIDs,
/// RFC 8259 escapes: `\"` and `\\` short, every other control character as `\u00XX`), so a
/// mistake the stream and tree encoders share cannot hide behind their agreeing with each other.
@Suite struct JSONLiteralBytesTests {
    enum Status: String, Encodable { case open, onHold = "on_hold" }

    struct Inner: Encodable {
        var postalCode = "12345"
        var line2: String? = nil
    }

    struct Sample: Encodable {
        var id = UUID(uuidString: "7F1C2B9E-3A4D-4E5F-8A6B-7C8D9E0F1A2B")!
        var name = "q\"b\\n\n\t\u{1}\u{1F}é🎉"
        var status = Status.onHold
        var lineNo = 2
        var quantity = ExactDecimal(thousandths: 1250)
        var negative = ExactDecimal(thousandths: -1_234_500)
        var unitPrice: Int64 = 1999
        var discountPercent: ExactDecimal? = nil
        var shippedAt: Date? = Date(timeIntervalSince1970: 1_790_000_000.1234)
        var dueOn = LocalDate("2026-12-01")!
        var tags = ["a", "b"]
        var empty: [Int] = []
        var nested = Inner()
        var flag = true
    }

    static let expected =
        #"{"id":"7f1c2b9e-3a4d-4e5f-8a6b-7c8d9e0f1a2b","name":"q\"b\\n\u000a\u0009\u0001\u001fé🎉","status":"on_hold","line_no":2,"quantity":1.25,"negative":-1234.5,"unit_price":1999,"discount_percent":null,"shipped_at":"2026-09-21T14:13:20.123Z","due_on":"2026-12-01","tags":["a","b"],"empty":[],"nested":{"postal_code":"12345","line2":null},"flag":true}"#

    @Test func streamAndTree_writeTheBytesTheContractSays() throws {
        let streamed = try #require(JSONStreamEncoder.bytes(of: Sample()), "the model no longer streams")
        #expect(String(decoding: streamed, as: UTF8.self) == Self.expected)
        let tree = JSONWriter.serialize(try JSONValueEncoder().encode(Sample()))
        #expect(String(decoding: tree, as: UTF8.self) == Self.expected)
        #expect(String(decoding: try JSONValueEncoder().encodeBytes(Sample()), as: UTF8.self) == Self.expected)
    }
}
