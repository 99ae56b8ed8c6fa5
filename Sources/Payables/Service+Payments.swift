import Core
import FoundationEssentials
import Platform
import Postgres
import Purchasing

extension PayablesService {
    /// Records a payment to a supplier and allocates it: to the bills it names, or to the
    /// supplier's open bills oldest due first. What is left is an advance to the supplier.
    func createPayment(_ input: SupplierPaymentInput, actor: Principal) throws -> SupplierPayment {
        try input.validate()
        return try pool.transaction { tx in
            let supplier = try billSupplier(input.supplierId, in: tx)
            let currency = try paymentCurrency(input.currency)
            let id = try store.insertPayment(input, currency: currency, in: tx)
            try apply(
                paymentID: id, supplierID: supplier.id, currency: currency, available: input.amount,
                explicit: input.allocations, actor: actor, in: tx)
            return try events.recorded(
                "supplier_payment.created", try store.payment(.id(id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// Spends a payment's advance on open bills (named, or oldest due first).
    func allocate(_ key: DocumentKey, _ request: AllocateRequest, ifMatch: (Int) throws -> Void, actor: Principal)
        throws -> SupplierPayment
    {
        try DocumentRules.check(BillAllocationInput.problems(request.allocations ?? []))
        return try pool.transaction { tx in
            guard let payment = try store.payment(key, lock: true, in: tx) else {
                throw AppError.notFound("supplier payment")
            }
            try ifMatch(payment.version)
            try apply(
                paymentID: payment.id, supplierID: payment.supplierId, currency: payment.currency,
                available: payment.unappliedAmount, explicit: request.allocations, actor: actor, in: tx)
            let updated = try store.payment(.id(payment.id), in: tx)!
            // Nothing to spend, or nothing open: the payment is as it was; no event.
            if updated.unappliedAmount == payment.unappliedAmount { return payment }
            return try events.recorded("supplier_payment.allocated", updated, actor: actor, in: tx)
        }
    }

    /// Supplier payments are in the installation's currency, the only one bills are in.
    private func paymentCurrency(_ requested: String?) throws -> String {
        guard let requested, requested != currency else { return currency }
        throw AppError.validation([
            FieldError(
                field: "currency",
                message:
                    "must be \(currency): bills are in the installation's currency, so a payment in \(requested) could pay none"
            )
        ])
    }

    /// Allocates up to `available`: explicitly (every bill locked in id order, every fault
    /// reported in one 422), or oldest due first over the supplier's open bills, locked in id
    /// order so two payments racing for one balance apply one after the other.
    private func apply(
        paymentID: UUID, supplierID: UUID, currency: String, available: Int64, explicit: [BillAllocationInput]?,
        actor: Principal, in tx: Transaction
    ) throws {
        var plan: [(bill: SupplierBill, amount: Int64)] = []
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
                uniqueKeysWithValues: try store.lockBills(explicit.map(\.billId), in: tx).map { ($0.id, $0) })
            var errors: [FieldError] = []
            for (index, allocation) in explicit.enumerated() {
                let path = "allocations[\(index)]"
                guard let bill = locked[allocation.billId] else {
                    errors.append(FieldError(field: "\(path).bill_id", message: "names no supplier bill"))
                    continue
                }
                if bill.supplierId != supplierID {
                    errors.append(FieldError(field: "\(path).bill_id", message: "is another supplier's bill"))
                } else if bill.currency != currency {
                    errors.append(
                        FieldError(
                            field: "\(path).bill_id", message: "is in \(bill.currency); the payment is in \(currency)"))
                } else if !bill.status.isOpen {
                    errors.append(
                        FieldError(
                            field: "\(path).bill_id",
                            message: "is \(bill.status.rawValue); only posted, unpaid bills take payments"))
                } else if allocation.amount > bill.balanceDue {
                    errors.append(
                        FieldError(
                            field: "\(path).amount", message: "is more than the bill's balance of \(bill.balanceDue)"))
                } else {
                    plan.append((bill, allocation.amount))
                }
            }
            try DocumentRules.check(errors)
        } else {
            var left = available
            for bill in try store.lockOpenBills(supplierID: supplierID, currency: currency, in: tx) where left > 0 {
                let amount = min(left, bill.balanceDue)
                guard amount > 0 else { continue }
                plan.append((bill, amount))
                left -= amount
            }
        }
        for (bill, amount) in plan {
            try store.allocate(paymentID: paymentID, billID: bill.id, amount: amount, in: tx)
            let status = try store.settle(billID: bill.id, paid: amount, in: tx)
            _ = try events.recorded(
                status == .paid ? "supplier_bill.paid" : "supplier_bill.updated", try store.bill(.id(bill.id), in: tx)!,
                actor: actor, in: tx)
        }
    }

    func payment(_ key: DocumentKey) throws -> SupplierPayment {
        try pool.record("supplier payment", consistent: true) { tx in try store.payment(key, in: tx) }
    }

    func listPayments(supplierID: UUID?, unapplied: Bool?, descending: Bool, page: PageRequest) throws -> Page<
        SupplierPayment
    > {
        try pool.page(page, consistent: true) { tx in
            try store.listPayments(
                supplierID: supplierID, unapplied: unapplied, descending: descending, after: page.after,
                limit: page.limit, in: tx)
        }
    }

    // MARK: Statements and reports

    /// Every posted bill (+) and payment (−) in the installation's currency between `from` and
    /// `to` with a running balance; the opening balance sums what came before.
    func statement(supplier key: DocumentKey, from: LocalDate?, to: LocalDate?) throws -> SupplierStatement {
        try pool.transaction { tx in
            guard let supplier = try purchasing.supplier(key, in: tx) else { throw AppError.notFound("supplier") }
            let all = try store.accountEntries(supplierID: supplier.id, currency: currency, in: tx)
            let opening = all.filter { entry in from.map { entry.date < $0 } ?? false }.reduce(Int64(0)) {
                $0 + $1.amount
            }
            var balance = opening
            var entries: [SupplierStatement.Entry] = []
            for entry in all where (from.map { entry.date >= $0 } ?? true) && (to.map { entry.date <= $0 } ?? true) {
                balance += entry.amount
                entries.append(
                    SupplierStatement.Entry(
                        date: entry.date, type: entry.type, id: entry.id, number: entry.number,
                        supplierReference: entry.type == "bill" ? entry.reference : nil, amount: entry.amount,
                        balance: balance))
            }
            return SupplierStatement(
                supplierId: supplier.id, currency: currency, from: from, to: to, openingBalance: opening,
                entries: entries, closingBalance: balance)
        }
    }

    /// `GET /reports/ap-aging`: posted bills' balances at the end of `asOf` by days past due,
    /// per supplier.
    func aging(asOf: LocalDate, currency: String) throws -> JSONValue {
        let balances = try pool.read { tx in try store.balancesAsOf(asOf, currency: currency, in: tx) }
        return try AgingBuckets.report(
            balances.map { ($0.supplier, $0.due, $0.balance) }, asOf: asOf, currency: currency, rows: "suppliers",
            party: "supplier_id")
    }

    /// `GET /reports/cash-requirements`: what open bills still owe, due on or before `until`.
    func cashRequirements(until: LocalDate, currency: String) throws -> CashRequirements {
        let due = try pool.read { tx in try store.dueBy(until, currency: currency, in: tx) }
        return CashRequirements(
            until: until, currency: currency, bills: due, total: due.reduce(0) { $0 + $1.balanceDue },
            overdue: due.filter(\.overdue).reduce(0) { $0 + $1.balanceDue })
    }
}
