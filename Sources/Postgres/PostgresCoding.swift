import Foundation
import Routing

/// A parameter in PostgreSQL's text format with its type OID (0 lets the server infer it).
public struct PostgresBind: Sendable {
    public let text: String?
    public let type: UInt32

    public init(text: String?, type: UInt32) {
        self.text = text
        self.type = type
    }
}

/// Type OIDs from `pg_type` for the types Concord binds.
public enum PostgresType {
    public static let unknown: UInt32 = 0
    public static let bool: UInt32 = 16
    public static let int8: UInt32 = 20
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let float8: UInt32 = 701
    public static let textArray: UInt32 = 1009
    public static let date: UInt32 = 1082
    public static let timestamptz: UInt32 = 1184
    public static let numeric: UInt32 = 1700
    public static let uuid: UInt32 = 2950
    public static let uuidArray: UInt32 = 2951
    public static let jsonb: UInt32 = 3802
}

/// A Swift value that can be sent as a parameter.
public protocol PostgresEncodable: Sendable {
    static var postgresType: UInt32 { get }
    var postgresText: String { get }
}

extension PostgresEncodable {
    var postgresBind: PostgresBind { PostgresBind(text: postgresText, type: Self.postgresType) }
}

/// A Swift value that can be read from a column's text.
public protocol PostgresDecodable {
    init(postgresText text: String) throws(PostgresValueError)
}

/// Why a column's text did not fit the requested type.
public struct PostgresValueError: Error, Sendable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

// Strings are sent untyped so the server picks the column's type (text, varchar, citext,
// an enum) instead of failing on `text = citext`-style mismatches.
extension String: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.unknown }
    public var postgresText: String { self }
    public init(postgresText text: String) { self = text }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.int8 }
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = Int(text) else { throw PostgresValueError("not an integer") }
        self = value
    }
}

extension Int64: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.int8 }
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = Int64(text) else { throw PostgresValueError("not an integer") }
        self = value
    }
}

extension Int32: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.int4 }
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = Int32(text) else { throw PostgresValueError("not an integer") }
        self = value
    }
}

extension Double: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.float8 }
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = Double(text) else { throw PostgresValueError("not a number") }
        self = value
    }
}

extension Bool: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.bool }
    public var postgresText: String { self ? "t" : "f" }
    public init(postgresText text: String) throws(PostgresValueError) {
        switch text {
        case "t", "true": self = true
        case "f", "false": self = false
        default: throw PostgresValueError("not a boolean")
        }
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.uuid }
    public var postgresText: String { UUIDText.lowercase(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = UUIDText.parse(text) else { throw PostgresValueError("not a UUID") }
        self = value
    }
}

extension ExactDecimal: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.numeric }
    public var postgresText: String { description }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = try? ExactDecimal(parsing: text) else { throw PostgresValueError("not a decimal with at most 3 places") }
        self = value
    }
}

extension LocalDate: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.date }
    public var postgresText: String { description }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = LocalDate(text) else { throw PostgresValueError("not a date") }
        self = value
    }
}

extension JSONValue: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.jsonb }
    public var postgresText: String { String(decoding: JSONWriter.serialize(self), as: UTF8.self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = try? JSONParser.parse(Array(text.utf8)) else { throw PostgresValueError("not JSON") }
        self = value
    }
}

extension Date: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.timestamptz }

    /// Microsecond precision, UTC, ISO 8601: what `timestamptz` stores.
    public var postgresText: String {
        let micros = (timeIntervalSince1970 * 1_000_000).rounded()
        let seconds = Int(floor(micros / 1_000_000))
        let fraction = Int(micros) - seconds * 1_000_000
        var t = time_t(seconds)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                      parts.tm_hour, parts.tm_min, parts.tm_sec, fraction)
    }

    /// Reads `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (sessions run with `TimeZone=UTC`, `DateStyle=ISO`).
    public init(postgresText text: String) throws(PostgresValueError) {
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
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19) else {
            throw PostgresValueError("not a timestamp")
        }
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
            guard let h = number((index + 1)..<(index + 3)) else { throw PostgresValueError("not a timestamp") }
            var m = 0
            if index + 5 < bytes.count + 1, index + 3 < bytes.count, bytes[index + 3] == 58, let mm = number((index + 4)..<(index + 6)) { m = mm }
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
        self = Date(timeIntervalSince1970: Double(epoch - offsetSeconds) + fraction)
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: UInt32 {
        switch Element.postgresType {
        case PostgresType.uuid: PostgresType.uuidArray
        default: PostgresType.textArray
        }
    }

    /// An array literal with every element quoted (`{"a","b \"c\""}`).
    public var postgresText: String {
        "{" + map { element in
            let text = element.postgresText.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"" + text + "\""
        }.joined(separator: ",") + "}"
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal (`{a,"b c",NULL}`); NULL elements are refused.
    public init(postgresText text: String) throws(PostgresValueError) {
        var elements: [Element] = []
        let scalars = [Unicode.Scalar](text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else { throw PostgresValueError("not an array") }
        var index = 1
        let end = scalars.count - 1
        while index < end {
            var item = ""
            var quoted = false
            if scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    if index < end { item.unicodeScalars.append(scalars[index]) }
                    index += 1
                }
                index += 1
            } else {
                while index < end, scalars[index] != "," {
                    item.unicodeScalars.append(scalars[index])
                    index += 1
                }
            }
            if !quoted && item == "NULL" { throw PostgresValueError("array has NULL elements") }
            elements.append(try Element(postgresText: item))
            if index < end, scalars[index] == "," { index += 1 }
        }
        self = elements
    }
}
