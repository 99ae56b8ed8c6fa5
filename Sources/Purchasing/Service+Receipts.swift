import Core
import FoundationEssentials
import Inventory
import Platform
import Postgres

extension PurchasingService {
    /// Sends a draft to the supplier: `draft` → `ordered`. It needs at least one line, and its
    /// supplier must still be active. From now on its open quantities are `incoming` stock.
    func placeOrder(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Gated<PurchaseOrder>
    {
        try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else {
                throw AppError.notFound("purchase order")
            }
            try ifMatch(order.version)
            try DocumentRules.checkTransition(order.number, from: order.status, to: .ordered, allowed: [.draft])
            try checkOrderable(order, in: tx)
            let subject = ApprovalSubject(
                document: .purchaseOrder, id: order.id, number: order.number, currency: order.currency,
                subtotal: order.subtotal, total: order.total,
                lines: order.lines.map {
                    ApprovalSubject.Line(
                        itemID: $0.itemId, quantity: $0.quantity, discountPercent: .zero, lineTotal: $0.lineTotal)
                })
            if let hold = try approvalGate.consult(subject, actor: actor, in: tx) {
                // Nothing is ordered yet: the order waits, frozen, for the decision.
                order.status = .pendingApproval
                try store.updateOrder(order, in: tx)
                return Gated(try store.order(.id(order.id), in: tx)!, approval: hold)
            }
            return Gated(try markOrdered(order, actor: actor, in: tx))
        }
    }

    /// Orders a purchase order its approval let through, inside the approval's transaction,
    /// with every usual check. Returns the order as the API shows it.
    public func orderApproved(id: UUID, actor: Principal, in tx: Transaction) throws -> JSONValue {
        guard let order = try store.order(.id(id), lock: true, in: tx) else {
            throw AppError.notFound("purchase order")
        }
        try DocumentRules.checkTransition(order.number, from: order.status, to: .ordered, allowed: [.pendingApproval])
        try checkOrderable(order, in: tx)
        return try JSONValueEncoder().encode(try markOrdered(order, actor: actor, in: tx))
    }

    /// Back to `draft` after its approval was rejected or withdrawn, inside that transaction.
    public func returnToDraft(id: UUID, in tx: Transaction) throws {
        guard var order = try store.order(.id(id), lock: true, in: tx) else {
            throw AppError.notFound("purchase order")
        }
        try DocumentRules.checkTransition(order.number, from: order.status, to: .draft, allowed: [.pendingApproval])
        order.status = .draft
        try store.updateOrder(order, in: tx)
    }

    /// A 409 `invalid_transition` for an order waiting for its approval: it is frozen until
    /// the decision.
    static func checkNotPending(_ order: PurchaseOrder) throws {
        if order.status == .pendingApproval {
            throw AppError.invalidTransition(
                "\(order.number) is pending_approval and changes only after the decision (approve, reject or withdraw it)",
                from: order.status, to: nil)
        }
    }

    private func checkOrderable(_ order: PurchaseOrder, in tx: Transaction) throws {
        guard !order.lines.isEmpty else {
            throw AppError.validation([FieldError(field: "lines", message: "must have at least one line to order")])
        }
        _ = try orderSupplier(order.supplierId, in: tx)
    }

    private func markOrdered(_ order: PurchaseOrder, actor: Principal, in tx: Transaction) throws -> PurchaseOrder {
        var order = order
        // GET /stock lists stock rows: give new items one, so `incoming` shows at once.
        try inventory.track(itemIDs: order.lines.map(\.itemId), warehouseID: order.warehouseId, in: tx)
        order.status = .ordered
        order.orderedAt = Date()
        try store.updateOrder(order, in: tx)
        return try events.recorded(
            "purchase_order.ordered", try store.order(.id(order.id), in: tx)!, actor: actor, in: tx)
    }

    /// Cancels a draft, or an ordered order nothing has been received on yet.
    func cancel(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal?) throws -> PurchaseOrder {
        try transition(
            key, from: [.draft, .ordered], to: .cancelled, event: "purchase_order.cancelled", ifMatch: ifMatch,
            actor: actor
        ) { order, _ in
            order.cancelledAt = Date()
        }
    }

    private func transition(
        _ key: DocumentKey, from allowed: Set<PurchaseOrder.Status>, to target: PurchaseOrder.Status, event: String,
        ifMatch: (Int) throws -> Void, actor: Principal?,
        change: (inout PurchaseOrder, Transaction) throws -> Void
    ) throws -> PurchaseOrder {
        try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else {
                throw AppError.notFound("purchase order")
            }
            try ifMatch(order.version)
            try DocumentRules.checkTransition(order.number, from: order.status, to: target, allowed: allowed)
            order.status = target
            try change(&order, tx)
            try store.updateOrder(order, in: tx)
            return try events.recorded(event, try store.order(.id(order.id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// Receives some or all of what is still open on the given lines: stock comes into the
    /// order's warehouse at each line's unit cost through Inventory (a `receipt` movement, and the
    /// item's moving average cost is recomputed), the receipt is recorded, and the order becomes
    /// `partially_received` or `received`.
    ///
    /// More than ordered minus received on any line is a 409 `over_receipt` naming every such
    /// line; an order that is not `ordered` or `partially_received` is a 409 `invalid_transition`.
    /// The order row is locked first, so concurrent receipts on one line apply one after the
    /// other and the second is judged against what the first received.
    func receive(_ key: DocumentKey, _ request: ReceiptRequest, ifMatch: (Int) throws -> Void, actor: Principal?) throws
        -> ReceiptResult
    {
        var errors = LineQuantity.problems(request.lines)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else {
                throw AppError.notFound("purchase order")
            }
            try ifMatch(order.version)
            guard order.status == .ordered || order.status == .partiallyReceived else {
                throw AppError.invalidTransition(
                    "\(order.number) is \(order.status.rawValue); only ordered purchase orders are received",
                    from: order.status, to: .received)
            }
            var over: [JSONValue] = []
            var receiving: [GoodsReceipt.Line] = []
            for (index, requested) in request.lines.enumerated() {
                guard let line = order.lines.first(where: { $0.lineNo == requested.lineNo }) else {
                    errors.append(
                        FieldError(field: "lines[\(index)].line_no", message: "names no line of \(order.number)"))
                    continue
                }
                let open = try line.quantity - line.receivedQuantity
                if requested.quantity > open {
                    over.append(
                        .object(
                            JSONObject([
                                ("line_no", .number(String(line.lineNo))),
                                ("ordered", .number(line.quantity.description)),
                                ("received", .number(line.receivedQuantity.description)),
                                ("requested", .number(requested.quantity.description)),
                            ])))
                }
                receiving.append(
                    GoodsReceipt.Line(
                        lineNo: line.lineNo, itemId: line.itemId, quantity: requested.quantity, unitCost: line.unitCost)
                )
            }
            if !errors.isEmpty { throw AppError.validation(errors) }
            if !over.isEmpty {
                throw AppError(
                    .overReceipt, "a receipt may not exceed what was ordered and not yet received",
                    extra: JSONObject([("lines", .array(over))]))
            }
            receiving.sort { $0.lineNo < $1.lineNo }
            try inventory.receive(
                lines: receiving.map {
                    ReceiptLine(
                        lineNo: $0.lineNo, itemID: $0.itemId, warehouseID: order.warehouseId, quantity: $0.quantity,
                        unitCost: $0.unitCost)
                }, reference: Self.reference(order), actor: actor, in: tx)
            for line in receiving {
                try store.addReceived(orderID: order.id, lineNo: line.lineNo, quantity: line.quantity, in: tx)
            }
            let receipt = try store.insertReceipt(orderID: order.id, lines: receiving, by: actor?.userID, in: tx)
            order.lines = try store.order(.id(order.id), in: tx)!.lines
            if order.lines.allSatisfy({ $0.receivedQuantity == $0.quantity }) {
                order.status = .received
                order.receivedAt = Date()
            } else {
                order.status = .partiallyReceived
            }
            try store.updateOrder(order, in: tx)
            let result = ReceiptResult(receipt: receipt, purchaseOrder: try store.order(.id(order.id), in: tx)!)
            try events.append(
                "purchase_order.received", resourceType: "purchase_order", resourceID: order.id, resource: result,
                actor: actor, in: tx)
            return result
        }
    }

    func receipts(_ key: DocumentKey) throws -> [GoodsReceipt] {
        try pool.read { tx in
            guard let order = try store.order(key, in: tx) else { throw AppError.notFound("purchase order") }
            return try store.receipts(orderID: order.id, in: tx)
        }
    }
}
