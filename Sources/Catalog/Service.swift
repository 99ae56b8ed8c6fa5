import Core
import FoundationEssentials
import Platform
import Postgres

/// Items and tier pricing. The `public` methods taking `in tx:` are the API that Inventory,
/// Sales, CRM and Purchasing call inside their own transactions.
public final class CatalogService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let store = CatalogStore()
    /// `CONCORD_DEFAULT_CURRENCY`: an item's currency when a request omits it.
    public let defaultCurrency: String
    /// Tells whether an item holds stock anywhere (set by Inventory, which sits above Catalog
    /// and owns the balances), so a stock item holding stock cannot become a service.
    private let stockProbe = Hook<@Sendable (UUID, Transaction) throws -> Bool>()

    /// Installs the stock probe (Inventory does, when it is created).
    public func setStockProbe(_ probe: @escaping @Sendable (UUID, Transaction) throws -> Bool) {
        stockProbe.install(probe)
    }

    /// Tells whether a supplier exists (set by App from Purchasing, which sits above Catalog),
    /// so `preferred_supplier_id` naming nothing is a 422 on that field.
    private let supplierCheck = Hook<@Sendable (UUID, Transaction) throws -> Bool>()

    /// Installs the supplier check. Call only while wiring.
    public func setSupplierCheck(_ check: @escaping @Sendable (UUID, Transaction) throws -> Bool) {
        supplierCheck.install(check)
    }

    /// A 422 on `preferred_supplier_id` when it names no supplier. Without a check installed the
    /// foreign key still refuses it (see `uniquely`).
    private func checkSupplier(_ id: UUID?, in tx: Transaction) throws {
        guard let id, let check = supplierCheck.function else { return }
        if try !check(id, tx) { throw Self.unknownSupplier }
    }

    private static let unknownSupplier = AppError.validation([
        FieldError(field: "preferred_supplier_id", message: "names no supplier")
    ])

    /// - defaultCurrency: `CONCORD_DEFAULT_CURRENCY`, an item's currency when none is given.
    public init(pool: ConnectionPool, events: EventLog, defaultCurrency: String) {
        self.pool = pool
        self.events = events
        self.defaultCurrency = defaultCurrency
    }

    // MARK: Items

    func createItem(_ input: ItemCreate, actor: Principal?) throws -> Item {
        var errors: [FieldError] = []
        var tierPrices: [String: Int64] = [:]
        if let value = input.tierPrices, let changes = ItemRules.tierPriceChanges(value, errors: &errors) {
            for (tier, price) in changes {
                if let price {
                    tierPrices[tier] = price
                } else {
                    errors.append(
                        FieldError(field: "tier_prices.\(tier)", message: "must be an integer amount in minor units"))
                }
            }
        }
        let now = Date()
        let item = Item(
            id: UUID(), sku: input.sku, name: input.name, description: input.description, type: input.type,
            unit: input.unit ?? "each", unitPrice: input.unitPrice, currency: input.currency ?? defaultCurrency,
            tierPrices: tierPrices, reorderPoint: input.reorderPoint, reorderQuantity: input.reorderQuantity,
            preferredSupplierId: input.preferredSupplierId, active: input.active ?? true, averageCost: 0,
            externalRef: input.externalRef, createdAt: now, updatedAt: now, version: 1,
            standardCost: input.standardCost)
        errors += ItemRules.problems(item)
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            try checkSupplier(item.preferredSupplierId, in: tx)
            return try events.recorded(
                "item.created", try uniquely { try store.insertItem(item, in: tx) }, actor: actor, in: tx)
        }
    }

    /// Creates an item outside HTTP (`concord seed --demo`); the same rules as `POST /items`.
    public func createItem(
        sku: String, name: String, type: ItemType, unitPrice: Int64, unit: String = "each",
        description: String? = nil, tierPrices: [CustomerTier: Int64] = [:], reorderPoint: ExactDecimal? = nil,
        reorderQuantity: ExactDecimal? = nil, actor: Principal? = nil
    ) throws -> Item {
        var prices: JSONObject = JSONObject()
        for (tier, price) in tierPrices { prices.set(tier.rawValue, .number(String(price))) }
        return try createItem(
            ItemCreate(
                sku: sku, name: name, description: description, type: type, unit: unit, unitPrice: unitPrice,
                currency: nil, tierPrices: .object(prices), reorderPoint: reorderPoint,
                reorderQuantity: reorderQuantity, preferredSupplierId: nil, active: true, standardCost: nil,
                externalRef: nil),
            actor: actor)
    }

    /// A unique violation on `sku` or `external_ref` becomes a 409 `duplicate_item` naming the
    /// field; the foreign key to suppliers (a supplier deleted meanwhile) a 422.
    private func uniquely<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as PostgresError
            where error.state == .foreignKeyViolation && error.constraint == "items_preferred_supplier_id_fkey"
        {
            throw Self.unknownSupplier
        } catch let error as PostgresError where error.state == .uniqueViolation {
            let field = error.constraint == "items_external_ref_key" ? "external_ref" : "sku"
            throw AppError(
                .duplicateItem, "an item with this \(field) already exists",
                errors: [FieldError(field: field, message: "is already taken")])
        }
    }

    func item(_ id: UUID) throws -> Item {
        try pool.record("item") { tx in try store.item(id: id, in: tx) }
    }

    func listItems(_ filter: ItemFilter, sort: ItemSort, page: PageRequest) throws -> Page<Item> {
        let rows = try pool.read { tx in
            try store.listItems(filter, sort: sort, after: page.after, limit: page.limit, in: tx)
        }
        return page.page(rows, key: sort.key, id: \.id)
    }

    func updateItem(_ id: UUID, patch: ItemPatch, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Item {
        try pool.transaction { tx in
            guard let current = try store.lockItem(id: id, in: tx) else { throw AppError.notFound("item") }
            try ifMatch(current.version)
            let changed = try patch.applied(to: current)
            // A patch that changes nothing writes nothing: no new version, no event.
            if changed == current { return current }
            if current.type == .stock && changed.type == .service, let probe = stockProbe.function,
                try probe(id, tx)
            {
                throw AppError(
                    .itemHasStock,
                    "the item holds or reserves stock; a service item cannot, so move or adjust it to zero first",
                    errors: [FieldError(field: "type", message: "cannot become service while stock is held")])
            }
            if changed.preferredSupplierId != current.preferredSupplierId {
                try checkSupplier(changed.preferredSupplierId, in: tx)
            }
            return try events.recorded(
                "item.updated", try uniquely { try store.updateItem(changed, in: tx) }, actor: actor, in: tx)
        }
    }

    /// Deletes an item nothing refers to; once stock movements or documents name it, a 409
    /// `item_in_use` (deactivate it with `active: false` instead).
    func deleteItem(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.lockItem(id: id, in: tx) else { throw AppError.notFound("item") }
            try ifMatch(current.version)
            do {
                _ = try store.deleteItem(id: id, in: tx)
            } catch let error as PostgresError where error.state == .foreignKeyViolation {
                throw AppError(
                    .itemInUse, "the item has stock movements or is used by documents; set active to false instead")
            }
            try events.append(
                "item.deleted", resourceType: "item", resourceID: id, resource: current, actor: actor, in: tx)
        }
    }

    // MARK: Public API for other modules (inside the caller's transaction)

    /// The item, or nil.
    public func item(id: UUID, in tx: Transaction) throws -> Item? {
        try store.item(id: id, in: tx)
    }

    /// The items with these ids that exist, in id order.
    public func items(ids: [UUID], in tx: Transaction) throws -> [Item] {
        guard !ids.isEmpty else { return [] }
        return try store.items(ids: Array(Set(ids)), in: tx)
    }

    /// The items with these ids that exist, in id order, held `FOR SHARE` until `tx` ends: what
    /// Inventory reads before it writes stock, so an item cannot turn into a service (or be
    /// deleted) while stock is being written for it.
    public func shareItems(ids: [UUID], in tx: Transaction) throws -> [Item] {
        guard !ids.isEmpty else { return [] }
        return try store.shareItems(ids: Array(Set(ids)), in: tx)
    }

    /// The item with this SKU (case-insensitive), or nil.
    public func item(sku: String, in tx: Transaction) throws -> Item? {
        try store.item(sku: sku, in: tx)
    }

    /// The item locked (`FOR UPDATE`) until `tx` ends, or nil: Inventory holds it while it
    /// recomputes the moving average cost, so two receipts of one item apply one after the other.
    public func lockItem(id: UUID, in tx: Transaction) throws -> Item? {
        try store.lockItem(id: id, in: tx)
    }

    /// Stores the moving average cost Inventory computed (minor units of the default currency).
    /// Bumps the item's version (its representation changed) but appends no `item.updated`:
    /// the stock event that caused it is the record.
    @discardableResult
    public func setAverageCost(itemID: UUID, averageCost: Int64, in tx: Transaction) throws -> Item? {
        try store.setAverageCost(itemID: itemID, averageCost: averageCost, in: tx)
    }

    /// The unit price of item `itemID` for a customer of `tier`, by API.md's precedence (see
    /// `Pricing.price(of:tier:tierDiscount:explicitUnitPrice:)`): an explicit price, the item's
    /// tier price, the list price less the tier discount (half-even), the list price. Sales
    /// and CRM call it for each line; a missing item is a 404 `not_found`.
    public func price(itemID: UUID, tier: CustomerTier, explicitUnitPrice: Int64? = nil, in tx: Transaction) throws
        -> Price
    {
        guard let item = try store.item(id: itemID, in: tx) else { throw AppError.notFound("item") }
        return try price(item: item, tier: tier, explicitUnitPrice: explicitUnitPrice, in: tx)
    }

    /// Same as `price(itemID:…)` for an item the caller already read.
    public func price(item: Item, tier: CustomerTier, explicitUnitPrice: Int64? = nil, in tx: Transaction) throws
        -> Price
    {
        let discount = try store.tier(tier, lock: false, in: tx)?.tier.discountPercent ?? .zero
        return Pricing.price(of: item, tier: tier, tierDiscount: discount, explicitUnitPrice: explicitUnitPrice)
    }

    func price(itemID: UUID, tier: CustomerTier) throws -> Price {
        try pool.transaction { tx in try price(itemID: itemID, tier: tier, in: tx) }
    }

    // MARK: Pricing tiers

    func tiers() throws -> [PricingTier] {
        try pool.read { tx in try store.tiers(in: tx).map(\.tier) }
    }

    func tier(_ tier: CustomerTier) throws -> PricingTier {
        guard let found = try pool.read({ tx in try store.tier(tier, lock: false, in: tx) }) else {
            throw AppError.notFound("tier")
        }
        return found.tier
    }

    /// Sets a tier's discount. Also `concord seed --demo`.
    public func setTierDiscount(
        _ tier: CustomerTier, discountPercent: ExactDecimal, ifMatch: (Int) throws -> Void = { _ in },
        actor: Principal?
    ) throws -> PricingTier {
        try PricingTierUpdate(discountPercent: discountPercent).validate()
        return try pool.transaction { tx in
            guard let current = try store.tier(tier, lock: true, in: tx) else { throw AppError.notFound("tier") }
            try ifMatch(current.tier.version)
            if current.tier.discountPercent == discountPercent { return current.tier }
            let updated = try store.updateTier(tier, discountPercent: discountPercent, in: tx)
            try events.append(
                "pricing_tier.updated", resourceType: "pricing_tier", resourceID: updated.id, resource: updated.tier,
                actor: actor, in: tx)
            return updated.tier
        }
    }
}

extension ProblemCode {
    /// 409: another item has this `sku` or `external_ref` (the field is named in `errors`).
    public static let duplicateItem = ProblemCode("duplicate_item", .conflict)
    /// 409: the item is referred to (stock movements, documents) and cannot be deleted.
    public static let itemInUse = ProblemCode("item_in_use", .conflict)
    /// 409: a stock item that holds or reserves stock cannot become a service.
    public static let itemHasStock = ProblemCode("item_has_stock", .conflict)
}

/// Named by id in events.
extension Item: IdentifiedRecord {}
