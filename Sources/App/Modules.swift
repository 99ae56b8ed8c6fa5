import Alerts
import Approvals
import CRM
import Catalog
import Core
import Customers
import FoundationEssentials
import Insights
import Inventory
import Logging
import Payables
import Platform
import Postgres
import Purchasing
import Receivables
import Routing
import Sales
import Service
import Webhooks

/// Every module's service, wired to the others: the one place that knows them all
/// (DESIGN.md: a lower module reaches a higher one only through a function given here).
public struct Modules: Sendable {
    public let events: EventLog
    public let users: UserService
    public let teams: TeamService
    public let customers: CustomerService
    public let crm: CRMService
    public let catalog: CatalogService
    public let inventory: InventoryService
    public let sales: SalesService
    public let purchasing: PurchasingService
    public let webhooks: WebhookService
    public let receivables: ReceivablesService
    public let payables: PayablesService
    public let approvals: ApprovalService
    public let insights: InsightsService
    public let alerts: AlertService
    public let service: AfterSalesService

    public init(pool: ConnectionPool, configuration: Configuration, logger: Logger) {
        let currency = configuration.defaultCurrency
        events = EventLog(pool: pool, logger: logger)
        users = UserService(pool: pool, events: events)
        teams = users.teams
        customers = CustomerService(pool: pool, events: events, users: users, defaultCurrency: currency)
        crm = CRMService(pool: pool, events: events, users: users, customers: customers)
        catalog = CatalogService(pool: pool, events: events, defaultCurrency: currency)
        inventory = InventoryService(pool: pool, events: events, catalog: catalog, currency: currency)
        sales = SalesService(pool: pool, events: events, customers: customers, catalog: catalog, inventory: inventory)
        webhooks = WebhookService(
            pool: pool, events: events,
            settings: WebhookSettings(
                allowPrivate: configuration.webhookAllowPrivate,
                retryBase: Double(configuration.webhookRetryBaseMilliseconds) / 1000,
                maxAttempts: configuration.webhookMaxAttempts))
        purchasing = PurchasingService(
            pool: pool, events: events, catalog: catalog, inventory: inventory, currency: currency)
        receivables = ReceivablesService(pool: pool, events: events, customers: customers, sales: sales)
        payables = PayablesService(
            pool: pool, events: events, purchasing: purchasing, currency: currency,
            priceTolerancePercent: configuration.billPriceTolerancePercent)
        approvals = ApprovalService(pool: pool, events: events, catalog: catalog, currency: currency)
        insights = InsightsService(pool: pool, currency: currency)
        alerts = AlertService(pool: pool, events: events, sales: sales)
        service = AfterSalesService(
            pool: pool, events: events, users: users, customers: customers, catalog: catalog, inventory: inventory,
            sales: sales, receivables: receivables)

        let catalog = self.catalog, sales = self.sales, receivables = self.receivables, purchasing = self.purchasing
        // Items name their preferred supplier: Catalog checks it through Purchasing.
        catalog.setSupplierCheck { id, tx in try purchasing.supplierExists(id: id, in: tx) }
        // Opportunity lines name items: CRM checks them through the catalog.
        crm.setItemLookup { ids, tx in Set(try catalog.items(ids: ids, in: tx).map(\.id)) }
        // A won opportunity opens its draft order through Sales (CRM never imports Sales).
        crm.setOrderOpener { opportunity, actor, tx in
            try sales.createDraft(
                customerID: opportunity.customerId, opportunityID: opportunity.id, currency: opportunity.currency,
                lines: opportunity.lines.map { ($0.itemId, $0.description, $0.quantity, $0.unitPrice) },
                warehouseID: nil, actor: actor, in: tx)
        }
        // Activities may be logged on service cases (CRM never imports Service).
        let service = self.service
        crm.setCaseLookup { id, tx in try service.caseCustomer(id, in: tx) }
        receivables.setItemLookup { ids, tx in Set(try catalog.items(ids: ids, in: tx).map(\.id)) }
        // Orders are invoiced through Receivables, and the credit check counts what is owed.
        sales.setInvoicer { draft, actor, tx in try receivables.invoice(fromOrder: draft, actor: actor, in: tx) }
        sales.setOpenReceivables(ReceivablesService.openReceivables)
        // Ordering, confirming and posting ask Approvals first (none of them imports it), and
        // an approved request runs the action through the same service.
        let approvals = self.approvals, payables = self.payables
        for gate in [purchasing.approvalGate, sales.approvalGate, payables.approvalGate] {
            gate.install { subject, actor, tx in try approvals.hold(subject, actor: actor, in: tx) }
        }
        approvals.setActions(
            .purchaseOrder,
            DocumentActions(
                complete: { id, _, actor, tx in try purchasing.orderApproved(id: id, actor: actor, in: tx) },
                revert: { id, tx in try purchasing.returnToDraft(id: id, in: tx) }))
        approvals.setActions(
            .salesOrder,
            DocumentActions(
                complete: { id, options, actor, tx in
                    try sales.confirmApproved(id: id, options: options, actor: actor, in: tx)
                },
                revert: { id, tx in try sales.returnToDraft(id: id, in: tx) }))
        approvals.setActions(
            .supplierBill,
            DocumentActions(
                complete: { id, options, actor, tx in
                    try payables.postApproved(id: id, options: options, actor: actor, in: tx)
                },
                revert: { id, tx in try payables.returnToDraft(id: id, in: tx) }))
        // Data-driven alerts are re-checked in the transaction that changes the data: through
        // the event every change appends (no module below Alerts knows it).
        let alerts = self.alerts
        events.setWatcher { type, resourceType, resourceID, data, tx in
            try alerts.watch(type: type, resourceType: resourceType, resourceID: resourceID, data: data, in: tx)
        }
    }

    /// Every module's HTTP side, each listed once: its routes and its problem codes.
    var routeModules: [any ModuleRoutes] {
        [
            UserRoutes(service: users), TeamRoutes(service: teams), EventRoutes(events: events),
            CustomerRoutes(service: customers),
            CRMRoutes(service: crm), CatalogRoutes(service: catalog), InventoryRoutes(service: inventory),
            PurchasingRoutes(service: purchasing), WebhookRoutes(service: webhooks), SalesRoutes(service: sales),
            ReceivablesRoutes(service: receivables), PayablesRoutes(service: payables),
            ApprovalRoutes(service: approvals),
            InsightsRoutes(service: insights), AlertRoutes(service: alerts), ServiceRoutes(service: service),
        ]
    }

    /// Every problem code the wired modules answer with, collected once.
    public var problems: ProblemRegistry {
        ProblemRegistry(modules: routeModules.map { type(of: $0).problemCodes })
    }

    /// Every module's routes and permissions.
    public func register(in builder: inout RouterBuilder, permissions: PermissionTable) {
        for module in routeModules { module.register(in: &builder, permissions: permissions) }
        CustomerSummaryRoutes(
            customers: customers, crm: crm, sales: sales, receivables: receivables, insights: insights,
            alerts: alerts, service: service
        ).register(in: &builder, permissions: permissions)
    }

    /// The application: `extra` routes (operations) plus every module's, behind the middleware
    /// chain of a request's way (DESIGN.md). Stops start-up when a route names a permission no
    /// module declared.
    public func application(
        pool: ConnectionPool, configuration: Configuration, logger: Logger, metrics: Metrics,
        replicas: ReadReplicas? = nil, extra: (inout RouterBuilder) -> Void = { _ in }
    ) -> (Application, PermissionTable) {
        var builder = RouterBuilder()
        let permissions = PermissionTable()
        extra(&builder)
        register(in: &builder, permissions: permissions)
        permissions.freeze()
        let router = builder.build()
        for route in router.routes {
            if case .permission(let permission) = route.access {
                precondition(
                    permissions.isDeclared(permission),
                    "route \(route.method) \(route.template) names undeclared permission \(permission)")
            }
        }
        let middleware: [(any Middleware)?] = [
            RequestIDMiddleware(),
            AccessLogMiddleware(logger: logger, sink: Self.accessSink(for: logger)),
            MetricsMiddleware(metrics: metrics),
            CORSMiddleware(origins: configuration.corsOrigins),
            ErrorMiddleware(logger: logger),
            AuthMiddleware(users: users, permissions: permissions),
            // Always in place: a key's own `rate_limit_per_second` applies even when the
            // installation's limit is off.
            RateLimitMiddleware(
                limiter: RateLimiter(perSecond: configuration.rateLimitPerSecond, burst: configuration.rateLimitBurst)),
            // Outside the idempotency transaction, so it sees that transaction's commit.
            replicas.map {
                ReadRoutingMiddleware(
                    replicas: $0, readYourWrites: Double(configuration.readYourWritesMilliseconds) / 1_000)
            },
            IdempotencyMiddleware(pool: pool),
        ]
        let application = Application(router: router, middleware: middleware.compactMap { $0 }, logger: logger)
        return (application, permissions)
    }
}

extension Modules {
    /// Concord's own handler writes access lines without swift-log's metadata dictionary; any
    /// other handler gets the record as metadata.
    static func accessSink(for logger: Logger) -> AccessLogMiddleware.Sink? {
        guard let handler = logger.handler as? ConcordLogHandler else { return nil }
        return { record in handler.write(record) }
    }
}
