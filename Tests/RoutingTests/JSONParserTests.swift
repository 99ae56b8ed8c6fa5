import Core
import Routing
import Testing

/// `JSONParser`: what strict RFC 8259 accepts, and every class of input it must reject.
@Suite struct JSONParserTests {
    static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try JSONParser.parse(Array(text.utf8))
    }

    static func failure(_ bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONParser.parse(bytes)
            return nil
        } catch {
            return error
        }
    }

    static func failure(_ text: String) -> JSONParseError? { failure(Array(text.utf8)) }

    @Test func scalars_parseToTheirCases() throws {
        #expect(try Self.parse("null") == .null)
        #expect(try Self.parse("true") == .bool(true))
        #expect(try Self.parse("false") == .bool(false))
        #expect(try Self.parse(#""hi""#) == .string("hi"))
        #expect(try Self.parse("0") == .number("0"))
    }

    @Test func numbers_keepTheirLiteralText() throws {
        for text in [
            "0", "-0", "12", "-12.50", "1.5e2", "1E+2", "1e-7", "0.001", "123456789012345678901234567890.123456789",
        ] {
            #expect(try Self.parse(text) == .number(text))
        }
    }

    @Test func whitespaceAroundTheValue_isAllowed() throws {
        #expect(
            try Self.parse(" \t\r\n [ 1 , { \"a\" : null } ] \n")
                == .array([.number("1"), .object(JSONObject([("a", .null)]))]))
    }

    @Test func objects_keepMemberOrder() throws {
        let value = try Self.parse(#"{"b":1,"a":2,"c":3}"#)
        #expect(value.objectValue?.keys == ["b", "a", "c"])
    }

    @Test func escapes_decode() throws {
        #expect(try Self.parse(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try Self.parse(#""\u0041\u00e9\u20AC""#) == .string("Aé€"))
        #expect(try Self.parse(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try Self.parse(#""a\u0000b""#) == .string("a\u{0}b"))
    }

    @Test func rawUTF8_isKeptAsIs() throws {
        #expect(try Self.parse("\"Grüße 😀 日本\"") == .string("Grüße 😀 日本"))
    }

    @Test func nonContiguousInput_isParsed() throws {
        let bytes = Array(#"{"a":[1,2]}"#.utf8).lazy.map { $0 }
        #expect(try JSONParser.parse(bytes) == .object(JSONObject([("a", .array([.number("1"), .number("2")]))])))
    }

    /// Each literal input with a fragment of the message it must produce.
    static let rejections: [(input: String, message: String)] = [
        ("", "empty"),
        ("   \n", "empty"),
        ("{", "unexpected end"),
        ("[1,", "unexpected end"),
        (#"{"a""#, "unexpected end"),
        ("[1,]", "trailing comma before ']'"),
        (#"{"a":1,}"#, "trailing comma before '}'"),
        ("[,1]", "expected a value"),
        ("// comment\n1", "expected a value"),
        ("/* c */ 1", "expected a value"),
        ("[1 /* c */]", "expected ',' or ']'"),
        (#"{"a":1 # c"#, "expected ',' or '}'"),
        ("NaN", "expected a value"),
        ("Infinity", "expected a value"),
        ("-Infinity", "invalid number"),
        ("01", "leading zeros"),
        ("-01", "leading zeros"),
        ("00", "leading zeros"),
        ("1.", "invalid number"),
        (".5", "expected a value"),
        ("+1", "expected a value"),
        ("1e", "invalid number"),
        ("1e+", "invalid number"),
        ("-", "invalid number"),
        ("0x10", "unexpected data"),
        ("tru", "invalid literal"),
        ("True", "expected a value"),
        ("nul", "invalid literal"),
        ("null x", "unexpected data"),
        ("1 2", "unexpected data"),
        ("{} {}", "unexpected data"),
        ("{a:1}", "expected a string key"),
        ("{'a':1}", "expected a string key"),
        (#"{"a" 1}"#, "expected ':'"),
        (#"{"a":}"#, "expected a value"),
        ("[1 2]", "expected ',' or ']'"),
        (#"{"a":1 "b":2}"#, "expected ',' or '}'"),
        ("'a'", "expected a value"),
        (#""abc"#, "unterminated string"),
        (#""\"#, "unterminated string"),
        ("\"a\nb\"", "control characters"),
        ("\"a\tb\"", "control characters"),
        (#""\x""#, "invalid escape"),
        (#""\u12""#, "four hex digits"),
        (#""\u12G4""#, "four hex digits"),
        (#""\ud800""#, "unpaired surrogate"),
        (#""\udc00""#, "unpaired surrogate"),
        (#""\ud800\u0041""#, "unpaired surrogate"),
        (#""\ud800x""#, "unpaired surrogate"),
        (#""\ude00\ud83d""#, "unpaired surrogate"),
    ]

    @Test(arguments: rejections)
    func invalidInput_isRejectedWithAReason(input: String, message: String) {
        let error = Self.failure(input)
        #expect(error != nil, "accepted \(input.debugDescription)")
        #expect(error?.message.contains(message) == true, "\(input.debugDescription): \(error?.message ?? "")")
    }

    @Test(
        arguments: [
            [0x22, 0xFF, 0x22],  // never valid in UTF-8
            [0x22, 0x80, 0x22],  // lone continuation byte
            [0x22, 0xC0, 0xAF, 0x22],  // overlong "/"
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong three-byte form
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-8-encoded surrogate U+D800
            [0x22, 0xE2, 0x82, 0x22],  // truncated "€"
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0xF0, 0x9F, 0x98],  // truncated at end of input
        ] as [[UInt8]])
    func invalidUTF8_isRejected(bytes: [UInt8]) {
        #expect(Self.failure(bytes)?.message.contains("invalid UTF-8") == true)
    }

    @Test func byteOrderMark_isRejected() {
        #expect(Self.failure([0xEF, 0xBB, 0xBF] + Array("1".utf8)) != nil)
    }

    @Test func nonASCIIOutsideStrings_isRejected() {
        #expect(Self.failure("[1,\u{00A0}2]") != nil)
    }

    @Test func errors_reportTheByteOffset() {
        #expect(Self.failure("[1,]")?.offset == 3)
        #expect(Self.failure("[1,]")?.message.hasSuffix("(at byte 3)") == true)
        #expect(Self.failure(#"{"a":1,"b":tru}"#)?.offset == 11)
    }

    @Test func errorMessages_doNotEchoInput() {
        let error = Self.failure(#"{"password":"hunter2" "x":1}"#)
        #expect(error?.message.contains("hunter2") == false)
    }

    @Test func duplicateKeys_areRejected_withPath() {
        let top = Self.failure(#"{"name":"a","name":"b"}"#)
        #expect(top?.message.contains(#"duplicate key "name" at name"#) == true)
        #expect(top?.offset == 12)

        let nested = Self.failure(#"{"lines":[{"sku":"x"},{"sku":"y","qty":1,"sku":"z"}]}"#)
        #expect(nested?.message.contains(#"duplicate key "sku" at lines[1].sku"#) == true, "\(nested?.message ?? "")")
    }

    @Test func duplicateKeys_areDetectedAfterEscapeDecoding() {
        #expect(Self.failure(#"{"a":1,"\u0061":2}"#)?.message.contains("duplicate key") == true)
    }

    @Test func duplicateKeys_inWideObjects_areRejected() {
        let members = (0..<500).map { #""k\#($0)":\#($0)"# }
        #expect(Self.failure("{" + members.joined(separator: ",") + "}") == nil)
        let withDuplicate = "{" + (members + [#""k250":0"#]).joined(separator: ",") + "}"
        #expect(Self.failure(withDuplicate)?.message.contains(#"duplicate key "k250""#) == true)
    }

    @Test func duplicateKeyMessages_shortenHugeKeys() {
        let key = String(repeating: "k", count: 10_000)
        let message = Self.failure("{\"\(key)\":1,\"\(key)\":2}")?.message ?? ""
        #expect(message.contains("duplicate key"))
        #expect(message.utf8.count < 400)
    }

    @Test func nesting_isLimitedTo64Levels() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(throws: Never.self) { try Self.parse(ok) }
        let tooDeep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        #expect(Self.failure(tooDeep)?.message.contains("deeper than 64") == true)
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        #expect(Self.failure(objects)?.message.contains("deeper than 64") == true)
        // Hostile depth fails fast instead of exhausting the stack.
        #expect(Self.failure(String(repeating: "[", count: 1_000_000)) != nil)
    }

    @Test func largeArrays_parse() throws {
        let text = "[" + (0..<200_000).map(String.init).joined(separator: ",") + "]"
        let value = try Self.parse(text)
        #expect(value.arrayValue?.count == 200_000)
        #expect(value[199_999] == .number("199999"))
    }

    @Test func largeStrings_parse() throws {
        let plain = String(repeating: "abcdefgh", count: 250_000)
        #expect(try Self.parse("\"\(plain)\"") == .string(plain))
        let escaped = String(repeating: #"é\n\u00e9"#, count: 100_000)
        #expect(try Self.parse("\"\(escaped)\"").stringValue?.count == 300_000)
    }

    @Test func wideObjects_parseAndLookUp() throws {
        let text = "{" + (0..<20_000).map { #""key\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        let object = try #require(try Self.parse(text).objectValue)
        #expect(object.count == 20_000)
        #expect(object["key12345"] == .number("12345"))
        #expect(object.keys.first == "key0")
    }
}
