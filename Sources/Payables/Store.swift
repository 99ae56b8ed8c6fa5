import Core
import FoundationEssentials
import Platform
import Postgres

/// The filters of `GET /supplier-bills`.
struct BillFilter {
    var status: SupplierBill.Status?
    var supplierId: UUID?
    var purchaseOrderId: UUID?
    var overdue: Bool?
    var q: String?
    var descending = false
}

/// SQL of supplier bills, their lines, supplier payments and their allocations.
struct PayablesStore: Sendable {
    static let billColumns: SQL = """
        id, number, supplier_id, purchase_order_id, supplier_reference, status, bill_date, due_date, currency, subtotal,
        tax_total, total, amount_paid, price_variance, variance_accepted_by, notes, posted_at, voided_at, created_at,
        updated_at, version,
        (status IN ('posted', 'partially_paid') AND due_date < (now() AT TIME ZONE 'UTC')::date) AS overdue
        """

    // MARK: Bills

    func insertBill(_ bill: SupplierBill, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO supplier_bills (supplier_id, purchase_order_id, supplier_reference, status, bill_date, due_date, currency,
                                        subtotal, tax_total, total, price_variance, notes)
            VALUES (\(bill.supplierId), \(bill.purchaseOrderId), \(bill.supplierReference), 'draft', \(bill.billDate),
                    \(bill.dueDate), \(bill.currency), \(bill.subtotal), \(bill.taxTotal), \(bill.total), \(bill.priceVariance),
                    \(bill.notes))
            RETURNING id
            """)!.decode("id")
    }

    func replaceLines(billID: UUID, _ lines: [SupplierBillLine], in tx: Transaction) throws {
        try tx.execute("DELETE FROM supplier_bill_lines WHERE supplier_bill_id = \(billID)")
        for line in lines {
            try tx.execute(
                """
                INSERT INTO supplier_bill_lines (supplier_bill_id, line_no, item_id, description, quantity, unit_cost, tax_rate,
                                                 line_total, tax_amount, purchase_order_line_no, purchase_order_unit_cost)
                VALUES (\(billID), \(line.lineNo), \(line.itemId), \(line.description), \(line.quantity), \(line.unitCost),
                        \(line.taxRate), \(line.lineTotal), \(line.taxAmount), \(line.purchaseOrderLineNo),
                        \(line.purchaseOrderUnitCost))
                """)
        }
    }

    func updateDraft(_ bill: SupplierBill, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE supplier_bills SET supplier_id = \(bill.supplierId), supplier_reference = \(bill.supplierReference),
                bill_date = \(bill.billDate), due_date = \(bill.dueDate), subtotal = \(bill.subtotal), tax_total = \(bill.taxTotal),
                total = \(bill.total), notes = \(bill.notes), updated_at = now(), version = version + 1
            WHERE id = \(bill.id)
            """)
    }

    func post(id: UUID, acceptedBy: UUID?, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE supplier_bills SET status = 'posted', posted_at = now(), variance_accepted_by = \(acceptedBy),
                updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
    }

    /// Moves a bill between `draft` and `pending_approval` (its approval requested, rejected
    /// or withdrawn).
    func setStatus(id: UUID, _ status: SupplierBill.Status, in tx: Transaction) throws {
        try tx.execute(
            "UPDATE supplier_bills SET status = \(status.rawValue), updated_at = now(), version = version + 1 WHERE id = \(id)"
        )
    }

    func void(id: UUID, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE supplier_bills SET status = 'void', voided_at = now(), updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
    }

    /// Adds a payment to what the bill has paid and sets the status its new balance implies.
    func settle(billID: UUID, paid: Int64, in tx: Transaction) throws -> SupplierBill.Status {
        try tx.first(
            """
            UPDATE supplier_bills SET amount_paid = amount_paid + \(paid),
                status = CASE WHEN amount_paid + \(paid) >= total THEN 'paid' ELSE 'partially_paid' END,
                updated_at = now(), version = version + 1
            WHERE id = \(billID)
            RETURNING status
            """)!.decodeEnum("status")
    }

    func bill(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> SupplierBill? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        guard let row = try tx.first("SELECT \(Self.billColumns) FROM supplier_bills WHERE \(key.condition)\(locking)")
        else { return nil }
        return try complete([row], in: tx).first
    }

    /// The bill (not void) of `supplierID` with this reference, compared case-insensitively.
    func billHolding(reference: String, supplierID: UUID, excluding: UUID?, in tx: Transaction) throws -> (
        id: UUID, number: String
    )? {
        try tx.first(
            """
            SELECT id, number FROM supplier_bills
            WHERE supplier_id = \(supplierID) AND lower(supplier_reference) = lower(\(reference)) AND status <> 'void'
                  AND id IS DISTINCT FROM \(excluding)
            """
        ).map { (try $0.decode("id"), try $0.decode("number")) }
    }

    /// Locks bills in id order (every writer does, so payments never deadlock) and returns them.
    func lockBills(_ ids: [UUID], in tx: Transaction) throws -> [SupplierBill] {
        try complete(
            try tx.query(
                "SELECT \(Self.billColumns) FROM supplier_bills WHERE id = ANY(\(ids)::uuid[]) ORDER BY id FOR UPDATE"
            ).rows, in: tx)
    }

    /// A supplier's open bills in `currency`, locked in id order, returned oldest due first (due
    /// date, then bill date, then number). A bill another payment settled while this one waited
    /// for its lock is no longer open, so it is not returned.
    func lockOpenBills(supplierID: UUID, currency: String, in tx: Transaction) throws -> [SupplierBill] {
        try complete(
            try tx.query(
                """
                SELECT \(Self.billColumns) FROM supplier_bills
                WHERE supplier_id = \(supplierID) AND currency = \(currency) AND status IN ('posted', 'partially_paid')
                ORDER BY id FOR UPDATE
                """
            ).rows, in: tx
        ).sorted { ($0.dueDate, $0.billDate, $0.number) < ($1.dueDate, $1.billDate, $1.number) }
    }

    func listBills(_ filter: BillFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [SupplierBill]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let supplier = filter.supplierId { conditions.append("supplier_id = \(supplier)") }
        if let order = filter.purchaseOrderId { conditions.append("purchase_order_id = \(order)") }
        let overdue: SQL = "status IN ('posted', 'partially_paid') AND due_date < (now() AT TIME ZONE 'UTC')::date"
        if filter.overdue == true { conditions.append(overdue) }
        if filter.overdue == false { conditions.append("NOT (\(overdue))") }
        if let q = filter.q {
            conditions.append(
                "(number LIKE \(SQL.likeContaining(q.uppercased())) OR lower(supplier_reference) LIKE \(SQL.likeContaining(q.lowercased())))"
            )
        }
        let page = Keyset.createdAt.clause(conditions, after: after, descending: filter.descending, limit: limit)
        return try complete(try tx.query("SELECT \(Self.billColumns) FROM supplier_bills \(page)").rows, in: tx)
    }

    private func complete(_ rows: [Row], in tx: Transaction) throws -> [SupplierBill] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [SupplierBillLine]] = [:]
        for row in try tx.query(
            """
            SELECT supplier_bill_id, line_no, item_id, description, quantity, unit_cost, tax_rate, line_total, tax_amount,
                   purchase_order_line_no, purchase_order_unit_cost
            FROM supplier_bill_lines WHERE supplier_bill_id = ANY(\(ids)::uuid[]) ORDER BY supplier_bill_id, line_no
            """
        ).rows {
            lines[try row.decode("supplier_bill_id"), default: []].append(
                SupplierBillLine(
                    lineNo: try row.decode("line_no"), itemId: try row.decodeIfPresent("item_id"),
                    description: try row.decode("description"), quantity: try row.decode("quantity"),
                    unitCost: try row.decode("unit_cost"), taxRate: try row.decode("tax_rate"),
                    lineTotal: try row.decode("line_total"), taxAmount: try row.decode("tax_amount"),
                    purchaseOrderLineNo: try row.decodeIfPresent("purchase_order_line_no"),
                    purchaseOrderUnitCost: try row.decodeIfPresent("purchase_order_unit_cost")))
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            let total: Int64 = try row.decode("total"), paid: Int64 = try row.decode("amount_paid")
            let status = try row.decodeEnum("status", as: SupplierBill.Status.self)
            return SupplierBill(
                id: id, number: try row.decode("number"), supplierId: try row.decode("supplier_id"),
                purchaseOrderId: try row.decodeIfPresent("purchase_order_id"),
                supplierReference: try row.decode("supplier_reference"), status: status,
                billDate: try row.decode("bill_date"), dueDate: try row.decode("due_date"),
                currency: try row.decode("currency"), lines: lines[id] ?? [], subtotal: try row.decode("subtotal"),
                taxTotal: try row.decode("tax_total"), total: total, amountPaid: paid,
                balanceDue: status == .void ? 0 : total - paid, overdue: try row.decode("overdue"),
                priceVariance: try row.decode("price_variance"),
                varianceAcceptedBy: try row.decodeIfPresent("variance_accepted_by"),
                notes: try row.decodeIfPresent("notes"), postedAt: try row.decodeIfPresent("posted_at"),
                voidedAt: try row.decodeIfPresent("voided_at"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    // MARK: Payments

    static let paymentColumns: SQL = """
        id, number, supplier_id, amount, currency, paid_on, method, reference, unapplied_amount, created_at, updated_at, version
        """

    func insertPayment(_ input: SupplierPaymentInput, currency: String, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO supplier_payments (supplier_id, amount, currency, paid_on, method, reference, unapplied_amount)
            VALUES (\(input.supplierId), \(input.amount), \(currency), \(input.paidOn ?? LocalDate.today()),
                    \((input.method ?? .bankTransfer).rawValue), \(input.reference.trimmedOrNil), \(input.amount))
            RETURNING id
            """)!.decode("id")
    }

    func allocate(paymentID: UUID, billID: UUID, amount: Int64, in tx: Transaction) throws {
        try tx.execute(
            """
            INSERT INTO supplier_payment_allocations (supplier_payment_id, supplier_bill_id, amount)
            VALUES (\(paymentID), \(billID), \(amount))
            ON CONFLICT (supplier_payment_id, supplier_bill_id)
            DO UPDATE SET amount = supplier_payment_allocations.amount + EXCLUDED.amount
            """)
        try tx.execute(
            """
            UPDATE supplier_payments SET unapplied_amount = unapplied_amount - \(amount), updated_at = now(), version = version + 1
            WHERE id = \(paymentID)
            """)
    }

    func payment(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> SupplierPayment? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        guard
            let row = try tx.first(
                "SELECT \(Self.paymentColumns) FROM supplier_payments WHERE \(key.condition)\(locking)")
        else { return nil }
        return try completePayments([row], in: tx).first
    }

    func listPayments(
        supplierID: UUID?, unapplied: Bool?, descending: Bool, after: (key: String, id: UUID)?, limit: Int,
        in tx: Transaction
    ) throws -> [SupplierPayment] {
        var conditions: [SQL] = []
        if let supplierID { conditions.append("supplier_id = \(supplierID)") }
        if unapplied == true { conditions.append("unapplied_amount > 0") }
        if unapplied == false { conditions.append("unapplied_amount = 0") }
        let page = Keyset.createdAt.clause(conditions, after: after, descending: descending, limit: limit)
        return try completePayments(
            try tx.query("SELECT \(Self.paymentColumns) FROM supplier_payments \(page)").rows, in: tx)
    }

    private func completePayments(_ rows: [Row], in tx: Transaction) throws -> [SupplierPayment] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var allocations: [UUID: [SupplierPayment.Allocation]] = [:]
        for row in try tx.query(
            """
            SELECT supplier_payment_id, supplier_bill_id, amount FROM supplier_payment_allocations
            WHERE supplier_payment_id = ANY(\(ids)::uuid[]) ORDER BY supplier_payment_id, created_at, supplier_bill_id
            """
        ).rows {
            allocations[try row.decode("supplier_payment_id"), default: []].append(
                SupplierPayment.Allocation(billId: try row.decode("supplier_bill_id"), amount: try row.decode("amount"))
            )
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            return SupplierPayment(
                id: id, number: try row.decode("number"), supplierId: try row.decode("supplier_id"),
                amount: try row.decode("amount"), currency: try row.decode("currency"),
                paidOn: try row.decode("paid_on"), method: try row.decodeEnum("method"),
                reference: try row.decodeIfPresent("reference"), allocations: allocations[id] ?? [],
                unappliedAmount: try row.decode("unapplied_amount"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        }
    }

    // MARK: Statements and reports

    /// Every dated entry of a supplier's account in `currency`, oldest first: bills posted at
    /// some time (+ total, on the bill date) and payments (− amount). Drafts and void bills are
    /// not on the account.
    func accountEntries(supplierID: UUID, currency: String, in tx: Transaction) throws -> [(
        date: LocalDate, type: String, id: UUID, number: String, reference: String?, amount: Int64
    )] {
        try tx.query(
            """
            SELECT date, type, id, number, reference, amount FROM (
                SELECT bill_date AS date, 'bill' AS type, id, number, supplier_reference AS reference, total AS amount, 1 AS rank
                FROM supplier_bills
                WHERE supplier_id = \(supplierID) AND currency = \(currency) AND status IN ('posted', 'partially_paid', 'paid')
                UNION ALL
                SELECT paid_on, 'payment', id, number, reference, -amount, 2 FROM supplier_payments
                WHERE supplier_id = \(supplierID) AND currency = \(currency)
            ) entries
            ORDER BY date, rank, number
            """
        ).rows.map { row in
            (
                try row.decode("date"), try row.decode("type"), try row.decode("id"), try row.decode("number"),
                try row.decodeIfPresent("reference"), try row.decode("amount")
            )
        }
    }

    /// Posted bills with their balance at the end of `asOf`: dated by then, less payments made
    /// by then.
    func balancesAsOf(_ asOf: LocalDate, currency: String, in tx: Transaction) throws -> [(
        supplier: UUID, due: LocalDate, balance: Int64
    )] {
        try tx.query(
            """
            SELECT b.supplier_id, b.due_date,
                   b.total - coalesce((SELECT sum(a.amount) FROM supplier_payment_allocations a
                                       JOIN supplier_payments p ON p.id = a.supplier_payment_id
                                       WHERE a.supplier_bill_id = b.id AND p.paid_on <= \(asOf)), 0) AS balance
            FROM supplier_bills b
            WHERE b.currency = \(currency) AND b.status IN ('posted', 'partially_paid', 'paid') AND b.bill_date <= \(asOf)
            """
        ).rows.compactMap { row in
            let balance: Int64 = try row.decode("balance")
            return balance > 0 ? (try row.decode("supplier_id"), try row.decode("due_date"), balance) : nil
        }
    }

    /// Open bills due on or before `until`, oldest due first.
    func dueBy(_ until: LocalDate, currency: String, in tx: Transaction) throws -> [CashRequirements.Due] {
        try tx.query(
            """
            SELECT id, number, supplier_id, supplier_reference, due_date, total - amount_paid AS balance,
                   due_date < (now() AT TIME ZONE 'UTC')::date AS overdue
            FROM supplier_bills
            WHERE currency = \(currency) AND status IN ('posted', 'partially_paid') AND due_date <= \(until)
            ORDER BY due_date, bill_date, number
            """
        ).rows.map { row in
            CashRequirements.Due(
                billId: try row.decode("id"), number: try row.decode("number"),
                supplierId: try row.decode("supplier_id"), supplierReference: try row.decode("supplier_reference"),
                dueDate: try row.decode("due_date"), balanceDue: try row.decode("balance"),
                overdue: try row.decode("overdue"))
        }
    }
}
