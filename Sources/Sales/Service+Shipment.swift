import Core
import FoundationEssentials
import Inventory
import Platform
import Postgres

extension SalesService {
    /// Ships some or all of what is left on the given lines: stock leaves the order's warehouse
    /// (on hand and reserved both fall, a `shipment` movement records it) and the order becomes
    /// `partially_shipped` or `shipped`. More than ordered minus shipped is a 409 `over_shipment`.
    func ship(_ key: DocumentKey, _ request: ShipmentRequest, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> ShipmentResult
    {
        var errors = LineQuantity.problems(request.lines)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else { throw AppError.notFound("sales order") }
            try ifMatch(order.version)
            guard order.status == .confirmed || order.status == .partiallyShipped else {
                throw AppError.invalidTransition(
                    "\(order.number) is \(order.status.rawValue); only confirmed orders ship",
                    from: order.status, to: .shipped)
            }
            var over: [JSONValue] = []
            var shipping: [Int: ExactDecimal] = [:]
            for (index, requested) in request.lines.enumerated() {
                guard let line = order.lines.first(where: { $0.lineNo == requested.lineNo }) else {
                    errors.append(
                        FieldError(field: "lines[\(index)].line_no", message: "names no line of \(order.number)"))
                    continue
                }
                let remaining = try line.quantity - line.shippedQuantity
                if requested.quantity > remaining {
                    over.append(
                        .object(
                            JSONObject([
                                ("line_no", .number(String(line.lineNo))),
                                ("ordered", .number(line.quantity.description)),
                                ("shipped", .number(line.shippedQuantity.description)),
                                ("requested", .number(requested.quantity.description)),
                            ])))
                }
                shipping[line.lineNo] = requested.quantity
            }
            if !errors.isEmpty { throw AppError.validation(errors) }
            if !over.isEmpty {
                throw AppError(
                    .overShipment, "a shipment may not exceed what was ordered and not yet shipped",
                    extra: JSONObject([("lines", .array(over))]))
            }
            let outgoing = try stockLines(
                order, warehouseID: order.warehouseId!, quantity: { shipping[$0.lineNo] ?? .zero }, in: tx)
            let movements = try inventory.ship(lines: outgoing, reference: Self.reference(order), actor: actor, in: tx)
            for (lineNo, quantity) in shipping {
                try store.addShipped(orderID: order.id, lineNo: lineNo, quantity: quantity, in: tx)
            }
            let shipment = try store.insertShipment(
                order: order, lines: try costedLines(order, shipping, movements: movements, in: tx), by: actor.userID,
                in: tx)
            let lines = try store.order(.id(order.id), in: tx)!.lines
            order.status = lines.allSatisfy({ $0.shippedQuantity == $0.quantity }) ? .shipped : .partiallyShipped
            try store.update(order, in: tx)
            let updated = try store.order(.id(order.id), in: tx)!
            let result = ShipmentResult(shipment: shipment, salesOrder: updated)
            try events.append(
                "sales_order.shipped", resourceType: "sales_order", resourceID: order.id, resource: result,
                actor: actor, in: tx)
            return result
        }
    }

    /// Each shipped line with its cost and revenue: stock lines at the unit cost their
    /// `shipment` movement took (the moving average), other lines at the item's
    /// `standard_cost`, or 0 (a service without one, a line without an item); costs and revenue
    /// rounded half-even.
    private func costedLines(
        _ order: SalesOrder, _ shipping: [Int: ExactDecimal], movements: [StockMovement], in tx: Transaction
    ) throws -> [(line: Shipment.Line, itemID: UUID?, revenue: Int64)] {
        var movedAt: [Int: Int64] = [:]
        for movement in movements {
            if let lineNo = movement.reference?.lineNo { movedAt[lineNo] = movement.unitCost ?? 0 }
        }
        let standard = Dictionary(
            uniqueKeysWithValues: try catalog.items(ids: order.lines.compactMap(\.itemId), in: tx).map {
                ($0.id, $0.standardCost ?? 0)
            })
        return shipping.keys.sorted().map { lineNo in
            let line = order.lines.first { $0.lineNo == lineNo }!
            let quantity = shipping[lineNo]!
            let unitCost = movedAt[lineNo] ?? line.itemId.flatMap { standard[$0] } ?? 0
            // Never above the line's own total, which was already checked to fit 2^53−1.
            let revenue =
                LineAmounts.lineTotal(
                    quantity: quantity, unitPrice: line.unitPrice, discountPercent: line.discountPercent) ?? 0
            return (
                Shipment.Line(
                    lineNo: lineNo, quantity: quantity, unitCost: unitCost,
                    cost: quantity.multipliedRoundingHalfEven(byMinorUnits: unitCost)),
                line.itemId, revenue
            )
        }
    }

    func shipments(_ key: DocumentKey) throws -> [Shipment] {
        try pool.transaction { tx in
            guard let order = try store.order(key, in: tx) else { throw AppError.notFound("sales order") }
            return try store.shipments(orderID: order.id, in: tx)
        }
    }

    /// Bills what shipped and is not yet invoiced (or, with basis `ordered`, what was ordered)
    /// through Receivables, then records the invoiced quantities. Nothing left is a 409
    /// `nothing_to_invoice`; until Receivables is wired, a 422.
    func invoice(_ key: DocumentKey, basis: InvoiceBasis, ifMatch: (Int) throws -> Void, actor: Principal) throws -> (
        id: UUID, invoice: JSONValue
    ) {
        guard let invoicer else {
            throw AppError(.invoicingUnavailable, "this installation cannot issue invoices from orders yet")
        }
        return try pool.transaction { tx in
            guard var order = try store.order(key, lock: true, in: tx) else { throw AppError.notFound("sales order") }
            try ifMatch(order.version)
            guard [.confirmed, .partiallyShipped, .shipped, .closed].contains(order.status) else {
                throw AppError.invalidTransition(
                    "\(order.number) is \(order.status.rawValue); only confirmed orders are invoiced",
                    from: order.status, to: nil)
            }
            let lines: [OrderInvoiceDraft.Line] = try order.lines.compactMap { line in
                let billable = basis == .ordered && order.status != .closed ? line.quantity : line.shippedQuantity
                let quantity = try line.leftToInvoice(of: billable)
                guard quantity > .zero else { return nil }
                return OrderInvoiceDraft.Line(
                    lineNo: line.lineNo, itemID: line.itemId, description: line.description ?? "Line \(line.lineNo)",
                    quantity: quantity, unitPrice: line.unitPrice, discountPercent: line.discountPercent,
                    taxRate: line.taxRate)
            }
            guard !lines.isEmpty else {
                throw AppError(
                    .nothingToInvoice,
                    basis == .shipped
                        ? "nothing on \(order.number) has shipped and not been invoiced; use basis ordered to bill ahead of shipping"
                        : "everything on \(order.number) is already invoiced")
            }
            let result = try invoicer(
                OrderInvoiceDraft(
                    salesOrderID: order.id, salesOrderNumber: order.number, customerID: order.customerId,
                    currency: order.currency, lines: lines), actor, tx)
            for line in lines {
                try store.addInvoiced(orderID: order.id, lineNo: line.lineNo, quantity: line.quantity, in: tx)
            }
            let updated = try store.order(.id(order.id), in: tx)!
            let billable = updated.lines.map { updated.status == .closed ? $0.shippedQuantity : $0.quantity }
            order.invoiceStatus =
                zip(updated.lines, billable).allSatisfy { Self.fullyInvoiced($0, of: $1) }
                ? .invoiced : .partiallyInvoiced
            order.lines = updated.lines
            try store.update(order, in: tx)
            let final = try store.order(.id(order.id), in: tx)!
            try events.append(
                "sales_order.invoiced", resourceType: "sales_order", resourceID: order.id, resource: final,
                actor: actor, in: tx)
            return result
        }
    }

    /// Gives back quantities of a voided invoice, so they can be invoiced again (Receivables
    /// calls this inside the void's transaction; Sales alone writes order tables).
    public func returnInvoiced(
        orderID: UUID, lines: [(lineNo: Int, quantity: ExactDecimal)], actor: Principal,
        in tx: Transaction
    ) throws {
        guard var order = try store.order(.id(orderID), lock: true, in: tx), !lines.isEmpty else { return }
        for line in lines {
            try store.addInvoiced(
                orderID: orderID, lineNo: line.lineNo, quantity: try ExactDecimal.zero - line.quantity, in: tx)
        }
        let updated = try store.order(.id(orderID), in: tx)!
        order.lines = updated.lines
        order.invoiceStatus =
            updated.lines.allSatisfy { $0.invoicedQuantity.isZero }
            ? .notInvoiced
            : zip(updated.lines, updated.lines.map { order.status == .closed ? $0.shippedQuantity : $0.quantity })
                .allSatisfy { Self.fullyInvoiced($0, of: $1) } ? .invoiced : .partiallyInvoiced
        try store.update(order, in: tx)
        try events.append(
            "sales_order.invoice_voided", resourceType: "sales_order", resourceID: orderID,
            resource: try store.order(.id(orderID), in: tx)!, actor: actor, in: tx)
    }

    /// `GET /reports/sales`.
    func report(groupBy: String, from: LocalDate?, to: LocalDate?) throws -> JSONValue {
        let rows = try pool.read { tx in try store.salesReport(groupBy: groupBy, from: from, to: to, in: tx) }
        let keyName = ["month": "month", "customer": "customer_id", "item": "item_id"][groupBy] ?? "month"
        let data: [JSONValue] = try rows.map { row in
            var object = JSONObject([
                (keyName, (try row.decodeIfPresent("key", as: String.self)).map(JSONValue.string) ?? .null),
                ("currency", .string(try row.decode("currency"))),
                ("order_count", .number(String(try row.decode("order_count", as: Int64.self)))),
            ])
            if groupBy == "item" {
                object.set("quantity", .number((try row.decode("quantity", as: ExactDecimal.self)).description))
            }
            object.set("subtotal", .number(String(try row.decode("subtotal", as: Int64.self))))
            object.set("tax_total", .number(String(try row.decode("tax_total", as: Int64.self))))
            object.set("total", .number(String(try row.decode("total", as: Int64.self))))
            return .object(object)
        }
        return .object(
            JSONObject([
                ("group_by", .string(groupBy)), ("from", from.map { .string($0.description) } ?? .null),
                ("to", to.map { .string($0.description) } ?? .null), ("data", .array(data)),
            ]))
    }
}

/// `POST /sales-orders/{id}/shipments`: the shipment and the order after it.
struct ShipmentResult: Encodable {
    let shipment: Shipment
    let salesOrder: SalesOrder
}
