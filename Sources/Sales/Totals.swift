import Core

/// The arithmetic of order lines (API.md "Sales orders"): every amount an integer in minor
/// units, each line rounded half-even on its own, so a total is the sum of what the lines show.
public enum LineAmounts {
    /// `quantity × unitPrice` less `discountPercent`, before tax, rounded half-even; nil when
    /// it is beyond 2^53−1 minor units.
    public static func lineTotal(quantity: ExactDecimal, unitPrice: Int64, discountPercent: ExactDecimal) -> Int64? {
        // thousandths × price × (100 000 − discount thousandths) / (1000 × 100 000), one rounding.
        let numerator = Int128(quantity.thousandths) * Int128(unitPrice) * (100_000 - Int128(discountPercent.thousandths))
        return fitting(ExactDecimal.roundedHalfEven(numerator, dividedBy: 100_000_000))
    }

    /// `taxRate` percent of a line total, rounded half-even.
    public static func tax(lineTotal: Int64, taxRate: ExactDecimal) -> Int64? {
        fitting(ExactDecimal.roundedHalfEven(Int128(lineTotal) * Int128(taxRate.thousandths), dividedBy: 100_000))
    }

    /// The share of `amount` that `part` of `whole` stands for, rounded half-even (what is left
    /// to invoice of a partly invoiced line).
    public static func share(of amount: Int64, part: ExactDecimal, whole: ExactDecimal) -> Int64 {
        guard whole.thousandths != 0 else { return 0 }
        if part == whole { return amount }
        return Int64(ExactDecimal.roundedHalfEven(Int128(amount) * Int128(part.thousandths), dividedBy: Int128(whole.thousandths)))
    }

    private static func fitting(_ value: Int128) -> Int64? {
        value >= 0 && value <= Int128(9_007_199_254_740_991) ? Int64(value) : nil
    }
}
