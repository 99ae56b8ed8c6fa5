import Core
import FoundationEssentials
import Platform
import Postgres

/// How `GET /items` is ordered: `created_at` (default), `sku` or `name`, each ascending or
/// descending (`sort=-name`), always followed by `id` so the keyset cursor is total.
struct ItemSort: Sendable {
    enum Field: String, CaseIterable { case createdAt = "created_at", sku, name }
    let field: Field
    let descending: Bool

    init(_ text: String?) throws {
        let raw = text ?? "created_at"
        descending = raw.hasPrefix("-")
        guard let field = Field(rawValue: descending ? String(raw.dropFirst()) : raw) else {
            throw AppError.invalidParameter("sort", "must be one of: created_at, sku, name (prefix - for descending)")
        }
        self.field = field
    }

    func key(_ item: Item) -> String {
        switch field {
        case .createdAt: item.createdAt.postgresText
        case .sku: item.sku
        case .name: item.name
        }
    }
}

/// Filters of `GET /items`.
struct ItemFilter: Sendable {
    var active: Bool?
    var type: ItemType?
    var q: String?
    var externalRef: String?
}

/// SQL of items and pricing tiers.
struct CatalogStore: Sendable {
    static let itemColumns: SQL = """
        id, sku, name, description, type, unit, unit_price, currency, tier_prices, reorder_point, reorder_quantity,
        preferred_supplier_id, active, average_cost, standard_cost, external_ref, created_at, updated_at, version
        """

    func insertItem(_ item: Item, in tx: Transaction) throws -> Item {
        try Self.item(
            tx.first(
                """
                INSERT INTO items (sku, name, description, type, unit, unit_price, currency, tier_prices, reorder_point,
                                   reorder_quantity, preferred_supplier_id, active, standard_cost, external_ref)
                VALUES (\(item.sku), \(item.name), \(item.description), \(item.type.rawValue), \(item.unit), \(item.unitPrice),
                        \(item.currency), \(Self.tierPricesJSON(item.tierPrices)), \(item.reorderPoint), \(item.reorderQuantity),
                        \(item.preferredSupplierId), \(item.active), \(item.standardCost), \(item.externalRef))
                RETURNING \(Self.itemColumns)
                """)!)
    }

    func item(id: UUID, in tx: Transaction) throws -> Item? {
        try tx.first("SELECT \(Self.itemColumns) FROM items WHERE id = \(id)").map(Self.item)
    }

    /// `FOR NO KEY UPDATE`, not `FOR UPDATE`: inserting a stock movement takes `FOR KEY SHARE`
    /// on its item (the foreign key) while holding balance locks, and a full `FOR UPDATE` here
    /// would make that wait, and so deadlock against a receipt holding the item.
    func lockItem(id: UUID, in tx: Transaction) throws -> Item? {
        try tx.first("SELECT \(Self.itemColumns) FROM items WHERE id = \(id) FOR NO KEY UPDATE").map(Self.item)
    }

    func items(ids: [UUID], in tx: Transaction) throws -> [Item] {
        try tx.query("SELECT \(Self.itemColumns) FROM items WHERE id = ANY(\(ids)) ORDER BY id").rows.map(Self.item)
    }

    /// `FOR SHARE`, in id order: stock writers hold their items so the type cannot change under
    /// them (a PATCH waits), while they do not wait for each other.
    func shareItems(ids: [UUID], in tx: Transaction) throws -> [Item] {
        try tx.query("SELECT \(Self.itemColumns) FROM items WHERE id = ANY(\(ids)) ORDER BY id FOR SHARE").rows.map(
            Self.item)
    }

    func item(sku: String, in tx: Transaction) throws -> Item? {
        try tx.first("SELECT \(Self.itemColumns) FROM items WHERE lower(sku) = lower(\(sku))").map(Self.item)
    }

    func listItems(
        _ filter: ItemFilter, sort: ItemSort, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction
    ) throws -> [Item] {
        var conditions: [SQL] = []
        if let active = filter.active { conditions.append("active = \(active)") }
        if let type = filter.type { conditions.append("type = \(type.rawValue)") }
        if let externalRef = filter.externalRef { conditions.append("external_ref = \(externalRef)") }
        if let q = filter.q {
            let pattern = SQL.likeContaining(q)
            conditions.append("(sku ILIKE \(pattern) OR name ILIKE \(pattern))")
        }
        let keyset: Keyset
        switch sort.field {
        case .createdAt: keyset = .createdAt
        case .sku: keyset = Keyset("sku", cast: nil)
        case .name: keyset = Keyset("name", cast: nil)
        }
        let page = keyset.clause(conditions, after: after, descending: sort.descending, limit: limit)
        return try tx.query("SELECT \(Self.itemColumns) FROM items \(page)").rows.map(Self.item)
    }

    func updateItem(_ item: Item, in tx: Transaction) throws -> Item {
        try Self.item(
            tx.first(
                """
                UPDATE items SET sku = \(item.sku), name = \(item.name), description = \(item.description), type = \(item.type.rawValue),
                    unit = \(item.unit), unit_price = \(item.unitPrice), currency = \(item.currency),
                    tier_prices = \(Self.tierPricesJSON(item.tierPrices)), reorder_point = \(item.reorderPoint),
                    reorder_quantity = \(item.reorderQuantity), preferred_supplier_id = \(item.preferredSupplierId),
                    active = \(item.active), standard_cost = \(item.standardCost), external_ref = \(item.externalRef),
                    updated_at = now(), version = version + 1
                WHERE id = \(item.id) RETURNING \(Self.itemColumns)
                """)!)
    }

    func setAverageCost(itemID: UUID, averageCost: Int64, in tx: Transaction) throws -> Item? {
        try tx.first(
            """
            UPDATE items SET average_cost = \(averageCost), updated_at = now(), version = version + 1
            WHERE id = \(itemID) RETURNING \(Self.itemColumns)
            """
        ).map(Self.item)
    }

    /// Deletes an item; a foreign key violation (23503) means movements or documents name it.
    func deleteItem(id: UUID, in tx: Transaction) throws -> Bool {
        try tx.execute("DELETE FROM items WHERE id = \(id)") == 1
    }

    // MARK: Pricing tiers

    static let tierColumns: SQL = "tier, id, discount_percent, updated_at, version"

    func tiers(in tx: Transaction) throws -> [(id: UUID, tier: PricingTier)] {
        try tx.query("SELECT \(Self.tierColumns) FROM pricing_tiers").rows.map(Self.tier)
            .sorted {
                CustomerTier.allCases.firstIndex(of: $0.tier.tier)! < CustomerTier.allCases.firstIndex(
                    of: $1.tier.tier)!
            }
    }

    func tier(_ tier: CustomerTier, lock: Bool, in tx: Transaction) throws -> (id: UUID, tier: PricingTier)? {
        let forUpdate: SQL = lock ? "FOR UPDATE" : ""
        return try tx.first("SELECT \(Self.tierColumns) FROM pricing_tiers WHERE tier = \(tier.rawValue) \(forUpdate)")
            .map(Self.tier)
    }

    func updateTier(_ tier: CustomerTier, discountPercent: ExactDecimal, in tx: Transaction) throws -> (
        id: UUID, tier: PricingTier
    ) {
        try Self.tier(
            tx.first(
                """
                UPDATE pricing_tiers SET discount_percent = \(discountPercent), updated_at = now(), version = version + 1
                WHERE tier = \(tier.rawValue) RETURNING \(Self.tierColumns)
                """)!)
    }

    // MARK: Rows

    static func item(_ row: Row) throws -> Item {
        let type = try row.decodeEnum("type", as: ItemType.self)
        let prices: JSONValue = try row.decode("tier_prices")
        var tierPrices: [String: Int64] = [:]
        for (tier, price) in prices.objectValue ?? JSONObject() { tierPrices[tier] = price.int64Value }
        return Item(
            id: try row.decode("id"), sku: try row.decode("sku"), name: try row.decode("name"),
            description: try row.decodeIfPresent("description"), type: type, unit: try row.decode("unit"),
            unitPrice: try row.decode("unit_price"), currency: try row.decode("currency"), tierPrices: tierPrices,
            reorderPoint: try row.decodeIfPresent("reorder_point"),
            reorderQuantity: try row.decodeIfPresent("reorder_quantity"),
            preferredSupplierId: try row.decodeIfPresent("preferred_supplier_id"), active: try row.decode("active"),
            averageCost: try row.decode("average_cost"), externalRef: try row.decodeIfPresent("external_ref"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"), standardCost: try row.decodeIfPresent("standard_cost"))
    }

    static func tier(_ row: Row) throws -> (id: UUID, tier: PricingTier) {
        let tier = try row.decodeEnum("tier", as: CustomerTier.self)
        return (
            try row.decode("id"),
            PricingTier(
                tier: tier, discountPercent: try row.decode("discount_percent"),
                updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
        )
    }

    static func tierPricesJSON(_ prices: [String: Int64]) -> JSONValue {
        .object(JSONObject(prices.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.number(String($0.value))) }))
    }
}
