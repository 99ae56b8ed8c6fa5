/// Text → thousandths without floating point: the digits are read as an integer significand
/// and a power-of-ten scale, so `1.5e2`, `150` and `150.000` are the same value and any
/// exponent, however large, is handled without overflow.
enum ExactDecimalParsing {
    static func thousandths(of text: String) throws(ExactDecimalError) -> Int64 {
        var text = text
        // `withUTF8` is untyped-rethrows, so the typed error travels inside a `Result`.
        let result = text.withUTF8 { bytes in
            Result { () throws(ExactDecimalError) -> Int64 in try thousandths(of: bytes) }
        }
        return try result.get()
    }

    static func thousandths(of bytes: UnsafeBufferPointer<UInt8>) throws(ExactDecimalError) -> Int64 {
        guard JSONNumberText.isValid(bytes) else { throw .notANumber }
        if let plain = plainThousandths(bytes) { return plain }
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { i += 1 }

        // Significand digits without leading zeros; `scale` counts how many of them are
        // fractional, minus the exponent. Trailing zeros are kept for now.
        var digits: [UInt8] = []
        var scale = 0
        var seenNonZero = false
        var inFraction = false
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: ".") {
                inFraction = true
            } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                break
            } else {
                if inFraction { scale += 1 }
                if byte != UInt8(ascii: "0") { seenNonZero = true }
                if seenNonZero { digits.append(byte - UInt8(ascii: "0")) }
            }
            i += 1
        }
        guard seenNonZero else { return 0 }  // any zero, whatever its exponent or sign

        if i < bytes.count {
            scale -= try exponent(bytes, from: i + 1)
        }
        // Trailing zeros do not make a value more precise: `1.2300` is `1.23`.
        while digits.last == 0 {
            digits.removeLast()
            scale -= 1
        }
        if scale > ExactDecimal.scale { throw .tooManyDecimalPlaces }
        // The value is digits × 10^(-scale) and needs digits.count + (3 - scale) digits as
        // thousandths; more than 15 is at least 10^15 thousandths.
        let shift = ExactDecimal.scale - scale
        guard digits.count + shift <= 15 else { throw .outOfRange }
        var result: Int64 = 0
        for digit in digits { result = result * 10 + Int64(digit) }
        for _ in 0..<shift { result *= 10 }
        return negative ? -result : result
    }

    /// The common case read in one pass without collecting digits (how PostgreSQL writes a
    /// numeric, and how clients write amounts): no exponent, at most three fractional digits
    /// besides trailing zeros, under 10^15 thousandths. Nil for anything else, which the general
    /// path reads (or refuses) instead. `bytes` is valid JSON number text.
    private static func plainThousandths(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = bytes[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var value: Int64 = 0
        var fractionDigits = -1  // -1 until the point
        while i < bytes.count {
            let byte = bytes[i]
            i += 1
            if byte == UInt8(ascii: ".") {
                fractionDigits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if fractionDigits == 3 {
                guard byte == UInt8(ascii: "0") else { return nil }
                continue
            }
            if fractionDigits >= 0 { fractionDigits += 1 }
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            guard value < 1_000_000_000_000_000 else { return nil }
        }
        for _ in max(fractionDigits, 0)..<ExactDecimal.scale { value *= 10 }
        guard value < 1_000_000_000_000_000 else { return nil }
        return negative ? -value : value
    }

    /// The exponent value, clamped: anything beyond ±10^6 already decides the outcome
    /// (too precise or out of range) and clamping avoids integer overflow on hostile input.
    private static func exponent(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) throws(ExactDecimalError) -> Int
    {
        var i = start
        var negative = false
        if bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
            negative = bytes[i] == UInt8(ascii: "-")
            i += 1
        }
        var value = 0
        while i < bytes.count {
            value = min(value * 10 + Int(bytes[i] - UInt8(ascii: "0")), 1_000_000)
            i += 1
        }
        return negative ? -value : value
    }
}
