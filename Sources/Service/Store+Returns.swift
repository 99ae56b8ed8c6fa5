import Core
import FoundationEssentials
import Platform
import Postgres

/// SQL of customer returns and their lines.
struct ReturnStore: Sendable {
    /// A return follows its customer's owner.
    static let visible = RecordScope.Rule.customer("customer_id")

    static let columns: SQL = """
        id, number, sales_order_id, customer_id, case_id, warehouse_id, restock, reason, currency, revenue, cost,
        credited_amount, created_by, created_at, updated_at, version
        """

    /// The header; `revenue`, `cost` and `credited_amount` are set once the lines are in.
    func insert(
        orderID: UUID, customerID: UUID, caseID: UUID?, warehouseID: UUID?, restock: Bool, reason: String,
        currency: String, createdBy: UUID?, in tx: Transaction
    ) throws -> (id: UUID, number: String, createdAt: Date) {
        let row = try tx.first(
            """
            INSERT INTO returns (sales_order_id, customer_id, case_id, warehouse_id, restock, reason, currency, revenue, cost,
                                 created_by)
            VALUES (\(orderID), \(customerID), \(caseID), \(warehouseID), \(restock), \(reason), \(currency), 0, 0, \(createdBy))
            RETURNING id, number, created_at
            """)!
        return (try row.decode("id"), try row.decode("number"), try row.decode("created_at"))
    }

    struct LineRow {
        let lineNo: Int
        let orderLineNo: Int
        let itemID: UUID?
        let quantity: ExactDecimal
        let unitCost: Int64
        let cost: Int64
        let revenue: Int64
        let credited: ExactDecimal
        let uninvoiced: ExactDecimal
        let invoiceID: UUID?
        var creditNoteID: UUID?
        var movementID: UUID?
    }

    func insertLines(
        returnID: UUID, orderID: UUID, currency: String, returnedAt: Date, _ lines: [LineRow], in tx: Transaction
    ) throws {
        for line in lines {
            try tx.execute(
                """
                INSERT INTO return_lines (return_id, line_no, sales_order_id, sales_order_line_no, item_id, currency, returned_at,
                                          quantity, unit_cost, cost, revenue, credited_quantity, uninvoiced_quantity, invoice_id,
                                          credit_note_id, movement_id)
                VALUES (\(returnID), \(line.lineNo), \(orderID), \(line.orderLineNo), \(line.itemID), \(currency), \(returnedAt),
                        \(line.quantity), \(line.unitCost), \(line.cost), \(line.revenue), \(line.credited), \(line.uninvoiced),
                        \(line.invoiceID), \(line.creditNoteID), \(line.movementID))
                """)
        }
        try tx.execute(
            """
            UPDATE returns SET revenue = (SELECT coalesce(sum(revenue), 0) FROM return_lines WHERE return_id = \(returnID)),
                cost = (SELECT coalesce(sum(cost), 0) FROM return_lines WHERE return_id = \(returnID)),
                credited_amount = coalesce((SELECT sum(n.amount) FROM credit_notes n
                                            WHERE n.id IN (SELECT credit_note_id FROM return_lines WHERE return_id = \(returnID))), 0)
            WHERE id = \(returnID)
            """)
    }

    /// What earlier returns of an order credited, per invoice and order line.
    func credited(orderID: UUID, in tx: Transaction) throws -> [String: ExactDecimal] {
        var result: [String: ExactDecimal] = [:]
        for row in try tx.query(
            """
            SELECT invoice_id, sales_order_line_no, sum(credited_quantity) AS quantity FROM return_lines
            WHERE sales_order_id = \(orderID) AND invoice_id IS NOT NULL GROUP BY invoice_id, sales_order_line_no
            """
        ).rows {
            let invoice: UUID = try row.decode("invoice_id")
            let line: Int = try row.decode("sales_order_line_no")
            result[Self.creditKey(invoice, line)] = try row.decode("quantity")
        }
        return result
    }

    static func creditKey(_ invoice: UUID, _ line: Int) -> String { "\(invoice.uuidString)#\(line)" }

    func customerReturn(_ key: DocumentKey, in tx: Transaction) throws -> CustomerReturn? {
        let condition = key.condition(visible: Self.visible)
        guard let row = try tx.first("SELECT \(Self.columns) FROM returns WHERE \(condition)") else { return nil }
        return try complete([row], in: tx).first
    }

    func list(_ filter: ReturnFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [CustomerReturn]
    {
        var conditions: [SQL] = []
        if let customer = filter.customerId { conditions.append("customer_id = \(customer)") }
        if let order = filter.salesOrderId { conditions.append("sales_order_id = \(order)") }
        if let from = filter.from { conditions.append("created_at >= \(from)::date") }
        if let to = filter.to { conditions.append("created_at < \(to)::date + 1") }
        let page = Keyset.createdAt.clause(
            conditions, visible: Self.visible, after: after, descending: filter.descending, limit: limit)
        return try complete(try tx.query("SELECT \(Self.columns) FROM returns \(page)").rows, in: tx)
    }

    private func complete(_ rows: [Row], in tx: Transaction) throws -> [CustomerReturn] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [CustomerReturn.Line]] = [:]
        for row in try tx.query(
            """
            SELECT return_id, line_no, sales_order_line_no, item_id, quantity, unit_cost, cost, revenue, credited_quantity,
                   uninvoiced_quantity, invoice_id, credit_note_id, movement_id
            FROM return_lines WHERE return_id = ANY(\(ids)::uuid[]) ORDER BY return_id, line_no
            """
        ).rows {
            lines[try row.decode("return_id"), default: []].append(
                CustomerReturn.Line(
                    lineNo: try row.decode("line_no"), salesOrderLineNo: try row.decode("sales_order_line_no"),
                    itemId: try row.decodeIfPresent("item_id"), quantity: try row.decode("quantity"),
                    unitCost: try row.decode("unit_cost"), cost: try row.decode("cost"),
                    revenue: try row.decode("revenue"), creditedQuantity: try row.decode("credited_quantity"),
                    uninvoicedQuantity: try row.decode("uninvoiced_quantity"),
                    invoiceId: try row.decodeIfPresent("invoice_id"),
                    creditNoteId: try row.decodeIfPresent("credit_note_id"),
                    movementId: try row.decodeIfPresent("movement_id")))
        }
        var movements: [UUID: [CustomerReturn.Movement]] = [:]
        for row in try tx.query(
            """
            SELECT l.return_id, m.id, m.item_id, m.warehouse_id, m.quantity, m.kind, m.unit_cost
            FROM return_lines l JOIN stock_movements m ON m.id = l.movement_id
            WHERE l.return_id = ANY(\(ids)::uuid[]) ORDER BY l.return_id, l.line_no
            """
        ).rows {
            movements[try row.decode("return_id"), default: []].append(
                CustomerReturn.Movement(
                    id: try row.decode("id"), itemId: try row.decode("item_id"),
                    warehouseId: try row.decode("warehouse_id"), quantity: try row.decode("quantity"),
                    kind: try row.decode("kind"), unitCost: try row.decodeIfPresent("unit_cost")))
        }
        var notes: [UUID: [CustomerReturn.CreditNoteReference]] = [:]
        for row in try tx.query(
            """
            SELECT DISTINCT l.return_id, n.id, n.number, n.invoice_id, n.amount, n.unapplied_amount
            FROM return_lines l JOIN credit_notes n ON n.id = l.credit_note_id
            WHERE l.return_id = ANY(\(ids)::uuid[]) ORDER BY l.return_id, n.number
            """
        ).rows {
            notes[try row.decode("return_id"), default: []].append(
                CustomerReturn.CreditNoteReference(
                    id: try row.decode("id"), number: try row.decode("number"), invoiceId: try row.decode("invoice_id"),
                    amount: try row.decode("amount"), unappliedAmount: try row.decode("unapplied_amount")))
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            return CustomerReturn(
                id: id, number: try row.decode("number"), salesOrderId: try row.decode("sales_order_id"),
                customerId: try row.decode("customer_id"), caseId: try row.decodeIfPresent("case_id"),
                warehouseId: try row.decodeIfPresent("warehouse_id"), restock: try row.decode("restock"),
                reason: try row.decode("reason"), currency: try row.decode("currency"),
                revenue: try row.decode("revenue"), cost: try row.decode("cost"),
                creditedAmount: try row.decode("credited_amount"), lines: lines[id] ?? [],
                movements: movements[id] ?? [], creditNotes: notes[id] ?? [],
                createdBy: try row.decodeIfPresent("created_by"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    /// Customer merges move cases and returns to the survivor.
    func move(table: String, from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        precondition(["service_cases", "returns"].contains(table))
        return try tx.execute(
            """
            UPDATE \(unsafeRaw: table) SET customer_id = \(survivor), updated_at = now(), version = version + 1
            WHERE customer_id = \(duplicate)
            """)
    }
}
