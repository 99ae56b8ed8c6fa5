import Core
import Foundation
import Routing
import Testing

/// `ExactDecimal`: parsing limits, canonical text, arithmetic and half-even rounding.
@Suite struct ExactDecimalTests {
    static func decimal(_ text: String) throws -> ExactDecimal {
        try ExactDecimal(parsing: text)
    }

    /// The one-pass reading of plain text (`12.5`, `-0.125`, `7.2300`) against the value it
    /// was written from, in every spelling the general path also reads (an exponent, trailing
    /// zeros), and from a cell's bytes as from a String; at the edges of range and precision
    /// the errors stay the general path's.
    @Test func plainText_readsTheValueItWasWrittenFrom_inEverySpelling() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let limit: Int64 = 999_999_999_999_999
            let thousandths = Int64.random(in: -limit...limit, using: &generator)
            let value = ExactDecimal(thousandths: thousandths)
            let integer = abs(thousandths) / 1000
            let fraction = abs(thousandths) % 1000
            let sign = thousandths < 0 ? "-" : ""
            let fractionText = String(String(fraction + 1000).dropFirst())
            for text in [
                value.description, "\(sign)\(integer).\(fractionText)", "\(sign)\(integer).\(fractionText)000",
                "\(sign)\(abs(thousandths))e-3",
            ] {
                #expect(try Self.decimal(text) == value, "\(text)")
                var bytes = Array(text.utf8)
                let fromBytes = try bytes.withUnsafeMutableBufferPointer {
                    try ExactDecimal(parsing: UnsafeBufferPointer($0))
                }
                #expect(fromBytes == value, "\(text)")
            }
        }
        #expect(Self.parseError("0.0001") == .tooManyDecimalPlaces)
        #expect(Self.parseError("1.2345000") == .tooManyDecimalPlaces)
        #expect(Self.parseError("1000000000000") == .outOfRange)
        #expect(Self.parseError("-999999999999.9999") == .tooManyDecimalPlaces)
        #expect(try Self.decimal("999999999999.999") == ExactDecimal(thousandths: 999_999_999_999_999))
        #expect(Self.parseError("01.5") == .notANumber)
        #expect(Self.parseError("1.") == .notANumber)
    }

    static func parseError(_ text: String) -> ExactDecimalError? {
        do {
            _ = try ExactDecimal(parsing: text)
            return nil
        } catch {
            return error
        }
    }

    @Test(
        arguments: [
            ("0.001", 1), ("1e-3", 1), ("0.0010", 1), ("100e-5", 1), ("1000e-6", 1),
            ("1.2300", 1230), ("12.5", 12500), ("-12.5", -12500), ("3", 3000), ("1.5e2", 150_000),
            ("1E3", 1_000_000), ("0.5E+1", 5000), ("-0.125", -125),
            ("999999999999.999", 999_999_999_999_999), ("-999999999999.999", -999_999_999_999_999),
            ("99999999999.9990000000", 99_999_999_999_999),
        ] as [(String, Int64)])
    func validText_parsesToExactThousandths(text: String, thousandths: Int64) throws {
        #expect(try Self.decimal(text).thousandths == thousandths)
    }

    @Test(arguments: ["0", "-0", "0.000", "0e99", "-0.0e-99", "0e-999999999999999"])
    func zeroInAnyForm_isZero(text: String) throws {
        let value = try Self.decimal(text)
        #expect(value.isZero)
        #expect(!value.isNegative)
        #expect(value.description == "0")
    }

    @Test(arguments: [
        "-0.0005", "0.0001", "1e-4", "1.2345", "999999999999.9995", "0.00000000000000000001", "1e-999999999999",
    ])
    func extraDecimalPlaces_areRejected(text: String) {
        #expect(Self.parseError(text) == .tooManyDecimalPlaces)
    }

    @Test(arguments: [
        "1000000000000", "-1000000000000", "1e12", "1000000000000.000", "12345678901234567890", "1e999999999999",
    ])
    func valuesFrom10ToThe12_areRejected(text: String) {
        #expect(Self.parseError(text) == .outOfRange)
    }

    @Test(arguments: [
        "", "abc", "+1", "01", "1.", ".5", " 1", "1 ", "NaN", "Infinity", "1_000", "1,5", "0x1", "--1", "1e", "١",
    ])
    func nonNumbers_areRejected(text: String) {
        #expect(Self.parseError(text) == .notANumber)
    }

    @Test func errors_carryFieldMessages() {
        #expect(ExactDecimalError.tooManyDecimalPlaces.message == "must be a number with at most 3 decimal places")
        #expect(ExactDecimalError.notANumber.message == "must be a number")
        #expect(ExactDecimalError.outOfRange.message.contains("999999999999.999"))
    }

    @Test(
        arguments: [
            (12500, "12.5"), (3000, "3"), (-125, "-0.125"), (0, "0"), (1, "0.001"), (-1000, "-1"),
            (1050, "1.05"), (999_999_999_999_999, "999999999999.999"), (100, "0.1"), (10, "0.01"),
        ] as [(Int64, String)])
    func description_isCanonical(thousandths: Int64, text: String) throws {
        let value = ExactDecimal(thousandths: thousandths)
        #expect(value.description == text)
        #expect(try Self.decimal(text) == value)
    }

    @Test func description_roundTripsForRandomValues() throws {
        var generator = JSONFuzzTests.SeededGenerator(state: 2026)
        for _ in 0..<2000 {
            let thousandths = Int64.random(in: -999_999_999_999_999...999_999_999_999_999, using: &generator)
            let value = ExactDecimal(thousandths: thousandths)
            #expect(try Self.decimal(value.description) == value)
        }
    }

    @Test func integerAndThousandthsInitializers_checkRange() {
        #expect(ExactDecimal(integer: 42).thousandths == 42_000)
        #expect(ExactDecimal(exactly: 999_999_999_999)?.description == "999999999999")
        #expect(ExactDecimal(exactly: 1_000_000_000_000) == nil)
        #expect(ExactDecimal(exactly: Int64.min) == nil)
        #expect(ExactDecimal(exactlyThousandths: 1_000_000_000_000_000) == nil)
        #expect(ExactDecimal(exactlyThousandths: -999_999_999_999_999) == .leastValue)
    }

    @Test func ordering_signAndNegation() throws {
        let values = try ["1.5", "-2", "0", "0.001", "-0.001"].map(Self.decimal)
        #expect(values.sorted().map(\.description) == ["-2", "-0.001", "0", "0.001", "1.5"])
        #expect(try Self.decimal("-0.001").isNegative)
        #expect(try Self.decimal("1.5").negated == Self.decimal("-1.5"))
        #expect(ExactDecimal.leastValue.negated == .greatestValue)
        #expect(Set(try ["1.5", "1.500", "15e-1"].map(Self.decimal)).count == 1)
    }

    @Test func additionAndSubtraction_areExact() throws {
        #expect(try Self.decimal("0.1") + Self.decimal("0.2") == Self.decimal("0.3"))
        #expect(try Self.decimal("1") - Self.decimal("1.001") == Self.decimal("-0.001"))
        var total = ExactDecimal.zero
        for _ in 0..<1000 { try total += Self.decimal("0.001") }
        #expect(total == ExactDecimal(integer: 1))
        try total -= Self.decimal("0.5")
        #expect(total.description == "0.5")
    }

    @Test func arithmeticLeavingTheRange_throwsInsteadOfTrapping() throws {
        #expect(throws: ExactDecimalError.outOfRange) { try ExactDecimal.greatestValue + ExactDecimal(thousandths: 1) }
        #expect(throws: ExactDecimalError.outOfRange) { try ExactDecimal.leastValue - ExactDecimal(thousandths: 1) }
        #expect(throws: ExactDecimalError.outOfRange) { try ExactDecimal.greatestValue * ExactDecimal.greatestValue }
        #expect(throws: ExactDecimalError.outOfRange) { try ExactDecimal.greatestValue * ExactDecimal(integer: -2) }
        var value = ExactDecimal.greatestValue
        #expect(throws: ExactDecimalError.outOfRange) { try value += .greatestValue }
        #expect(value == .greatestValue)
    }

    @Test(arguments: [
        ("1.5", "1.5", "2.25"), ("0.005", "0.5", "0.002"), ("0.015", "0.5", "0.008"), ("-0.005", "0.5", "-0.002"),
        ("-0.015", "0.5", "-0.008"), ("0.001", "0.001", "0"), ("0.001", "0.5", "0"), ("0.003", "0.5", "0.002"),
        ("2", "-3.5", "-7"), ("999999999999", "0.5", "499999999999.5"),
    ])
    func multiplication_roundsHalfEvenToThreePlaces(lhs: String, rhs: String, product: String) throws {
        #expect(try Self.decimal(lhs) * Self.decimal(rhs) == Self.decimal(product))
        #expect(try Self.decimal(rhs) * Self.decimal(lhs) == Self.decimal(product))
    }

    @Test(
        arguments: [
            ("3", 333, 999), ("0.5", 3, 2), ("0.5", 5, 2), ("0.5", 7, 4), ("1.5", 1, 2), ("2.5", 1, 2),
            ("-0.5", 3, -2), ("-0.5", 5, -2), ("-1.5", 1, -2), ("0.333", 3, 1), ("0.001", 499, 0), ("0.001", 500, 0),
            ("0.001", 1500, 2), ("0.001", 2500, 2), ("12.345", 1999, 24678), ("0", Int64.max, 0),
            ("1", Int64.min, Int64.min),
        ] as [(String, Int64, Int64)])
    func lineTotals_roundHalfEvenToMinorUnits(quantity: String, price: Int64, total: Int64) throws {
        #expect(try Self.decimal(quantity).multipliedRoundingHalfEven(byMinorUnits: price) == total)
    }

    @Test func lineTotalsBeyondInt64_saturateAndReport() {
        let big = ExactDecimal.greatestValue
        #expect(big.multipliedRoundingHalfEven(byMinorUnits: .max) == .max)
        #expect(big.multipliedRoundingHalfEven(byMinorUnits: .min) == .min)
        #expect(big.multipliedReportingOverflow(byMinorUnits: .max).overflow)
        #expect(!big.multipliedReportingOverflow(byMinorUnits: 9_000_000).overflow)
        #expect(big.multipliedReportingOverflow(byMinorUnits: 9_000_000).partialValue == 8_999_999_999_999_991_000)
    }

    @Test(
        arguments: [
            (1999, "12.5", 250), (10, "25", 2), (10, "15", 2), (1000, "100", 1000), (100, "0.5", 0), (300, "0.5", 2),
            (55, "-10", -6), (45, "-10", -4), (-45, "10", -4), (0, "99", 0), (123_456, "0.001", 1),
            (1, "999999999999.999", 10_000_000_000),
        ] as [(Int64, String, Int64)])
    func percentages_roundHalfEven(amount: Int64, percent: String, result: Int64) throws {
        #expect(ExactDecimal.percent(of: amount, percent: try Self.decimal(percent)) == result)
    }

    @Test func percentagesBeyondInt64_saturateAndReport() {
        #expect(ExactDecimal.percent(of: .max, percent: .greatestValue) == .max)
        #expect(ExactDecimal.percentReportingOverflow(of: .min, percent: .greatestValue) == (Int64.min, true))
        #expect(
            ExactDecimal.percentReportingOverflow(of: .max, percent: ExactDecimal(integer: 100)) == (Int64.max, false))
    }

    @Test func foreignCoders_useTheStringForm() throws {
        let value = try Self.decimal("-12.5")
        let data = try JSONEncoder().encode([value])
        #expect(String(decoding: data, as: UTF8.self) == #"["-12.5"]"#)
        #expect(try JSONDecoder().decode([ExactDecimal].self, from: data) == [value])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([ExactDecimal].self, from: Data(#"["1.2345"]"#.utf8))
        }
    }
}
