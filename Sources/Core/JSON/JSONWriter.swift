/// Compact JSON output: no whitespace, members in stored order, numbers as their literal text.
///
/// Only what JSON requires is escaped (`"`, `\` and control characters, the latter as
/// `\u00XX`); all other UTF-8 is written as is, since every client we serve reads UTF-8 and
/// escaping it would only make bodies larger.
public enum JSONWriter {
    /// The UTF-8 bytes of `value`. Output re-parses with `JSONParser` to an equal value.
    ///
    /// A `.number` whose text is not valid JSON number syntax is a programming error (parsed
    /// and encoded numbers are always valid): it fails an assertion in debug builds and is
    /// written as `null` in release builds, so a response is never invalid JSON.
    public static func serialize(_ value: JSONValue) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(256)
        write(value, into: &output)
        return output
    }

    /// Appends `value` to `output`, for callers that frame JSON inside a larger buffer.
    public static func write(_ value: JSONValue, into output: inout [UInt8]) {
        switch value {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let flag):
            output.append(contentsOf: (flag ? "true" : "false").utf8)
        case .number(let text):
            writeNumber(text, into: &output)
        case .string(let string):
            writeString(string, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (position, element) in elements.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                write(element, into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let object):
            output.append(UInt8(ascii: "{"))
            for (position, member) in object.entries.enumerated() {
                if position > 0 { output.append(UInt8(ascii: ",")) }
                writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                write(member.value, into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    /// Number text as is when it is valid RFC 8259 syntax; otherwise `null` (see `serialize`).
    static func writeNumber(_ text: String, into output: inout [UInt8]) {
        if JSONNumberText.isValid(text.utf8) {
            output.append(contentsOf: text.utf8)
        } else {
            assertionFailure("JSONValue.number holds invalid number text")
            output.append(contentsOf: "null".utf8)
        }
    }

    /// The decimal text of `value`, the same as `String(value)` without building the String.
    public static func writeInteger<Integer: FixedWidthInteger>(_ value: Integer, into output: inout [UInt8]) {
        guard Integer.bitWidth <= 64 else {
            output.append(contentsOf: String(value).utf8)
            return
        }
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        // 20 digits hold UInt64.max; filled from the right.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                magnitude /= 10
            } while magnitude != 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// RFC 8259 §7: quotation mark, reverse solidus and control characters must be escaped.
    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// `byte` as it appears inside a JSON string: escaped when it must be, else as is.
    @inline(__always)
    static func writeStringByte(_ byte: UInt8, into output: inout [UInt8]) {
        if needsEscape(byte) { writeEscape(byte, into: &output) } else { output.append(byte) }
    }

    private static func writeEscape(_ byte: UInt8, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            output.append(byte)
        default:
            output.append(UInt8(ascii: "u"))
            output.append(UInt8(ascii: "0"))
            output.append(UInt8(ascii: "0"))
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
        }
    }

    /// True when some byte of `utf8` must be escaped; eight bytes at a time (a byte below
    /// 0x20, or equal to `"` or `\`, sets the high bit of its lane), since nearly every string
    /// has none and the scan is most of writing it.
    static func needsEscape(anyOf utf8: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let start = utf8.baseAddress else { return false }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var offset = 0
        while offset + 8 <= utf8.count {
            let word = UnsafeRawPointer(start + offset).loadUnaligned(as: UInt64.self)
            let control = (word &- ones &* 0x20) & ~word
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let found = control | ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash)
            if found & highs != 0 { return true }
            offset += 8
        }
        while offset < utf8.count {
            if needsEscape(utf8[offset]) { return true }
            offset += 1
        }
        return false
    }

    /// Copies runs of bytes that need no escaping in one append each.
    static func writeString(_ string: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            guard needsEscape(anyOf: utf8) else {
                output.append(contentsOf: utf8)
                return
            }
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard needsEscape(byte) else { continue }
                if runStart < i { output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
                runStart = i + 1
                writeEscape(byte, into: &output)
            }
            if runStart < utf8.count { output.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        output.append(UInt8(ascii: "\""))
    }
}
