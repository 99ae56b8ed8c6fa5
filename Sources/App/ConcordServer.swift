import CRM
import Catalog
import Customers
import Foundation
import HTTP
import Inventory
import Logging
import Platform
import Postgres
import Receivables
import Routing
import Sales

/// The composition root: configuration → database (embedded or `DATABASE_URL`) → migrations →
/// pool → every module's routes and permissions → HTTP server.
public final class ConcordServer: @unchecked Sendable {
    public let configuration: Configuration
    public let logger: Logger
    public let metrics = Metrics()
    public private(set) var database: Database?
    public private(set) var pool: ConnectionPool?
    public private(set) var events: EventLog?
    public private(set) var users: UserService?
    public private(set) var customers: CustomerService?
    public private(set) var crm: CRMService?
    public private(set) var catalog: CatalogService?
    public private(set) var inventory: InventoryService?
    public private(set) var sales: SalesService?
    public private(set) var receivables: ReceivablesService?
    /// The permission table, once wired.
    public private(set) var permissions: PermissionTable?
    /// The admin key created on the first start of an empty database, shown once.
    public private(set) var firstAdminKey: String?
    private var server: HTTPServer?
    private var migrator: Migrator?
    private var maintenance: Maintenance?

    /// - migrate: apply pending migrations before serving (`serve --no-migrate` turns it off).
    public init(configuration: Configuration, logger: Logger, migrate: Bool = true) {
        self.configuration = configuration
        self.logger = logger
        self.shouldMigrate = migrate
    }

    private let shouldMigrate: Bool

    /// The bound port once started.
    public var port: Int { server?.port ?? 0 }

    /// Connects (starting the embedded cluster if needed), migrates, builds the application
    /// and starts serving; returns once the socket is listening.
    public func start(terminationSignalFD: Int32? = nil) throws {
        let database = try Database(configuration: configuration, logger: logger)
        self.database = database
        let migrator = try Database.migrator(logger: logger)
        self.migrator = migrator
        if shouldMigrate { try migrator.migrate(connectionString: database.connectionString) }

        let pool = ConnectionPool(connectionString: database.connectionString,
                                  options: .init(size: configuration.databasePoolSize), logger: logger)
        self.pool = pool
        let events = EventLog(pool: pool, logger: logger)
        self.events = events
        let users = UserService(pool: pool, events: events)
        self.users = users
        firstAdminKey = try users.bootstrapAdmin(configuredKey: configuration.adminAPIKey)
        let customers = CustomerService(pool: pool, events: events, users: users, defaultCurrency: configuration.defaultCurrency)
        self.customers = customers
        let crm = CRMService(pool: pool, events: events, users: users, customers: customers)
        self.crm = crm
        let catalog = CatalogService(pool: pool, events: events, defaultCurrency: configuration.defaultCurrency)
        self.catalog = catalog
        let inventory = InventoryService(pool: pool, events: events, catalog: catalog, currency: configuration.defaultCurrency)
        // Opportunity lines name items: CRM checks them through the catalog.
        crm.setItemLookup { ids, tx in Set(try catalog.items(ids: ids, in: tx).map(\.id)) }
        self.inventory = inventory
        let sales = SalesService(pool: pool, events: events, customers: customers, catalog: catalog, inventory: inventory)
        self.sales = sales
        // A won opportunity opens its draft order through Sales (CRM never imports Sales).
        crm.setOrderOpener { opportunity, actor, tx in
            try sales.createDraft(customerID: opportunity.customerId, opportunityID: opportunity.id, currency: opportunity.currency,
                                  lines: opportunity.lines.map { ($0.itemId, $0.description, $0.quantity, $0.unitPrice) },
                                  warehouseID: nil, actor: actor, in: tx)
        }
        let receivables = ReceivablesService(pool: pool, events: events, customers: customers)
        self.receivables = receivables
        // Orders are invoiced through Receivables, and the credit check counts what is owed.
        sales.setInvoicer { draft, actor, tx in try receivables.invoice(fromOrder: draft, actor: actor, in: tx) }
        sales.setOpenReceivables { customer, currency, tx in try receivables.openReceivables(customerID: customer, currency: currency, in: tx) }

        var builder = RouterBuilder()
        let permissions = PermissionTable()
        let shutdownFlag = ShutdownFlag()
        OperationsRoutes(metrics: metrics, openAPI: Resources.openAPIDocument(), readiness: { [weak self] in
            if shutdownFlag.isSet { return "the server is shutting down" }
            return self?.readinessProblem()
        }).register(in: &builder)
        UserRoutes(service: users).register(in: &builder, permissions: permissions)
        EventRoutes(events: events).register(in: &builder, permissions: permissions)
        CustomerRoutes(service: customers).register(in: &builder, permissions: permissions)
        CRMRoutes(service: crm).register(in: &builder, permissions: permissions)
        CustomerSummaryRoutes(customers: customers, crm: crm, sales: sales, receivables: receivables).register(in: &builder)
        CatalogRoutes(service: catalog).register(in: &builder, permissions: permissions)
        InventoryRoutes(service: inventory).register(in: &builder, permissions: permissions)
        SalesRoutes(service: sales).register(in: &builder, permissions: permissions)
        ReceivablesRoutes(service: receivables).register(in: &builder, permissions: permissions)
        permissions.freeze()
        self.permissions = permissions
        let router = builder.build()
        for route in router.routes {
            if case .permission(let permission) = route.access {
                precondition(permissions.isDeclared(permission), "route \(route.method) \(route.template) names undeclared permission \(permission)")
            }
        }

        let application = Application(router: router, middleware: [
            RequestIDMiddleware(),
            AccessLogMiddleware(logger: logger),
            MetricsMiddleware(metrics: metrics),
            CORSMiddleware(origins: configuration.corsOrigins),
            ErrorMiddleware(logger: logger),
            AuthMiddleware(users: users, permissions: permissions),
            IdempotencyMiddleware(pool: pool),
        ], logger: logger)

        let serverConfiguration = ServerConfiguration(
            host: configuration.host, port: configuration.port, ioThreads: configuration.ioThreads, workers: configuration.workers,
            queueCapacity: max(64, configuration.workers * 64), maxConnections: configuration.maxConnections,
            limits: ParserLimits(maxBodyBytes: configuration.maxBodyBytes),
            headerReadTimeout: configuration.headerReadTimeout, bodyReadTimeout: configuration.headerReadTimeout,
            idleTimeout: configuration.idleTimeout, shutdownGrace: configuration.shutdownGrace)
        let server = HTTPServer(configuration: serverConfiguration, responder: application, logger: logger)
        shutdownFlag.server = server
        try server.start(terminationSignalFD: terminationSignalFD)
        metrics.registerGauge("concord_http_connections_open", help: "Open client connections.") { Double(server.connectionCount) }
        metrics.registerGauge("concord_http_requests_queued", help: "Requests waiting for a worker thread.") { Double(server.queuedRequests) }
        metrics.registerGauge("concord_db_pool_in_use", help: "Database connections checked out.") { Double(pool.inUse) }
        metrics.registerGauge("concord_db_pool_waiting", help: "Requests waiting for a database connection.") { Double(pool.waitingCount) }
        self.server = server
        events.startPublisher()
        let maintenance = Maintenance(pool: pool, logger: logger)
        maintenance.start()
        self.maintenance = maintenance
        logger.info("listening", metadata: ["address": "http://\(Self.displayHost(configuration.host)):\(server.port)"])
    }

    /// Nil when ready for traffic; otherwise why not.
    func readinessProblem() -> String? {
        guard let pool, let migrator else { return "starting" }
        do {
            let pending = try pool.withConnection { try migrator.pending(connection: $0) }
            return pending.isEmpty ? nil : "migrations pending: \(pending.joined(separator: ", "))"
        } catch {
            return "the database is unreachable"
        }
    }

    /// Starts a graceful shutdown.
    public func shutdown() { server?.shutdown() }

    /// Blocks until the server has stopped, then releases the database.
    public func waitUntilStopped() {
        server?.waitUntilStopped()
        events?.stopPublisher()
        maintenance?.stop()
        pool?.close()
        database?.stop()
    }

    static func displayHost(_ host: String) -> String { host.contains(":") ? "[\(host)]" : host }
}

/// Lets `/readyz` see the server's shutdown state before the server object exists.
final class ShutdownFlag: @unchecked Sendable {
    weak var server: HTTPServer?
    var isSet: Bool { server?.isShuttingDown ?? false }
}

extension ConcordServer {
    /// Applies pending migrations and returns their names (`concord migrate`).
    public func migrateOnly() throws -> [String] {
        let database = try Database(configuration: configuration, logger: logger)
        defer { database.stop() }
        return try Database.migrator(logger: logger).migrate(connectionString: database.connectionString)
    }

    /// Runs `body` with the user service on a migrated database, for the command line.
    public func withServices<T>(_ body: (UserService) throws -> T) throws -> T {
        let database = try Database(configuration: configuration, logger: logger)
        defer { database.stop() }
        try Database.migrator(logger: logger).migrate(connectionString: database.connectionString)
        let pool = ConnectionPool(connectionString: database.connectionString, options: .init(size: 2), logger: logger)
        defer { pool.close() }
        return try body(UserService(pool: pool, events: EventLog(pool: pool, logger: logger)))
    }
}
