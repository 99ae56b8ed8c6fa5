/// Percent-decoding for path segments and query components (RFC 3986 §2.1). Invalid escapes
/// and NUL are refused rather than passed on, so handlers never see ambiguous text.
enum PercentDecoding {
    /// Decodes `text`; `plusIsSpace` applies the form-encoding rule used by query strings.
    static func decode(_ text: Substring, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        var hasEscape = false
        while let byte = iterator.next() {
            switch byte {
            case 37:  // %
                guard let high = iterator.next().flatMap(hexDigit), let low = iterator.next().flatMap(hexDigit) else {
                    return nil
                }
                let decoded = high << 4 | low
                if decoded == 0 { return nil }
                bytes.append(decoded)
                hasEscape = true
            case 43 where plusIsSpace:
                bytes.append(32)
            default:
                bytes.append(byte)
            }
        }
        if !hasEscape { return String(decoding: bytes, as: UTF8.self) }
        // Escapes may spell invalid UTF-8; refuse instead of silently substituting U+FFFD.
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexDigit(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: b - 48
        case 65...70: b - 55
        case 97...102: b - 87
        default: nil
        }
    }
}
