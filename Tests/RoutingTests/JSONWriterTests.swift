import Core
import Routing
import Testing

/// `JSONWriter` and the `JSONValue`/`JSONObject` conveniences it serializes.
@Suite struct JSONWriterTests {
    static func text(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.serialize(value), as: UTF8.self)
    }

    @Test func output_isCompact_inStoredOrder() {
        let value: JSONValue = ["b": 1, "a": [true, false, .null], "c": ["x": "y"], "d": .number("-1.50e3")]
        #expect(Self.text(value) == #"{"b":1,"a":[true,false,null],"c":{"x":"y"},"d":-1.50e3}"#)
        #expect(Self.text(.array([])) == "[]")
        #expect(Self.text(.object(JSONObject())) == "{}")
    }

    @Test func strings_escapeOnlyWhatJSONRequires() {
        #expect(Self.text(.string("a\"b\\c/d")) == #""a\"b\\c/d""#)
        #expect(Self.text(.string("\n\r\t\u{0}\u{1F}")) == #""\u000a\u000d\u0009\u0000\u001f""#)
        #expect(Self.text(.string("Grüße 😀 \u{7F}")) == "\"Grüße 😀 \u{7F}\"")
    }

    @Test func keys_areEscapedLikeStrings() {
        #expect(Self.text(.object(JSONObject([("a\"b\n", .null)]))) == #"{"a\"b\u000a":null}"#)
    }

    @Test func parsedDocuments_roundTrip() throws {
        let text =
            #"{"id":"7f1c","lines":[{"qty":1.500,"price":1999,"tags":["a","b"]},{"qty":2e3,"note":null}],"ok":true,"s":"\u00e9\ud83d\ude00\"\\\/"}"#
        let value = try JSONParser.parse(Array(text.utf8))
        let written = JSONWriter.serialize(value)
        #expect(try JSONParser.parse(written) == value)
        // Writing is a fixed point after one round.
        #expect(JSONWriter.serialize(try JSONParser.parse(written)) == written)
    }

    @Test func objectEquality_ignoresOrder_butOutputKeepsIt() {
        let ab = JSONObject([("a", 1), ("b", 2)])
        let ba = JSONObject([("b", 2), ("a", 1)])
        #expect(ab == ba)
        #expect(JSONValue.object(ab) != .object(JSONObject([("a", 1), ("b", 3)])))
        #expect(Self.text(.object(ba)) == #"{"b":2,"a":1}"#)
    }

    @Test func objectMutation_keepsPositions() {
        var object = JSONObject([("a", 1), ("b", 2), ("c", 3)])
        object.set("b", "two")
        object.set("d", 4)
        #expect(object.keys == ["a", "b", "c", "d"])
        #expect(object.remove("a") == 1)
        #expect(object.remove("zzz") == nil)
        object["c"] = nil
        #expect(object.keys == ["b", "d"])
        #expect(object["b"] == "two")
        let repeated = JSONObject([("k", 1), ("x", 0), ("k", 2)])
        #expect(repeated.keys == ["k", "x"])
        #expect(repeated["k"] == 2)
    }

    @Test func wideObjectMutation_keepsLookupsRight() {
        var object = JSONObject()
        for i in 0..<100 { object.set("k\(i)", .number(String(i))) }
        for i in stride(from: 0, to: 100, by: 3) { object.remove("k\(i)") }
        #expect(object.count == 66)
        #expect(object["k3"] == nil)
        #expect(object["k98"] == .number("98"))
        #expect(object.keys.first == "k1")
    }

    @Test func accessors_neverCoerce() {
        let value: JSONValue = ["n": .number("1.0"), "i": 42, "s": "42", "b": true, "z": .null, "a": [1]]
        #expect(value["i"]?.int64Value == 42)
        #expect(value["n"]?.int64Value == nil)
        #expect(value["n"]?.doubleValue == 1.0)
        #expect(value["n"]?.decimalValue?.thousandths == 1000)
        #expect(value["s"]?.int64Value == nil)
        #expect(value["s"]?.stringValue == "42")
        #expect(value["b"]?.boolValue == true)
        #expect(value["z"]?.isNull == true)
        #expect(value["missing"] == nil)
        #expect(value["a"]?[0] == 1)
        #expect(value["a"]?[5] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["a"]?.arrayValue?.count == 1)
        #expect(value.objectValue?.contains("z") == true)
        #expect(value["n"]?.numberText == "1.0")
    }

    @Test func numberEquality_isByText() {
        #expect(JSONValue.number("1") != .number("1.0"))
    }
}
