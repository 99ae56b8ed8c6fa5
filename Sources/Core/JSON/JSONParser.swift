/// Strict RFC 8259 parsing of request bodies and stored JSON.
///
/// Everything RFC 8259 leaves open is decided on the strict side, because a lenient parser
/// lets two components (proxy, database, this server) read one body differently: duplicate
/// keys, lone surrogates and invalid UTF-8 are errors, there are no comments, trailing commas,
/// NaN/Infinity, leading zeros or byte-order marks, and nesting stops at `maximumDepth`.
public enum JSONParser {
    /// Deepest accepted nesting of arrays and objects (a value at depth 64 is fine, 65 is not):
    /// bounds recursion so hostile input cannot exhaust the stack.
    public static let maximumDepth = 64

    /// Parses `bytes` as exactly one JSON value, optionally surrounded by whitespace.
    /// Contiguous collections (`[UInt8]`, `ArraySlice`, `Data`) are read in place.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result =
            bytes.withContiguousStorageIfAvailable { parse(buffer: $0) }
            ?? Array(bytes).withUnsafeBufferPointer { parse(buffer: $0) }
        return try result.get()
    }

    private static func parse(buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        var scanner = JSONScanner(buffer)
        do throws(JSONParseFailure) {
            return .success(try scanner.parseDocument())
        } catch {
            return .failure(error.publicError)
        }
    }
}

/// The byte-level parser: one pass, an index into a buffer, strings sliced straight out of the
/// input unless they contain escapes.
struct JSONScanner {
    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0
    private var depth = 0
    /// Reused for strings with escapes, so each such string costs one copy, not one per byte.
    private var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    mutating func parseDocument() throws(JSONParseFailure) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw JSONParseFailure(.emptyInput, at: index) }
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw JSONParseFailure(.trailingData, at: index) }
        return value
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(JSONParseFailure) -> JSONValue {
        skipWhitespace()
        guard index < bytes.count else { throw JSONParseFailure(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw JSONParseFailure(.expectedValue, at: index)
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseFailure) {
        let length = literal.utf8CodeUnitCount
        guard bytes.count - index >= length else { throw JSONParseFailure(.invalidLiteral, at: index) }
        let expected = literal.utf8Start
        for offset in 0..<length where bytes[index + offset] != expected[offset] {
            throw JSONParseFailure(.invalidLiteral, at: index)
        }
        index += length
    }

    private mutating func enter() throws(JSONParseFailure) {
        depth += 1
        guard depth <= JSONParser.maximumDepth else { throw JSONParseFailure(.tooDeep, at: index) }
        index += 1
    }

    private mutating func parseArray() throws(JSONParseFailure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var elements: [JSONValue] = []
        elements.reserveCapacity(4)  // skips the 1 → 2 → 4 regrowth most arrays would go through
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]"), !elements.isEmpty {
                throw JSONParseFailure(.trailingComma(closing: UInt8(ascii: "]")), at: index)
            }
            do throws(JSONParseFailure) {
                elements.append(try parseValue())
            } catch {
                throw error.within(.index(elements.count))
            }
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseFailure(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw JSONParseFailure(.expectedCommaInArray, at: index)
            }
        }
    }

    private mutating func parseObject() throws(JSONParseFailure) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        var entries: [JSONObject.Element] = []
        var lookup: [String: Int]?
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        entries.reserveCapacity(8)  // skips the regrowth steps typical objects would go through
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseFailure(.unexpectedEnd, at: index) }
            guard bytes[index] == UInt8(ascii: "\"") else {
                let trailing = bytes[index] == UInt8(ascii: "}") && !entries.isEmpty
                throw JSONParseFailure(trailing ? .trailingComma(closing: UInt8(ascii: "}")) : .expectedKey, at: index)
            }
            let keyOffset = index
            let key = try parseString()
            let isDuplicate = lookup.map { $0[key] != nil } ?? entries.contains { $0.key == key }
            if isDuplicate {
                throw JSONParseFailure(.duplicateKey(key), at: keyOffset).within(.key(key))
            }
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseFailure(.unexpectedEnd, at: index) }
            guard bytes[index] == UInt8(ascii: ":") else { throw JSONParseFailure(.expectedColon, at: index) }
            index += 1
            let value: JSONValue
            do throws(JSONParseFailure) {
                value = try parseValue()
            } catch {
                throw error.within(.key(key))
            }
            entries.append((key: key, value: value))
            if lookup != nil {
                lookup![key] = entries.count - 1
            } else if entries.count > JSONObject.indexThreshold {
                var built = [String: Int](minimumCapacity: entries.count * 2)
                for (position, entry) in entries.enumerated() { built[entry.key] = position }
                lookup = built
            }
            skipWhitespace()
            guard index < bytes.count else { throw JSONParseFailure(.unexpectedEnd, at: index) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .object(JSONObject(uniqueEntries: entries, index: lookup))
            default: throw JSONParseFailure(.expectedCommaInObject, at: index)
            }
        }
    }

    /// Parses the string starting at the opening quote. ASCII without escapes (most keys and
    /// values) is sliced from the input directly; other UTF-8 is validated in place, and only
    /// escapes force a copy into `scratch`.
    private mutating func parseString() throws(JSONParseFailure) -> String {
        let start = index + 1
        var i = start
        var copying = false
        while true {
            guard i < bytes.count else { throw JSONParseFailure(.unterminatedString, at: index) }
            let byte = bytes[i]
            switch byte {
            case UInt8(ascii: "\""):
                index = i + 1
                if copying { return String(decoding: scratch, as: UTF8.self) }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            case UInt8(ascii: "\\"):
                if !copying {
                    scratch.removeAll(keepingCapacity: true)
                    scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<i]))
                    copying = true
                }
                i = try parseEscape(at: i)
            case 0x00..<0x20:
                throw JSONParseFailure(.controlCharacter, at: i)
            case 0x20..<0x80:
                if copying { scratch.append(byte) }
                i += 1
            default:
                let length = try validateUTF8Sequence(at: i)
                if copying { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)])) }
                i += length
            }
        }
    }

    /// Decodes the escape at `i` (the backslash) into `scratch`; returns the index after it.
    private mutating func parseEscape(at i: Int) throws(JSONParseFailure) -> Int {
        guard i + 1 < bytes.count else { throw JSONParseFailure(.unterminatedString, at: index) }
        let decoded: UInt8
        switch bytes[i + 1] {
        case UInt8(ascii: "\""): decoded = UInt8(ascii: "\"")
        case UInt8(ascii: "\\"): decoded = UInt8(ascii: "\\")
        case UInt8(ascii: "/"): decoded = UInt8(ascii: "/")
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"): return try parseUnicodeEscape(at: i)
        default: throw JSONParseFailure(.invalidEscape, at: i)
        }
        scratch.append(decoded)
        return i + 2
    }

    private mutating func parseUnicodeEscape(at i: Int) throws(JSONParseFailure) -> Int {
        let first = try hex4(at: i + 2, escapeAt: i)
        var scalarValue = UInt32(first)
        var next = i + 6
        switch first {
        case 0xD800...0xDBFF:
            // A high surrogate is only meaningful as the first half of a `\uXXXX\uXXXX` pair.
            guard next + 1 < bytes.count, bytes[next] == UInt8(ascii: "\\"), bytes[next + 1] == UInt8(ascii: "u") else {
                throw JSONParseFailure(.loneSurrogate, at: i)
            }
            let second = try hex4(at: next + 2, escapeAt: next)
            guard (0xDC00...0xDFFF).contains(second) else { throw JSONParseFailure(.loneSurrogate, at: i) }
            scalarValue = 0x10000 + ((UInt32(first) - 0xD800) << 10) + (UInt32(second) - 0xDC00)
            next += 6
        case 0xDC00...0xDFFF:
            throw JSONParseFailure(.loneSurrogate, at: i)
        default:
            break
        }
        // Cannot fail: surrogates were handled above and the value is at most 0x10FFFF.
        let scalar = Unicode.Scalar(scalarValue) ?? "\u{FFFD}"
        scratch.append(contentsOf: scalar.utf8)
        return next
    }

    private func hex4(at start: Int, escapeAt escape: Int) throws(JSONParseFailure) -> UInt16 {
        guard start + 4 <= bytes.count else { throw JSONParseFailure(.invalidUnicodeEscape, at: escape) }
        var value: UInt16 = 0
        for offset in 0..<4 {
            let byte = bytes[start + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONParseFailure(.invalidUnicodeEscape, at: escape)
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Length of the well-formed UTF-8 sequence at `i` (lead byte ≥ 0x80), per Unicode Table
    /// 3-7: overlong forms, encoded surrogates and values above U+10FFFF are rejected.
    private func validateUTF8Sequence(at i: Int) throws(JSONParseFailure) -> Int {
        let lead = bytes[i]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONParseFailure(.invalidUTF8, at: i)
        }
        guard i + length <= bytes.count, secondRange.contains(bytes[i + 1]) else {
            throw JSONParseFailure(.invalidUTF8, at: i)
        }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[i + offset]) {
            throw JSONParseFailure(.invalidUTF8, at: i)
        }
        return length
    }

    /// Validates the number grammar and returns the literal text untouched.
    private mutating func parseNumber() throws(JSONParseFailure) -> String {
        let start = index
        var i = index
        func isDigit(_ i: Int) -> Bool {
            i < bytes.count && bytes[i] >= UInt8(ascii: "0") && bytes[i] <= UInt8(ascii: "9")
        }
        if bytes[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw JSONParseFailure(.invalidNumber, at: start) }
        if bytes[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw JSONParseFailure(.leadingZero, at: start) }
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw JSONParseFailure(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard isDigit(i) else { throw JSONParseFailure(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        index = i
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
    }
}
