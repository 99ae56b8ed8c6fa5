import Catalog
import Core
import Customers
import FoundationEssentials
import Inventory
import Platform
import Postgres

extension SalesService {
    /// Confirms a draft in one transaction: the customer must be active, the credit check must
    /// pass (or be overridden by `admin`/`finance`), and every stock line is reserved in the
    /// order's warehouse, all or nothing.
    ///
    /// Locks, always in this order: the order, its customer (so two confirms for one customer
    /// cannot both spend the same credit), then stock balances in item order (Inventory).
    /// `overrideCreditLimit` confirms past the limit; the routes check the caller may.
    func confirm(_ key: DocumentKey, overrideCreditLimit: Bool, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Gated<SalesOrder>
    {
        try pool.transaction { tx in
            guard let order = try store.order(key, lock: true, in: tx) else { throw AppError.notFound("sales order") }
            try ifMatch(order.version)
            guard order.status == .draft else {
                throw AppError.invalidTransition(
                    "\(order.number) is \(order.status.rawValue); only a draft can be confirmed",
                    from: order.status, to: .confirmed)
            }
            return try confirm(order, overrideCreditLimit: overrideCreditLimit, gated: true, actor: actor, in: tx)
        }
    }

    /// Confirms an order its approval let through, inside the approval's transaction, with
    /// every usual check (customer, credit, stock); `options` are those it was asked with.
    /// Returns the order as the API shows it.
    public func confirmApproved(id: UUID, options: JSONObject, actor: Principal, in tx: Transaction) throws
        -> JSONValue
    {
        guard let order = try store.order(.id(id), lock: true, in: tx) else { throw AppError.notFound("sales order") }
        try DocumentRules.checkTransition(
            order.number, from: order.status, to: .confirmed, allowed: [.pendingApproval])
        let confirmed = try confirm(
            order, overrideCreditLimit: options["override_credit_limit"]?.boolValue ?? false, gated: false,
            actor: actor, in: tx)
        return try JSONValueEncoder().encode(confirmed.document)
    }

    /// Back to `draft` after its approval was rejected or withdrawn, inside that transaction.
    public func returnToDraft(id: UUID, in tx: Transaction) throws {
        guard var order = try store.order(.id(id), lock: true, in: tx) else { throw AppError.notFound("sales order") }
        try DocumentRules.checkTransition(order.number, from: order.status, to: .draft, allowed: [.pendingApproval])
        order.status = .draft
        try store.update(order, in: tx)
    }

    /// The checks and the reservation of `confirm`, on the locked order. `gated`: the approval
    /// rules are consulted once the credit check has passed (so `credit_override` knows whether
    /// the limit is overridden), before anything is reserved.
    private func confirm(
        _ order: SalesOrder, overrideCreditLimit: Bool, gated: Bool, actor: Principal, in tx: Transaction
    ) throws -> Gated<SalesOrder> {
        var order = order
        if let validUntil = order.validUntil, validUntil < LocalDate.today() {
            throw AppError(
                .quotationExpired,
                "the quotation \(order.number) was valid until \(validUntil); extend valid_until or make a new one",
                extra: JSONObject([("valid_until", .string(validUntil.description))]))
        }
        guard !order.lines.isEmpty else {
            throw AppError.validation([
                FieldError(field: "lines", message: "must have at least one line to confirm")
            ])
        }
        guard let warehouseID = order.warehouseId else {
            throw AppError.validation([
                FieldError(field: "warehouse_id", message: "is required to confirm (stock is reserved there)")
            ])
        }
        guard let customer = try customers.customer(id: order.customerId, lock: true, in: tx) else {
            throw AppError.notFound("customer")
        }
        guard customer.status == .active else {
            throw AppError(
                .customerNotActive,
                "\(customer.number) is \(customer.status.rawValue); orders are confirmed only for active customers")
        }
        var overridden: CreditFigures?
        if let limit = customer.creditLimit, customer.currency == order.currency {
            let credit = try creditPosition(customer, excluding: order.id, in: tx)
            let figures = CreditFigures(
                limit: limit, openReceivables: credit.openReceivables, openOrders: credit.openOrders,
                orderTotal: order.total, available: credit.available ?? 0)
            if !credit.admits(order.total) {
                guard overrideCreditLimit else {
                    throw AppError(
                        .creditLimitExceeded,
                        "confirming \(order.number) would take \(customer.number) past its credit limit",
                        extra: JSONObject([("credit", try JSONValueEncoder().encode(figures))]))
                }
                overridden = figures
            }
        }
        if gated {
            let subject = ApprovalSubject(
                document: .salesOrder, id: order.id, number: order.number, currency: order.currency,
                subtotal: order.subtotal, total: order.total,
                lines: order.lines.map {
                    ApprovalSubject.Line(
                        itemID: $0.itemId, quantity: $0.quantity, discountPercent: $0.discountPercent,
                        lineTotal: $0.lineTotal)
                }, creditOverride: overridden != nil,
                options: JSONObject([("override_credit_limit", .bool(overrideCreditLimit))]))
            if let hold = try approvalGate.consult(subject, actor: actor, in: tx) {
                // Nothing is reserved yet: the order waits, frozen, for the decision.
                order.status = .pendingApproval
                try store.update(order, in: tx)
                return Gated(try store.order(.id(order.id), in: tx)!, approval: hold)
            }
        }
        try inventory.reserve(
            lines: try stockLines(order, warehouseID: warehouseID, quantity: { $0.quantity }, in: tx),
            reference: Self.reference(order), actor: actor, in: tx)
        order.status = .confirmed
        order.confirmedAt = Date()
        try store.update(order, in: tx)
        let confirmed = try store.order(.id(order.id), in: tx)!
        var data = try JSONValueEncoder().encode(confirmed)
        if let overridden, case .object(var object) = data {
            // The event records who went past the limit, and by how much.
            object.set(
                "credit_override",
                .object(
                    JSONObject([
                        ("by_user_id", .string(actor.userID.uuidString.lowercased())),
                        ("role", .string(actor.role.rawValue)),
                        ("credit", try JSONValueEncoder().encode(overridden)),
                    ])))
            data = .object(object)
        }
        try events.append(
            "sales_order.confirmed", resourceType: "sales_order", resourceID: order.id, data: data, actor: actor,
            in: tx)
        return Gated(confirmed)
    }

    /// Back to draft while nothing has shipped; the reservation is released.
    func unconfirm(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> SalesOrder {
        try transition(
            key, from: [.confirmed], to: .draft, event: "sales_order.unconfirmed", ifMatch: ifMatch, actor: actor
        ) { order, tx in
            order.confirmedAt = nil
        }
    }

    /// Cancels a draft or a confirmed order that has not shipped; what it holds is released.
    func cancel(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> SalesOrder {
        try transition(
            key, from: [.draft, .confirmed], to: .cancelled, event: "sales_order.cancelled", ifMatch: ifMatch,
            actor: actor
        ) { _, _ in }
    }

    /// Short-closes a partially shipped order: the rest is released and will not ship.
    func close(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> SalesOrder {
        try transition(
            key, from: [.partiallyShipped], to: .closed, event: "sales_order.closed", ifMatch: ifMatch, actor: actor
        ) { order, _ in
            // What will never ship is no longer billable: if the shipped part is all invoiced,
            // the order is fully invoiced.
            if order.lines.contains(where: { !$0.invoicedQuantity.isZero }) {
                order.invoiceStatus =
                    order.lines.allSatisfy { $0.invoicedQuantity >= $0.shippedQuantity }
                    ? .invoiced : .partiallyInvoiced
            }
        }
    }

    private func transition(
        _ key: DocumentKey, from allowed: Set<SalesOrder.Status>, to target: SalesOrder.Status, event: String,
        ifMatch: (Int) throws -> Void, actor: Principal,
        change: (inout SalesOrder, Transaction) throws -> Void
    ) throws -> SalesOrder {
        try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else { throw AppError.notFound("sales order") }
            try ifMatch(order.version)
            try DocumentRules.checkTransition(order.number, from: order.status, to: target, allowed: allowed)
            try inventory.release(reference: Self.reference(order), actor: actor, in: tx)
            order.status = target
            try change(&order, tx)
            try store.update(order, in: tx)
            return try events.recorded(event, try store.order(.id(order.id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// The order's lines that hold stock (stock items; services and free-text lines do not), with
    /// the quantity `quantity` picks.
    func stockLines(
        _ order: SalesOrder, warehouseID: UUID, quantity: (SalesOrderLine) -> ExactDecimal,
        in tx: Transaction
    ) throws -> [StockLine] {
        let stocked = Set(
            try catalog.items(ids: order.lines.compactMap(\.itemId), in: tx).filter(\.isStocked).map(\.id))
        return order.lines.compactMap { line in
            guard let item = line.itemId, stocked.contains(item), quantity(line) > .zero else { return nil }
            return StockLine(lineNo: line.lineNo, itemID: item, warehouseID: warehouseID, quantity: quantity(line))
        }
    }

    // MARK: Figures

    /// The customer summary's order figures in `currency`.
    public func customerOrders(customerID: UUID, currency: String) throws -> (
        openCount: Int64, lastOrderDate: LocalDate?,
        lifetimeTotal: Int64, otherCurrency: Int64
    ) {
        let figures = try pool.read { tx in try store.customerOrders(customerID: customerID, currency: currency, in: tx)
        }
        return (figures.open, figures.last, figures.lifetime, figures.other)
    }

    /// The customer's credit figures in its currency, as the credit check counts them (the
    /// customer summary shows the same).
    public func creditPosition(_ customer: Customer) throws -> CreditPosition {
        try pool.read { tx in try creditPosition(customer, excluding: nil, in: tx) }
    }

    /// The credit figures inside `tx`; `excluding` leaves out the order being confirmed.
    public func creditPosition(_ customer: Customer, excluding orderID: UUID?, in tx: Transaction) throws
        -> CreditPosition
    {
        let figures = try store.creditFigures(
            customerID: customer.id, currency: customer.currency, excluding: orderID, openReceivables: openReceivables,
            in: tx)
        return CreditPosition(
            limit: customer.creditLimit, openReceivables: figures.receivables, openOrders: figures.orders)
    }

    /// Customers using at least `percent` of their credit limit by the same figures, among
    /// `ids` or every customer with a limit (the alert scheduler's tick), in id order.
    public func creditUsage(atLeast percent: Int, ids: [UUID]?, in tx: Transaction) throws -> [CreditUsage] {
        try store.creditUsage(atLeast: percent, ids: ids, openReceivables: openReceivables, in: tx)
    }
}
