import Alerts
import CRM
import Catalog
import Core
import Customers
import FoundationEssentials
import HTTP
import Inventory
import Logging
import Platform
import Postgres
import Purchasing
import Receivables
import Routing
import Sales
import Webhooks

/// The composition root: configuration → database (embedded or `DATABASE_URL`) → migrations →
/// pool → every module's routes and permissions → HTTP server.
public final class ConcordServer: @unchecked Sendable {
    public let configuration: Configuration
    public let logger: Logger
    public let metrics = Metrics()
    public private(set) var database: Database?
    public private(set) var pool: ConnectionPool?
    /// The read replicas (`DATABASE_READ_URL`), when configured.
    public private(set) var replicas: ReadReplicas?
    /// Every module's service, once started.
    public private(set) var modules: Modules?
    public var events: EventLog? { modules?.events }
    public var users: UserService? { modules?.users }
    public var customers: CustomerService? { modules?.customers }
    public var crm: CRMService? { modules?.crm }
    public var catalog: CatalogService? { modules?.catalog }
    public var inventory: InventoryService? { modules?.inventory }
    public var sales: SalesService? { modules?.sales }
    public var purchasing: PurchasingService? { modules?.purchasing }
    public var receivables: ReceivablesService? { modules?.receivables }
    /// The permission table, once wired.
    public private(set) var permissions: PermissionTable?
    /// Every route as "METHOD /template", once wired (for tests that must cover each one).
    public private(set) var routes: [String] = []
    /// The admin key created on the first start of an empty database, shown once.
    public private(set) var firstAdminKey: String?
    private var server: HTTPServer?
    private var migrator: Migrator?
    private var maintenance: Maintenance?
    private var dispatcher: WebhookDispatcher?
    private var scheduler: AlertScheduler?
    private var backlog: BacklogMetrics?

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
        if shouldMigrate {
            try migrator.migrate(connectionString: database.connectionString)
        } else {
            try migrator.verifyNotNewer(connectionString: database.connectionString)
        }

        let pool = ConnectionPool(
            connectionString: database.connectionString,
            options: .init(size: configuration.databasePoolSize), logger: logger)
        self.pool = pool
        if !configuration.databaseReadURLs.isEmpty {
            let replicas = ReadReplicas(
                primary: pool, connectionStrings: configuration.databaseReadURLs,
                options: .init(
                    maxLagMilliseconds: configuration.replicaMaxLagMilliseconds,
                    checkInterval: configuration.replicaCheckInterval, poolSize: configuration.databasePoolSize),
                logger: logger)
            replicas.start()
            Self.registerMetrics(of: replicas, in: metrics)
            self.replicas = replicas
        }
        let modules = Modules(pool: pool, configuration: configuration, logger: logger)
        self.modules = modules
        firstAdminKey = try modules.users.bootstrapAdmin(configuredKey: configuration.adminAPIKey)
        let shutdownFlag = ShutdownFlag()
        let (application, permissions) = modules.application(
            pool: pool, configuration: configuration, logger: logger, metrics: metrics, replicas: replicas
        ) { builder in
            OperationsRoutes(
                metrics: metrics, openAPI: Resources.openAPIDocument(),
                readiness: { [weak self] in
                    if shutdownFlag.isSet { return "the server is shutting down" }
                    return self?.readinessProblem()
                }, problems: modules.problems
            ).register(in: &builder)
        }
        self.permissions = permissions
        routes = application.router.routes.map { "\($0.method) \($0.template)" }

        let serverConfiguration = ServerConfiguration(
            host: configuration.host, port: configuration.port, ioThreads: configuration.ioThreads,
            workers: configuration.workers,
            queueCapacity: max(64, configuration.workers * 64), maxConnections: configuration.maxConnections,
            limits: ParserLimits(maxBodyBytes: configuration.maxBodyBytes),
            headerReadTimeout: configuration.headerReadTimeout, bodyReadTimeout: configuration.bodyReadTimeout,
            idleTimeout: configuration.idleTimeout, shutdownGrace: configuration.shutdownGrace,
            batchScheduling: configuration.batchScheduling)
        let server = HTTPServer(configuration: serverConfiguration, responder: application, logger: logger)
        shutdownFlag.server = server
        try server.start(terminationSignalFD: terminationSignalFD)
        metrics.registerGauge("concord_http_connections_open", help: "Open client connections.") {
            Double(server.connectionCount)
        }
        metrics.registerGauge("concord_http_requests_queued", help: "Requests waiting for a worker thread.") {
            Double(server.queuedRequests)
        }
        metrics.registerGauge("concord_db_pool_in_use", help: "Database connections checked out.") {
            Double(pool.inUse)
        }
        metrics.registerGauge("concord_db_pool_waiting", help: "Requests waiting for a database connection.") {
            Double(pool.waitingCount)
        }
        metrics.registerCounter(
            "concord_db_deadlock_retries_total",
            help: "Transactions run again after a deadlock (40P01) since start; above zero is a lock-ordering mistake."
        ) { Double(pool.retries(.deadlockDetected)) }
        metrics.registerGauge(
            "concord_db_pool_size", help: "Database connections the pool may open (CONCORD_DB_POOL_SIZE)."
        ) {
            Double(pool.options.size)
        }
        metrics.registerCounter(
            "concord_db_pool_waits_total", help: "Checkouts that found every connection in use and waited."
        ) {
            Double(pool.waitsTotal)
        }
        ProcessMetrics.register(in: metrics)
        let backlog = BacklogMetrics(connectionString: database.connectionString)
        backlog.register(in: metrics)
        self.backlog = backlog
        self.server = server
        modules.events.startPublisher()
        let dispatcher = WebhookDispatcher(service: modules.webhooks, logger: logger)
        dispatcher.start()
        self.dispatcher = dispatcher
        let scheduler = AlertScheduler(
            service: modules.alerts, interval: Double(configuration.schedulerIntervalSeconds), logger: logger)
        scheduler.start()
        self.scheduler = scheduler
        let maintenance = Maintenance(pool: pool, logger: logger, webhooks: modules.webhooks)
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
        dispatcher?.stop()
        scheduler?.stop()
        events?.stopPublisher()
        maintenance?.stop()
        backlog?.close()
        replicas?.stop()
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
        try withMigratedModules(poolSize: 2) { _, modules in try body(modules.users) }
    }

    /// Runs `body` with every module on the configured database (started when embedded) after
    /// applying migrations, for the commands that work without serving.
    func withMigratedModules<T>(poolSize: Int, _ body: (ConnectionPool, Modules) throws -> T) throws -> T {
        let database = try Database(configuration: configuration, logger: logger)
        defer { database.stop() }
        try Database.migrator(logger: logger).migrate(connectionString: database.connectionString)
        let pool = ConnectionPool(
            connectionString: database.connectionString, options: .init(size: poolSize), logger: logger)
        defer { pool.close() }
        return try body(pool, Modules(pool: pool, configuration: configuration, logger: logger))
    }
}
