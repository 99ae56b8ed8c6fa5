import FoundationEssentials

/// RFC 3339 timestamps, the only form in which the API accepts and returns instants.
///
/// Hand-written rather than `ISO8601DateFormatter`: ISO 8601 accepts many shapes RFC 3339 does
/// not, and a formatter per request (or a shared mutable one) costs more than this parser.
public enum RFC3339 {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` with any offset and any number of
    /// fractional digits (beyond nanoseconds they are ignored). `t`/`z` may be lower case, as
    /// RFC 3339 §5.6 allows. Returns nil for other shapes, impossible dates or times, and leap
    /// seconds (`:60`), which `Date` cannot represent.
    public static func parse(_ text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"),
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let year = CivilCalendar.digits(bytes, 0, 4), let month = CivilCalendar.digits(bytes, 5, 2),
            let day = CivilCalendar.digits(bytes, 8, 2), let hour = CivilCalendar.digits(bytes, 11, 2),
            let minute = CivilCalendar.digits(bytes, 14, 2), let second = CivilCalendar.digits(bytes, 17, 2),
            LocalDate(year: year, month: month, day: day) != nil,
            hour < 24, minute < 60, second < 60
        else { return nil }

        var i = 19
        var nanoseconds = 0
        if bytes[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") {
                if i - start < 9 { nanoseconds = nanoseconds * 10 + Int(bytes[i] - UInt8(ascii: "0")) }
                i += 1
            }
            guard i > start else { return nil }
            for _ in min(i - start, 9)..<9 { nanoseconds *= 10 }
        }

        guard i < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[i] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard i + 1 == bytes.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard i + 6 == bytes.count, bytes[i + 3] == UInt8(ascii: ":"),
                let offsetHours = CivilCalendar.digits(bytes, i + 1, 2),
                let offsetMinutes = CivilCalendar.digits(bytes, i + 4, 2),
                offsetHours < 24, offsetMinutes < 60
            else { return nil }
            offsetSeconds = (offsetHours * 3600 + offsetMinutes * 60) * (bytes[i] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }

        let days = CivilCalendar.days(year: year, month: month, day: day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        // Relative to 2001, where `Date` keeps its Double, to lose as little precision as possible.
        let sinceReference = Double(seconds - 978_307_200) + Double(nanoseconds) / 1_000_000_000
        return Date(timeIntervalSinceReferenceDate: sinceReference)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ`: UTC, exactly three fractional digits (rounded to the nearest
    /// millisecond), so output has one fixed width and sorts as text. Nil outside years
    /// 0001–9999, which the format cannot express.
    public static func format(_ date: Date) -> String? {
        var text: [UInt8] = []
        text.reserveCapacity(24)
        guard write(date, into: &text) else { return nil }
        return String(decoding: text, as: UTF8.self)
    }

    /// `format(date)` appended to `output` as UTF-8 without building a String (the JSON
    /// encoder's path); false, with nothing written, when `format` would return nil.
    static func write(_ date: Date, into output: inout [UInt8]) -> Bool {
        guard let (year, month, day, secondOfDay, millisecond) = utcFields(date) else { return false }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { text in
            LocalDate.write(year: year, month: month, day: day, into: text)
            text[10] = UInt8(ascii: "T")
            CivilCalendar.writePadded(secondOfDay / 3600, 2, into: text, at: 11)
            text[13] = UInt8(ascii: ":")
            CivilCalendar.writePadded(secondOfDay % 3600 / 60, 2, into: text, at: 14)
            text[16] = UInt8(ascii: ":")
            CivilCalendar.writePadded(secondOfDay % 60, 2, into: text, at: 17)
            text[19] = UInt8(ascii: ".")
            CivilCalendar.writePadded(millisecond, 3, into: text, at: 20)
            text[23] = UInt8(ascii: "Z")
            output.append(contentsOf: UnsafeBufferPointer(text))
        }
        return true
    }

    /// The UTC calendar date, second of the day and millisecond of `date`, rounded to the
    /// nearest millisecond; nil outside years 0001–9999.
    private static func utcFields(_ date: Date) -> (
        year: Int, month: Int, day: Int, secondOfDay: Int, millisecond: Int
    )? {
        let sinceReference = date.timeIntervalSinceReferenceDate
        guard sinceReference.isFinite, abs(sinceReference) < 400_000_000_000 else { return nil }
        let milliseconds = Int((sinceReference * 1000).rounded()) + 978_307_200_000
        let seconds = milliseconds.floorDivided(by: 1000)
        let millisecond = milliseconds - seconds * 1000
        let days = seconds.floorDivided(by: 86_400)
        let (year, month, day) = CivilCalendar.date(days: days)
        guard (1...9999).contains(year) else { return nil }
        return (year, month, day, seconds - days * 86_400, millisecond)
    }

    /// The field-error message for values that are not RFC 3339 timestamps.
    static let formatMessage = "must be an RFC 3339 timestamp"
}

extension Int {
    /// Division rounding toward negative infinity, so instants before 1970 split into a
    /// negative day and a non-negative time of day.
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor < 0) ? quotient - 1 : quotient
    }
}
