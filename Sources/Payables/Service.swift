import Core
import FoundationEssentials
import Platform
import Postgres
import Purchasing

/// Supplier bills (three-way matched against purchase orders, or without one), supplier
/// payments with allocation, supplier statements, AP aging and cash requirements.
///
/// Locks, always in this order: the purchase order row (through Purchasing), then bills in id
/// order, so concurrent bills never over-bill a line and concurrent payments never take a
/// bill's balance below zero.
public final class PayablesService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let purchasing: PurchasingService
    let store = PayablesStore()
    /// Asked by `post` whether the bill needs an approval first (Approvals installs it).
    public let approvalGate = ApprovalGate()
    /// The installation's currency: every bill is in it (purchase orders are).
    public let currency: String
    /// `CONCORD_BILL_PRICE_TOLERANCE_PERCENT`: how far a billed unit cost may stray from its
    /// purchase order line's before the bill needs `accept_variance`.
    public let priceTolerancePercent: ExactDecimal

    public init(
        pool: ConnectionPool, events: EventLog, purchasing: PurchasingService, currency: String,
        priceTolerancePercent: ExactDecimal
    ) {
        self.pool = pool
        self.events = events
        self.purchasing = purchasing
        self.currency = currency
        self.priceTolerancePercent = priceTolerancePercent
    }

    // MARK: Bills

    /// A draft bill without a purchase order (services, rent, anything not received as stock).
    func createBill(_ input: SupplierBillInput, actor: Principal) throws -> SupplierBill {
        var input = input
        input.normalize()
        try input.validate()
        return try mappingDuplicateReference {
            try pool.transaction { tx in
                let supplier = try billSupplier(input.supplierId, in: tx)
                try checkReference(input.supplierReference, supplierID: supplier.id, excluding: nil, in: tx)
                try checkItems(input.lines ?? [], in: tx)
                let billDate = input.billDate ?? LocalDate.today()
                var bill = SupplierBill(
                    id: UUID(), number: "", supplierId: supplier.id, purchaseOrderId: nil,
                    supplierReference: input.supplierReference, status: .draft, billDate: billDate,
                    dueDate: try dueDate(input.dueDate, billDate: billDate, supplier: supplier),
                    currency: try billCurrency(input.currency), lines: try Self.lines(input.lines ?? []), subtotal: 0,
                    taxTotal: 0, total: 0, amountPaid: 0, balanceDue: 0, overdue: false, priceVariance: false,
                    varianceAcceptedBy: nil, notes: input.notes, postedAt: nil, voidedAt: nil, createdAt: Date(),
                    updatedAt: Date(), version: 1)
                try Self.applyTotals(&bill)
                let id = try store.insertBill(bill, in: tx)
                try store.replaceLines(billID: id, bill.lines, in: tx)
                return try events.recorded(
                    "supplier_bill.created", try store.bill(.id(id), in: tx)!, actor: actor, in: tx)
            }
        }
    }

    /// Bills received quantities of a purchase order (three-way match: ordered, received,
    /// billed): each line at most received − already billed (409 `over_billing` naming every
    /// such line), at the order line's unit cost unless another is given; one that strays past
    /// the tolerance marks the bill `price_variance`. The quantities count as billed at once,
    /// so drafts cannot over-bill either; voiding the bill gives them back.
    func billOrder(_ key: DocumentKey, _ request: OrderBillRequest, actor: Principal) throws -> SupplierBill {
        var request = request
        request.supplierReference = request.supplierReference.trimmed()
        request.notes = request.notes.trimmedOrNil
        try request.validate()
        return try mappingDuplicateReference {
            try pool.transaction { tx in
                guard let order = try purchasing.lockOrderForBilling(key, in: tx) else {
                    throw AppError.notFound("purchase order")
                }
                guard [.ordered, .partiallyReceived, .received].contains(order.status) else {
                    throw AppError.invalidTransition(
                        "\(order.number) is \(order.status.rawValue); only ordered purchase orders are billed",
                        from: order.status.rawValue, to: nil)
                }
                guard let supplier = try purchasing.supplier(id: order.supplierId, in: tx) else {
                    throw AppError.notFound("supplier")
                }
                try checkReference(request.supplierReference, supplierID: supplier.id, excluding: nil, in: tx)
                let names = try purchasing.itemNames(order.lines.map(\.itemId), in: tx)
                var errors: [FieldError] = []
                var over: [JSONValue] = []
                var lines: [SupplierBillLine] = []
                var variance = false
                for (index, requested) in request.lines.enumerated() {
                    guard let line = order.lines.first(where: { $0.lineNo == requested.lineNo }) else {
                        errors.append(
                            FieldError(field: "lines[\(index)].line_no", message: "names no line of \(order.number)"))
                        continue
                    }
                    let open = try line.receivedQuantity - line.billedQuantity
                    if requested.quantity > open {
                        over.append(
                            .object(
                                JSONObject([
                                    ("line_no", .number(String(line.lineNo))),
                                    ("ordered", .number(line.quantity.description)),
                                    ("received", .number(line.receivedQuantity.description)),
                                    ("billed", .number(line.billedQuantity.description)),
                                    ("requested", .number(requested.quantity.description)),
                                ])))
                    }
                    let cost = requested.unitCost ?? line.unitCost, rate = requested.taxRate ?? .zero
                    variance = variance || strays(cost, from: line.unitCost)
                    guard
                        let (total, tax) = LineAmounts.amounts(
                            quantity: requested.quantity, unitPrice: cost, discountPercent: .zero, taxRate: rate)
                    else {
                        errors.append(
                            FieldError(
                                field: "lines[\(index)].quantity",
                                message: "makes the line larger than 2^53-1 minor units"
                            ))
                        continue
                    }
                    lines.append(
                        SupplierBillLine(
                            lineNo: 0, itemId: line.itemId,
                            description: "\(order.number) line \(line.lineNo): \(names[line.itemId] ?? "item")",
                            quantity: requested.quantity, unitCost: cost, taxRate: rate, lineTotal: total,
                            taxAmount: tax, purchaseOrderLineNo: line.lineNo, purchaseOrderUnitCost: line.unitCost))
                }
                try DocumentRules.check(errors)
                if !over.isEmpty {
                    throw AppError(
                        .overBilling,
                        "a bill may not claim more than was received and not yet billed on \(order.number)",
                        extra: JSONObject([("lines", .array(over))]))
                }
                lines.sort { $0.purchaseOrderLineNo! < $1.purchaseOrderLineNo! }
                let billDate = request.billDate ?? LocalDate.today()
                var bill = SupplierBill(
                    id: UUID(), number: "", supplierId: supplier.id, purchaseOrderId: order.id,
                    supplierReference: request.supplierReference, status: .draft, billDate: billDate,
                    dueDate: try dueDate(request.dueDate, billDate: billDate, supplier: supplier),
                    currency: order.currency,
                    lines: lines.enumerated().map { index, line in line.numbered(index + 1) }, subtotal: 0,
                    taxTotal: 0, total: 0, amountPaid: 0, balanceDue: 0, overdue: false, priceVariance: variance,
                    varianceAcceptedBy: nil, notes: request.notes, postedAt: nil, voidedAt: nil, createdAt: Date(),
                    updatedAt: Date(), version: 1)
                try Self.applyTotals(&bill)
                let id = try store.insertBill(bill, in: tx)
                try store.replaceLines(billID: id, bill.lines, in: tx)
                _ = try purchasing.recordBilled(
                    orderID: order.id, lines: bill.lines.map { ($0.purchaseOrderLineNo!, $0.quantity) },
                    event: "purchase_order.billed", actor: actor, in: tx)
                return try events.recorded(
                    "supplier_bill.created", try store.bill(.id(id), in: tx)!, actor: actor, in: tx)
            }
        }
    }

    func bill(_ key: DocumentKey) throws -> SupplierBill {
        try pool.record("supplier bill", consistent: true) { tx in try store.bill(key, in: tx) }
    }

    func listBills(_ filter: BillFilter, page: PageRequest) throws -> Page<SupplierBill> {
        try pool.page(page, consistent: true) { tx in
            try store.listBills(filter, after: page.after, limit: page.limit, in: tx)
        }
    }

    /// A merge patch of a draft. A bill from a purchase order keeps its supplier and lines (they
    /// come from the order: void it and bill the order again). The due date follows the bill date
    /// and the supplier's terms unless the patch gives one.
    func updateBill(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> SupplierBill
    {
        try mappingDuplicateReference {
            try pool.transaction { tx in
                guard var bill = try store.bill(key, lock: true, in: tx) else {
                    throw AppError.notFound("supplier bill")
                }
                try ifMatch(bill.version)
                guard bill.status == .draft else {
                    throw AppError.invalidTransition(
                        "\(bill.number) is \(bill.status.rawValue); posted bills never change",
                        from: bill.status, to: nil)
                }
                let sent = Set(patch.objectValue?.keys ?? [])
                if bill.purchaseOrderId != nil {
                    let fixed = sent.intersection(["lines", "supplier_id"]).sorted()
                    try DocumentRules.check(
                        fixed.map {
                            FieldError(
                                field: $0,
                                message: "comes from the purchase order; void the bill and bill the order again")
                        })
                }
                let current = SupplierBillInput(bill)
                let edit = try RecordPatch<SupplierBillInput>(
                    patch, to: current, writable: SupplierBillInput.writableFields)
                var input = edit.input
                let supplier = try billSupplier(input.supplierId, in: tx)
                if input.dueDate == current.dueDate
                    && (input.billDate != current.billDate || input.supplierId != current.supplierId)
                    && !sent.contains("due_date")
                {
                    input.dueDate = nil
                }
                if try edit.leavesUnchanged(input) { return bill }
                try checkReference(input.supplierReference, supplierID: supplier.id, excluding: bill.id, in: tx)
                let billDate = input.billDate ?? LocalDate.today()
                bill.supplierId = supplier.id
                bill.supplierReference = input.supplierReference
                bill.billDate = billDate
                bill.dueDate = try dueDate(input.dueDate, billDate: billDate, supplier: supplier)
                _ = try billCurrency(input.currency)
                bill.notes = input.notes
                if bill.purchaseOrderId == nil {
                    try checkItems(input.lines ?? [], in: tx)
                    bill.lines = try Self.lines(input.lines ?? [])
                }
                try Self.applyTotals(&bill)
                try store.updateDraft(bill, in: tx)
                if bill.purchaseOrderId == nil { try store.replaceLines(billID: bill.id, bill.lines, in: tx) }
                return try events.recorded(
                    "supplier_bill.updated", try store.bill(.id(bill.id), in: tx)!, actor: actor, in: tx)
            }
        }
    }

    /// Posts a draft: it goes on the supplier's account and never changes again. A bill with a
    /// price variance needs `acceptVariance` (the route checks who may give it), else a 409
    /// `price_variance` with the lines' figures.
    func post(_ key: DocumentKey, acceptVariance: Bool, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Gated<SupplierBill>
    {
        try pool.transaction { tx in
            guard let bill = try store.bill(key, lock: true, in: tx) else { throw AppError.notFound("supplier bill") }
            try ifMatch(bill.version)
            try DocumentRules.checkTransition(bill.number, from: bill.status, to: .posted, allowed: [.draft])
            return try post(bill, acceptVariance: acceptVariance, gated: true, actor: actor, in: tx)
        }
    }

    /// Posts a bill its approval let through, inside the approval's transaction, with every
    /// usual check; `options` are those it was asked with. Returns the bill as the API shows it.
    public func postApproved(id: UUID, options: JSONObject, actor: Principal, in tx: Transaction) throws -> JSONValue {
        guard let bill = try store.bill(.id(id), lock: true, in: tx) else { throw AppError.notFound("supplier bill") }
        try DocumentRules.checkTransition(bill.number, from: bill.status, to: .posted, allowed: [.pendingApproval])
        let posted = try post(
            bill, acceptVariance: options["accept_variance"]?.boolValue ?? false, gated: false, actor: actor, in: tx)
        return try JSONValueEncoder().encode(posted.document)
    }

    /// Back to `draft` after its approval was rejected or withdrawn, inside that transaction.
    public func returnToDraft(id: UUID, in tx: Transaction) throws {
        guard let bill = try store.bill(.id(id), lock: true, in: tx) else { throw AppError.notFound("supplier bill") }
        try DocumentRules.checkTransition(bill.number, from: bill.status, to: .draft, allowed: [.pendingApproval])
        try store.setStatus(id: bill.id, .draft, in: tx)
    }

    /// The checks of `post` on the locked bill; `gated`: the approval rules are consulted once
    /// the bill could post, before it does.
    private func post(_ bill: SupplierBill, acceptVariance: Bool, gated: Bool, actor: Principal, in tx: Transaction)
        throws -> Gated<SupplierBill>
    {
        guard !bill.lines.isEmpty else {
            throw AppError.validation([FieldError(field: "lines", message: "must have at least one line to post")])
        }
        if bill.priceVariance && !acceptVariance {
            let lines: [JSONValue] = bill.lines.compactMap { line in
                guard let ordered = line.purchaseOrderUnitCost, strays(line.unitCost, from: ordered) else {
                    return nil
                }
                return .object(
                    JSONObject([
                        ("line_no", .number(String(line.lineNo))),
                        ("purchase_order_line_no", .number(String(line.purchaseOrderLineNo ?? 0))),
                        ("purchase_order_unit_cost", .number(String(ordered))),
                        ("unit_cost", .number(String(line.unitCost))),
                    ]))
            }
            throw AppError(
                .priceVariance,
                "\(bill.number) bills at prices more than \(priceTolerancePercent) % away from its purchase order; post it with accept_variance",
                extra: JSONObject([
                    ("tolerance_percent", .number(priceTolerancePercent.description)), ("lines", .array(lines)),
                ]))
        }
        if gated {
            let subject = ApprovalSubject(
                document: .supplierBill, id: bill.id, number: bill.number, currency: bill.currency,
                subtotal: bill.subtotal, total: bill.total,
                lines: bill.lines.map {
                    ApprovalSubject.Line(
                        itemID: $0.itemId, quantity: $0.quantity, discountPercent: .zero, lineTotal: $0.lineTotal)
                }, options: JSONObject([("accept_variance", .bool(acceptVariance))]))
            if let hold = try approvalGate.consult(subject, actor: actor, in: tx) {
                // Nothing is posted yet: the bill waits, frozen, for the decision.
                try store.setStatus(id: bill.id, .pendingApproval, in: tx)
                return Gated(try store.bill(.id(bill.id), in: tx)!, approval: hold)
            }
        }
        try store.post(id: bill.id, acceptedBy: bill.priceVariance ? actor.userID : nil, in: tx)
        return Gated(
            try events.recorded("supplier_bill.posted", try store.bill(.id(bill.id), in: tx)!, actor: actor, in: tx))
    }

    /// Voids a draft, or a posted bill no payment touches; a bill from a purchase order gives
    /// its quantities back to the order's lines.
    func void(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> SupplierBill {
        try pool.transaction { tx in
            // The order first, as every writer of billed quantities locks it.
            guard let found = try store.bill(key, in: tx) else { throw AppError.notFound("supplier bill") }
            if let order = found.purchaseOrderId { _ = try purchasing.lockOrderForBilling(.id(order), in: tx) }
            guard let bill = try store.bill(.id(found.id), lock: true, in: tx) else {
                throw AppError.notFound("supplier bill")
            }
            try ifMatch(bill.version)
            guard bill.status == .draft || (bill.status == .posted && bill.amountPaid == 0) else {
                throw AppError.invalidTransition(
                    "\(bill.number) is \(bill.status.rawValue); only drafts and posted bills without payments are voided",
                    from: bill.status, to: .void)
            }
            try store.void(id: bill.id, in: tx)
            if let order = bill.purchaseOrderId {
                _ = try purchasing.recordBilled(
                    orderID: order,
                    lines: try bill.lines.compactMap { line in
                        try line.purchaseOrderLineNo.map { ($0, try ExactDecimal.zero - line.quantity) }
                    }, event: "purchase_order.bill_voided", actor: actor, in: tx)
            }
            return try events.recorded(
                "supplier_bill.voided", try store.bill(.id(bill.id), in: tx)!, actor: actor, in: tx)
        }
    }

    // MARK: Rules

    func billSupplier(_ id: UUID, in tx: Transaction) throws -> Supplier {
        guard let supplier = try purchasing.supplier(id: id, in: tx) else {
            throw AppError.validation([FieldError(field: "supplier_id", message: "names no supplier")])
        }
        return supplier
    }

    /// Bills are in the installation's currency, as the purchase orders they match are.
    func billCurrency(_ requested: String?) throws -> String {
        guard let requested, requested != currency else { return currency }
        throw AppError.validation([
            FieldError(field: "currency", message: "must be \(currency): bills are in the installation's currency")
        ])
    }

    /// The given due date (not before the bill date), else the bill date plus the supplier's terms.
    func dueDate(_ given: LocalDate?, billDate: LocalDate, supplier: Supplier) throws -> LocalDate {
        if let given {
            guard billDate <= given else {
                throw AppError.validation([FieldError(field: "due_date", message: "must not be before bill_date")])
            }
            return given
        }
        guard let due = billDate.adding(days: supplier.paymentTermsDays) else {
            throw AppError.validation([FieldError(field: "bill_date", message: "is out of range")])
        }
        return due
    }

    /// A 409 `duplicate_bill` when another bill of the supplier (not void) has this reference.
    func checkReference(_ reference: String, supplierID: UUID, excluding: UUID?, in tx: Transaction) throws {
        if let holder = try store.billHolding(
            reference: reference, supplierID: supplierID, excluding: excluding, in: tx)
        {
            throw Self.duplicate(holder)
        }
    }

    static func duplicate(_ holder: (id: UUID, number: String)?) -> AppError {
        var extra = JSONObject([])
        if let holder {
            extra.set(
                "bill",
                .object(
                    JSONObject([
                        ("id", .string(holder.id.uuidString.lowercased())), ("number", .string(holder.number)),
                    ])))
        }
        return AppError(
            .duplicateBill, "the supplier already has a bill with this supplier_reference", extra: extra)
    }

    /// Two requests racing past `checkReference` meet the unique index instead.
    func mappingDuplicateReference<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError
            where error.state == .uniqueViolation && error.constraint == "supplier_bills_reference_key"
        {
            throw Self.duplicate(nil)
        }
    }

    /// Whether `billed` differs from `ordered` by more than the tolerance, in percent of `ordered`.
    func strays(_ billed: Int64, from ordered: Int64) -> Bool {
        let difference = Int128(billed) - Int128(ordered)
        guard ordered > 0 else { return difference != 0 }
        // |Δ| / ordered × 100 > tolerance, in thousandths of a percent, without division.
        return difference.magnitude * 100_000 > UInt128(priceTolerancePercent.thousandths) * UInt128(ordered)
    }

    private func checkItems(_ lines: [SupplierBillLineInput], in tx: Transaction) throws {
        let ids = lines.compactMap(\.itemId)
        guard !ids.isEmpty else { return }
        let known = try purchasing.itemNames(ids, in: tx)
        try DocumentRules.check(
            lines.enumerated().compactMap { index, line in
                line.itemId.flatMap {
                    known[$0] != nil ? nil : FieldError(field: "lines[\(index)].item_id", message: "names no item")
                }
            })
    }

    static func lines(_ inputs: [SupplierBillLineInput]) throws -> [SupplierBillLine] {
        try inputs.enumerated().map { index, input in
            let rate = input.taxRate ?? .zero
            guard
                let (total, tax) = LineAmounts.amounts(
                    quantity: input.quantity, unitPrice: input.unitCost, discountPercent: .zero, taxRate: rate)
            else {
                throw AppError.validation([
                    FieldError(
                        field: "lines[\(index)].quantity", message: "makes the line larger than 2^53-1 minor units")
                ])
            }
            return SupplierBillLine(
                lineNo: index + 1, itemId: input.itemId,
                description: input.description.trimmed(),
                quantity: input.quantity, unitCost: input.unitCost, taxRate: rate, lineTotal: total, taxAmount: tax,
                purchaseOrderLineNo: nil, purchaseOrderUnitCost: nil)
        }
    }

    static func applyTotals(_ bill: inout SupplierBill) throws {
        let totals = try DocumentTotals(bill.lines, document: "bill")
        bill.subtotal = totals.subtotal
        bill.taxTotal = totals.taxTotal
        bill.total = totals.total
        bill.balanceDue = totals.total
    }
}

extension SupplierBillLine: PricedLine {
    func numbered(_ lineNo: Int) -> SupplierBillLine {
        SupplierBillLine(
            lineNo: lineNo, itemId: itemId, description: description, quantity: quantity, unitCost: unitCost,
            taxRate: taxRate, lineTotal: lineTotal, taxAmount: taxAmount, purchaseOrderLineNo: purchaseOrderLineNo,
            purchaseOrderUnitCost: purchaseOrderUnitCost)
    }
}

extension SupplierBillInput {
    /// The writable part of a bill, as a merge patch applies to it.
    init(_ bill: SupplierBill) {
        self.init(
            supplierId: bill.supplierId, supplierReference: bill.supplierReference, billDate: bill.billDate,
            dueDate: bill.dueDate, currency: bill.currency,
            lines: bill.lines.map {
                SupplierBillLineInput(
                    lineNo: nil, itemId: $0.itemId, description: $0.description, quantity: $0.quantity,
                    unitCost: $0.unitCost, taxRate: $0.taxRate)
            }, notes: bill.notes)
    }
}

/// Listed in creation order.
extension SupplierBill: CreatedRecord {}
extension SupplierPayment: CreatedRecord {}
