import Catalog
import Core
import FoundationEssentials
import Inventory
import Platform
import Postgres

/// Suppliers, purchase orders from draft to received, goods receipts into stock, and reorder
/// suggestions. Receipts go through Inventory's `receive` in the order's transaction.
///
/// Locks, always in this order: the purchase order row, then (inside Inventory) the items and
/// the balance rows in id order. Every change to an order takes its row first, so two receipts
/// on one line wait for each other and the second sees what the first received.
public final class PurchasingService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let catalog: CatalogService
    let inventory: InventoryService
    let store = PurchasingStore()
    /// `CONCORD_DEFAULT_CURRENCY`: a supplier's default, and the only currency of purchase
    /// orders (their unit costs become the moving average cost, counted in it).
    public let currency: String
    /// Asked by `order` whether the order needs an approval first (Approvals installs it).
    public let approvalGate = ApprovalGate()

    /// - currency: the installation's default currency (`CONCORD_DEFAULT_CURRENCY`).
    public init(
        pool: ConnectionPool, events: EventLog, catalog: CatalogService, inventory: InventoryService, currency: String
    ) {
        self.pool = pool
        self.events = events
        self.catalog = catalog
        self.inventory = inventory
        self.currency = currency
    }

    static func reference(_ order: PurchaseOrder) -> StockReference {
        StockReference(type: "purchase_order", id: order.id, number: order.number)
    }

    // MARK: Suppliers

    func createSupplier(_ input: SupplierInput, actor: Principal?) throws -> Supplier {
        var input = input
        input.normalize()
        try input.validate()
        return try mappingSupplierDuplicates {
            try pool.transaction { tx in
                let holders = try store.holders(
                    email: input.email, externalRef: input.externalRef, excluding: nil, in: tx)
                if !holders.isEmpty { throw Self.duplicate(holders) }
                return try events.recorded(
                    "supplier.created", try store.insertSupplier(input, defaultCurrency: currency, in: tx),
                    actor: actor, in: tx)
            }
        }
    }

    func supplier(_ key: DocumentKey) throws -> Supplier {
        try pool.record("supplier") { tx in try store.supplier(key, in: tx) }
    }

    /// True when `id` names a supplier; Catalog checks `preferred_supplier_id` with it (wired by App).
    public func supplierExists(id: UUID, in tx: Transaction) throws -> Bool {
        try store.supplier(.id(id), in: tx) != nil
    }

    func listSuppliers(_ query: SupplierQuery, page: PageRequest) throws -> Page<Supplier> {
        let rows = try pool.read { tx in try store.listSuppliers(query, after: page.after, limit: page.limit, in: tx) }
        return page.page(rows, key: { query.sortByName ? $0.name.lowercased() : $0.createdAt.postgresText }, id: \.id)
    }

    /// Applies a merge patch of the writable fields (RFC 7396).
    func updateSupplier(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Supplier
    {
        try mappingSupplierDuplicates {
            try pool.transaction { tx in
                guard let current = try store.supplier(key, lock: true, in: tx) else {
                    throw AppError.notFound("supplier")
                }
                try ifMatch(current.version)
                let input = try RecordPatch<SupplierInput>(patch, to: current, writable: Supplier.writableFields).input
                var changed = current
                changed.name = input.name
                changed.email = input.email
                changed.phone = input.phone
                changed.address = input.address
                changed.paymentTermsDays = input.paymentTermsDays ?? 30
                changed.currency = input.currency ?? currency
                changed.status = input.status ?? .active
                changed.externalRef = input.externalRef
                // A patch that changes nothing writes nothing: no new version, no event.
                if changed == current { return current }
                let holders = try store.holders(
                    email: changed.email == current.email ? nil : changed.email,
                    externalRef: changed.externalRef == current.externalRef ? nil : changed.externalRef,
                    excluding: current.id, in: tx)
                if !holders.isEmpty { throw Self.duplicate(holders) }
                return try events.recorded(
                    "supplier.updated", try store.updateSupplier(changed, in: tx), actor: actor, in: tx)
            }
        }
    }

    /// Deletes a supplier nothing refers to; items or purchase orders naming it make it a 409
    /// `supplier_in_use` (set it inactive instead).
    func deleteSupplier(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        do {
            try pool.transaction { tx in
                guard let current = try store.supplier(key, lock: true, in: tx) else {
                    throw AppError.notFound("supplier")
                }
                try ifMatch(current.version)
                try events.append(
                    "supplier.deleted", resourceType: "supplier", resourceID: current.id, resource: current,
                    actor: actor, in: tx)
                try store.deleteSupplier(id: current.id, in: tx)
            }
        } catch let error as PostgresError where error.state == .foreignKeyViolation {
            throw AppError(
                .supplierInUse,
                "items or documents (purchase orders, bills, payments) refer to this supplier, so it cannot be deleted; set status inactive instead"
            )
        }
    }

    static func duplicate(_ holders: [SupplierCandidate]) -> AppError {
        let fields = Set(holders.map(\.matchedOn)).sorted()
        return AppError(
            .duplicateSupplier, "another supplier already has this \(fields.joined(separator: " and "))",
            errors: fields.map { FieldError(field: $0, message: "is already used by another supplier") },
            extra: JSONObject([("candidates", (try? JSONValueEncoder().encode(holders)) ?? .array([]))]))
    }

    /// Two concurrent writers can both pass the holder check; the unique index decides, and
    /// the loser gets the same 409 (without candidates, which it could not see).
    private func mappingSupplierDuplicates<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError where error.state == .uniqueViolation {
            let field = error.constraint == "suppliers_email_key" ? "email" : "external_ref"
            throw AppError(
                .duplicateSupplier, "another supplier already has this \(field)",
                errors: [FieldError(field: field, message: "is already used by another supplier")],
                extra: JSONObject([("candidates", .array([]))]))
        }
    }

    // MARK: Purchase orders

    func createOrder(_ input: PurchaseOrderInput, actor: Principal?) throws -> PurchaseOrder {
        var input = input
        input.normalize()
        try input.validate()
        return try mappingDuplicateReference {
            try pool.transaction { tx in try createOrder(input, actor: actor, in: tx) }
        }
    }

    func createOrder(_ input: PurchaseOrderInput, actor: Principal?, in tx: Transaction) throws -> PurchaseOrder {
        let supplier = try orderSupplier(input.supplierId, in: tx)
        try checkWarehouse(input.warehouseId, in: tx)
        let currency = try orderCurrency(input.currency ?? supplier.currency, explicit: input.currency != nil)
        var order = PurchaseOrder(
            id: UUID(), number: "", supplierId: supplier.id, warehouseId: input.warehouseId, status: .draft,
            currency: currency,
            lines: try costLines(input.lines ?? [], in: tx), subtotal: 0, total: 0, expectedDate: input.expectedDate,
            notes: input.notes,
            externalRef: input.externalRef, orderedAt: nil, receivedAt: nil, cancelledAt: nil, billStatus: .notBilled,
            createdAt: Date(),
            updatedAt: Date(),
            version: 1)
        try applyTotals(&order)
        let id = try store.insertOrder(order, in: tx)
        try store.replaceLines(orderID: id, order.lines, in: tx)
        let created = try store.order(.id(id), in: tx)!
        try events.append(
            "purchase_order.created", resourceType: "purchase_order", resourceID: id, resource: created, actor: actor,
            in: tx)
        return created
    }

    func order(_ key: DocumentKey) throws -> PurchaseOrder {
        try pool.record("purchase order") { tx in try store.order(key, in: tx) }
    }

    func listOrders(_ filter: PurchaseOrderFilter, page: PageRequest) throws -> Page<PurchaseOrder> {
        try pool.page(page) { tx in try store.listOrders(filter, after: page.after, limit: page.limit, in: tx) }
    }

    /// A merge patch. Lines, supplier, warehouse and currency change only in `draft`; notes,
    /// expected date and external reference also later, until the order is received or cancelled.
    func updateOrder(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> PurchaseOrder
    {
        try mappingDuplicateReference {
            try pool.transaction { tx in
                guard let current = try store.order(key, lock: true, in: tx) else {
                    throw AppError.notFound("purchase order")
                }
                try ifMatch(current.version)
                let sent = Set(patch.objectValue?.keys ?? [])
                let draftOnly: Set<String> = ["lines", "supplier_id", "warehouse_id", "currency"]
                try Self.checkNotPending(current)
                if [.received, .cancelled].contains(current.status) {
                    throw AppError.invalidTransition(
                        "\(current.number) is \(current.status.rawValue) and no longer changes",
                        from: current.status, to: nil)
                }
                if current.status != .draft && !sent.isDisjoint(with: draftOnly) {
                    throw AppError.invalidTransition(
                        "\(current.number) is \(current.status.rawValue); its lines, supplier, warehouse and currency change only in draft",
                        from: current.status, to: nil)
                }
                let input = try RecordPatch<PurchaseOrderInput>(
                    patch, to: PurchaseOrderInput(current), writable: PurchaseOrder.writableFields
                ).input
                var changed = current
                changed.notes = input.notes
                changed.expectedDate = input.expectedDate
                changed.externalRef = input.externalRef
                if current.status == .draft {
                    if input.supplierId != current.supplierId { _ = try orderSupplier(input.supplierId, in: tx) }
                    if input.warehouseId != current.warehouseId { try checkWarehouse(input.warehouseId, in: tx) }
                    changed.supplierId = input.supplierId
                    changed.warehouseId = input.warehouseId
                    changed.currency = try orderCurrency(input.currency ?? current.currency, explicit: true)
                    if sent.contains("lines") { changed.lines = try costLines(input.lines ?? [], in: tx) }
                    try applyTotals(&changed)
                }
                if try JSONValueEncoder().encode(changed) == JSONValueEncoder().encode(current) { return current }
                try store.updateOrder(changed, in: tx)
                if current.status == .draft && sent.contains("lines") {
                    try store.replaceLines(orderID: current.id, changed.lines, in: tx)
                }
                return try events.recorded(
                    "purchase_order.updated", try store.order(.id(current.id), in: tx)!, actor: actor, in: tx)
            }
        }
    }

    // MARK: Lines and totals

    /// Numbers the lines by position and costs them: every item must exist, be active and be a
    /// stock item (a receipt brings it into stock); `unit_cost` defaults to its average cost.
    func costLines(_ inputs: [PurchaseOrderLineInput], in tx: Transaction) throws -> [PurchaseOrderLine] {
        let items = Dictionary(
            try catalog.items(ids: inputs.map(\.itemId), in: tx).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var errors: [FieldError] = []
        var lines: [PurchaseOrderLine] = []
        for (index, input) in inputs.enumerated() {
            let path = "lines[\(index)]"
            guard let item = items[input.itemId] else {
                errors.append(FieldError(field: "\(path).item_id", message: "names no item"))
                continue
            }
            if !item.isStocked {
                errors.append(
                    FieldError(
                        field: "\(path).item_id",
                        message: "is a service item; only stock items are purchased into stock"))
            }
            if !item.active { errors.append(FieldError(field: "\(path).item_id", message: "names an inactive item")) }
            let cost = input.unitCost ?? item.averageCost
            guard let total = LineAmounts.lineTotal(quantity: input.quantity, unitPrice: cost, discountPercent: .zero)
            else {
                errors.append(
                    FieldError(
                        field: "\(path).quantity", message: "makes the line total larger than 2^53-1 minor units"))
                continue
            }
            lines.append(
                PurchaseOrderLine(
                    lineNo: index + 1, itemId: item.id, quantity: input.quantity, unitCost: cost,
                    lineTotal: total, receivedQuantity: .zero, billedQuantity: .zero))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return lines
    }

    func applyTotals(_ order: inout PurchaseOrder) throws {
        let totals = try DocumentTotals(order.lines, document: "order total")
        order.subtotal = totals.subtotal
        order.total = totals.total
    }

    // MARK: Rules

    func orderSupplier(_ id: UUID, in tx: Transaction) throws -> Supplier {
        guard let supplier = try store.supplier(.id(id), in: tx) else {
            throw AppError.validation([FieldError(field: "supplier_id", message: "names no supplier")])
        }
        guard supplier.status == .active else {
            throw AppError.validation([FieldError(field: "supplier_id", message: "names an inactive supplier")])
        }
        return supplier
    }

    func checkWarehouse(_ id: UUID, in tx: Transaction) throws {
        if try inventory.warehouse(id: id, in: tx) == nil {
            throw AppError.validation([FieldError(field: "warehouse_id", message: "names no warehouse")])
        }
    }

    /// Purchase orders are in the installation's currency: their unit costs become the moving
    /// average cost, which Inventory keeps in that currency, and Concord has no exchange rates.
    func orderCurrency(_ requested: String, explicit: Bool) throws -> String {
        guard requested == currency else {
            let message =
                explicit
                ? "must be \(currency): purchase orders are in the installation's currency, since their unit costs become the moving average cost"
                : "is required as \(currency): the supplier invoices in \(requested), but purchase orders are in the installation's currency"
            throw AppError.validation([FieldError(field: "currency", message: message)])
        }
        return requested
    }

    func mappingDuplicateReference<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError
            where error.state == .uniqueViolation && error.constraint == "purchase_orders_external_ref_key"
        {
            throw AppError(
                .duplicatePurchaseOrder, "another purchase order has this external_ref",
                errors: [FieldError(field: "external_ref", message: "is already used by another purchase order")])
        }
    }
}

/// Purchase orders carry no tax: what is received is valued at cost.
extension PurchaseOrderLine: PricedLine {
    public var taxAmount: Int64 { 0 }
}

extension PurchaseOrderInput {
    /// The writable part of an order, as a merge patch applies to it.
    init(_ order: PurchaseOrder) {
        self.init(
            supplierId: order.supplierId, warehouseId: order.warehouseId, currency: order.currency,
            lines: order.lines.map {
                PurchaseOrderLineInput(lineNo: nil, itemId: $0.itemId, quantity: $0.quantity, unitCost: $0.unitCost)
            },
            expectedDate: order.expectedDate, notes: order.notes, externalRef: order.externalRef)
    }
}

/// Listed in creation order.
extension PurchaseOrder: CreatedRecord {}

/// Patched through RecordPatch.
extension SupplierInput: RecordInput {}

/// Named by id in events.
extension Supplier: IdentifiedRecord {}
