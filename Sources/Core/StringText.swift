/// The few text operations the code needs beyond the standard library, on Unicode scalars with
/// Foundation's meaning, so that no module needs full Foundation for them.
extension StringProtocol {
    /// Without leading and trailing white space and line breaks (Foundation's
    /// `trimmed()`: general category Z*, U+0009–U+000D,
    /// U+0085).
    public func trimmed() -> String { trimming(where: \.isWhitespaceOrNewline) }

    /// Without leading and trailing spaces and tabs; line breaks stay (Foundation's
    /// `trimmedOfSpaces()`: general category Zs and U+0009).
    public func trimmedOfSpaces() -> String { trimming(where: \.isSpaceOrTab) }

    private func trimming(where strip: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !strip($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !strip($0) })!
        return String(String.UnicodeScalarView(scalars[first...last]))
    }

    /// Every occurrence of `target` replaced by `replacement`, matched scalar by scalar (not by
    /// grapheme: a quote followed by a combining mark is still a quote, which escaping relies
    /// on). An empty `target` changes nothing.
    public func replacingAll(_ target: String, with replacement: String) -> String {
        let pattern = Array(target.utf8)
        guard !pattern.isEmpty else { return String(self) }
        // UTF-8 is self-synchronising: a whole valid sequence only matches at scalar boundaries.
        var bytes: [UInt8] = []
        var changed = false
        withContiguousUTF8 { text in
            // Most texts hold no match (escaping ordinary values): find the first before copying.
            guard let firstCandidate = text.firstIndex(of: pattern[0]) else { return }
            bytes.reserveCapacity(text.count)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<firstCandidate]))
            var index = firstCandidate
            while index < text.count {
                if text[index] == pattern[0], index + pattern.count <= text.count,
                    pattern.indices.allSatisfy({ text[index + $0] == pattern[$0] })
                {
                    bytes.append(contentsOf: replacement.utf8)
                    index += pattern.count
                    changed = true
                } else {
                    bytes.append(text[index])
                    index += 1
                }
            }
        }
        return changed ? String(decoding: bytes, as: UTF8.self) : String(self)
    }

    private func withContiguousUTF8(_ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var copy = String(self)
        copy.withUTF8 { body($0) }
    }
}

extension Unicode.Scalar {
    fileprivate var isWhitespaceOrNewline: Bool {
        switch properties.generalCategory {
        case .spaceSeparator, .lineSeparator, .paragraphSeparator: return true
        default: return (0x09...0x0D).contains(value) || value == 0x85
        }
    }

    fileprivate var isSpaceOrTab: Bool { value == 0x09 || properties.generalCategory == .spaceSeparator }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal, two digits a byte (digests, tokens).
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension BinaryInteger {
    /// In decimal with leading zeros up to `width` characters, sign included (`printf`'s `%0*d`).
    public func zeroPadded(width: Int) -> String {
        let digits = String(self.magnitude)
        let sign = self < 0 ? "-" : ""
        let zeros = max(0, width - sign.count - digits.count)
        return sign + String(repeating: "0", count: zeros) + digits
    }
}
