import Core
import Routing
import Testing

/// Bounded random testing: hostile bytes never crash the parser, and whatever the writer emits
/// parses back to the same value. Seeded, so a failure reproduces.
@Suite struct JSONFuzzTests {
    /// SplitMix64: tiny, deterministic, good enough to drive mutations.
    struct SeededGenerator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds: [String] = [
        #"{"name":"Acme","credit_limit":1500.5,"lines":[{"sku":"A-1","quantity":1.5e2,"unit_price":1999}],"ok":true,"x":null}"#,
        #"[0,-0,1.25,-3e-7,1E+9,"\u00e9\ud83d\ude00\n\"\\",[],{},[[[]]],{"a":{"b":{"c":[1,2,{"d":false}]}}}]"#,
        #""plain string with UTF-8: Grüße 😀 日本""#,
        "  {\n  \"pretty\" : [ 1 , 2 ] ,\n  \"tab\"\t:\t\"v\" }  ",
        "123456789012345678901234567890.5e-10",
    ]

    /// Bytes that matter to the grammar, to make mutations land near interesting states.
    static let interestingBytes: [UInt8] =
        Array(#"{}[]",:\-+.eE0123456789tfnu"#.utf8) + [
            0x00, 0x1F, 0x20, 0x7F, 0x80, 0xBF, 0xC0, 0xE0, 0xED, 0xF0, 0xF4, 0xFF,
        ]

    static func mutate(_ input: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            let byte =
                Bool.random(using: &generator)
                ? interestingBytes.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
            switch Int.random(in: 0..<5, using: &generator) {
            case 0 where !bytes.isEmpty: bytes[Int.random(in: 0..<bytes.count, using: &generator)] = byte
            case 1: bytes.insert(byte, at: Int.random(in: 0...bytes.count, using: &generator))
            case 2 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator))
            case 3 where !bytes.isEmpty: bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
            default:
                let from = Int.random(in: 0...bytes.count, using: &generator)
                let to = Int.random(in: from...bytes.count, using: &generator)
                bytes.insert(contentsOf: bytes[from..<to], at: Int.random(in: 0...bytes.count, using: &generator))
            }
        }
        return bytes
    }

    static func randomBytes(using generator: inout SeededGenerator) -> [UInt8] {
        (0..<Int.random(in: 0...40, using: &generator)).map { _ in
            Bool.random(using: &generator)
                ? interestingBytes.randomElement(using: &generator)! : UInt8.random(in: 0...255, using: &generator)
        }
    }

    /// Anything accepted must survive writer → parser unchanged, and writing must be stable.
    static func checkRoundTrip(_ value: JSONValue) throws {
        let written = JSONWriter.serialize(value)
        let reparsed = try JSONParser.parse(written)
        #expect(reparsed == value)
        #expect(JSONWriter.serialize(reparsed) == written)
    }

    @Test func randomAndMutatedBytes_neverCrash_andAcceptedValuesRoundTrip() throws {
        var generator = SeededGenerator(state: 0xC0C0_A000_2026)
        let seedBytes = Self.seeds.map { Array($0.utf8) }
        var accepted = 0
        for iteration in 0..<20_000 {
            let input =
                iteration % 4 == 0
                ? Self.randomBytes(using: &generator)
                : Self.mutate(seedBytes[iteration % seedBytes.count], using: &generator)
            let value: JSONValue
            do {
                value = try JSONParser.parse(input)
            } catch {
                #expect(error.offset >= 0 && error.offset <= input.count)
                #expect(!error.message.isEmpty)
                continue
            }
            accepted += 1
            try Self.checkRoundTrip(value)
        }
        // The mutations must leave some inputs valid, or the round-trip half tests nothing.
        #expect(accepted > 100)
    }

    static func randomString(using generator: inout SeededGenerator) -> String {
        let pool: [Unicode.Scalar] = [
            "a", "Z", "0", " ", "\"", "\\", "/", "\n", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "\u{FFFF}",
            "\u{10FFFF}",
        ]
        var string = ""
        for _ in 0..<Int.random(in: 0...8, using: &generator) {
            string.unicodeScalars.append(pool.randomElement(using: &generator)!)
        }
        return string
    }

    static func randomNumber(using generator: inout SeededGenerator) -> String {
        let forms = ["0", "-0", "7", "-12.50", "1e5", "2.5E-3", "123456789012345678901234567890", "0.000001"]
        return forms.randomElement(using: &generator)!
    }

    static func randomValue(depth: Int, using generator: inout SeededGenerator) -> JSONValue {
        switch Int.random(in: 0..<(depth > 5 ? 4 : 6), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .number(randomNumber(using: &generator))
        case 3: return .string(randomString(using: &generator))
        case 4:
            return .array(
                (0..<Int.random(in: 0...4, using: &generator)).map { _ in
                    randomValue(depth: depth + 1, using: &generator)
                })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                object.set(randomString(using: &generator), randomValue(depth: depth + 1, using: &generator))
            }
            return .object(object)
        }
    }

    @Test func randomValues_roundTripThroughWriterAndParser() throws {
        var generator = SeededGenerator(state: 42)
        for _ in 0..<3000 {
            try Self.checkRoundTrip(Self.randomValue(depth: 0, using: &generator))
        }
    }
}
