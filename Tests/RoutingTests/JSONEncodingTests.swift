import Core
import Foundation
import Routing
import Testing

/// `JSONValueEncoder`: snake_case keys in order, `null` for nil, exact numbers, special types.
@Suite struct JSONEncodingTests {
    enum Status: String, Codable { case open, closed }

    struct Invoice: Codable, Equatable {
        var id: UUID
        var number: Int64
        var status: Status
        var total: ExactDecimal
        var dueOn: LocalDate
        var issuedAt: Date
        var paidAt: Date?
        var notes: String?
        var lineCount: Int
        var tierPrices: [String: Int64]
        var extra: JSONValue
    }

    static func text<T: Encodable>(_ value: T) throws -> String {
        String(decoding: try JSONValueEncoder().encodeBytes(value), as: UTF8.self)
    }

    static func invoice() throws -> Invoice {
        Invoice(
            id: try #require(UUID(uuidString: "7F1C2B9E-3A4D-4E5F-8A6B-7C8D9E0F1A2B")), number: 9_007_199_254_740_993,
            status: .open, total: try ExactDecimal(parsing: "1234.5"), dueOn: try #require(LocalDate("2026-12-01")),
            issuedAt: try #require(RFC3339.parse("2026-11-22T09:30:00+02:00")), paidAt: nil, notes: nil, lineCount: 3,
            tierPrices: ["silver": 950, "gold": 900, "bronzeTier": 990], extra: ["keepMe": [1, .number("2.50")]])
    }

    @Test func models_encodeInDeclarationOrder_withSnakeCaseKeys_andNulls() throws {
        #expect(
            try Self.text(Self.invoice())
                == #"{"id":"7f1c2b9e-3a4d-4e5f-8a6b-7c8d9e0f1a2b","number":9007199254740993,"status":"open","total":1234.5,"due_on":"2026-12-01","issued_at":"2026-11-22T07:30:00.000Z","paid_at":null,"notes":null,"line_count":3,"tier_prices":{"bronzeTier":990,"gold":900,"silver":950},"extra":{"keepMe":[1,2.50]}}"#
        )
    }

    @Test func models_roundTripThroughDecoder() throws {
        let invoice = try Self.invoice()
        let json = try JSONValueEncoder().encode(invoice)
        #expect(try JSONValueDecoder().decode(Invoice.self, from: json) == invoice)
        let bytes = try JSONValueEncoder().encodeBytes(invoice)
        #expect(try JSONValueDecoder().decode(Invoice.self, from: JSONParser.parse(bytes)) == invoice)
    }

    @Test func nilOptionals_areNull_everywhere() throws {
        struct Everything: Encodable {
            var b: Bool?; var s: String?; var d: Double?; var f: Float?; var i: Int?; var i8: Int8?; var i16: Int16?
            var i32: Int32?; var i64: Int64?; var u: UInt?; var u8: UInt8?; var u16: UInt16?; var u32: UInt32?;
            var u64: UInt64?
            var decimal: ExactDecimal?; var nested: [Int?]?; var list: [Int?]
        }
        let value = Everything(list: [1, nil])
        let json = try JSONValueEncoder().encode(value)
        let object = try #require(json.objectValue)
        #expect(object.count == 17)
        #expect(object.keys.filter { $0 != "list" }.allSatisfy { object[$0] == .null })
        #expect(object["list"] == [1, .null])
    }

    @Test func numbers_areWrittenExactly() throws {
        struct Numbers: Encodable {
            var tiny = ExactDecimal(thousandths: -1); var big = ExactDecimal.greatestValue;
            var whole = ExactDecimal(integer: 7)
            var min = Int64.min; var max = UInt64.max; var ratio = 0.1; var third = 1.0 / 3; var small = 1e-7;
            var three = 3.0
            var float: Float = 0.1; var decimal = Decimal(string: "-12.3400")!
        }
        #expect(
            try Self.text(Numbers())
                == #"{"tiny":-0.001,"big":999999999999.999,"whole":7,"min":-9223372036854775808,"max":18446744073709551615,"ratio":0.1,"third":0.3333333333333333,"small":1e-07,"three":3.0,"float":0.1,"decimal":-12.34}"#
        )
        // Every number the encoder writes is valid JSON.
        #expect(throws: Never.self) { try JSONParser.parse(JSONValueEncoder().encodeBytes(Numbers())) }
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteNumbers_throw(number: Double) {
        struct Holder: Encodable { var value: Double }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode(Holder(value: number)) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([number]) }
    }

    @Test func datesOutsideFourDigitYears_throw() {
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Date(timeIntervalSince1970: 1e12)]) }
        #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Date.distantPast]) }
    }

    @Test func topLevelValues_encodeDirectly() throws {
        #expect(try JSONValueEncoder().encode("x") == "x")
        #expect(try JSONValueEncoder().encode(ExactDecimal(thousandths: 1500)) == .number("1.5"))
        #expect(try JSONValueEncoder().encode(Optional<Int>.none) == .null)
        #expect(try JSONValueEncoder().encode([Status.open, .closed]) == ["open", "closed"])
        #expect(try JSONValueEncoder().encode(URL(string: "https://example.com/a?b=c")!) == "https://example.com/a?b=c")
        #expect(try Self.text(JSONValue.object(JSONObject([("camelCase", .null)]))) == #"{"camelCase":null}"#)
    }

    @Test func dictionaries_keepTheirKeys_sorted() throws {
        struct Prices: Encodable { var tierPrices: [String: Int]; var nested: [String: [String: Bool]] }
        let prices = Prices(
            tierPrices: ["gold": 900, "Silver Tier": 950, "a_b": 1], nested: ["outerKey": ["innerKey": true]])
        #expect(
            try Self.text(prices)
                == #"{"tier_prices":{"Silver Tier":950,"a_b":1,"gold":900},"nested":{"outerKey":{"innerKey":true}}}"#)
    }

    @Test func customEncoders_canUseEveryContainer() throws {
        struct Custom: Encodable {
            enum Keys: String, CodingKey { case firstName, history }
            func encode(to encoder: any Encoder) throws {
                var container = encoder.container(keyedBy: Keys.self)
                try container.encode("Ada", forKey: .firstName)
                var history = container.nestedUnkeyedContainer(forKey: .history)
                try history.encode(1)
                var entry = history.nestedContainer(keyedBy: Keys.self)
                try entry.encodeNil(forKey: .firstName)
                var single = history.superEncoder().singleValueContainer()
                try single.encode(ExactDecimal(thousandths: 5))
            }
        }
        #expect(try Self.text(Custom()) == #"{"first_name":"Ada","history":[1,{"first_name":null},0.005]}"#)
    }

    @Test func classHierarchies_shareOneObject() throws {
        class Base: Encodable {
            var baseField = 1
            enum CodingKeys: String, CodingKey { case baseField }
        }
        final class Derived: Base {
            var derivedField = "x"
            enum DerivedKeys: String, CodingKey { case derivedField }
            override func encode(to encoder: any Encoder) throws {
                try super.encode(to: encoder)
                var container = encoder.container(keyedBy: DerivedKeys.self)
                try container.encode(derivedField, forKey: .derivedField)
            }
        }
        #expect(try Self.text(Derived()) == #"{"base_field":1,"derived_field":"x"}"#)
    }

    @Test func rawJSONValues_passThroughAnyWrapper() throws {
        struct Wrapper: Codable, Equatable {
            var raw: JSONValue
            init(raw: JSONValue) { self.raw = raw }
            init(from decoder: any Decoder) throws { raw = try JSONValue(from: decoder) }
            func encode(to encoder: any Encoder) throws { try raw.encode(to: encoder) }
        }
        let value: JSONValue = ["someKey": [.number("1.10"), "x"]]
        #expect(try JSONValueEncoder().encode(Wrapper(raw: value)) == value)
        #expect(try JSONValueEncoder().encode([Wrapper(raw: value)]) == [value])
        // Reading the raw value counts as knowing every member.
        #expect(try JSONValueDecoder().decode(Wrapper.self, from: value) == Wrapper(raw: value))
    }

    @Test func jsonValues_surviveForeignCoders() throws {
        let value: JSONValue = ["b": [1, .number("2.5"), "s", true, .null], "a": ["x": 1]]
        let data = try JSONEncoder().encode(value)
        let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(decoded == value)
    }
}
