/// One JSON value, as the strict parser produced it or as a handler built it.
///
/// Numbers keep their literal text (`.number("12.50")`) so that quantities and money never pass
/// through `Double`; whoever reads a number chooses the exact type (`ExactDecimal`, `Int64`).
/// Equality is structural: numbers compare by text (`1.0` ≠ `1`), objects compare by members
/// regardless of order (JSON objects are unordered; the order is kept only for output).
public indirect enum JSONValue: Equatable, Sendable {
    /// JSON `null`: an explicit "no value", distinct from an absent member.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// The number's literal text. Built by the parser it is valid RFC 8259 number syntax; when
    /// building one by hand the caller must keep it valid, because the writer emits it verbatim.
    case number(String)
    /// A string, escapes already decoded.
    case string(String)
    /// Elements in order.
    case array([JSONValue])
    /// Members in order, keys unique.
    case object(JSONObject)
}

extension JSONValue {
    /// True only for `null`; absent members are a `nil` lookup, not `.null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The boolean, or nil for any other kind (no truthiness: `0` and `""` are not false).
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    /// The number's literal text, or nil for any other kind.
    public var numberText: String? {
        if case .number(let text) = self { return text }
        return nil
    }

    /// The string, or nil for any other kind (numbers are not converted).
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The elements, or nil for any other kind.
    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// The members, or nil for any other kind.
    public var objectValue: JSONObject? {
        if case .object(let value) = self { return value }
        return nil
    }

    /// The number as an `Int64` when its text is a plain integer (no fraction, no exponent) in
    /// range; nil otherwise, so `1.0`, `1e3` and out-of-range values are never silently coerced.
    public var int64Value: Int64? {
        guard case .number(let text) = self, JSONNumberText.isPlainInteger(text) else { return nil }
        return Int64(text)
    }

    /// The number as a `Double` (possibly rounded; non-finite results are nil). For display and
    /// statistics only; amounts and quantities belong in `decimalValue`.
    public var doubleValue: Double? {
        guard case .number(let text) = self, let value = Double(text), value.isFinite else { return nil }
        return value
    }

    /// The number as an `ExactDecimal`, nil when it is not a number or does not fit one.
    public var decimalValue: ExactDecimal? {
        guard case .number(let text) = self else { return nil }
        return try? ExactDecimal(parsing: text)
    }

    /// The member `key` when this is an object; nil for absent members and for other kinds.
    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }

    /// The element at `index` when this is an array and the index is in bounds; nil otherwise,
    /// because JSON from clients must never be able to trap the server.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let elements) = self, elements.indices.contains(index) else { return nil }
        return elements[index]
    }
}

/// Literals keep hand-built JSON (responses, tests) readable; integer literals become their
/// decimal text, so they are always valid number syntax.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// A `.string`.
    public init(stringLiteral value: String) { self = .string(value) }
    /// A `.number` with the literal's decimal text.
    public init(integerLiteral value: Int64) { self = .number(String(value)) }
    /// A `.bool`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// An `.array` in literal order.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    /// An `.object` in literal order; a repeated key keeps its first position and last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(JSONObject(elements)) }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text, for logs and test failure messages.
    public var description: String {
        String(decoding: JSONWriter.serialize(self), as: UTF8.self)
    }
}

/// Syntax checks on number text shared by the writer, the coders and `ExactDecimal`.
enum JSONNumberText {
    /// `-?digits` only: the form integer types accept.
    static func isPlainInteger(_ text: String) -> Bool {
        var utf8 = text.utf8[...]
        if utf8.first == UInt8(ascii: "-") { utf8 = utf8.dropFirst() }
        return !utf8.isEmpty && utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    /// Full RFC 8259 number grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    static func isValid<C: Collection<UInt8>>(_ bytes: C) -> Bool {
        var i = bytes.startIndex
        let end = bytes.endIndex
        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
        func digits(_ i: inout C.Index) -> Bool {
            let start = i
            while i != end, isDigit(bytes[i]) { bytes.formIndex(after: &i) }
            return i != start
        }
        if i != end, bytes[i] == UInt8(ascii: "-") { bytes.formIndex(after: &i) }
        guard i != end else { return false }
        if bytes[i] == UInt8(ascii: "0") {
            bytes.formIndex(after: &i)
        } else if !digits(&i) {
            return false
        }
        if i != end, bytes[i] == UInt8(ascii: ".") {
            bytes.formIndex(after: &i)
            guard digits(&i) else { return false }
        }
        if i != end, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            bytes.formIndex(after: &i)
            if i != end, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { bytes.formIndex(after: &i) }
            guard digits(&i) else { return false }
        }
        return i == end
    }
}
