import Core
import Customers
import FoundationEssentials
import Platform
import Postgres
import Sales

/// Invoices, payments with allocation, credit notes, statements and aging.
///
/// Locks: an invoice's row is locked (in id order when several) by every write that changes
/// its balance, so concurrent payments and credit notes never take it below zero.
public final class ReceivablesService: @unchecked Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let customers: CustomerService
    let sales: SalesService
    let store = ReceivablesStore()
    /// Set while wiring: which of the given item ids exist (manual invoice lines name items).
    private(set) var itemLookup: (@Sendable ([UUID], Transaction) throws -> Set<UUID>)?

    /// Also registers invoices, payments and credit notes with the customer master for merges.
    public init(pool: ConnectionPool, events: EventLog, customers: CustomerService, sales: SalesService) {
        self.pool = pool
        self.events = events
        self.customers = customers
        self.sales = sales
        let store = self.store
        for (label, table) in [("invoices", "invoices"), ("payments", "payments"), ("credit_notes", "credit_notes")] {
            customers.registerReference(
                CustomerReference(label: label, column: "\(table).customer_id") { from, to, tx in
                    try store.move(table: table, from: from, to: to, in: tx)
                })
        }
    }

    /// Lets manual invoice lines check their `item_id`s. Call only while wiring.
    public func setItemLookup(_ lookup: @escaping @Sendable ([UUID], Transaction) throws -> Set<UUID>) {
        itemLookup = lookup
    }

    // MARK: Invoices

    func createInvoice(_ input: InvoiceInput, actor: Principal) throws -> Invoice {
        try input.validate()
        return try pool.transaction { tx in
            let customer = try invoiceCustomer(input.customerId, forNewDocument: true, in: tx)
            try checkItems(input.lines ?? [], in: tx)
            var invoice = Invoice(
                id: UUID(), number: nil, customerId: customer.id, salesOrderId: nil, status: .draft, issueDate: nil,
                dueDate: nil, currency: input.currency ?? customer.currency, lines: [], subtotal: 0, taxTotal: 0,
                total: 0,
                amountPaid: 0, amountCredited: 0, balanceDue: 0, overdue: false, notes: input.notes.trimmedOrNil,
                createdAt: Date(), updatedAt: Date(), version: 1)
            invoice.lines = try Self.lines(input.lines ?? [])
            try Self.applyTotals(&invoice)
            let id = try store.insertInvoice(invoice, in: tx)
            try store.replaceLines(invoiceID: id, invoice.lines, in: tx)
            let created = try store.invoice(.id(id), in: tx)!
            try events.append(
                "invoice.created", resourceType: "invoice", resourceID: id, resource: created, actor: actor, in: tx)
            return created
        }
    }

    /// Makes and issues the invoice for what an order hands over (the `OrderInvoicer` App
    /// gives Sales), inside the order's transaction.
    public func invoice(fromOrder draft: OrderInvoiceDraft, actor: Principal, in tx: Transaction) throws -> (
        id: UUID, invoice: JSONValue
    ) {
        let customer = try invoiceCustomer(draft.customerID, in: tx)
        var invoice = Invoice(
            id: UUID(), number: nil, customerId: customer.id, salesOrderId: draft.salesOrderID, status: .draft,
            issueDate: nil, dueDate: nil, currency: draft.currency, lines: [], subtotal: 0, taxTotal: 0, total: 0,
            amountPaid: 0, amountCredited: 0, balanceDue: 0, overdue: false,
            notes: "Invoice for \(draft.salesOrderNumber)",
            createdAt: Date(), updatedAt: Date(), version: 1)
        invoice.lines = try draft.lines.enumerated().map { index, line in
            guard
                let (total, tax) = LineAmounts.amounts(
                    quantity: line.quantity, unitPrice: line.unitPrice,
                    discountPercent: line.discountPercent, taxRate: line.taxRate)
            else {
                throw AppError.validation([
                    FieldError(field: "lines[\(index)]", message: "makes the invoice larger than 2^53-1 minor units")
                ])
            }
            return InvoiceLine(
                lineNo: index + 1, itemId: line.itemID, description: line.description, quantity: line.quantity,
                unitPrice: line.unitPrice, discountPercent: line.discountPercent, taxRate: line.taxRate,
                lineTotal: total,
                taxAmount: tax, salesOrderLineNo: line.lineNo)
        }
        try Self.applyTotals(&invoice)
        let id = try store.insertInvoice(invoice, in: tx)
        try store.replaceLines(invoiceID: id, invoice.lines, in: tx)
        try events.append(
            "invoice.created", resourceType: "invoice", resourceID: id, resource: try store.invoice(.id(id), in: tx)!,
            actor: actor, in: tx)
        let issued = try issue(id: id, on: LocalDate.today(), customer: customer, actor: actor, in: tx)
        return (id, try JSONValueEncoder().encode(issued))
    }

    func invoice(_ key: DocumentKey) throws -> Invoice {
        try pool.record("invoice", consistent: true) { tx in try store.invoice(key, in: tx) }
    }

    func listInvoices(_ filter: InvoiceFilter, page: PageRequest) throws -> Page<Invoice> {
        try pool.page(page, consistent: true) { tx in
            try store.listInvoices(filter, after: page.after, limit: page.limit, in: tx)
        }
    }

    /// A merge patch of a draft; an issued invoice never changes its lines or totals.
    func updateInvoice(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Invoice
    {
        try pool.transaction { tx in
            guard var invoice = try store.invoice(key, lock: true, in: tx) else { throw AppError.notFound("invoice") }
            try ifMatch(invoice.version)
            guard invoice.status == .draft else {
                throw AppError.invalidTransition(
                    "\(invoice.number ?? "the invoice") is \(invoice.status.rawValue); issued invoices never change (issue a credit note instead)",
                    from: invoice.status, to: nil)
            }
            let current = InvoiceInput(
                customerId: invoice.customerId, currency: invoice.currency,
                lines: invoice.lines.map {
                    InvoiceLineInput(
                        lineNo: nil, itemId: $0.itemId, description: $0.description, quantity: $0.quantity,
                        unitPrice: $0.unitPrice,
                        discountPercent: $0.discountPercent, taxRate: $0.taxRate)
                }, notes: invoice.notes)
            let edit = try RecordPatch<InvoiceInput>(patch, to: current, writable: Invoice.writableFields)
            let input = edit.input
            if try edit.leavesUnchanged(input) { return invoice }
            let customer = try invoiceCustomer(input.customerId, forNewDocument: true, in: tx)
            try checkItems(input.lines ?? [], in: tx)
            invoice.customerId = customer.id
            invoice.currency = input.currency ?? customer.currency
            invoice.notes = input.notes.trimmedOrNil
            invoice.lines = try Self.lines(input.lines ?? [])
            try Self.applyTotals(&invoice)
            try store.updateDraft(invoice, in: tx)
            try store.replaceLines(invoiceID: invoice.id, invoice.lines, in: tx)
            return try events.recorded(
                "invoice.updated", try store.invoice(.id(invoice.id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// Issues a draft: the next number, the issue date (today unless given) and the due date
    /// from the customer's payment terms.
    func issue(_ key: DocumentKey, issueDate: LocalDate?, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Invoice
    {
        try pool.transaction { tx in
            guard let invoice = try store.invoice(key, lock: true, in: tx) else { throw AppError.notFound("invoice") }
            try ifMatch(invoice.version)
            guard invoice.status == .draft else {
                throw AppError.invalidTransition(
                    "\(invoice.number ?? "the invoice") is \(invoice.status.rawValue); only drafts are issued",
                    from: invoice.status, to: .issued)
            }
            guard !invoice.lines.isEmpty else {
                throw AppError.validation([FieldError(field: "lines", message: "must have at least one line to issue")])
            }
            let customer = try invoiceCustomer(invoice.customerId, in: tx)
            return try issue(
                id: invoice.id, on: issueDate ?? LocalDate.today(), customer: customer, actor: actor, in: tx)
        }
    }

    private func issue(id: UUID, on date: LocalDate, customer: Customer, actor: Principal, in tx: Transaction) throws
        -> Invoice
    {
        guard let due = date.adding(days: customer.paymentTermsDays) else {
            throw AppError.validation([FieldError(field: "issue_date", message: "is out of range")])
        }
        try store.issue(id: id, issueDate: date, dueDate: due, in: tx)
        let issued = try store.invoice(.id(id), in: tx)!
        try events.append(
            "invoice.issued", resourceType: "invoice", resourceID: id, resource: issued, actor: actor, in: tx)
        return issued
    }

    /// Voids a draft, or an issued invoice that has no payments or credits.
    func void(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Invoice {
        try pool.transaction { tx in
            guard let invoice = try store.invoice(key, lock: true, in: tx) else { throw AppError.notFound("invoice") }
            try ifMatch(invoice.version)
            guard
                invoice.status == .draft
                    || (invoice.status == .issued && invoice.amountPaid == 0 && invoice.amountCredited == 0)
            else {
                throw AppError.invalidTransition(
                    "\(invoice.number ?? "the invoice") is \(invoice.status.rawValue)\(invoice.amountCredited > 0 ? " with credit notes" : ""); only drafts and issued invoices without payments or credits are voided",
                    from: invoice.status, to: .void)
            }
            try store.void(id: invoice.id, in: tx)
            if let order = invoice.salesOrderId, invoice.status != .draft {
                // The order may invoice these quantities again.
                try sales.returnInvoiced(
                    orderID: order,
                    lines: invoice.lines.compactMap { line in
                        line.salesOrderLineNo.map { ($0, line.quantity) }
                    }, actor: actor, in: tx)
            }
            return try events.recorded(
                "invoice.voided", try store.invoice(.id(invoice.id), in: tx)!, actor: actor, in: tx)
        }
    }

    // MARK: Rules

    /// The customer a document is for; new manual documents are refused for archived ones.
    func invoiceCustomer(_ id: UUID, forNewDocument: Bool = false, in tx: Transaction) throws -> Customer {
        guard let customer = try customers.customer(id: id, in: tx) else {
            throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
        }
        if forNewDocument && customer.status == .archived {
            throw AppError.validation([FieldError(field: "customer_id", message: "names an archived customer")])
        }
        return customer
    }

    private func checkItems(_ lines: [InvoiceLineInput], in tx: Transaction) throws {
        let ids = lines.compactMap(\.itemId)
        guard !ids.isEmpty, let itemLookup else { return }
        let known = try itemLookup(ids, tx)
        let errors = lines.enumerated().compactMap { index, line in
            line.itemId.flatMap {
                known.contains($0) ? nil : FieldError(field: "lines[\(index)].item_id", message: "names no item")
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }

    static func lines(_ inputs: [InvoiceLineInput]) throws -> [InvoiceLine] {
        try inputs.enumerated().map { index, input in
            let discount = input.discountPercent ?? .zero, rate = input.taxRate ?? .zero
            guard
                let (total, tax) = LineAmounts.amounts(
                    quantity: input.quantity, unitPrice: input.unitPrice, discountPercent: discount,
                    taxRate: rate)
            else {
                throw AppError.validation([
                    FieldError(
                        field: "lines[\(index)].quantity", message: "makes the line larger than 2^53-1 minor units")
                ])
            }
            return InvoiceLine(
                lineNo: index + 1, itemId: input.itemId,
                description: input.description.trimmed(),
                quantity: input.quantity, unitPrice: input.unitPrice, discountPercent: discount, taxRate: rate,
                lineTotal: total, taxAmount: tax, salesOrderLineNo: nil)
        }
    }

    static func applyTotals(_ invoice: inout Invoice) throws {
        let totals = try DocumentTotals(invoice.lines, document: "invoice")
        invoice.subtotal = totals.subtotal
        invoice.taxTotal = totals.taxTotal
        invoice.total = totals.total
        invoice.balanceDue = invoice.total
    }
}

extension InvoiceLine: PricedLine {}

/// Listed in creation order.
extension Invoice: CreatedRecord {}

/// Patched through RecordPatch.
extension InvoiceInput: RecordInput {}
