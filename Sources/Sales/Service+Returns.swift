import Core
import FoundationEssentials
import Platform
import Postgres

/// One order line's share of a customer return, as Sales records it.
public struct ReturnedLine: Sendable {
    public let lineNo: Int
    public let quantity: ExactDecimal
    /// The part not yet billed: it comes off what is left to invoice.
    public let uninvoiced: ExactDecimal

    public init(lineNo: Int, quantity: ExactDecimal, uninvoiced: ExactDecimal) {
        self.lineNo = lineNo
        self.quantity = quantity
        self.uninvoiced = uninvoiced
    }
}

extension SalesService {
    /// The order a return is made against, locked (`FOR UPDATE`) until `tx` ends so concurrent
    /// returns of one line count one after the other; nil when it does not exist or is out of
    /// the caller's scope.
    public func lockForReturn(_ key: DocumentKey, in tx: Transaction) throws -> SalesOrder? {
        try store.order(key, lock: true, in: tx)
    }

    /// What each shipped line's goods cost per unit: Σ shipment cost ÷ Σ shipped quantity,
    /// rounded half-even to a minor unit of the default currency (the cost returns come back at).
    public func shippedUnitCosts(orderID: UUID, in tx: Transaction) throws -> [Int: Int64] {
        try store.shippedCosts(orderID: orderID, in: tx).compactMapValues { shipped in
            guard shipped.quantity > .zero else { return nil }
            return Int64(
                ExactDecimal.roundedHalfEven(
                    Int128(shipped.cost) * 1000, dividedBy: Int128(shipped.quantity.thousandths)))
        }
    }

    /// Counts returned quantities on an order's lines (the caller checked them against what
    /// shipped, under `lockForReturn`'s lock) and appends `sales_order.returned`, so the order's
    /// history shows the return.
    public func recordReturn(
        orderID: UUID, lines: [ReturnedLine], actor: Principal, in tx: Transaction
    ) throws -> SalesOrder {
        for line in lines {
            try store.addReturned(
                orderID: orderID, lineNo: line.lineNo, quantity: line.quantity, uninvoiced: line.uninvoiced, in: tx)
        }
        guard var order = try store.order(.id(orderID), in: tx) else { throw AppError.notFound("sales order") }
        if order.invoiceStatus != .notInvoiced {
            let billable = order.lines.map { order.status == .closed ? $0.shippedQuantity : $0.quantity }
            order.invoiceStatus =
                zip(order.lines, billable).allSatisfy { Self.fullyInvoiced($0, of: $1) }
                ? .invoiced : .partiallyInvoiced
        }
        try store.update(order, in: tx)
        let updated = try store.order(.id(orderID), in: tx)!
        try events.append(
            "sales_order.returned", resourceType: "sales_order", resourceID: orderID, resource: updated, actor: actor,
            in: tx)
        return updated
    }

    /// Whether nothing is left to bill of `billable` on `line`.
    static func fullyInvoiced(_ line: SalesOrderLine, of billable: ExactDecimal) -> Bool {
        guard let left = try? line.leftToInvoice(of: billable) else { return true }
        return left <= .zero
    }
}
