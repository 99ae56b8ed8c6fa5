import Core

/// The arithmetic of document lines (API.md "Sales orders", "Receivables"): every amount an
/// integer in minor units, each line rounded half-even on its own, so a total is the sum of
/// what the lines show.
public enum LineAmounts {
    /// `quantity × unitPrice` less `discountPercent`, before tax, rounded half-even; nil when
    /// it is beyond 2^53−1 minor units.
    public static func lineTotal(quantity: ExactDecimal, unitPrice: Int64, discountPercent: ExactDecimal) -> Int64? {
        // thousandths × price × (100 000 − discount thousandths) / (1000 × 100 000), one rounding.
        // The largest quantity times the largest price passes Int128 before the division.
        let (gross, grossOverflow) = Int128(quantity.thousandths).multipliedReportingOverflow(by: Int128(unitPrice))
        let (numerator, overflow) = gross.multipliedReportingOverflow(by: 100_000 - Int128(discountPercent.thousandths))
        guard !grossOverflow, !overflow else { return nil }
        return fitting(ExactDecimal.roundedHalfEven(numerator, dividedBy: 100_000_000))
    }

    /// `taxRate` percent of a line total, rounded half-even.
    public static func tax(lineTotal: Int64, taxRate: ExactDecimal) -> Int64? {
        fitting(ExactDecimal.roundedHalfEven(Int128(lineTotal) * Int128(taxRate.thousandths), dividedBy: 100_000))
    }

    /// A line's total and its tax together; nil when either is beyond 2^53−1 minor units.
    public static func amounts(
        quantity: ExactDecimal, unitPrice: Int64, discountPercent: ExactDecimal,
        taxRate: ExactDecimal
    ) -> (lineTotal: Int64, taxAmount: Int64)? {
        guard let total = lineTotal(quantity: quantity, unitPrice: unitPrice, discountPercent: discountPercent),
            let tax = tax(lineTotal: total, taxRate: taxRate)
        else { return nil }
        return (total, tax)
    }

    private static func fitting(_ value: Int128) -> Int64? {
        value >= 0 && value <= Int128(MoneyRules.maxMinorUnits) ? Int64(value) : nil
    }
}

/// A document line as its totals see it: the line's amount before tax and its tax.
public protocol PricedLine {
    var lineTotal: Int64 { get }
    var taxAmount: Int64 { get }
}

/// A document's subtotal, tax and total: sums of the lines' rounded amounts, refused (a 422 on
/// `lines`) when the total would pass 2^53−1 minor units.
public struct DocumentTotals: Equatable, Sendable {
    public let subtotal: Int64
    public let taxTotal: Int64
    public var total: Int64 { subtotal + taxTotal }

    /// - document: what the message calls the sum, as in "make the order total larger …".
    public init(_ lines: [some PricedLine], document: String) throws {
        // Every line is at most 2^53−1 and a document has at most 500, so the sums cannot overflow.
        let subtotal = lines.reduce(Int64(0)) { $0 + $1.lineTotal }
        let tax = lines.reduce(Int64(0)) { $0 + $1.taxAmount }
        guard subtotal + tax <= MoneyRules.maxMinorUnits else {
            throw AppError.validation([
                FieldError(field: "lines", message: "make the \(document) larger than 2^53-1 minor units")
            ])
        }
        self.subtotal = subtotal
        self.taxTotal = tax
    }
}
