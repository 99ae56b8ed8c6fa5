/// A customer's credit figures in its currency (API.md "Credit check" and the customer
/// summary's `credit`): what it owes on issued invoices less unapplied credit, plus confirmed
/// orders not yet invoiced, against its limit. Sales computes them once for both.
public struct CreditPosition: Sendable, Equatable {
    /// The customer's credit limit; nil means no limit.
    public let limit: Int64?
    /// Issued invoices' open balances less the customer's unapplied credit.
    public let openReceivables: Int64
    /// Confirmed orders not yet invoiced, with tax.
    public let openOrders: Int64

    public init(limit: Int64?, openReceivables: Int64, openOrders: Int64) {
        self.limit = limit
        self.openReceivables = openReceivables
        self.openOrders = openOrders
    }

    /// What counts against the limit.
    public var used: Int64 { openReceivables + openOrders }

    /// The limit less what is used (negative when past it); nil without a limit.
    public var available: Int64? { limit.map { $0 - used } }

    /// Whether `amount` more stays within the limit: equal to the limit passes, one minor unit
    /// over does not; always without a limit.
    public func admits(_ amount: Int64) -> Bool {
        guard let limit else { return true }
        return used + amount <= limit
    }
}
