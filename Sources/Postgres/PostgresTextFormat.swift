import Core
import FoundationEssentials

/// Parsers for PostgreSQL's text output, reading a cell's bytes as libpq received them so that
/// decoding builds no String on the way. Each accepts exactly what the `String`-based
/// conversion it replaces accepted.
enum PostgresTextFormat {
    /// Optional `+`/`-`, then decimal digits; nil on anything else or overflow (as `Int(_:)`).
    static func integer<I: FixedWidthInteger>(_ bytes: UnsafeBufferPointer<UInt8>, as type: I.Type = I.self) -> I? {
        guard var index = bytes.indices.first else { return nil }
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative || bytes[index] == UInt8(ascii: "+") { index += 1 }
        guard index < bytes.count else { return nil }
        var value: I = 0
        while index < bytes.count {
            let digit = bytes[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            // Accumulating negative values reaches I.min, which has no positive counterpart.
            let (next, overflowB) =
                negative ? shifted.subtractingReportingOverflow(I(digit)) : shifted.addingReportingOverflow(I(digit))
            guard !overflowA, !overflowB else { return nil }
            value = next
            index += 1
        }
        return value
    }

    /// `t`/`f`, the server's spelling, or `true`/`false`.
    static func boolean(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch bytes.count {
        case 1 where bytes[0] == UInt8(ascii: "t"): true
        case 1 where bytes[0] == UInt8(ascii: "f"): false
        case 4 where bytes.elementsEqual("true".utf8): true
        case 5 where bytes.elementsEqual("false".utf8): false
        default: nil
        }
    }

    /// The `8-4-4-4-12` hex form in either case.
    static func uuid(_ bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
        UUIDText.parse(bytes)
    }

    /// `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (sessions run with `TimeZone=UTC`, `DateStyle=ISO`),
    /// with an optional `±HH[:MM]` offset.
    static func timestamp(_ bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for i in range {
                let digit = bytes[i] &- UInt8(ascii: "0")
                guard digit < 10 else { return nil }
                value = value * 10 + Int(digit)
            }
            return value
        }
        guard bytes.count >= 19, let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else {
            return nil
        }
        var index = 19
        var fraction = 0.0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0") && bytes[index] <= UInt8(ascii: "9") {
                fraction += Double(bytes[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
        }
        var offsetSeconds = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            guard let h = number((index + 1)..<(index + 3)) else { return nil }
            var m = 0
            if index + 3 < bytes.count, bytes[index + 3] == UInt8(ascii: ":"),
                let mm = number((index + 4)..<(index + 6))
            {
                m = mm
            }
            offsetSeconds = sign * (h * 3600 + m * 60)
        }
        let epoch = secondsSinceEpoch(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }

    /// What `timegm` gives for these fields, fields out of range included (month 13 is January
    /// of the next year, day 32 runs into the next month), by arithmetic on the proleptic
    /// Gregorian calendar instead of libc's normalising loop.
    static func secondsSinceEpoch(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) -> Int {
        let monthsFromMarch = (month - 1) - 2
        let years = year + monthsFromMarch.floorDivided(by: 12)
        let monthOfYear = monthsFromMarch - monthsFromMarch.floorDivided(by: 12) * 12  // 0 = March … 11 = February
        // Days before 1 March of `years`, counted from 1 March of year 0 (H. Hinnant, days_from_civil).
        let era = years.floorDivided(by: 400)
        let yearOfEra = years - era * 400
        let dayOfYear = (153 * monthOfYear + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86_400 + hour * 3_600 + minute * 60 + second
    }
}

extension Int {
    fileprivate func floorDivided(by divisor: Int) -> Int {
        let quotient = self / divisor
        return (self % divisor != 0 && (self < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
