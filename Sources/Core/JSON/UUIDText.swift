import FoundationEssentials

/// UUID text without Foundation's `sscanf`-based parsing and upper-case formatting, which
/// showed up as a large share of decoding and encoding time.
public enum UUIDText {
    /// The canonical `8-4-4-4-12` hex form in either case (what `UUID(uuidString:)` accepts).
    public static func parse(_ text: String) -> UUID? {
        var text = text
        return text.withUTF8 { parse($0) }
    }

    /// The same from UTF-8 bytes (PostgreSQL's text format reads ids with it).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> UUID? {
        guard bytes.count == 36 else { return nil }
        var raw: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let parsed = withUnsafeMutableBytes(of: &raw) { output -> Bool in
            var i = 0
            for o in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard bytes[i] == UInt8(ascii: "-") else { return false }
                    i += 1
                }
                guard let high = hexValue(bytes[i]), let low = hexValue(bytes[i + 1]) else { return false }
                output[o] = high << 4 | low
                i += 2
            }
            return true
        }
        return parsed ? UUID(uuid: raw) : nil
    }

    /// Lower-case `8-4-4-4-12`: the API's spelling, so ids compare equal as text.
    public static func lowercase(_ uuid: UUID) -> String {
        String(unsafeUninitializedCapacity: 36) { text in
            write(uuid, into: text, at: 0)
            return 36
        }
    }

    /// `lowercase(uuid)` as a JSON string (in quotes; nothing in it needs escaping), appended to
    /// `output` for the JSON encoder.
    static func writeJSONString(_ uuid: UUID, into output: inout [UInt8]) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 38) { text in
            text[0] = UInt8(ascii: "\"")
            write(uuid, into: text, at: 1)
            text[37] = UInt8(ascii: "\"")
            output.append(contentsOf: text)
        }
    }

    /// The 36 bytes of `lowercase(uuid)` at `offset`.
    private static func write(_ uuid: UUID, into text: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
        withUnsafeBytes(of: uuid.uuid) { raw in
            var o = offset
            for index in 0..<16 {
                if index == 4 || index == 6 || index == 8 || index == 10 {
                    text[o] = UInt8(ascii: "-")
                    o += 1
                }
                text[o] = lowercaseHexDigit(raw[index] >> 4)
                text[o + 1] = lowercaseHexDigit(raw[index] & 0x0F)
                o += 2
            }
        }
    }

    private static func lowercaseHexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? UInt8(ascii: "0") + nibble : UInt8(ascii: "a") - 10 + nibble
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
