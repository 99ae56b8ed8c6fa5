import Catalog
import Core
import Customers
import FoundationEssentials
import Inventory
import Platform
import Postgres

/// Sales orders: quotations, confirmation with credit check and reservation, shipments,
/// cancel, close, and the hand-over to invoicing.
public final class SalesService: @unchecked Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let customers: CustomerService
    let catalog: CatalogService
    let inventory: InventoryService
    let store = SalesStore()
    /// Set while wiring when Receivables exists.
    private(set) var invoicer: OrderInvoicer?
    private(set) var openReceivables: SQL?
    /// Asked by `confirm` whether the order needs an approval first (Approvals installs it).
    public let approvalGate = ApprovalGate()

    /// Also registers `sales_orders.customer_id` with the customer master for merges.
    public init(
        pool: ConnectionPool, events: EventLog, customers: CustomerService, catalog: CatalogService,
        inventory: InventoryService
    ) {
        self.pool = pool
        self.events = events
        self.customers = customers
        self.catalog = catalog
        self.inventory = inventory
        let store = self.store
        customers.registerReference(
            CustomerReference(label: "sales_orders", column: "sales_orders.customer_id") { from, to, tx in
                try store.moveOrders(from: from, to: to, in: tx)
            })
    }

    /// Lets `POST /sales-orders/{id}/invoice` hand over to Receivables. Call only while wiring.
    public func setInvoicer(_ invoicer: @escaping OrderInvoicer) { self.invoicer = invoicer }

    /// Lets the credit check count open receivables: a query of rows `customer_id`,
    /// `currency`, `amount` whose sum per customer and currency is what the customer owes on
    /// invoices there, so that one customer's check, the summary and the alert tick (every
    /// customer at once) read one definition. Call only while wiring.
    public func setOpenReceivables(_ amounts: SQL) { openReceivables = amounts }

    static func reference(_ order: SalesOrder) -> StockReference {
        StockReference(type: "sales_order", id: order.id, number: order.number)
    }

    // MARK: Drafts

    func create(_ input: SalesOrderInput, actor: Principal) throws -> SalesOrder {
        var input = input
        input.normalize()
        try input.validate()
        return try mappingDuplicateReference {
            try pool.transaction { tx in try create(input, opportunityID: nil, actor: actor, in: tx) }
        }
    }

    private func create(_ input: SalesOrderInput, opportunityID: UUID?, actor: Principal, in tx: Transaction) throws
        -> SalesOrder
    {
        let customer = try orderCustomer(input.customerId, in: tx)
        if let warehouse = input.warehouseId { try checkWarehouse(warehouse, in: tx) }
        let currency = input.currency ?? customer.currency
        let lines = try priceLines(input.lines ?? [], customer: customer, currency: currency, actor: actor, in: tx)
        var order = SalesOrder(
            id: UUID(), number: "", customerId: customer.id, warehouseId: input.warehouseId, status: .draft,
            validUntil: input.validUntil, invoiceStatus: .notInvoiced, currency: currency, lines: lines, subtotal: 0,
            taxTotal: 0,
            total: 0, opportunityId: opportunityID, requestedDate: input.requestedDate, notes: input.notes,
            externalRef: input.externalRef, confirmedAt: nil, createdAt: Date(), updatedAt: Date(), version: 1)
        try applyTotals(&order)
        let id = try store.insert(order, in: tx)
        try store.replaceLines(orderID: id, lines, in: tx)
        let created = try store.order(.id(id), in: tx)!
        try events.append(
            "sales_order.created", resourceType: "sales_order", resourceID: id, resource: created, actor: actor, in: tx)
        return created
    }

    /// A draft order for a won opportunity's customer and lines (API.md CRM `win`), inside the
    /// caller's transaction. Lines with a price keep it; the others are priced from the catalog.
    public func createDraft(
        customerID: UUID, opportunityID: UUID, currency: String,
        lines: [(itemID: UUID?, description: String?, quantity: ExactDecimal, unitPrice: Int64?)],
        warehouseID: UUID?, actor: Principal, in tx: Transaction
    ) throws -> UUID {
        var input = SalesOrderInput(
            customerId: customerID, warehouseId: warehouseID, currency: currency,
            lines: lines.map {
                SalesOrderLineInput(
                    itemId: $0.itemID, description: $0.description, quantity: $0.quantity, unitPrice: $0.unitPrice)
            })
        input.normalize()
        try input.validate()
        return try create(input, opportunityID: opportunityID, actor: actor, in: tx).id
    }

    func order(_ key: DocumentKey) throws -> SalesOrder {
        try pool.record("sales order", consistent: true) { tx in try store.order(key, in: tx) }
    }

    func list(_ filter: SalesOrderFilter, page: PageRequest) throws -> Page<SalesOrder> {
        try pool.page(page, consistent: true) { tx in
            try store.list(filter, after: page.after, limit: page.limit, in: tx)
        }
    }

    /// A merge patch. Lines, customer, currency and warehouse change only in `draft`; notes,
    /// requested date and external reference also later, until the order is over.
    func update(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> SalesOrder
    {
        try mappingDuplicateReference {
            try pool.transaction { tx in
                guard let current = try store.order(key, lock: true, in: tx) else {
                    throw AppError.notFound("sales order")
                }
                try ifMatch(current.version)
                let sent = Set(patch.objectValue?.keys ?? [])
                let draftOnly: Set<String> = ["lines", "customer_id", "currency", "warehouse_id", "valid_until"]
                if current.status != .draft && !sent.isDisjoint(with: draftOnly) {
                    throw AppError.invalidTransition(
                        "\(current.number) is \(current.status.rawValue); its lines, customer, currency and warehouse change only in draft",
                        from: current.status, to: nil)
                }
                if current.status == .pendingApproval {
                    throw AppError.invalidTransition(
                        "\(current.number) is pending_approval and changes only after the decision (approve, reject or withdraw it)",
                        from: current.status, to: nil)
                }
                if [.cancelled, .closed, .shipped].contains(current.status) {
                    throw AppError.invalidTransition(
                        "\(current.number) is \(current.status.rawValue) and no longer changes",
                        from: current.status, to: nil)
                }
                let input = try RecordPatch<SalesOrderInput>(
                    patch, to: SalesOrderInput(current), writable: SalesOrder.writableFields
                ).input
                var changed = current
                changed.notes = input.notes
                changed.requestedDate = input.requestedDate
                changed.externalRef = input.externalRef
                changed.validUntil = input.validUntil
                if current.status == .draft {
                    let customer = try orderCustomer(input.customerId, in: tx)
                    if let warehouse = input.warehouseId, warehouse != current.warehouseId {
                        try checkWarehouse(warehouse, in: tx)
                    }
                    changed.customerId = customer.id
                    changed.warehouseId = input.warehouseId
                    changed.currency = input.currency ?? customer.currency
                    if sent.contains("lines") || changed.customerId != current.customerId
                        || changed.currency != current.currency
                    {
                        changed.lines = try priceLines(
                            input.lines ?? [], customer: customer, currency: changed.currency, actor: actor, in: tx)
                    }
                    try applyTotals(&changed)
                }
                if try JSONValueEncoder().encode(changed) == JSONValueEncoder().encode(current) { return current }
                try store.update(changed, in: tx)
                if current.status == .draft { try store.replaceLines(orderID: current.id, changed.lines, in: tx) }
                return try events.recorded(
                    "sales_order.updated", try store.order(.id(current.id), in: tx)!, actor: actor, in: tx)
            }
        }
    }

    // MARK: Pricing and totals

    /// Prices and totals every line: an explicit `unit_price` (the routes check the caller may
    /// set one), else the item's tier price, its price less the tier discount, or its price.
    func priceLines(
        _ inputs: [SalesOrderLineInput], customer: Customer, currency: String, actor: Principal,
        in tx: Transaction
    ) throws -> [SalesOrderLine] {
        let items = Dictionary(
            try catalog.items(ids: inputs.compactMap(\.itemId), in: tx).map { ($0.id, $0) },
            uniquingKeysWith: { a, _ in a })
        var errors: [FieldError] = []
        var lines: [SalesOrderLine] = []
        for (index, input) in inputs.enumerated() {
            let path = "lines[\(index)]"
            var unitPrice = input.unitPrice
            var source = "explicit"
            var description = input.description?.trimmed()
            if let itemID = input.itemId {
                guard let item = items[itemID] else {
                    errors.append(FieldError(field: "\(path).item_id", message: "names no item"))
                    continue
                }
                if !item.active {
                    errors.append(FieldError(field: "\(path).item_id", message: "names an inactive item"))
                }
                if description?.isEmpty ?? true { description = item.name }
                if unitPrice == nil {
                    guard item.currency == currency else {
                        errors.append(
                            FieldError(
                                field: "\(path).unit_price",
                                message:
                                    "is required: the item is priced in \(item.currency), the order is in \(currency)"))
                        continue
                    }
                    let price = try catalog.price(item: item, tier: customer.tier, in: tx)
                    unitPrice = price.unitPrice
                    source = price.source.rawValue
                }
            }
            let discount = input.discountPercent ?? .zero, rate = input.taxRate ?? .zero
            guard let price = unitPrice,
                let (total, tax) = LineAmounts.amounts(
                    quantity: input.quantity, unitPrice: price, discountPercent: discount, taxRate: rate)
            else {
                errors.append(
                    FieldError(
                        field: "\(path).quantity", message: "makes the line total larger than 2^53-1 minor units"))
                continue
            }
            lines.append(
                SalesOrderLine(
                    lineNo: index + 1, itemId: input.itemId, description: description, quantity: input.quantity,
                    unitPrice: price, priceSource: source, discountPercent: discount, taxRate: rate,
                    lineTotal: total, taxAmount: tax, shippedQuantity: .zero, invoicedQuantity: .zero))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return lines
    }

    /// Subtotal, tax and total as sums of the lines' rounded amounts.
    func applyTotals(_ order: inout SalesOrder) throws {
        let totals = try DocumentTotals(order.lines, document: "order total")
        order.subtotal = totals.subtotal
        order.taxTotal = totals.taxTotal
        order.total = totals.total
    }

    // MARK: Rules

    func orderCustomer(_ id: UUID, lock: Bool = false, in tx: Transaction) throws -> Customer {
        guard let customer = try customers.customer(id: id, lock: lock, in: tx) else {
            throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
        }
        if customer.status == .archived {
            throw AppError.validation([FieldError(field: "customer_id", message: "names an archived customer")])
        }
        return customer
    }

    func checkWarehouse(_ id: UUID, in tx: Transaction) throws {
        if try inventory.warehouse(id: id, in: tx) == nil {
            throw AppError.validation([FieldError(field: "warehouse_id", message: "names no warehouse")])
        }
    }

    private func mappingDuplicateReference<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError
            where error.state == .uniqueViolation && error.constraint == "sales_orders_external_ref_key"
        {
            throw AppError(
                .duplicateSalesOrder, "another sales order has this external_ref",
                errors: [FieldError(field: "external_ref", message: "is already used by another sales order")])
        }
    }
}

extension SalesOrderLine: PricedLine {}

extension SalesOrderInput {
    /// The writable part of an order, as a merge patch applies to it (explicit prices kept).
    init(_ order: SalesOrder) {
        self.init(
            customerId: order.customerId, warehouseId: order.warehouseId, validUntil: order.validUntil,
            currency: order.currency,
            lines: order.lines.map {
                SalesOrderLineInput(
                    itemId: $0.itemId, description: $0.description, quantity: $0.quantity,
                    unitPrice: $0.priceSource == "explicit" ? $0.unitPrice : nil,
                    discountPercent: $0.discountPercent, taxRate: $0.taxRate)
            },
            requestedDate: order.requestedDate, notes: order.notes, externalRef: order.externalRef)
    }
}

extension SalesOrderLineInput {
    init(
        itemId: UUID?, description: String?, quantity: ExactDecimal, unitPrice: Int64?,
        discountPercent: ExactDecimal? = nil,
        taxRate: ExactDecimal? = nil
    ) {
        self.init(
            lineNo: nil, itemId: itemId, description: description, quantity: quantity, unitPrice: unitPrice,
            discountPercent: discountPercent, taxRate: taxRate)
    }
}

extension ProblemCode {
    public static let quotationExpired = ProblemCode("quotation_expired", .conflict)
    public static let creditLimitExceeded = ProblemCode("credit_limit_exceeded", .conflict)
    public static let overShipment = ProblemCode("over_shipment", .conflict)
    public static let nothingToInvoice = ProblemCode("nothing_to_invoice", .conflict)
    public static let customerNotActive = ProblemCode("customer_not_active", .conflict)
    public static let duplicateSalesOrder = ProblemCode("duplicate_sales_order", .conflict)
    /// 422: `invoice` while no module can issue invoices.
    public static let invoicingUnavailable = ProblemCode("invoicing_unavailable", .unprocessable)
}

/// Listed in creation order.
extension SalesOrder: CreatedRecord {}
