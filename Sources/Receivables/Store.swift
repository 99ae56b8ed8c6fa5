import Core
import FoundationEssentials
import Platform
import Postgres

/// The filters of `GET /invoices`.
struct InvoiceFilter {
    var status: Invoice.Status?
    var customerId: UUID?
    var salesOrderId: UUID?
    var overdue: Bool?
    var q: String?
    var descending = false
}

/// SQL of invoices, payments, allocations and credit notes.
struct ReceivablesStore: Sendable {
    /// Invoices, payments and credit notes follow their customer's owner (RecordScope).
    static let visible = RecordScope.Rule.customer("customer_id")

    static let invoiceColumns: SQL = """
        id, number, customer_id, sales_order_id, status, issue_date, due_date, currency, subtotal, tax_total, total, amount_paid,
        amount_credited, notes, created_at, updated_at, version,
        (status IN ('issued', 'partially_paid') AND due_date < (now() AT TIME ZONE 'UTC')::date) AS overdue
        """

    // MARK: Invoices

    func insertInvoice(_ invoice: Invoice, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO invoices (customer_id, sales_order_id, status, currency, subtotal, tax_total, total, notes)
            VALUES (\(invoice.customerId), \(invoice.salesOrderId), \(invoice.status.rawValue), \(invoice.currency), \(invoice.subtotal),
                    \(invoice.taxTotal), \(invoice.total), \(invoice.notes))
            RETURNING id
            """)!.decode("id")
    }

    func replaceLines(invoiceID: UUID, _ lines: [InvoiceLine], in tx: Transaction) throws {
        try tx.execute("DELETE FROM invoice_lines WHERE invoice_id = \(invoiceID)")
        for line in lines {
            try tx.execute(
                """
                INSERT INTO invoice_lines (invoice_id, line_no, item_id, description, quantity, unit_price, discount_percent, tax_rate,
                                           line_total, tax_amount, sales_order_line_no)
                VALUES (\(invoiceID), \(line.lineNo), \(line.itemId), \(line.description), \(line.quantity), \(line.unitPrice),
                        \(line.discountPercent), \(line.taxRate), \(line.lineTotal), \(line.taxAmount), \(line.salesOrderLineNo))
                """)
        }
    }

    func updateDraft(_ invoice: Invoice, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE invoices SET customer_id = \(invoice.customerId), currency = \(invoice.currency), subtotal = \(invoice.subtotal),
                tax_total = \(invoice.taxTotal), total = \(invoice.total), notes = \(invoice.notes), updated_at = now(), version = version + 1
            WHERE id = \(invoice.id)
            """)
    }

    /// Issues a draft: the next number, the dates.
    func issue(id: UUID, issueDate: LocalDate, dueDate: LocalDate, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE invoices SET status = 'issued', number = document_number('INV', nextval('invoice_number_seq')),
                issue_date = \(issueDate), due_date = \(dueDate), updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
    }

    func void(id: UUID, in tx: Transaction) throws {
        try tx.execute(
            "UPDATE invoices SET status = 'void', voided_at = now(), updated_at = now(), version = version + 1 WHERE id = \(id)"
        )
    }

    /// Adds to what was paid or credited and sets the status the new balance implies.
    func settle(invoiceID: UUID, paid: Int64, credited: Int64, in tx: Transaction) throws -> Invoice.Status {
        let row = try tx.first(
            """
            UPDATE invoices SET amount_paid = amount_paid + \(paid), amount_credited = amount_credited + \(credited),
                status = CASE WHEN amount_paid + \(paid) + amount_credited + \(credited) >= total THEN 'paid' ELSE
                              CASE WHEN amount_paid + \(paid) > 0 THEN 'partially_paid' ELSE 'issued' END END,
                updated_at = now(), version = version + 1
            WHERE id = \(invoiceID)
            RETURNING status
            """)!
        return try row.decodeEnum("status")
    }

    func invoice(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> Invoice? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let condition = key.condition(visible: Self.visible)
        guard let row = try tx.first("SELECT \(Self.invoiceColumns) FROM invoices WHERE \(condition)\(locking)") else {
            return nil
        }
        return try complete([row], in: tx).first
    }

    /// Locks invoices in id order (every writer does, so payments never deadlock) and returns them.
    func lockInvoices(_ ids: [UUID], in tx: Transaction) throws -> [Invoice] {
        let rows = try tx.query(
            """
            SELECT \(Self.invoiceColumns) FROM invoices
            WHERE id = ANY(\(ids)::uuid[]) AND \(RecordScope.current.filter(Self.visible)) ORDER BY id FOR UPDATE
            """
        ).rows
        return try complete(rows, in: tx)
    }

    /// A customer's open invoices in `currency`, locked in id order, returned oldest due first
    /// (due date, then issue date, then number: API.md's allocation order).
    func lockOpenInvoices(customerID: UUID, currency: String, in tx: Transaction) throws -> [Invoice] {
        let rows = try tx.query(
            """
            SELECT \(Self.invoiceColumns) FROM invoices
            WHERE customer_id = \(customerID) AND currency = \(currency) AND status IN ('issued', 'partially_paid')
            ORDER BY id FOR UPDATE
            """
        ).rows
        return try complete(rows, in: tx).sorted {
            ($0.dueDate!, $0.issueDate!, $0.number ?? "") < ($1.dueDate!, $1.issueDate!, $1.number ?? "")
        }
    }

    func listInvoices(_ filter: InvoiceFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [Invoice]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let customer = filter.customerId { conditions.append("customer_id = \(customer)") }
        if let order = filter.salesOrderId { conditions.append("sales_order_id = \(order)") }
        if filter.overdue == true {
            conditions.append("status IN ('issued', 'partially_paid') AND due_date < (now() AT TIME ZONE 'UTC')::date")
        }
        if filter.overdue == false {
            conditions.append(
                "NOT (status IN ('issued', 'partially_paid') AND due_date < (now() AT TIME ZONE 'UTC')::date)")
        }
        if let q = filter.q { conditions.append("number LIKE \(SQL.likeContaining(q.uppercased()))") }
        return try complete(
            try Self.page(
                table: "invoices", columns: Self.invoiceColumns, conditions: conditions, descending: filter.descending,
                after: after, limit: limit, in: tx), in: tx)
    }

    private func complete(_ rows: [Row], in tx: Transaction) throws -> [Invoice] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [InvoiceLine]] = [:]
        for row in try tx.query(
            """
            SELECT l.invoice_id, l.line_no, l.item_id, l.description, l.quantity, l.unit_price, l.discount_percent, l.tax_rate,
                   l.line_total, l.tax_amount, l.sales_order_line_no, shipped.cost AS shipped_cost, shipped.quantity AS shipped_quantity
            FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id
            LEFT JOIN LATERAL (
                SELECT sum(s.cost)::bigint AS cost, sum(s.quantity) AS quantity FROM shipment_lines s
                WHERE s.sales_order_id = i.sales_order_id AND s.line_no = l.sales_order_line_no
            ) shipped ON l.sales_order_line_no IS NOT NULL
            WHERE l.invoice_id = ANY(\(ids)::uuid[]) ORDER BY l.invoice_id, l.line_no
            """
        ).rows {
            var line = InvoiceLine(
                lineNo: try row.decode("line_no"), itemId: try row.decodeIfPresent("item_id"),
                description: try row.decode("description"),
                quantity: try row.decode("quantity"), unitPrice: try row.decode("unit_price"),
                discountPercent: try row.decode("discount_percent"), taxRate: try row.decode("tax_rate"),
                lineTotal: try row.decode("line_total"), taxAmount: try row.decode("tax_amount"),
                salesOrderLineNo: try row.decodeIfPresent("sales_order_line_no"))
            if let cost: Int64 = try row.decodeIfPresent("shipped_cost"),
                let shipped: ExactDecimal = try row.decodeIfPresent("shipped_quantity"), shipped > .zero
            {
                let billed = Int64(
                    clamping: ExactDecimal.roundedHalfEven(
                        Int128(line.quantity.thousandths) * Int128(cost), dividedBy: Int128(shipped.thousandths)))
                line.cost = billed
                line.margin = line.lineTotal - billed
            }
            lines[try row.decode("invoice_id"), default: []].append(line)
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            let total: Int64 = try row.decode("total"), paid: Int64 = try row.decode("amount_paid"),
                credited: Int64 = try row.decode("amount_credited")
            let status = try row.decodeEnum("status", as: Invoice.Status.self)
            return Invoice(
                id: id, number: try row.decodeIfPresent("number"), customerId: try row.decode("customer_id"),
                salesOrderId: try row.decodeIfPresent("sales_order_id"), status: status,
                issueDate: try row.decodeIfPresent("issue_date"),
                dueDate: try row.decodeIfPresent("due_date"), currency: try row.decode("currency"),
                lines: lines[id] ?? [],
                subtotal: try row.decode("subtotal"), taxTotal: try row.decode("tax_total"), total: total,
                amountPaid: paid,
                amountCredited: credited,
                balanceDue: status.isOpen ? total - paid - credited : (status == .draft ? total : 0),
                overdue: try row.decode("overdue"), notes: try row.decodeIfPresent("notes"),
                createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    // MARK: Payments

    func insertPayment(
        customerID: UUID, amount: Int64, currency: String, receivedOn: LocalDate, method: Payment.Method,
        reference: String?, in tx: Transaction
    ) throws -> UUID {
        try tx.first(
            """
            INSERT INTO payments (customer_id, amount, currency, received_on, method, reference, unapplied_amount)
            VALUES (\(customerID), \(amount), \(currency), \(receivedOn), \(method.rawValue), \(reference), \(amount))
            RETURNING id
            """)!.decode("id")
    }

    func allocate(paymentID: UUID, invoiceID: UUID, amount: Int64, in tx: Transaction) throws {
        try tx.execute(
            """
            INSERT INTO payment_allocations (payment_id, invoice_id, amount) VALUES (\(paymentID), \(invoiceID), \(amount))
            ON CONFLICT (payment_id, invoice_id) DO UPDATE SET amount = payment_allocations.amount + EXCLUDED.amount
            """)
        try tx.execute(
            """
            UPDATE payments SET unapplied_amount = unapplied_amount - \(amount), updated_at = now(), version = version + 1
            WHERE id = \(paymentID)
            """)
    }

    static let paymentColumns: SQL = """
        id, number, customer_id, amount, currency, received_on, method, reference, unapplied_amount, created_at, updated_at, version
        """

    func payment(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> Payment? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let condition = key.condition(visible: Self.visible)
        guard let row = try tx.first("SELECT \(Self.paymentColumns) FROM payments WHERE \(condition)\(locking)") else {
            return nil
        }
        return try completePayments([row], in: tx).first
    }

    func listPayments(
        customerID: UUID?, unapplied: Bool?, descending: Bool, after: (key: String, id: UUID)?, limit: Int,
        in tx: Transaction
    ) throws -> [Payment] {
        var conditions: [SQL] = []
        if let customerID { conditions.append("customer_id = \(customerID)") }
        if unapplied == true { conditions.append("unapplied_amount > 0") }
        if unapplied == false { conditions.append("unapplied_amount = 0") }
        return try completePayments(
            try Self.page(
                table: "payments", columns: Self.paymentColumns, conditions: conditions,
                descending: descending, after: after, limit: limit, in: tx), in: tx)
    }

    private func completePayments(_ rows: [Row], in tx: Transaction) throws -> [Payment] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var allocations: [UUID: [Payment.Allocation]] = [:]
        for row in try tx.query(
            """
            SELECT payment_id, invoice_id, amount FROM payment_allocations WHERE payment_id = ANY(\(ids)::uuid[])
            ORDER BY payment_id, created_at, invoice_id
            """
        ).rows {
            allocations[try row.decode("payment_id"), default: []].append(
                Payment.Allocation(invoiceId: try row.decode("invoice_id"), amount: try row.decode("amount")))
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            let method = try row.decodeEnum("method", as: Payment.Method.self)
            return Payment(
                id: id, number: try row.decode("number"), customerId: try row.decode("customer_id"),
                amount: try row.decode("amount"),
                currency: try row.decode("currency"), receivedOn: try row.decode("received_on"), method: method,
                reference: try row.decodeIfPresent("reference"), allocations: allocations[id] ?? [],
                unappliedAmount: try row.decode("unapplied_amount"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    /// Per order line, what each issued invoice of the order billed, oldest invoice first.
    func billings(orderID: UUID, in tx: Transaction) throws -> [(invoice: UUID, lineNo: Int, quantity: ExactDecimal)] {
        try tx.query(
            """
            SELECT i.id, l.sales_order_line_no, sum(l.quantity) AS quantity
            FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id
            WHERE i.sales_order_id = \(orderID) AND i.status IN ('issued', 'partially_paid', 'paid')
                  AND l.sales_order_line_no IS NOT NULL
            GROUP BY i.id, l.sales_order_line_no ORDER BY min(i.issue_date), min(i.number), i.id, l.sales_order_line_no
            """
        ).rows.map { row in
            (try row.decode("id"), try row.decode("sales_order_line_no"), try row.decode("quantity"))
        }
    }

    // MARK: Credit notes

    static let creditNoteColumns: SQL =
        "id, number, invoice_id, customer_id, amount, unapplied_amount, currency, issue_date, reason, lines, created_at"

    func insertCreditNote(
        invoice: Invoice, amount: Int64, unapplied: Int64 = 0, issueDate: LocalDate, reason: String, lines: JSONValue?,
        in tx: Transaction
    ) throws -> CreditNote {
        try Self.creditNote(
            tx.first(
                """
                INSERT INTO credit_notes (invoice_id, customer_id, amount, unapplied_amount, currency, issue_date, reason, lines)
                VALUES (\(invoice.id), \(invoice.customerId), \(amount), \(unapplied), \(invoice.currency), \(issueDate), \(reason),
                        \(lines))
                RETURNING \(Self.creditNoteColumns)
                """)!)
    }

    func creditNote(_ key: DocumentKey, in tx: Transaction) throws -> CreditNote? {
        let condition = key.condition(visible: Self.visible)
        return try tx.first("SELECT \(Self.creditNoteColumns) FROM credit_notes WHERE \(condition)").map(
            Self.creditNote)
    }

    func listCreditNotes(
        customerID: UUID?, invoiceID: UUID?, descending: Bool, after: (key: String, id: UUID)?, limit: Int,
        in tx: Transaction
    ) throws -> [CreditNote] {
        var conditions: [SQL] = []
        if let customerID { conditions.append("customer_id = \(customerID)") }
        if let invoiceID { conditions.append("invoice_id = \(invoiceID)") }
        return try Self.page(
            table: "credit_notes", columns: Self.creditNoteColumns, conditions: conditions, descending: descending,
            after: after, limit: limit, in: tx
        ).map(Self.creditNote)
    }

    static func creditNote(_ row: Row) throws -> CreditNote {
        var lenient = JSONValueDecoder()
        lenient.reportsUnknownFields = false
        let lines: JSONValue? = try row.decodeIfPresent("lines")
        return CreditNote(
            id: try row.decode("id"), number: try row.decode("number"), invoiceId: try row.decode("invoice_id"),
            customerId: try row.decode("customer_id"), amount: try row.decode("amount"),
            unappliedAmount: try row.decode("unapplied_amount"), currency: try row.decode("currency"),
            issueDate: try row.decode("issue_date"), reason: try row.decode("reason"),
            lines: try lines.map { try lenient.decode([CreditNoteLine].self, from: $0) },
            createdAt: try row.decode("created_at"))
    }

    // MARK: Statements and aging

    /// Every dated entry of a customer's account in `currency`, oldest first: issued invoices
    /// (+ total), payments (− amount), credit notes (− amount). Void and draft invoices are not
    /// on the account.
    func accountEntries(customerID: UUID, currency: String, in tx: Transaction) throws -> [(
        date: LocalDate, type: String, id: UUID, number: String, amount: Int64
    )] {
        try tx.query(
            """
            SELECT date, type, id, number, amount FROM (
                SELECT issue_date AS date, 'invoice' AS type, id, number, total AS amount, 1 AS rank FROM invoices
                WHERE customer_id = \(customerID) AND currency = \(currency) AND status IN ('issued', 'partially_paid', 'paid')
                UNION ALL
                SELECT received_on, 'payment', id, number, -amount, 2 FROM payments WHERE customer_id = \(customerID) AND currency = \(currency)
                UNION ALL
                SELECT issue_date, 'credit_note', id, number, -amount, 3 FROM credit_notes WHERE customer_id = \(customerID) AND currency = \(currency)
            ) entries
            ORDER BY date, rank, number
            """
        ).rows.map { row in
            (
                try row.decode("date"), try row.decode("type"), try row.decode("id"), try row.decode("number"),
                try row.decode("amount")
            )
        }
    }

    /// Open invoices with their balance at the end of `asOf`: issued by then, less payments
    /// received and credit notes dated by then.
    func balancesAsOf(_ asOf: LocalDate, currency: String, customerID: UUID?, in tx: Transaction) throws -> [(
        customer: UUID, due: LocalDate, balance: Int64
    )] {
        var customerFilter: SQL = customerID.map { " AND i.customer_id = \($0)" } ?? ""
        if let scoped = RecordScope.current.condition(.customer("i.customer_id")) {
            customerFilter.append(" AND " + scoped)
        }
        return try tx.query(
            """
            SELECT i.customer_id, i.due_date,
                   i.total
                   - coalesce((SELECT sum(a.amount) FROM payment_allocations a JOIN payments p ON p.id = a.payment_id
                               WHERE a.invoice_id = i.id AND p.received_on <= \(asOf)), 0)
                   - coalesce((SELECT sum(c.amount - c.unapplied_amount) FROM credit_notes c WHERE c.invoice_id = i.id AND c.issue_date <= \(asOf)), 0)
                   AS balance
            FROM invoices i
            WHERE i.currency = \(currency) AND i.status IN ('issued', 'partially_paid', 'paid') AND i.issue_date <= \(asOf)\(customerFilter)
            """
        ).rows.compactMap { row in
            let balance: Int64 = try row.decode("balance")
            return balance > 0 ? (try row.decode("customer_id"), try row.decode("due_date"), balance) : nil
        }
    }

    /// What customers owe, as rows `customer_id`, `currency`, `amount`: issued and partly
    /// paid invoices' balances, less unapplied payments and credit notes (the credit check's
    /// "open receivables", summed per customer and currency).
    static let openReceivables: SQL = """
        SELECT customer_id, currency, \(openBalance) AS amount FROM invoices WHERE \(isOpen)
        UNION ALL SELECT customer_id, currency, -unapplied_amount FROM payments
        UNION ALL SELECT customer_id, currency, -unapplied_amount FROM credit_notes
        """

    /// An invoice that is owed, and what of it is still open: the customer's open balance,
    /// here and in `openReceivables`.
    static let isOpen: SQL = "status IN ('issued', 'partially_paid')"
    static let openBalance: SQL = "total - amount_paid - amount_credited"

    func unappliedCredit(customerID: UUID, currency: String, in tx: Transaction) throws -> Int64 {
        try tx.first(
            """
            SELECT (coalesce((SELECT sum(unapplied_amount) FROM payments
                              WHERE customer_id = \(customerID) AND currency = \(currency)), 0)
                    + coalesce((SELECT sum(unapplied_amount) FROM credit_notes
                                WHERE customer_id = \(customerID) AND currency = \(currency)), 0))::bigint AS credit
            """)!.decode("credit")
    }

    func openBalance(customerID: UUID, currency: String, in tx: Transaction) throws -> (
        open: Int64, overdue: Int64, other: Int64
    ) {
        let row = try tx.first(
            """
            SELECT coalesce(sum(\(Self.openBalance)) FILTER (WHERE currency = \(currency)), 0)::bigint AS open,
                   coalesce(sum(\(Self.openBalance))
                            FILTER (WHERE currency = \(currency) AND due_date < (now() AT TIME ZONE 'UTC')::date), 0)::bigint AS overdue,
                   count(*) FILTER (WHERE currency <> \(currency)) AS other
            FROM invoices WHERE customer_id = \(customerID) AND \(Self.isOpen)
            """)!
        return (try row.decode("open"), try row.decode("overdue"), try row.decode("other"))
    }

    // MARK: Merge

    func move(table: String, from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        precondition(["invoices", "payments", "credit_notes"].contains(table))
        let versioned = table != "credit_notes"
        return try tx.execute(
            """
            UPDATE \(unsafeRaw: table) SET customer_id = \(survivor)\(unsafeRaw: versioned ? ", updated_at = now(), version = version + 1" : "")
            WHERE customer_id = \(duplicate)
            """)
    }

    // MARK: Pages

    /// `SELECT … FROM table WHERE … ORDER BY created_at, id LIMIT n+1` after the keyset position.
    static func page(
        table: String, columns: SQL, conditions: [SQL], descending: Bool, after: (key: String, id: UUID)?, limit: Int,
        in tx: Transaction
    ) throws -> [Row] {
        let page = Keyset.createdAt.clause(
            conditions, visible: Self.visible, after: after, descending: descending, limit: limit)
        return try tx.query("SELECT \(columns) FROM \(unsafeRaw: table) \(page)").rows
    }
}
