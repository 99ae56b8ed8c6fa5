import FoundationEssentials

/// A calendar date without time or zone (`2026-11-22`): due dates, birthdays, fiscal periods,
/// where converting through a timestamp would shift the day across time zones.
///
/// Always a real proleptic Gregorian date in years 0001–9999 (the range `YYYY` can write).
public struct LocalDate: Codable, Sendable, Hashable, Comparable, CustomStringConvertible {
    /// 1...9999.
    public let year: Int
    /// 1...12.
    public let month: Int
    /// 1...28/29/30/31, as the month allows.
    public let day: Int

    /// The date, or nil when it does not exist (`2023-02-29`, month 13, year 0).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            day >= 1, day <= CivilCalendar.daysInMonth(year: year, month: month)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses exactly `YYYY-MM-DD` (no time, no zone, no other separators), nil when the text
    /// has another shape or names a date that does not exist.
    public init?(_ text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let year = CivilCalendar.digits(bytes, 0, 4),
            let month = CivilCalendar.digits(bytes, 5, 2),
            let day = CivilCalendar.digits(bytes, 8, 2)
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// The date in UTC at `instant` (today by default).
    public static func today(at instant: Date = Date()) -> LocalDate {
        let days = Int((instant.timeIntervalSince1970 / 86_400).rounded(.down))
        let (year, month, day) = CivilCalendar.date(days: days)
        return LocalDate(year: year, month: month, day: day)!
    }

    /// The date `days` later (earlier when negative); nil outside years 1–9999.
    public func adding(days: Int) -> LocalDate? {
        let (year, month, day) = CivilCalendar.date(
            days: CivilCalendar.days(year: self.year, month: self.month, day: self.day) + days)
        return LocalDate(year: year, month: month, day: day)
    }

    /// Whole days from this date to `other` (negative when `other` is earlier).
    public func days(until other: LocalDate) -> Int {
        CivilCalendar.days(year: other.year, month: other.month, day: other.day)
            - CivilCalendar.days(year: year, month: month, day: day)
    }

    /// `YYYY-MM-DD`, zero-padded; parses back to the same date.
    public var description: String {
        var text: [UInt8] = []
        text.reserveCapacity(10)
        write(into: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// `description` appended to `output` as UTF-8, for the JSON encoder.
    func write(into output: inout [UInt8]) {
        Self.write(year: year, month: month, day: day, into: &output)
    }

    /// `YYYY-MM-DD` of these fields.
    static func write(year: Int, month: Int, day: Int, into output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 10) { text in
            write(year: year, month: month, day: day, into: text)
            output.append(contentsOf: UnsafeBufferPointer(text))
        }
    }

    /// `YYYY-MM-DD` in the first ten bytes of `text` (also the date part of an RFC 3339
    /// timestamp).
    static func write(year: Int, month: Int, day: Int, into text: UnsafeMutableBufferPointer<UInt8>) {
        CivilCalendar.writePadded(year, 4, into: text, at: 0)
        text[4] = UInt8(ascii: "-")
        CivilCalendar.writePadded(month, 2, into: text, at: 5)
        text[7] = UInt8(ascii: "-")
        CivilCalendar.writePadded(day, 2, into: text, at: 8)
    }

    /// Chronological order.
    public static func < (lhs: LocalDate, rhs: LocalDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Encodes as its `YYYY-MM-DD` string (the JSON coders do the same).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Decodes from a `YYYY-MM-DD` string; anything else is a data-corrupted error whose
    /// description is the field message clients see.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let date = LocalDate(try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: Self.formatMessage)
        }
        self = date
    }

    /// The field-error message for text that is not a valid date.
    static let formatMessage = "must be a date in YYYY-MM-DD format"
}

/// Proleptic Gregorian arithmetic shared by `LocalDate` and `RFC3339`; integer-only, so it is
/// exact and needs no `Calendar` (which is neither cheap nor `Sendable`-friendly).
enum CivilCalendar {
    static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
    static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date `days` after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func date(days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The decimal value of `count` ASCII digits at `start`, nil if any is not a digit.
    static func digits(_ bytes: [UInt8], _ start: Int, _ count: Int) -> Int? {
        guard start + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[start..<(start + count)] {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// `value` zero-padded to `width` digits, as UTF-8, for `0 <= value < 10^width` (every field of a date in
    /// years 0001–9999 is).
    /// Written in place at `offset`: dates and timestamps are fixed-width text built on the
    /// stack and appended once, since appending digit by digit was most of their cost.
    static func writePadded(_ value: Int, _ width: Int, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        var rest = value
        for position in stride(from: offset + width - 1, through: offset, by: -1) {
            text[position] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
            rest /= 10
        }
    }
}
