import Core
import Foundation
import Routing
import Testing

@testable import Postgres

/// Rows are decoded from the bytes libpq received (`init(postgresTextBytes:)`); each type must
/// accept and refuse exactly what its `String` conversion does.
@Suite struct TextFormatTests {
    /// SplitMix64, so a failing case can be replayed from the seed.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Both conversions of `text`: the value or the error message.
    func bothWays<T: PostgresDecodable>(_ text: String, as type: T.Type) -> (
        text: Result<T, PostgresValueError>, bytes: Result<T, PostgresValueError>
    ) {
        let fromText = Result { () throws(PostgresValueError) in try T(postgresText: text) }
        let fromBytes = Array(text.utf8).withUnsafeBufferPointer { bytes in
            Result { () throws(PostgresValueError) in try T(postgresTextBytes: bytes) }
        }
        return (fromText, fromBytes)
    }

    func expectAgreement<T: PostgresDecodable & Equatable>(
        _ texts: [String], as type: T.Type, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for text in texts {
            let (fromText, fromBytes) = bothWays(text, as: T.self)
            switch (fromText, fromBytes) {
            // NaN is the one value unequal to itself.
            case (.success(let a), .success(let b)):
                #expect(
                    a == b || (a != a && b != b), "\(T.self) from \(text.debugDescription)",
                    sourceLocation: sourceLocation)
            case (.failure(let a), .failure(let b)): #expect(a.message == b.message, sourceLocation: sourceLocation)
            default:
                Issue.record(
                    "\(T.self) from \(text.debugDescription): \(fromText) vs \(fromBytes)",
                    sourceLocation: sourceLocation)
            }
        }
    }

    @Test func integers_acceptWhatIntInitAccepts() {
        let edges = [
            "0", "-0", "+0", "7", "+7", "-7", "", "+", "-", "+-1", "--1", " 1", "1 ", "1_000", "0x1F", "1e3", "1.0",
            "٣", "00012", "2147483647", "2147483648", "-2147483648", "-2147483649", "9223372036854775807",
            "9223372036854775808", "-9223372036854775808", "-9223372036854775809", "99999999999999999999999",
        ]
        var generator = SeededGenerator(state: 1)
        let random = (0..<2_000).map { _ in
            String(Int.random(in: .min ... .max, using: &generator) >> Int.random(in: 0...63, using: &generator))
        }
        expectAgreement(edges + random, as: Int.self)
        expectAgreement(edges + random, as: Int64.self)
        expectAgreement(edges + random, as: Int32.self)
    }

    @Test func booleans_acceptTheServerSpellingAndTrueFalse() {
        expectAgreement(
            ["t", "f", "true", "false", "", "T", "TRUE", "yes", "1", "0", "tr", "truex", "f "], as: Bool.self)
        #expect(throws: PostgresValueError.self) {
            try Bool(postgresTextBytes: UnsafeBufferPointer(start: nil, count: 0))
        }
    }

    @Test func uuids_acceptEitherCase_andOnlyTheDashedForm() {
        let id = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
        expectAgreement(
            [
                id, id.uppercased(), "3F2504E0-4f89-41D3-9a0c-0305E82C3301", String(id.dropLast()), id + "0",
                id.replacingOccurrences(of: "-", with: ""), "3f2504e0-4f89-41d3-9a0c-0305e82c330g",
                "3f2504e0_4f89-41d3-9a0c-0305e82c3301", "3f2504e04-f89-41d3-9a0c-0305e82c3301", "",
            ], as: UUID.self)
        expectAgreement((0..<200).map { _ in UUID().uuidString }, as: UUID.self)
    }

    @Test func otherTypes_agreeWithTheirTextConversion() {
        expectAgreement(["", "plain", "ünïcödé ✓", String(repeating: "long text ", count: 50)], as: String.self)
        expectAgreement(["1.5", "-0.25", "NaN", "Infinity", "-Infinity", "1e300", "x", ""], as: Double.self)
        expectAgreement(["12.345", "-0.5", "3", "1.2345", "abc", ""], as: ExactDecimal.self)
        expectAgreement(["2024-02-29", "2023-02-29", "2024-13-01", "24-01-01", ""], as: LocalDate.self)
        expectAgreement(
            [#"{"a": [1, 2.5, "x", null, true]}"#, "[]", "\"s\"", "{", "", #"{"a":1,"a":2}"#], as: JSONValue.self)
        expectAgreement(["{}", "{a,b}", #"{"a b","c\"d",e}"#, "{a,NULL}", "{\"NULL\"}", "a"], as: [String].self)
        expectAgreement(["{3f2504e0-4f89-41d3-9a0c-0305e82c3301}", "{nope}"], as: [UUID].self)
    }

    @Test func timestamps_readAsTheyWereBeforeTheBytePath() {
        var texts = [
            "2024-03-01 12:34:56+00", "2024-03-01 12:34:56.123456+00", "2024-03-01 12:34:56.5+00",
            "1970-01-01 00:00:00+00", "1969-12-31 23:59:59.999999+00", "0001-01-01 00:00:00+00",
            "9999-12-31 23:59:59.999999+00", "2024-03-01 12:34:56+05:30", "2024-03-01 12:34:56-08",
            "2024-03-01 12:34:56+05:3", "2024-03-01 12:34:56+5", "2024-03-01 12:34:56", "2024-03-01 12:34:5",
            "2024-02-30 25:61:61+00", "2024-00-00 00:00:00+00", "2024-99-99 99:99:99+99:99",
            "infinity", "-infinity", "2024-03-01T12:34:56Z", "10000-01-01 00:00:00+00", "2000-01-01 00:00:00+00 BC", "",
        ]
        var generator = SeededGenerator(state: 2)
        func digits(_ count: Int) -> String {
            (0..<count).map { _ in String(Int.random(in: 0...9, using: &generator)) }.joined()
        }
        for _ in 0..<3_000 {
            var text = "\(digits(4))-\(digits(2))-\(digits(2)) \(digits(2)):\(digits(2)):\(digits(2))"
            if Bool.random(using: &generator) { text += "." + digits(Int.random(in: 0...9, using: &generator)) }
            text += ["", "+00", "-03", "+05:30", "+1", "-11:4", "+", "x"].randomElement(using: &generator)!
            if Int.random(in: 0..<4, using: &generator) == 0 {
                var bytes = Array(text.utf8)
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = Array("0123456789-:. +x".utf8)
                    .randomElement(using: &generator)!
                text = String(decoding: bytes, as: UTF8.self)
            }
            texts.append(text)
        }
        for text in texts {
            let legacy = Self.legacyTimestamp(text)
            let (fromText, fromBytes) = bothWays(text, as: Date.self)
            #expect(
                (try? fromBytes.get())?.timeIntervalSince1970.bitPattern == legacy?.timeIntervalSince1970.bitPattern,
                "\(text)")
            #expect(
                (try? fromText.get())?.timeIntervalSince1970.bitPattern == legacy?.timeIntervalSince1970.bitPattern,
                "\(text)")
        }
    }

    @Test func calendarArithmetic_matchesTimegm_evenOutOfRange() {
        var generator = SeededGenerator(state: 3)
        for _ in 0..<20_000 {
            let fields = (
                year: Int.random(in: 0...9999, using: &generator), month: Int.random(in: 0...99, using: &generator),
                day: Int.random(in: 0...99, using: &generator), hour: Int.random(in: 0...99, using: &generator),
                minute: Int.random(in: 0...99, using: &generator), second: Int.random(in: 0...99, using: &generator)
            )
            var parts = tm()
            parts.tm_year = Int32(fields.year - 1900)
            parts.tm_mon = Int32(fields.month - 1)
            parts.tm_mday = Int32(fields.day)
            parts.tm_hour = Int32(fields.hour)
            parts.tm_min = Int32(fields.minute)
            parts.tm_sec = Int32(fields.second)
            let expected = Int(timegm(&parts))
            let actual = PostgresTextFormat.secondsSinceEpoch(
                year: fields.year, month: fields.month, day: fields.day,
                hour: fields.hour, minute: fields.minute, second: fields.second)
            #expect(actual == expected, "\(fields)")
            if actual != expected { return }
        }
    }

    /// The `String` parser the byte path replaced (libc `timegm`), kept as the reference.
    static func legacyTimestamp(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for b in bytes[range] {
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return nil }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == 46 {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= 48 && bytes[index] <= 57 {
                fraction += Double(bytes[index] - 48) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == 43 || bytes[index] == 45 {
            let sign = bytes[index] == 45 ? -1 : 1
            guard let h = number((index + 1)..<(index + 3)) else { return nil }
            var m = 0
            if index + 5 < bytes.count + 1, index + 3 < bytes.count, bytes[index + 3] == 58,
                let mm = number((index + 4)..<(index + 6))
            {
                m = mm
            }
            offsetSeconds = sign * (h * 3600 + m * 60)
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let epoch = timegm(&parts)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}
