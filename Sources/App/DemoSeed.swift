import Catalog
import Core
import Customers
import FoundationEssentials
import Inventory
import Logging
import Platform
import Postgres
import Routing

/// `concord seed --demo`: a small, believable data set made through the services (so every
/// rule, event and ledger entry is as the API would make it). Idempotent: each part is
/// skipped when its marker already exists (for stock, the warehouse code `MAIN`), so running
/// it twice duplicates nothing.
public struct DemoSeed {
    let pool: ConnectionPool
    let catalog: CatalogService
    let inventory: InventoryService

    public init(pool: ConnectionPool, catalog: CatalogService, inventory: InventoryService) {
        self.pool = pool
        self.catalog = catalog
        self.inventory = inventory
    }

    /// Seeds every part; returns one line per part saying what happened. `api` reaches the
    /// application in-process for the parts made through the API.
    func run(api: InProcessClient) throws -> [String] {
        [
            try seedCatalogAndInventory(), try seedCommerce(api: api), try seedPurchasing(api: api),
            try seedPayables(api: api),
        ]
    }

    /// Tier discounts, two warehouses, stock items with tier prices, a service, and opening
    /// stock received at a cost (so the valuation report has figures).
    func seedCatalogAndInventory() throws -> String {
        if try inventory.warehouse(code: "MAIN") != nil {
            return "catalog and inventory: already seeded (warehouse MAIN exists)"
        }
        for (tier, discount) in [(CustomerTier.silver, 5), (.gold, 10), (.platinum, 15)] {
            _ = try catalog.setTierDiscount(tier, discountPercent: ExactDecimal(integer: Int64(discount)), actor: nil)
        }
        let main = try inventory.createWarehouse(
            code: "MAIN", name: "Main warehouse",
            address: Address(line1: "1 Harbour Road", city: "Rotterdam", country: "NL"))
        let east = try inventory.createWarehouse(
            code: "EAST", name: "East depot",
            address: Address(line1: "22 Station Street", city: "Utrecht", country: "NL"))
        struct Product {
            let sku: String, name: String, price: Int64, gold: Int64?, reorder: Int64, main: Int64, east: Int64,
                cost: Int64
        }
        let products = [
            Product(
                sku: "CHAIR-OAK", name: "Oak office chair", price: 24_900, gold: 21_900, reorder: 10, main: 40,
                east: 12, cost: 13_500),
            Product(
                sku: "DESK-140", name: "Standing desk 140 cm", price: 59_900, gold: nil, reorder: 5, main: 15, east: 4,
                cost: 34_000),
            Product(
                sku: "LAMP-LED", name: "LED desk lamp", price: 3_990, gold: 3_490, reorder: 25, main: 120, east: 30,
                cost: 1_650),
            Product(
                sku: "CABLE-USB-C", name: "USB-C cable 2 m", price: 1_299, gold: nil, reorder: 100, main: 80, east: 0,
                cost: 310),
        ]
        var received: [ReceiptLine] = []
        var line = 0
        for product in products {
            let item = try catalog.createItem(
                sku: product.sku, name: product.name, type: .stock, unitPrice: product.price,
                tierPrices: product.gold.map { [.gold: $0] } ?? [:],
                reorderPoint: ExactDecimal(integer: product.reorder),
                reorderQuantity: ExactDecimal(integer: product.reorder * 2))
            for (warehouse, quantity) in [(main, product.main), (east, product.east)] where quantity > 0 {
                line += 1
                received.append(
                    ReceiptLine(
                        lineNo: line, itemID: item.id, warehouseID: warehouse.id,
                        quantity: ExactDecimal(integer: quantity), unitCost: product.cost))
            }
        }
        _ = try catalog.createItem(
            sku: "SVC-INSTALL", name: "On-site installation (per hour)", type: .service, unitPrice: 8_500,
            unit: "hour")
        try pool.transaction { tx in
            _ = try inventory.receive(
                lines: received, reference: StockReference(type: "opening_balance", id: UUID(), number: "DEMO"),
                actor: nil, in: tx)
        }
        return "catalog and inventory: 2 warehouses, \(products.count + 1) items, \(received.count) opening receipts"
    }
}

extension ConcordServer {
    /// `concord seed --demo`: migrates, then seeds the configured database through the services
    /// and the API (in-process, with a temporary admin key). On an empty database the admin
    /// is created first, and its key is among the returned lines (shown once).
    public func seedDemo() throws -> [String] {
        try withMigratedModules(poolSize: 4) { pool, modules in try seedDemo(pool: pool, modules: modules) }
    }

    private func seedDemo(pool: ConnectionPool, modules: Modules) throws -> [String] {
        var lines: [String] = []
        if let key = try modules.users.bootstrapAdmin(configuredKey: configuration.adminAPIKey) {
            lines.append("first admin API key (shown once, store it): \(key)")
        }
        let (application, _) = modules.application(
            pool: pool, configuration: configuration, logger: logger, metrics: Metrics())
        let seed = DemoSeed(pool: pool, catalog: modules.catalog, inventory: modules.inventory)
        lines += try modules.users.withTemporaryKey(forEmail: "admin@concord.local", name: "concord seed --demo") {
            key in
            // One transaction (every service call joins it): a failed seed leaves nothing behind.
            try pool.transaction { _ in try seed.run(api: InProcessClient(application: application, key: key)) }
        }
        _ = try? modules.events.publish()
        return lines
    }
}

extension ConcordServer {
    /// `concord seed --customers N`: migrates, then adds `count` synthetic customers (see
    /// `CustomerService.seedSynthetic`). Returns the number made.
    /// `owner`: the email of a user to own `owned` of them, spread evenly.
    public func seedCustomers(
        count: Int, force: Bool, owner: String? = nil, owned: Int = 0, progress: (Int) -> Void = { _ in }
    ) throws -> Int {
        try withMigratedModules(poolSize: 2) { _, modules in
            var synthetic: SyntheticOwner?
            if let owner {
                synthetic = SyntheticOwner(
                    id: try modules.users.userID(email: owner), every: max(1, count / max(1, owned)))
            }
            return try modules.customers.seedSynthetic(
                count: count, force: force, owner: synthetic, progress: progress)
        }
    }

    /// `concord seed --shipped-lines N`: shipped order lines over the existing customers.
    public func seedShippedLines(count: Int, progress: (Int) -> Void = { _ in }) throws -> Int {
        let currency = configuration.defaultCurrency
        return try withMigratedModules(poolSize: 2) { _, modules in
            try modules.sales.seedShipped(lines: count, currency: currency, progress: progress)
        }
    }
}
