/// An exact decimal with at most three fractional digits and magnitude below 10^12: the one
/// type for quantities and rates, so that no amount ever passes through binary floating point.
///
/// Every value in existence is in range: parsing rejects what does not fit and arithmetic
/// throws `ExactDecimalError.outOfRange` instead of trapping or wrapping. The range fits a
/// Postgres `numeric(15,3)` column.
public struct ExactDecimal: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The value times 1000: `12.5` is `12500`.
    public let thousandths: Int64

    /// Number of fractional digits kept.
    public static let scale = 3
    /// Exclusive bound of `thousandths` magnitude (10^15, i.e. a value of 10^12).
    public static let thousandthsLimit: Int64 = 1_000_000_000_000_000
    /// Zero.
    public static let zero = ExactDecimal(uncheckedThousandths: 0)
    /// The largest value, `999999999999.999`.
    public static let greatestValue = ExactDecimal(uncheckedThousandths: thousandthsLimit - 1)
    /// The smallest value, `-999999999999.999`.
    public static let leastValue = ExactDecimal(uncheckedThousandths: -(thousandthsLimit - 1))

    private init(uncheckedThousandths: Int64) {
        thousandths = uncheckedThousandths
    }

    /// The value `thousandths / 1000`. Precondition: `|thousandths| < 10^15`; out-of-range is a
    /// programming error, like `Int8(300)`. Use `init?(exactlyThousandths:)` for untrusted input.
    public init(thousandths: Int64) {
        precondition(Self.inRange(thousandths), "ExactDecimal out of range")
        self.thousandths = thousandths
    }

    /// The value `thousandths / 1000`, or nil when `|thousandths| ≥ 10^15`.
    public init?(exactlyThousandths thousandths: Int64) {
        guard Self.inRange(thousandths) else { return nil }
        self.thousandths = thousandths
    }

    /// The whole number `integer`. Precondition: `|integer| < 10^12` (see `init(thousandths:)`).
    public init(integer: Int64) {
        guard let value = ExactDecimal(exactly: integer) else { preconditionFailure("ExactDecimal out of range") }
        self = value
    }

    /// The whole number `integer`, or nil when `|integer| ≥ 10^12`.
    public init?(exactly integer: Int64) {
        guard integer > -1_000_000_000_000, integer < 1_000_000_000_000 else { return nil }
        thousandths = integer * 1000
    }

    /// Parses JSON number text (`-12.5`, `0.125`, `1.5e2`, `1.2300`). Fails with the reason:
    /// `.notANumber` for anything that is not RFC 8259 number syntax (so no `+`, no leading
    /// zeros, no spaces), `.tooManyDecimalPlaces` when the value needs a fourth fractional
    /// digit (trailing zeros do not count), `.outOfRange` when `|value| ≥ 10^12`.
    public init(parsing text: String) throws(ExactDecimalError) {
        self.init(uncheckedThousandths: try ExactDecimalParsing.thousandths(of: text))
    }

    /// `init(parsing:)` of UTF-8 text read in place (a database cell).
    public init(parsing bytes: UnsafeBufferPointer<UInt8>) throws(ExactDecimalError) {
        self.init(uncheckedThousandths: try ExactDecimalParsing.thousandths(of: bytes))
    }

    static func inRange(_ thousandths: Int64) -> Bool {
        thousandths > -thousandthsLimit && thousandths < thousandthsLimit
    }

    /// Canonical text: no trailing fractional zeros, no `.` for whole numbers, no `-0`
    /// (`12.5`, `3`, `-0.125`, `0`). Parses back to the same value.
    public var description: String {
        var text: [UInt8] = []
        write(into: &text)
        return String(decoding: text, as: UTF8.self)
    }

    /// `description` appended to `output` as UTF-8, for the JSON encoder.
    func write(into output: inout [UInt8]) {
        let magnitude = thousandths.magnitude
        if thousandths < 0 { output.append(UInt8(ascii: "-")) }
        JSONWriter.writeInteger(magnitude / 1000, into: &output)
        let fraction = magnitude % 1000
        guard fraction != 0 else { return }
        output.append(UInt8(ascii: "."))
        output.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        guard fraction % 100 != 0 else { return }
        output.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        guard fraction % 10 != 0 else { return }
        output.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }

    /// The value with the opposite sign; always in range because the range is symmetric.
    public var negated: ExactDecimal { ExactDecimal(uncheckedThousandths: -thousandths) }

    /// True for zero (there is no negative zero).
    public var isZero: Bool { thousandths == 0 }

    /// True below zero.
    public var isNegative: Bool { thousandths < 0 }

    /// Orders by value.
    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool { lhs.thousandths < rhs.thousandths }

    /// Exact sum; throws `.outOfRange` when it leaves the range.
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) throws(ExactDecimalError) -> ExactDecimal {
        // Both operands are below 10^15 in magnitude, so the Int64 sum cannot overflow.
        try checked(lhs.thousandths + rhs.thousandths)
    }

    /// Exact difference; throws `.outOfRange` when it leaves the range.
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) throws(ExactDecimalError) -> ExactDecimal {
        try checked(lhs.thousandths - rhs.thousandths)
    }

    /// Product rounded half-even to three places (`0.005 × 0.5` is `0.002`); throws
    /// `.outOfRange` when it leaves the range.
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) throws(ExactDecimalError) -> ExactDecimal {
        let product = Int128(lhs.thousandths) * Int128(rhs.thousandths)
        let rounded = roundedHalfEven(product, dividedBy: 1000)
        guard rounded > Int128(-thousandthsLimit), rounded < Int128(thousandthsLimit) else { throw .outOfRange }
        return ExactDecimal(uncheckedThousandths: Int64(rounded))
    }

    /// Adds in place; on failure `lhs` is unchanged.
    public static func += (lhs: inout ExactDecimal, rhs: ExactDecimal) throws(ExactDecimalError) {
        lhs = try lhs + rhs
    }

    /// Subtracts in place; on failure `lhs` is unchanged.
    public static func -= (lhs: inout ExactDecimal, rhs: ExactDecimal) throws(ExactDecimalError) {
        lhs = try lhs - rhs
    }

    private static func checked(_ thousandths: Int64) throws(ExactDecimalError) -> ExactDecimal {
        guard inRange(thousandths) else { throw .outOfRange }
        return ExactDecimal(uncheckedThousandths: thousandths)
    }

    /// This quantity times a price in minor units (cents), rounded half-even to whole minor
    /// units: the line-total rule (`3 × 333 = 999`, `0.5 × 3 = 2`, `0.5 × 5 = 2`).
    /// Saturates at `Int64.min`/`Int64.max` instead of trapping when the true result does not
    /// fit; use `multipliedReportingOverflow(byMinorUnits:)` to detect that.
    public func multipliedRoundingHalfEven(byMinorUnits price: Int64) -> Int64 {
        multipliedReportingOverflow(byMinorUnits: price).partialValue
    }

    /// Like `multipliedRoundingHalfEven(byMinorUnits:)`, telling whether the result saturated.
    public func multipliedReportingOverflow(byMinorUnits price: Int64) -> (partialValue: Int64, overflow: Bool) {
        Self.saturated(Self.roundedHalfEven(Int128(thousandths) * Int128(price), dividedBy: 1000))
    }

    /// `percent`% of `amount` minor units, rounded half-even to a whole minor unit
    /// (12.5% of 1999 is 250, 25% of 10 is 2). Saturates like `multipliedRoundingHalfEven`.
    public static func percent(of amount: Int64, percent: ExactDecimal) -> Int64 {
        percentReportingOverflow(of: amount, percent: percent).partialValue
    }

    /// Like `percent(of:percent:)`, telling whether the result saturated.
    public static func percentReportingOverflow(of amount: Int64, percent: ExactDecimal) -> (
        partialValue: Int64, overflow: Bool
    ) {
        saturated(roundedHalfEven(Int128(amount) * Int128(percent.thousandths), dividedBy: 100_000))
    }

    /// `numerator / denominator` (denominator > 0) rounded to nearest, ties to even: the
    /// rounding that does not drift when many lines are summed.
    public static func roundedHalfEven(_ numerator: Int128, dividedBy denominator: Int128) -> Int128 {
        let quotient = numerator / denominator
        let remainder = numerator % denominator
        let twiceRemainder = remainder.magnitude * 2
        let away: Bool
        if twiceRemainder > denominator.magnitude {
            away = true
        } else if twiceRemainder == denominator.magnitude {
            away = quotient % 2 != 0
        } else {
            away = false
        }
        guard away else { return quotient }
        return numerator < 0 ? quotient - 1 : quotient + 1
    }

    private static func saturated(_ value: Int128) -> (partialValue: Int64, overflow: Bool) {
        if value > Int128(Int64.max) { return (Int64.max, true) }
        if value < Int128(Int64.min) { return (Int64.min, true) }
        return (Int64(value), false)
    }

    /// A JSON number with `JSONValueEncoder`; for other coders the canonical text as a string,
    /// which no coder can round.
    public func encode(to encoder: any Encoder) throws {
        if let encoder = encoder as? JSONEncoderImpl {
            encoder.box.content = .value(.number(description))
            return
        }
        if try JSONStreamEncoder.writeWhole(.number(description), to: encoder) { return }
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// From JSON number text with `JSONValueDecoder` (a string is a type error there); other
    /// coders must supply the string form `encode(to:)` writes for them.
    public init(from decoder: any Decoder) throws {
        if let decoder = decoder as? JSONDecoderImpl {
            decoder.accessed = true
            self = try decoder.session.exactDecimal(decoder.value, at: decoder.path)
            return
        }
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.message)
        }
    }
}

/// Why text is not an `ExactDecimal`, or why arithmetic left the range.
public enum ExactDecimalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not JSON number syntax.
    case notANumber
    /// Needs more than three fractional digits.
    case tooManyDecimalPlaces
    /// Magnitude is 10^12 or more.
    case outOfRange

    /// Field-error wording ("must be …"), as API clients see it.
    public var message: String {
        switch self {
        case .notANumber: "must be a number"
        case .tooManyDecimalPlaces: "must be a number with at most 3 decimal places"
        case .outOfRange: "must be a number between -999999999999.999 and 999999999999.999"
        }
    }

    /// Same as `message`.
    public var description: String { message }
}
