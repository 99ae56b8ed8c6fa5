import Core
import FoundationEssentials
import Platform

/// What `GET /reports/margin` groups by.
public enum MarginGrouping: String, Sendable, CaseIterable {
    case month, customer, item, owner

    /// The member naming the group in each row.
    var keyName: String {
        switch self {
        case .month: "month"
        case .customer: "customer_id"
        case .item: "item_id"
        case .owner: "owner_id"
        }
    }
}

/// An inclusive range of dates (`from`/`to` of every report).
public struct ReportPeriod: Sendable, Equatable {
    public let from: LocalDate
    public let to: LocalDate

    /// Days in the period, both ends counted.
    public var days: Int64 { Int64(from.days(until: to)) + 1 }
}

/// One group of the margin report: revenue in the group's currency, cost in the
/// installation's; the margin only where the two are the same currency.
struct MarginRow: Sendable {
    let key: String?
    let currency: String
    let quantity: ExactDecimal
    let revenue: Int64
    let cost: Int64
}

/// One customer's RFM row as the store computes it (scores over the whole population).
struct RFMRow: Sendable {
    let customerID: UUID
    let number: String
    let name: String
    let recencyDays: Int64
    let frequency: Int64
    let monetary: Int64
    let recencyScore: Int
    let frequencyScore: Int
    let monetaryScore: Int
    let segment: RFMSegment
    let lifetimeValue: Int64
    /// Days from the first to the last order in the window.
    let spanDays: Int64
    let overdueBalance: Int64
    /// Orders and their value in the earlier and the later half of the window.
    let earlier: (count: Int64, value: Int64)
    let later: (count: Int64, value: Int64)
}

/// `segment` of `GET /reports/customer-rfm`. The store's SQL applies the rules (openapi.yaml
/// `RFMSegment`), first match wins: champions R≥4, F≥4, M≥4; loyal R≥3, F≥4; new one order in
/// the window and R≥4; potential R≥3; at_risk F≥3; else hibernating.
public enum RFMSegment: String, Sendable, CaseIterable, Encodable {
    case champions, loyal, new, potential, atRisk = "at_risk", hibernating
}

/// `churn_risk`: low with no reason, medium with one, high with two or more.
public enum ChurnRisk: String, Sendable, Encodable {
    case low, medium, high
}

/// Why a customer may be leaving (`reasons` of the RFM row).
public enum ChurnReason: String, Sendable, Encodable, CaseIterable {
    /// More days since the last order than twice the customer's usual interval.
    case orderGap = "order_gap"
    /// Invoices past their due date with a balance.
    case overdueReceivables = "overdue_receivables"
    /// The average order in the later half of the window is below ¾ of the earlier half's.
    case fallingOrderValue = "falling_order_value"
}

/// One row of `GET /reports/customer-rfm`, and the customer summary's `rfm`.
public struct CustomerRFM: JSONMembers, Sendable {
    let customerId: UUID
    let customerNumber: String
    let name: String
    let recencyDays: Int64
    let frequency: Int64
    let monetary: Int64
    let currency: String
    let recencyScore: Int
    let frequencyScore: Int
    let monetaryScore: Int
    let segment: RFMSegment
    let churnRisk: ChurnRisk
    let reasons: [ChurnReason]
    let lifetimeValue: Int64

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("customer_id", customerId)
        try object.member("customer_number", customerNumber)
        try object.member("name", name)
        try object.member("recency_days", recencyDays)
        try object.member("frequency", frequency)
        try object.member("monetary", monetary)
        try object.member("currency", currency)
        try object.member("recency_score", recencyScore)
        try object.member("frequency_score", frequencyScore)
        try object.member("monetary_score", monetaryScore)
        try object.member("segment", segment)
        try object.member("churn_risk", churnRisk)
        try object.member("reasons", reasons)
        try object.member("lifetime_value", lifetimeValue)
    }

    init(_ row: RFMRow, currency: String) {
        customerId = row.customerID
        customerNumber = row.number
        name = row.name
        recencyDays = row.recencyDays
        frequency = row.frequency
        monetary = row.monetary
        self.currency = currency
        recencyScore = row.recencyScore
        frequencyScore = row.frequencyScore
        monetaryScore = row.monetaryScore
        segment = row.segment
        var reasons: [ChurnReason] = []
        // Usual interval = span ÷ (frequency − 1); the gap counts past twice that.
        if row.frequency >= 2, Int128(row.recencyDays) * Int128(row.frequency - 1) > 2 * Int128(row.spanDays) {
            reasons.append(.orderGap)
        }
        if row.overdueBalance > 0 { reasons.append(.overdueReceivables) }
        // later average < ¾ × earlier average, compared without division.
        if row.earlier.count > 0, row.later.count > 0,
            Int128(row.later.value) * Int128(row.earlier.count) * 4
                < Int128(row.earlier.value) * Int128(row.later.count) * 3
        {
            reasons.append(.fallingOrderValue)
        }
        self.reasons = reasons
        churnRisk = reasons.isEmpty ? .low : reasons.count == 1 ? .medium : .high
        lifetimeValue = row.lifetimeValue
    }
}

/// Exact report arithmetic: every ratio rounded once, half-even, to three places.
enum Figures {
    /// `part ÷ whole × 100` to three places; nil when `whole` is 0.
    static func percent(_ part: Int64, of whole: Int64) -> ExactDecimal? {
        ratio(Int128(part) * 100, Int128(whole))
    }

    /// `numerator ÷ denominator` to three places; nil when the denominator is 0 or the result
    /// is beyond an `ExactDecimal`.
    static func ratio(_ numerator: Int128, _ denominator: Int128) -> ExactDecimal? {
        guard denominator != 0 else { return nil }
        let thousandths = ExactDecimal.roundedHalfEven(numerator * 1000, dividedBy: denominator)
        guard thousandths.magnitude < ExactDecimal.thousandthsLimit.magnitude else { return nil }
        return ExactDecimal(thousandths: Int64(thousandths))
    }

    /// `numerator ÷ denominator` rounded half-even to a whole minor unit; nil when the
    /// denominator is 0.
    static func money(_ numerator: Int128, _ denominator: Int128) -> Int64? {
        guard denominator != 0 else { return nil }
        return Int64(clamping: ExactDecimal.roundedHalfEven(numerator, dividedBy: denominator))
    }
}
