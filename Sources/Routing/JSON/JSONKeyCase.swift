import Foundation

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
        guard needsConversion(key) else { return key }
        if let cached = cache.value(for: key) { return cached }
        let converted = convert(key)
        cache.store(converted, for: key)
        return converted
    }

    private static func needsConversion(_ key: String) -> Bool {
        var hasUpper = false
        for byte in key.utf8 {
            if byte == UInt8(ascii: "_") { return false }
            if byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") { hasUpper = true }
        }
        return hasUpper
    }

    private static func convert(_ key: String) -> String {
        let bytes = Array(key.utf8)
        func isUpper(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") }
        func isLower(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z") }
        func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 4)
        for (i, byte) in bytes.enumerated() {
            if i > 0, isUpper(byte) {
                let previous = bytes[i - 1]
                let nextIsLower = i + 1 < bytes.count && isLower(bytes[i + 1])
                // A word starts at an upper-case letter after a lower-case letter or digit
                // (`creditLimit`), or at the last capital of an acronym before a lower-case
                // letter (`URLString` → `url` + `string`).
                if isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower) {
                    output.append(UInt8(ascii: "_"))
                }
            }
            output.append(isUpper(byte) ? byte + 32 : byte)
        }
        return String(decoding: output, as: UTF8.self)
    }

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
        private let lock = NSLock()
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
