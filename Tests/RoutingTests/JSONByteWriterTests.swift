import Foundation
import Testing

@testable import Core
@testable import Routing

/// The byte writers `encodeBytes` uses give exactly the text of the String forms the tree path
/// uses.
@Suite struct JSONByteWriterTests {
    static func written(_ write: (inout [UInt8]) -> Void) -> String {
        var bytes: [UInt8] = Array("prefix".utf8)
        write(&bytes)
        return String(decoding: bytes.dropFirst(6), as: UTF8.self)
    }

    @Test func integers_areTheirDecimalText() {
        let values: [Int64] = [0, 1, -1, 9, 10, -10, 99, 100, 1_234_567_890, Int64.max, Int64.min, Int64.min + 1]
        for value in values {
            #expect(Self.written { JSONWriter.writeInteger(value, into: &$0) } == String(value))
        }
        #expect(Self.written { JSONWriter.writeInteger(UInt64.max, into: &$0) } == String(UInt64.max))
        #expect(Self.written { JSONWriter.writeInteger(Int8.min, into: &$0) } == "-128")
        #expect(Self.written { JSONWriter.writeInteger(Int128.min, into: &$0) } == String(Int128.min))
        #expect(Self.written { JSONWriter.writeInteger(UInt128.max, into: &$0) } == String(UInt128.max))
    }

    @Test func exactDecimals_matchDescription() {
        var thousandths: [Int64] = [0, 1, -1, 10, 100, 999, 1000, 1001, 1010, 1100, 12_500, -12_500, 120, 105]
        thousandths += [ExactDecimal.thousandthsLimit - 1, -(ExactDecimal.thousandthsLimit - 1)]
        thousandths += (-2000...2000).map(Int64.init)
        var generator = SystemRandomNumberGenerator()
        thousandths += (0..<2000).map { _ in
            Int64.random(
                in: -(ExactDecimal.thousandthsLimit - 1)...(ExactDecimal.thousandthsLimit - 1), using: &generator)
        }
        for value in thousandths.map(ExactDecimal.init(thousandths:)) {
            #expect(Self.written { value.write(into: &$0) } == value.description)
        }
    }

    @Test func uuids_matchLowercaseText() {
        var uuids = [
            UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
        ]
        uuids += (0..<200).map { _ in UUID() }
        for uuid in uuids {
            #expect(
                Self.written { UUIDText.writeJSONString(uuid, into: &$0) } == "\"" + UUIDText.lowercase(uuid) + "\"")
        }
    }

    @Test func dates_matchDescription() {
        var dates = [
            LocalDate(year: 1, month: 1, day: 1)!, LocalDate(year: 9999, month: 12, day: 31)!,
            LocalDate(year: 2024, month: 2, day: 29)!, LocalDate(year: 987, month: 10, day: 5)!,
        ]
        dates += (0..<400).map { LocalDate(year: 1970, month: 1, day: 1)!.adding(days: $0 * 997 - 200_000)! }
        for date in dates {
            #expect(Self.written { date.write(into: &$0) } == date.description)
        }
    }

    @Test func timestamps_matchFormat() {
        var instants: [Double] = [
            0, -0.0005, 0.0005, 0.9995, -1, 1_790_000_000.1234, -62_135_596_800, 253_402_300_799.999,
        ]
        instants += (0..<2000).map { _ in Double.random(in: -62_135_596_800...253_402_300_799) }
        for seconds in instants {
            let date = Date(timeIntervalSince1970: seconds)
            #expect(Self.written { _ = RFC3339.write(date, into: &$0) } == RFC3339.format(date))
        }
        for outside in [
            Date(timeIntervalSince1970: 1e12), .distantPast, Date(timeIntervalSince1970: 253_402_300_800),
            Date(timeIntervalSince1970: -62_135_596_801),
        ] {
            var bytes: [UInt8] = []
            #expect(RFC3339.write(outside, into: &bytes) == false)
            #expect(bytes.isEmpty)
            #expect(RFC3339.format(outside) == nil)
        }
    }

    @Test func keyNames_matchSnakeCaseThenEscape() {
        let keys = [
            "id", "userID", "URLString", "line1", "a_b", "HTTPSProxy", "_leading", "Trailing", "x", "", "ABC", "v2Beta",
            "naïveKey", "ÄrgerLevel", "quote\"Key", "back\\slash", "tab\tKey", "nul\u{0}Key", "with space",
            "already_Snake",
        ]
        for key in keys {
            var expected: [UInt8] = []
            JSONWriter.writeString(JSONKeyCase.snakeCase(key), into: &expected)
            #expect(
                Self.written { JSONKeyCase.writeSnakeCase(key, into: &$0) } == String(decoding: expected, as: UTF8.self)
            )
        }
    }
}
