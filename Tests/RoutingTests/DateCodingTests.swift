import Core
import Foundation
import Routing
import Testing

/// `RFC3339` timestamps and `LocalDate` calendar dates.
@Suite struct DateCodingTests {
    static func seconds(_ text: String) -> Double? {
        RFC3339.parse(text)?.timeIntervalSince1970
    }

    @Test func utcTimestamps_parse() {
        #expect(Self.seconds("2026-11-22T09:30:00Z") == 1_795_339_800)
        #expect(Self.seconds("1970-01-01T00:00:00Z") == 0)
        #expect(Self.seconds("1969-12-31T23:59:59Z") == -1)
        #expect(Self.seconds("0001-01-01T00:00:00Z") == -62_135_596_800)
        #expect(Self.seconds("9999-12-31T23:59:59Z") == 253_402_300_799)
        #expect(Self.seconds("2026-11-22t09:30:00z") == 1_795_339_800)
    }

    @Test func offsets_areApplied() {
        let utc = Self.seconds("2026-11-22T07:30:00.123Z")
        #expect(utc != nil)
        #expect(Self.seconds("2026-11-22T09:30:00.123+02:00") == utc)
        #expect(Self.seconds("2026-11-22T02:00:00.123-05:30") == utc)
        #expect(Self.seconds("2026-11-22T07:30:00.123+00:00") == utc)
        #expect(Self.seconds("2026-11-22T07:30:00.123-00:00") == utc)
        // An offset can move the instant across a day, month and year boundary.
        #expect(Self.seconds("2027-01-01T00:30:00+01:00") == Self.seconds("2026-12-31T23:30:00Z"))
    }

    @Test func fractions_ofAnyLength_areAccepted() throws {
        let nanos = try #require(RFC3339.parse("2026-11-22T09:30:00.123456789Z"))
        #expect(abs(nanos.timeIntervalSince1970 - 1_795_339_800.123456789) < 1e-6)
        #expect(Self.seconds("2026-11-22T09:30:00.5Z") == 1_795_339_800.5)
        #expect(RFC3339.parse("2026-11-22T09:30:00.1234567891234Z") != nil)
    }

    @Test(arguments: [
        "2026-11-22 09:30:00Z", "2026-11-22T09:30:00", "2026-11-22T09:30Z", "2026-02-30T00:00:00Z",
        "2023-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T09:60:00Z", "2026-12-31T23:59:60Z",
        "2026-11-22T09:30:00+0200", "2026-11-22T09:30:00+02", "2026-11-22T09:30:00.Z", "26-11-22T09:30:00Z",
        "2026-11-22T09:30:00+24:00", "2026-11-22T09:30:00Zjunk", "2026-11-22T09:30:00 Z", "", "2026-11-22",
        "0000-01-01T00:00:00Z", "+2026-11-22T09:30:00Z", "2026-11-22T09:30:00.123+02:00 ",
    ])
    func malformedTimestamps_areRejected(text: String) {
        #expect(RFC3339.parse(text) == nil)
    }

    @Test func formatting_isUTCWithMilliseconds() throws {
        #expect(
            RFC3339.format(try #require(RFC3339.parse("2026-11-22T09:30:00.123+02:00"))) == "2026-11-22T07:30:00.123Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 1_795_339_800)) == "2026-11-22T09:30:00.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 0.9996)) == "1970-01-01T00:00:01.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00.000Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 253_402_300_799.999)) == "9999-12-31T23:59:59.999Z")
        #expect(RFC3339.format(Date(timeIntervalSince1970: 253_402_300_800)) == nil)
        #expect(RFC3339.format(Date(timeIntervalSince1970: -62_135_596_801)) == nil)
        #expect(RFC3339.format(Date(timeIntervalSince1970: .infinity)) == nil)
    }

    @Test func formatting_roundTripsAtMillisecondPrecision() throws {
        var generator = JSONFuzzTests.SeededGenerator(state: 2026)
        for _ in 0..<2000 {
            let milliseconds = Int64.random(in: -62_135_596_800_000...253_402_300_799_999, using: &generator)
            let date = Date(timeIntervalSince1970: Double(milliseconds) / 1000)
            let text = try #require(RFC3339.format(date))
            let reparsed = try #require(RFC3339.parse(text))
            #expect(RFC3339.format(reparsed) == text)
            #expect(Int64((reparsed.timeIntervalSince1970 * 1000).rounded()) == milliseconds)
        }
    }

    @Test func localDates_acceptRealDatesOnly() {
        #expect(LocalDate("2024-02-29")?.day == 29)
        #expect(LocalDate("2000-02-29") != nil)
        #expect(LocalDate("2023-02-29") == nil)
        #expect(LocalDate("1900-02-29") == nil)
        #expect(LocalDate("2026-04-31") == nil)
        #expect(LocalDate("2026-12-31") != nil)
        #expect(LocalDate("0001-01-01") != nil)
        #expect(LocalDate("9999-12-31") != nil)
        for text in [
            "2026-13-01", "2026-00-10", "2026-01-00", "0000-01-01", "2026-1-01", "2026-01-1", "26-01-01",
            "2026/01/01", "2026-01-01T00:00:00Z", " 2026-01-01", "2026-01-01 ", "", "２０２６-01-01", "+026-01-01",
        ] {
            #expect(LocalDate(text) == nil, "accepted \(text)")
        }
        #expect(LocalDate(year: 2023, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 10_000, month: 1, day: 1) == nil)
    }

    @Test func localDates_printZeroPadded_andOrderChronologically() throws {
        let early = try #require(LocalDate(year: 99, month: 1, day: 5))
        #expect(early.description == "0099-01-05")
        #expect(LocalDate(early.description) == early)
        let dates = ["2026-01-02", "2025-12-31", "2026-01-01", "2026-02-01"].compactMap(LocalDate.init)
        #expect(dates.sorted().map(\.description) == ["2025-12-31", "2026-01-01", "2026-01-02", "2026-02-01"])
        #expect(Set(["2026-01-01", "2026-01-01"].compactMap(LocalDate.init)).count == 1)
    }

    @Test func localDates_codeAsStrings() throws {
        struct Holder: Codable, Equatable { var dueOn: LocalDate }
        let holder = Holder(dueOn: try #require(LocalDate("2024-02-29")))
        let json = try JSONValueEncoder().encode(holder)
        #expect(json == ["due_on": "2024-02-29"])
        #expect(try JSONValueDecoder().decode(Holder.self, from: json) == holder)
        let failure = #expect(throws: JSONDecodingFailure.self) {
            try JSONValueDecoder().decode(Holder.self, from: ["due_on": "2023-02-29"])
        }
        #expect(failure?.errors == [FieldError(field: "due_on", message: "must be a date in YYYY-MM-DD format")])
        // Foundation coders see the same string form.
        let data = try JSONEncoder().encode(holder)
        #expect(try JSONDecoder().decode(Holder.self, from: data) == holder)
    }
}
