import FoundationEssentials

/// Swift's camelCase property names ↔ the API's snake_case JSON keys.
///
/// Follows Foundation's `convertToSnakeCase` word splitting, so acronyms behave the same
/// (`userID` → `user_id`, `URLString` → `url_string`), with two API rules: a name that already
/// contains `_` is taken verbatim, and so is one without upper-case letters (`line1`, `url`).
enum JSONKeyCase {
    /// Conversions are pure and the set of property names is small and fixed, so a process-wide
    /// cache pays off; it is capped so that unusual dynamic keys cannot grow it without bound.
    private static let cache = KeyCache()

    static func snakeCase(_ key: String) -> String {
        var key = key
        guard key.withUTF8(needsConversion) else { return key }
        if let cached = cache.value(for: key) { return cached }
        let converted = convert(key)
        cache.store(converted, for: key)
        return converted
    }

    /// The JSON string (quoted, escaped as `JSONWriter` does) of `snakeCase(key)`, appended to
    /// `output`. Converts on the fly instead of through the cache: one pass over a short key
    /// costs less than the cache's lock and hash.
    static func writeSnakeCase(_ key: String, into output: inout [UInt8]) {
        var key = key
        key.withUTF8 { bytes in
            let convert = needsConversion(bytes)
            if bytes.contains(where: JSONWriter.needsEscape) {
                // Never a property name; the plain byte-by-byte path.
                output.append(UInt8(ascii: "\""))
                for i in bytes.indices {
                    if convert && startsWord(bytes, at: i) { output.append(UInt8(ascii: "_")) }
                    JSONWriter.writeStringByte(convert ? lowercased(bytes[i]) : bytes[i], into: &output)
                }
                output.append(UInt8(ascii: "\""))
                return
            }
            // At most one underscore per byte, plus the quotes: built on the stack and appended
            // once, since appending byte by byte was most of the cost.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 &* bytes.count &+ 2) { text in
                text[0] = UInt8(ascii: "\"")
                var o = 1
                if convert {
                    for i in bytes.indices {
                        if startsWord(bytes, at: i) {
                            text[o] = UInt8(ascii: "_")
                            o &+= 1
                        }
                        text[o] = lowercased(bytes[i])
                        o &+= 1
                    }
                } else {
                    _ = UnsafeMutableBufferPointer(rebasing: text[1...]).initialize(fromContentsOf: bytes)
                    o &+= bytes.count
                }
                text[o] = UInt8(ascii: "\"")
                output.append(contentsOf: UnsafeBufferPointer(rebasing: text[...o]))
            }
        }
    }

    private static func needsConversion(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var hasUpper = false
        for byte in bytes {
            if byte == UInt8(ascii: "_") { return false }
            if isUpper(byte) { hasUpper = true }
        }
        return hasUpper
    }

    private static func convert(_ key: String) -> String {
        var key = key
        return key.withUTF8 { bytes in
            var output: [UInt8] = []
            output.reserveCapacity(bytes.count + 4)
            for i in bytes.indices {
                if startsWord(bytes, at: i) { output.append(UInt8(ascii: "_")) }
                output.append(lowercased(bytes[i]))
            }
            return String(decoding: output, as: UTF8.self)
        }
    }

    /// A word starts at an upper-case letter after a lower-case letter or digit
    /// (`creditLimit`), or at the last capital of an acronym before a lower-case letter
    /// (`URLString` → `url` + `string`).
    private static func startsWord(_ bytes: UnsafeBufferPointer<UInt8>, at i: Int) -> Bool {
        guard i > 0, isUpper(bytes[i]) else { return false }
        let previous = bytes[i - 1]
        let nextIsLower = i + 1 < bytes.count && isLower(bytes[i + 1])
        return isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower)
    }

    private static func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
    private static func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
    private static func lowercased(_ byte: UInt8) -> UInt8 { isUpper(byte) ? byte + 32 : byte }

    /// `credit_limit` → `creditLimit`: the camelCase spelling `allKeys` offers for a JSON key,
    /// so types that enumerate keys see names in their own convention.
    static func camelCase(_ key: String) -> String {
        guard key.utf8.contains(UInt8(ascii: "_")) else { return key }
        let parts = key.split(separator: "_", omittingEmptySubsequences: false)
        // Leading/trailing underscores and empty parts do not round-trip; keep such keys as is.
        guard parts.count > 1, !parts.contains(where: \.isEmpty) else { return key }
        var result = String(parts[0])
        for part in parts.dropFirst() {
            result += part.prefix(1).uppercased() + part.dropFirst()
        }
        return result
    }

    private final class KeyCache: @unchecked Sendable {
        private let lock = Lock()
        private var storage: [String: String] = [:]
        private let capacity = 4096

        func value(for key: String) -> String? {
            lock.lock()
            defer { lock.unlock() }
            return storage[key]
        }

        func store(_ value: String, for key: String) {
            lock.lock()
            defer { lock.unlock() }
            if storage.count < capacity { storage[key] = value }
        }
    }
}
