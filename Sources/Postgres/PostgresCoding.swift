import Core
import FoundationEssentials
import Glibc

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
    /// The same from the text's UTF-8 bytes as they arrived (no terminator), which is how rows
    /// are decoded; the default builds a `String` and calls `init(postgresText:)`.
    init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError)
}

extension PostgresDecodable {
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        try self.init(postgresText: String(decoding: bytes, as: UTF8.self))
    }
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
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) { self = String(decoding: bytes, as: UTF8.self) }
}

extension Int: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.int8 }
    public var postgresText: String { String(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = Int(text) else { throw PostgresValueError("not an integer") }
        self = value
    }
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.integer(bytes, as: Int.self) else {
            throw PostgresValueError("not an integer")
        }
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
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.integer(bytes, as: Int64.self) else {
            throw PostgresValueError("not an integer")
        }
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
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.integer(bytes, as: Int32.self) else {
            throw PostgresValueError("not an integer")
        }
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
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.boolean(bytes) else { throw PostgresValueError("not a boolean") }
        self = value
    }
}

extension UUID: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.uuid }
    public var postgresText: String { UUIDText.lowercase(self) }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = UUIDText.parse(text) else { throw PostgresValueError("not a UUID") }
        self = value
    }
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.uuid(bytes) else { throw PostgresValueError("not a UUID") }
        self = value
    }
}

extension ExactDecimal: PostgresEncodable, PostgresDecodable {
    public static var postgresType: UInt32 { PostgresType.numeric }
    public var postgresText: String { description }
    public init(postgresText text: String) throws(PostgresValueError) {
        guard let value = try? ExactDecimal(parsing: text) else {
            throw PostgresValueError("not a decimal with at most 3 places")
        }
        self = value
    }

    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = try? ExactDecimal(parsing: bytes) else {
            throw PostgresValueError("not a decimal with at most 3 places")
        }
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
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = try? JSONParser.parse(bytes) else { throw PostgresValueError("not JSON") }
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
        return (parts.tm_year + 1900).zeroPadded(width: 4) + "-" + (parts.tm_mon + 1).zeroPadded(width: 2) + "-"
            + parts.tm_mday.zeroPadded(width: 2) + " " + parts.tm_hour.zeroPadded(width: 2) + ":"
            + parts.tm_min.zeroPadded(width: 2) + ":" + parts.tm_sec.zeroPadded(width: 2) + "."
            + fraction.zeroPadded(width: 6) + "+00"
    }

    /// Reads `YYYY-MM-DD HH:MM:SS[.ffffff]+00` (sessions run with `TimeZone=UTC`, `DateStyle=ISO`).
    public init(postgresText text: String) throws(PostgresValueError) {
        var text = text
        guard let value = text.withUTF8({ PostgresTextFormat.timestamp($0) }) else {
            throw PostgresValueError("not a timestamp")
        }
        self = value
    }

    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        guard let value = PostgresTextFormat.timestamp(bytes) else { throw PostgresValueError("not a timestamp") }
        self = value
    }
}

extension Array: PostgresEncodable where Element: PostgresEncodable {
    public static var postgresType: UInt32 {
        switch Element.postgresType {
        case PostgresType.uuid: PostgresType.uuidArray
        default: PostgresType.textArray
        }
    }

    /// An array literal with every element quoted (`{"a","b \"c\""}`), built as bytes: joining
    /// escaped strings cost 6k instructions an element, and a page's lines are read by 50 ids.
    public var postgresText: String {
        var text: [UInt8] = []
        text.reserveCapacity(2 + count * 40)
        text.append(UInt8(ascii: "{"))
        let special = { (byte: UInt8) in byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\"") }
        for (position, element) in enumerated() {
            if position > 0 { text.append(UInt8(ascii: ",")) }
            text.append(UInt8(ascii: "\""))
            var elementText = element.postgresText
            elementText.withUTF8 { utf8 in
                guard utf8.contains(where: special) else { return text.append(contentsOf: utf8) }
                for byte in utf8 {
                    if special(byte) { text.append(UInt8(ascii: "\\")) }
                    text.append(byte)
                }
            }
            text.append(UInt8(ascii: "\""))
        }
        text.append(UInt8(ascii: "}"))
        return String(decoding: text, as: UTF8.self)
    }
}

extension Array: PostgresDecodable where Element: PostgresDecodable {
    /// Reads a one-dimensional array literal (`{a,"b c",NULL}`); NULL elements are refused.
    public init(postgresText text: String) throws(PostgresValueError) {
        var text = text
        let parsed = text.withUTF8 { bytes in
            Result { () throws(PostgresValueError) in try Self(postgresTextBytes: bytes) }
        }
        self = try parsed.get()
    }

    /// Parses the bytes in place: the delimiters are ASCII, so they never occur inside another
    /// character's UTF-8, and an element without quotes or escapes is decoded from its own bytes
    /// (rows read arrays this way; going through `String` and its scalars cost more than the
    /// rest of a customer's columns together).
    public init(postgresTextBytes bytes: UnsafeBufferPointer<UInt8>) throws(PostgresValueError) {
        let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), comma = UInt8(ascii: ",")
        guard bytes.count >= 2, bytes[0] == UInt8(ascii: "{"), bytes[bytes.count - 1] == UInt8(ascii: "}") else {
            throw PostgresValueError("not an array")
        }
        var elements: [Element] = []
        var index = 1
        let end = bytes.count - 1
        var unescaped: [UInt8] = []
        while index < end {
            if bytes[index] == quote {
                unescaped.removeAll(keepingCapacity: true)
                index += 1
                while index < end, bytes[index] != quote {
                    if bytes[index] == backslash { index += 1 }
                    if index < end { unescaped.append(bytes[index]) }
                    index += 1
                }
                index += 1
                let element = unescaped.withUnsafeBufferPointer { item in
                    Result { () throws(PostgresValueError) in try Element(postgresTextBytes: item) }
                }
                elements.append(try element.get())
            } else {
                let start = index
                while index < end, bytes[index] != comma { index += 1 }
                let item = UnsafeBufferPointer(rebasing: bytes[start..<index])
                if item.elementsEqual("NULL".utf8) { throw PostgresValueError("array has NULL elements") }
                elements.append(try Element(postgresTextBytes: item))
            }
            if index < end, bytes[index] == comma { index += 1 }
        }
        self = elements
    }
}
