/// Why a byte sequence is not acceptable JSON, and where.
///
/// The message is meant for API clients (it ends up in a 400 problem detail), so it describes
/// the problem without echoing their input, except for the name of a duplicated key, which they
/// need to find it.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A short human explanation ending with the byte offset, e.g.
    /// `trailing comma before '}' (at byte 13)`.
    public let message: String
    /// Zero-based byte offset in the input where the problem was detected.
    public let offset: Int

    /// Builds an error; the parser is the usual source, tests and callers wrapping other input
    /// may build their own.
    public init(message: String, offset: Int) {
        self.message = message
        self.offset = offset
    }

    /// Same as `message`.
    public var description: String { message }
}

/// The parser's internal failure: a reason plus, for duplicate keys, the path of the object,
/// collected while the error unwinds so that the success path never pays for path tracking.
struct JSONParseFailure: Error {
    enum Reason {
        case emptyInput
        case expectedValue
        case invalidLiteral
        case unexpectedEnd
        case trailingData
        case expectedKey
        case expectedColon
        case trailingComma(closing: UInt8)
        case expectedCommaInObject
        case expectedCommaInArray
        case unterminatedString
        case controlCharacter
        case invalidEscape
        case invalidUnicodeEscape
        case loneSurrogate
        case invalidUTF8
        case leadingZero
        case invalidNumber
        case tooDeep
        case duplicateKey(String)
    }

    enum PathComponent {
        case key(String)
        case index(Int)
    }

    let reason: Reason
    let offset: Int
    /// Innermost component first (appended while unwinding); only filled for duplicate keys.
    var reversedPath: [PathComponent] = []

    init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    var isDuplicateKey: Bool {
        if case .duplicateKey = reason { return true }
        return false
    }

    /// Adds the enclosing member or element while unwinding from a duplicate-key failure.
    func within(_ component: PathComponent) -> JSONParseFailure {
        guard isDuplicateKey else { return self }
        var copy = self
        copy.reversedPath.append(component)
        return copy
    }

    var publicError: JSONParseError {
        JSONParseError(message: "\(text) (at byte \(offset))", offset: offset)
    }

    private var text: String {
        switch reason {
        case .emptyInput: "the input is empty"
        case .expectedValue: "expected a value (object, array, string, number, true, false or null)"
        case .invalidLiteral: "invalid literal (expected true, false or null)"
        case .unexpectedEnd: "unexpected end of input"
        case .trailingData: "unexpected data after the top-level value"
        case .expectedKey: "expected a string key"
        case .expectedColon: "expected ':' after an object key"
        case .trailingComma(let closing): "trailing comma before '\(Character(Unicode.Scalar(closing)))'"
        case .expectedCommaInObject: "expected ',' or '}' after an object member"
        case .expectedCommaInArray: "expected ',' or ']' after an array element"
        case .unterminatedString: "unterminated string"
        case .controlCharacter: "control characters in strings must be escaped"
        case .invalidEscape: "invalid escape sequence in string"
        case .invalidUnicodeEscape: "\\u escape must have four hex digits"
        case .loneSurrogate: "\\u escape is an unpaired surrogate"
        case .invalidUTF8: "invalid UTF-8"
        case .leadingZero: "numbers must not have leading zeros"
        case .invalidNumber: "invalid number"
        case .tooDeep: "nesting is deeper than \(JSONParser.maximumDepth) levels"
        case .duplicateKey(let key):
            "duplicate key \"\(Self.shortened(key))\" at \(Self.format(reversedPath.reversed()))"
        }
    }

    /// `lines[0].sku`: the same path syntax the decoder uses for field errors.
    static func format(_ components: some Sequence<PathComponent>) -> String {
        var result = ""
        for component in components {
            switch component {
            case .key(let key):
                if !result.isEmpty { result += "." }
                result += shortened(key)
            case .index(let index):
                result += "[\(index)]"
            }
        }
        return result
    }

    /// Keys are the one piece of input the message repeats; a megabyte key must not make a
    /// megabyte error message.
    static func shortened(_ key: String) -> String {
        key.count <= 64 ? key : String(key.prefix(64)) + "…"
    }
}
