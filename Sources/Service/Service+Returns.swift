import Catalog
import Core
import FoundationEssentials
import Inventory
import Platform
import Postgres
import Receivables
import Sales

extension AfterSalesService {
    /// `POST /sales-orders/{id}/returns`, in one transaction: each line at most shipped − already
    /// returned (409 `over_return` naming every such line); restocked stock items come back
    /// through a `return` movement at the unit cost they shipped at (a write-off moves no
    /// stock); the billed part is credited against the invoices that billed it, oldest first,
    /// one credit note per invoice; the unbilled part comes off what the order still bills.
    func createReturn(_ key: DocumentKey, _ request: ReturnRequest, actor: Principal) throws -> CustomerReturn {
        var errors = LineQuantity.problems(request.lines)
        let reason = request.reason.trimmed()
        if reason.isEmpty || reason.count > 1_000 {
            errors.append(FieldError(field: "reason", message: "must be 1 to 1000 characters"))
        }
        let restock = request.restock ?? true
        if !restock && request.warehouseId != nil {
            errors.append(FieldError(field: "warehouse_id", message: "is only for restocked returns"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            guard let order = try sales.lockForReturn(key, in: tx) else { throw AppError.notFound("sales order") }
            if let caseID = request.caseId, try store.caseCustomer(caseID, in: tx) != order.customerId {
                throw AppError.validation([
                    FieldError(field: "case_id", message: "names no case of the order's customer")
                ])
            }
            var warehouseID: UUID?
            if restock {
                warehouseID = request.warehouseId ?? order.warehouseId
                guard let id = warehouseID, try inventory.warehouse(id: id, in: tx) != nil else {
                    throw AppError.validation([FieldError(field: "warehouse_id", message: "names no warehouse")])
                }
            }
            let requested = try checkQuantities(request.lines, of: order)
            let unitCosts = try sales.shippedUnitCosts(orderID: order.id, in: tx)
            let stocked = Set(
                try catalog.items(ids: order.lines.compactMap(\.itemId), in: tx).filter(\.isStocked).map(\.id))
            let header = try returnStore.insert(
                orderID: order.id, customerID: order.customerId, caseID: request.caseId, warehouseID: warehouseID,
                restock: restock, reason: reason, currency: order.currency, createdBy: actor.userID, in: tx)
            var lines = try split(requested, of: order, unitCosts: unitCosts, in: tx)
            if restock, let warehouseID {
                let receipts = lines.compactMap { line -> ReceiptLine? in
                    guard let item = line.itemID, stocked.contains(item) else { return nil }
                    return ReceiptLine(
                        lineNo: line.lineNo, itemID: item, warehouseID: warehouseID, quantity: line.quantity,
                        unitCost: line.unitCost)
                }
                let movements = try inventory.receive(
                    lines: receipts, reference: StockReference(type: "return", id: header.id, number: header.number),
                    kind: .return, actor: actor, in: tx)
                for movement in movements {
                    if let index = lines.firstIndex(where: { $0.lineNo == movement.reference?.lineNo }) {
                        lines[index].movementID = movement.id
                    }
                }
            }
            for invoiceID in Self.uniqued(lines.compactMap(\.invoiceID)) {
                let credited = lines.filter { $0.invoiceID == invoiceID }
                let note = try receivables.creditReturn(
                    invoiceID: invoiceID,
                    lines: credited.map { line in
                        let orderLine = order.lines.first { $0.lineNo == line.orderLineNo }!
                        return ReturnCreditLine(
                            description: "\(header.number): \(orderLine.description ?? "line \(orderLine.lineNo)")",
                            quantity: line.credited, unitPrice: orderLine.unitPrice,
                            discountPercent: orderLine.discountPercent, taxRate: orderLine.taxRate)
                    },
                    reason: "Return \(header.number): \(reason)", actor: actor, in: tx)
                for index in lines.indices where lines[index].invoiceID == invoiceID {
                    lines[index].creditNoteID = note.id
                }
            }
            try returnStore.insertLines(
                returnID: header.id, orderID: order.id, currency: order.currency, returnedAt: header.createdAt, lines,
                in: tx)
            _ = try sales.recordReturn(
                orderID: order.id,
                lines: try requested.map { lineNo, quantity in
                    let uninvoiced = try lines.filter { $0.orderLineNo == lineNo }.reduce(ExactDecimal.zero) {
                        try $0 + $1.uninvoiced
                    }
                    return ReturnedLine(lineNo: lineNo, quantity: quantity, uninvoiced: uninvoiced)
                }, actor: actor, in: tx)
            let created = try returnStore.customerReturn(.id(header.id), in: tx)!
            return try events.recorded("return.created", created, actor: actor, in: tx)
        }
    }

    func customerReturn(_ key: DocumentKey) throws -> CustomerReturn {
        try pool.record("return", consistent: true) { tx in try returnStore.customerReturn(key, in: tx) }
    }

    func listReturns(_ filter: ReturnFilter, page: PageRequest) throws -> Page<CustomerReturn> {
        try pool.page(page, consistent: true) { tx in
            try returnStore.list(filter, after: page.after, limit: page.limit, in: tx)
        }
    }

    /// The requested quantities by order line, in line order; 422 for a line the order lacks,
    /// 409 `over_return` for more than shipped − returned.
    private func checkQuantities(_ requested: [LineQuantity], of order: SalesOrder) throws -> [(Int, ExactDecimal)] {
        var errors: [FieldError] = []
        var over: [JSONValue] = []
        for (index, line) in requested.enumerated() {
            guard let orderLine = order.lines.first(where: { $0.lineNo == line.lineNo }) else {
                errors.append(FieldError(field: "lines[\(index)].line_no", message: "names no line of \(order.number)"))
                continue
            }
            if line.quantity > (try orderLine.shippedQuantity - orderLine.returnedQuantity) {
                over.append(
                    .object(
                        JSONObject([
                            ("line_no", .number(String(orderLine.lineNo))),
                            ("shipped", .number(orderLine.shippedQuantity.description)),
                            ("returned", .number(orderLine.returnedQuantity.description)),
                            ("requested", .number(line.quantity.description)),
                        ])))
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        if !over.isEmpty {
            throw AppError(
                .overReturn, "a return may not exceed what shipped and was not yet returned",
                extra: JSONObject([("lines", .array(over))]))
        }
        return requested.map { ($0.lineNo, $0.quantity) }.sorted { $0.0 < $1.0 }
    }

    /// Each requested quantity split into return lines: first what the order's invoices billed
    /// and earlier returns did not credit (oldest invoice first, one line per invoice), then
    /// what was never billed; each with its cost at the shipped unit cost and its revenue at the
    /// order line's net price.
    private func split(
        _ requested: [(Int, ExactDecimal)], of order: SalesOrder, unitCosts: [Int: Int64], in tx: Transaction
    ) throws -> [ReturnStore.LineRow] {
        let billings = try receivables.billings(orderID: order.id, in: tx)
        var credited = try returnStore.credited(orderID: order.id, in: tx)
        var rows: [ReturnStore.LineRow] = []
        for (lineNo, quantity) in requested {
            let orderLine = order.lines.first { $0.lineNo == lineNo }!
            let unitCost = unitCosts[lineNo] ?? 0
            var left = quantity
            func add(_ part: ExactDecimal, invoice: UUID?) {
                let revenue =
                    LineAmounts.lineTotal(
                        quantity: part, unitPrice: orderLine.unitPrice, discountPercent: orderLine.discountPercent) ?? 0
                rows.append(
                    ReturnStore.LineRow(
                        lineNo: rows.count + 1, orderLineNo: lineNo, itemID: orderLine.itemId, quantity: part,
                        unitCost: unitCost, cost: part.multipliedRoundingHalfEven(byMinorUnits: unitCost),
                        revenue: revenue, credited: invoice == nil ? .zero : part,
                        uninvoiced: invoice == nil ? part : .zero, invoiceID: invoice))
            }
            for billing in billings where billing.salesOrderLineNo == lineNo && left > .zero {
                let key = ReturnStore.creditKey(billing.invoiceID, lineNo)
                let open = try billing.quantity - (credited[key] ?? .zero)
                guard open > .zero else { continue }
                let part = min(open, left)
                add(part, invoice: billing.invoiceID)
                credited[key] = try (credited[key] ?? .zero) + part
                left = try left - part
            }
            if left > .zero { add(left, invoice: nil) }
        }
        return rows
    }

    static func uniqued(_ ids: [UUID]) -> [UUID] {
        var seen = Set<UUID>()
        return ids.filter { seen.insert($0).inserted }
    }
}
