import Core
import Customers
import FoundationEssentials
import Platform
import Postgres
import Sales

extension ReceivablesService {
    /// Records a payment and allocates it: to the invoices it names, or to the customer's open
    /// invoices oldest due first. What is left stays as unapplied credit on the customer.
    func createPayment(_ input: PaymentInput, actor: Principal) throws -> Payment {
        try input.validate()
        return try pool.transaction { tx in
            let customer = try invoiceCustomer(input.customerId, forNewDocument: true, in: tx)
            let currency = input.currency ?? customer.currency
            let id = try store.insertPayment(
                customerID: customer.id, amount: input.amount, currency: currency,
                receivedOn: input.receivedOn ?? LocalDate.today(), method: input.method ?? .bankTransfer,
                reference: input.reference.trimmedOrNil, in: tx)
            try apply(
                paymentID: id, customerID: customer.id, currency: currency, available: input.amount,
                explicit: input.allocations,
                actor: actor, in: tx)
            let payment = try store.payment(.id(id), in: tx)!
            try events.append(
                "payment.received", resourceType: "payment", resourceID: id, resource: payment, actor: actor, in: tx)
            return payment
        }
    }

    /// Spends a payment's unapplied credit on open invoices (named, or oldest due first).
    func allocate(_ key: DocumentKey, _ request: AllocateRequest, ifMatch: (Int) throws -> Void, actor: Principal)
        throws -> Payment
    {
        let problems = AllocationInput.problems(request.allocations ?? [])
        if !problems.isEmpty { throw AppError.validation(problems) }
        return try pool.transaction { tx in
            guard let payment = try store.payment(key, lock: true, in: tx) else { throw AppError.notFound("payment") }
            try ifMatch(payment.version)
            try apply(
                paymentID: payment.id, customerID: payment.customerId, currency: payment.currency,
                available: payment.unappliedAmount,
                explicit: request.allocations, actor: actor, in: tx)
            let updated = try store.payment(.id(payment.id), in: tx)!
            // Nothing to spend, or nothing open: the payment is as it was; no event.
            if updated.unappliedAmount == payment.unappliedAmount { return payment }
            try events.append(
                "payment.allocated", resourceType: "payment", resourceID: updated.id, resource: updated, actor: actor,
                in: tx)
            return updated
        }
    }

    private func apply(
        paymentID: UUID, customerID: UUID, currency: String, available: Int64, explicit: [AllocationInput]?,
        actor: Principal, in tx: Transaction
    ) throws {
        var plan: [(invoice: Invoice, amount: Int64)] = []
        if let explicit, !explicit.isEmpty {
            let requested = explicit.reduce(Int64(0)) { $0 + $1.amount }
            if requested > available {
                throw AppError.validation([
                    FieldError(
                        field: "allocations",
                        message: "add up to \(requested), more than the \(available) available to allocate")
                ])
            }
            let locked = Dictionary(
                uniqueKeysWithValues: try store.lockInvoices(explicit.map(\.invoiceId), in: tx).map { ($0.id, $0) })
            var errors: [FieldError] = []
            for (index, allocation) in explicit.enumerated() {
                let path = "allocations[\(index)]"
                guard let invoice = locked[allocation.invoiceId] else {
                    errors.append(FieldError(field: "\(path).invoice_id", message: "names no invoice"))
                    continue
                }
                if invoice.customerId != customerID {
                    errors.append(FieldError(field: "\(path).invoice_id", message: "is another customer's invoice"))
                } else if invoice.currency != currency {
                    errors.append(
                        FieldError(
                            field: "\(path).invoice_id",
                            message: "is in \(invoice.currency); the payment is in \(currency)"))
                } else if !invoice.status.isOpen {
                    errors.append(
                        FieldError(
                            field: "\(path).invoice_id",
                            message: "is \(invoice.status.rawValue); only issued, unpaid invoices take payments"))
                } else if allocation.amount > invoice.balanceDue {
                    errors.append(
                        FieldError(
                            field: "\(path).amount",
                            message: "is more than the invoice's balance of \(invoice.balanceDue)"))
                } else {
                    plan.append((invoice, allocation.amount))
                }
            }
            if !errors.isEmpty { throw AppError.validation(errors) }
        } else {
            var left = available
            for invoice in try store.lockOpenInvoices(customerID: customerID, currency: currency, in: tx) where left > 0
            {
                let amount = min(left, invoice.balanceDue)
                guard amount > 0 else { continue }
                plan.append((invoice, amount))
                left -= amount
            }
        }
        for (invoice, amount) in plan {
            try store.allocate(paymentID: paymentID, invoiceID: invoice.id, amount: amount, in: tx)
            let status = try store.settle(invoiceID: invoice.id, paid: amount, credited: 0, in: tx)
            let updated = try store.invoice(.id(invoice.id), in: tx)!
            try events.append(
                status == .paid ? "invoice.paid" : "invoice.updated", resourceType: "invoice", resourceID: invoice.id,
                resource: updated, actor: actor, in: tx)
        }
    }

    func payment(_ key: DocumentKey) throws -> Payment {
        try pool.record("payment", consistent: true) { tx in try store.payment(key, in: tx) }
    }

    func listPayments(customerID: UUID?, unapplied: Bool?, descending: Bool, page: PageRequest) throws -> Page<Payment>
    {
        try pool.page(page, consistent: true) { tx in
            try store.listPayments(
                customerID: customerID, unapplied: unapplied, descending: descending, after: page.after,
                limit: page.limit, in: tx)
        }
    }

    // MARK: Credit notes

    /// Reduces an issued invoice's balance by an amount, or by lines' totals with tax; never
    /// below zero (422).
    func createCreditNote(_ input: CreditNoteInput, actor: Principal) throws -> CreditNote {
        let reason = input.reason.trimmed()
        var errors: [FieldError] = []
        if reason.isEmpty || reason.count > 1_000 {
            errors.append(FieldError(field: "reason", message: "must be 1 to 1000 characters"))
        }
        if (input.amount == nil) == (input.lines == nil) {
            errors.append(FieldError(field: "amount", message: "give either amount or lines"))
        }
        var amount = input.amount ?? 0
        var lines: [CreditNoteLine]?
        if let inputs = input.lines {
            if inputs.isEmpty { errors.append(FieldError(field: "lines", message: "must not be empty")) }
            lines = []
            for (index, line) in inputs.enumerated() {
                let rate = line.taxRate ?? .zero
                let text = line.description.trimmed()
                guard !text.isEmpty, text.count <= 1_000, rate >= .zero, rate <= ExactDecimal(integer: 100),
                    line.quantity > .zero, MoneyRules.problem(line.unitPrice) == nil,
                    let total = LineAmounts.lineTotal(
                        quantity: line.quantity, unitPrice: line.unitPrice, discountPercent: .zero),
                    let tax = LineAmounts.tax(lineTotal: total, taxRate: rate)
                else {
                    errors.append(
                        FieldError(
                            field: "lines[\(index)]",
                            message:
                                "needs a description (1 to 1000 characters), a quantity above 0, a unit_price within range and a tax_rate from 0 to 100"
                        ))
                    continue
                }
                amount += total + tax
                lines?.append(
                    CreditNoteLine(
                        description: line.description, quantity: line.quantity, unitPrice: line.unitPrice,
                        taxRate: line.taxRate, amount: total + tax))
            }
        }
        if input.amount != nil && amount <= 0 {
            errors.append(FieldError(field: "amount", message: "must be more than 0"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            guard let invoice = try store.lockInvoices([input.invoiceId], in: tx).first else {
                throw AppError.validation([FieldError(field: "invoice_id", message: "names no invoice")])
            }
            guard invoice.status.isOpen || invoice.status == .paid else {
                throw AppError.invalidTransition(
                    "\(invoice.number ?? "the invoice") is \(invoice.status.rawValue); credit notes apply to issued invoices",
                    from: invoice.status, to: nil)
            }
            guard amount <= invoice.balanceDue else {
                throw AppError.validation([
                    FieldError(
                        field: input.amount != nil ? "amount" : "lines",
                        message: "\(amount) is more than the invoice's balance of \(invoice.balanceDue)")
                ])
            }
            let note = try store.insertCreditNote(
                invoice: invoice, amount: amount, issueDate: input.issueDate ?? LocalDate.today(), reason: reason,
                lines: try lines.map { try JSONValueEncoder().encode($0) }, in: tx)
            let status = try store.settle(invoiceID: invoice.id, paid: 0, credited: amount, in: tx)
            try events.append(
                "credit_note.issued", resourceType: "credit_note", resourceID: note.id, resource: note, actor: actor,
                in: tx)
            try events.append(
                status == .paid ? "invoice.paid" : "invoice.updated", resourceType: "invoice", resourceID: invoice.id,
                resource: try store.invoice(.id(invoice.id), in: tx)!, actor: actor, in: tx)
            return note
        }
    }

    func creditNote(_ key: DocumentKey) throws -> CreditNote {
        try pool.record("credit note") { tx in try store.creditNote(key, in: tx) }
    }

    func listCreditNotes(customerID: UUID?, invoiceID: UUID?, descending: Bool, page: PageRequest) throws -> Page<
        CreditNote
    > {
        try pool.page(page) { tx in
            try store.listCreditNotes(
                customerID: customerID, invoiceID: invoiceID, descending: descending, after: page.after,
                limit: page.limit, in: tx)
        }
    }

    // MARK: Statements, aging, figures

    /// Every invoice (+), payment (−) and credit note (−) in the customer's currency between
    /// `from` and `to` with a running balance; the opening balance sums what came before.
    func statement(customer key: DocumentKey, from: LocalDate?, to: LocalDate?) throws -> Statement {
        let customer = try customers.customer(key)
        let all = try pool.read { tx in
            try store.accountEntries(customerID: customer.id, currency: customer.currency, in: tx)
        }
        let opening = all.filter { from != nil && $0.date < from! }.reduce(Int64(0)) { $0 + $1.amount }
        var balance = opening
        var entries: [Statement.Entry] = []
        for entry in all where (from.map { entry.date >= $0 } ?? true) && (to.map { entry.date <= $0 } ?? true) {
            balance += entry.amount
            entries.append(
                Statement.Entry(
                    date: entry.date, type: entry.type, id: entry.id, number: entry.number, amount: entry.amount,
                    balance: balance))
        }
        return Statement(
            customerId: customer.id, currency: customer.currency, from: from, to: to, openingBalance: opening,
            entries: entries,
            closingBalance: balance)
    }

    /// `GET /reports/ar-aging`: open balances at the end of `asOf` by days past due, per customer.
    func aging(asOf: LocalDate, currency: String) throws -> JSONValue {
        let balances = try pool.read { tx in try store.balancesAsOf(asOf, currency: currency, customerID: nil, in: tx) }
        return try AgingBuckets.report(
            balances.map { ($0.customer, $0.due, $0.balance) }, asOf: asOf, currency: currency, rows: "customers",
            party: "customer_id")
    }

    /// The customer summary's receivables part, in `currency`.
    public func position(customerID: UUID, currency: String) throws -> ReceivablesPosition {
        try pool.read { tx in
            let open = try store.openBalance(customerID: customerID, currency: currency, in: tx)
            let today = LocalDate.today()
            var aging = Aging()
            for (_, due, balance) in try store.balancesAsOf(today, currency: currency, customerID: customerID, in: tx) {
                aging.add(balance, daysPastDue: due.days(until: today))
            }
            return ReceivablesPosition(
                openBalance: open.open, overdueBalance: open.overdue,
                unappliedCredit: try store.unappliedCredit(customerID: customerID, currency: currency, in: tx),
                aging: aging, otherCurrencyDocuments: open.other)
        }
    }

    /// What customers owe on issued invoices less their unapplied credit: the credit check's
    /// "open receivables", as rows the credit figures sum per customer and currency.
    public static let openReceivables = ReceivablesStore.openReceivables
}

/// Listed in creation order.
extension Payment: CreatedRecord {}
extension CreditNote: CreatedRecord {}
