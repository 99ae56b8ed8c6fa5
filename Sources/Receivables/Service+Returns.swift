import Core
import FoundationEssentials
import Platform
import Postgres

/// What an invoice billed of one sales order line (a returned good is credited against it).
public struct OrderBilling: Sendable {
    public let invoiceID: UUID
    public let salesOrderLineNo: Int
    public let quantity: ExactDecimal
}

/// One returned, already billed quantity as its credit note line shows it: at the order line's
/// price, discount and tax.
public struct ReturnCreditLine: Sendable {
    public let description: String
    public let quantity: ExactDecimal
    public let unitPrice: Int64
    public let discountPercent: ExactDecimal
    public let taxRate: ExactDecimal

    public init(
        description: String, quantity: ExactDecimal, unitPrice: Int64, discountPercent: ExactDecimal,
        taxRate: ExactDecimal
    ) {
        self.description = description
        self.quantity = quantity
        self.unitPrice = unitPrice
        self.discountPercent = discountPercent
        self.taxRate = taxRate
    }
}

extension ReceivablesService {
    /// What the issued invoices of an order (not void, not draft) billed per order line,
    /// oldest invoice first, inside the caller's transaction.
    public func billings(orderID: UUID, in tx: Transaction) throws -> [OrderBilling] {
        try store.billings(orderID: orderID, in: tx).map {
            OrderBilling(invoiceID: $0.invoice, salesOrderLineNo: $0.lineNo, quantity: $0.quantity)
        }
    }

    /// Credits returned goods against the invoice that billed them (a customer return, inside
    /// its transaction): one credit note for the lines' totals with tax. The invoice's balance
    /// takes what it can; the rest stays on the note as unapplied credit on the customer, so
    /// open balances − unapplied credit still equals the statement's closing balance.
    public func creditReturn(
        invoiceID: UUID, lines: [ReturnCreditLine], reason: String, actor: Principal, in tx: Transaction
    ) throws -> CreditNote {
        guard let invoice = try store.lockInvoices([invoiceID], in: tx).first else {
            throw AppError.notFound("invoice")
        }
        var amount: Int64 = 0
        var noteLines: [CreditNoteLine] = []
        for line in lines {
            guard
                let (total, tax) = LineAmounts.amounts(
                    quantity: line.quantity, unitPrice: line.unitPrice, discountPercent: line.discountPercent,
                    taxRate: line.taxRate)
            else {
                throw AppError.validation([
                    FieldError(field: "lines", message: "makes the credit larger than 2^53-1 minor units")
                ])
            }
            amount += total + tax
            noteLines.append(
                CreditNoteLine(
                    description: line.description, quantity: line.quantity, unitPrice: line.unitPrice,
                    taxRate: line.taxRate, amount: total + tax))
        }
        let applied = invoice.status.isOpen ? min(amount, invoice.balanceDue) : 0
        let note = try store.insertCreditNote(
            invoice: invoice, amount: amount, unapplied: amount - applied, issueDate: LocalDate.today(),
            reason: reason, lines: try JSONValueEncoder().encode(noteLines), in: tx)
        if applied > 0 { _ = try store.settle(invoiceID: invoice.id, paid: 0, credited: applied, in: tx) }
        try events.append(
            "credit_note.issued", resourceType: "credit_note", resourceID: note.id, resource: note, actor: actor,
            in: tx)
        try events.append(
            "invoice.return_credited", resourceType: "invoice", resourceID: invoice.id,
            resource: try store.invoice(.id(invoice.id), in: tx)!, actor: actor, in: tx)
        return note
    }
}
