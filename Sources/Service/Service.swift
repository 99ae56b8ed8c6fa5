import Catalog
import Core
import Customers
import FoundationEssentials
import Inventory
import Platform
import Postgres
import Receivables
import Sales

/// After-sales: service cases worked to SLA policies, and customer returns against sales
/// orders (restocked at their shipped cost, credited where billed).
///
/// Locks: a return locks its sales order first (through Sales), so concurrent returns of one
/// line count one after the other; then stock (Inventory's order) and invoices (Receivables').
public final class AfterSalesService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let users: UserService
    let customers: CustomerService
    let catalog: CatalogService
    let inventory: InventoryService
    let sales: SalesService
    let receivables: ReceivablesService
    let store = ServiceStore()
    let returnStore = ReturnStore()

    /// Also registers cases and returns with the customer master, so merges move them.
    public init(
        pool: ConnectionPool, events: EventLog, users: UserService, customers: CustomerService,
        catalog: CatalogService, inventory: InventoryService, sales: SalesService, receivables: ReceivablesService
    ) {
        self.pool = pool
        self.events = events
        self.users = users
        self.customers = customers
        self.catalog = catalog
        self.inventory = inventory
        self.sales = sales
        self.receivables = receivables
        let returnStore = self.returnStore
        for (label, table) in [("cases", "service_cases"), ("returns", "returns")] {
            customers.registerReference(
                CustomerReference(label: label, column: "\(table).customer_id") { from, to, tx in
                    try returnStore.move(table: table, from: from, to: to, in: tx)
                })
        }
    }

    // MARK: Cases

    func createCase(_ input: CaseInput, actor: Principal) throws -> ServiceCase {
        var input = input
        input.status = nil
        input.normalize()
        try input.validate()
        guard let customerID = input.customerId else {
            throw AppError.validation([FieldError(field: "customer_id", message: "is required")])
        }
        let given = input
        return try pool.transaction { tx in
            guard try customers.customer(id: customerID, in: tx) != nil else {
                throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
            }
            try checkLinks(given, customerID: customerID, in: tx)
            let owner = try users.teams.owner(requested: given.ownerId, team: given.teamId, actor: actor, in: tx)
            let id = try store.insertCase(
                given, customerID: customerID, priority: given.priority ?? .normal, ownerID: owner,
                reportedAt: given.reportedAt ?? Date(), in: tx)
            // Read back whatever the caller's scope: a scoped caller may report a case for a
            // customer they see but assign it to someone they do not.
            let created = try RecordScope.$current.withValue(.all) { try store.serviceCase(.id(id), in: tx)! }
            return try events.recorded("case.created", created, actor: actor, in: tx)
        }
    }

    func serviceCase(_ key: DocumentKey) throws -> ServiceCase {
        try pool.record("case") { tx in try store.serviceCase(key, in: tx) }
    }

    func listCases(_ filter: CaseFilter, page: PageRequest) throws -> Page<ServiceCase> {
        try pool.page(page) { tx in try store.listCases(filter, after: page.after, limit: page.limit, in: tx) }
    }

    /// A merge patch of the writable fields; `status` moves the case along its states (409
    /// `invalid_transition` naming both otherwise); a new priority takes its SLA deadlines.
    func updateCase(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> ServiceCase
    {
        try pool.transaction { tx in
            guard let current = try store.serviceCase(key, lock: true, in: tx) else { throw AppError.notFound("case") }
            try ifMatch(current.version)
            let edit = try RecordPatch<CaseInput>(patch, to: current, writable: ServiceCase.writableFields)
            let input = edit.input
            var changed = current
            changed.contactId = input.contactId
            changed.salesOrderId = input.salesOrderId
            changed.itemId = input.itemId
            changed.type = input.type
            changed.priority = input.priority ?? current.priority
            changed.subject = input.subject
            changed.description = input.description
            changed.ownerId = input.ownerId
            changed.teamId = input.teamId
            changed.status = input.status ?? current.status
            if try edit.leavesUnchanged(changed) { return current }
            if changed.contactId != current.contactId || changed.salesOrderId != current.salesOrderId
                || changed.itemId != current.itemId || changed.teamId != current.teamId
            {
                var links = input
                if links.contactId == current.contactId { links.contactId = nil }
                if links.salesOrderId == current.salesOrderId { links.salesOrderId = nil }
                if links.itemId == current.itemId { links.itemId = nil }
                if links.teamId == current.teamId { links.teamId = nil }
                try checkLinks(links, customerID: current.customerId, in: tx)
            }
            if let owner = changed.ownerId, owner != current.ownerId {
                try users.teams.checkReassign(from: current.ownerId, to: owner, actor: actor, in: tx)
            }
            try store.updateCase(changed, repriced: changed.priority != current.priority, in: tx)
            if changed.status != current.status {
                guard current.status.allows(changed.status) else {
                    throw AppError.invalidTransition(
                        "\(current.number) is \(current.status.rawValue); it cannot move to \(changed.status.rawValue)",
                        from: current.status, to: changed.status)
                }
                try store.move(caseID: current.id, from: current.status, to: changed.status, in: tx)
            }
            let updated = try RecordScope.$current.withValue(.all) {
                try store.serviceCase(.id(current.id), in: tx)!
            }
            if changed.status != current.status {
                try events.append(
                    "case.status_changed", resourceType: "case", resourceID: updated.id, resource: updated,
                    actor: actor, in: tx)
                return updated
            }
            return try events.recorded("case.updated", updated, actor: actor, in: tx)
        }
    }

    /// Rates a resolved or closed case once (409 `invalid_transition` before, `already_rated`
    /// after); a score outside 1…5 is a 422.
    func rate(_ key: DocumentKey, _ request: RatingRequest, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> ServiceCase
    {
        var errors: [FieldError] = []
        if request.score < 1 || request.score > 5 {
            errors.append(FieldError(field: "score", message: "must be a whole number from 1 to 5"))
        }
        let comment = request.comment.trimmedOrNil
        if let comment, comment.count > 2_000 {
            errors.append(FieldError(field: "comment", message: "must be at most 2000 characters"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
        return try pool.transaction { tx in
            guard let current = try store.serviceCase(key, lock: true, in: tx) else { throw AppError.notFound("case") }
            try ifMatch(current.version)
            guard current.status == .resolved || current.status == .closed else {
                throw AppError.invalidTransition(
                    "\(current.number) is \(current.status.rawValue); only resolved or closed cases are rated",
                    from: current.status.rawValue, to: "rated")
            }
            guard current.rating == nil else {
                throw AppError(
                    .alreadyRated, "\(current.number) was already rated \(current.rating!)",
                    extra: JSONObject([("rating", .number(String(current.rating!)))]))
            }
            try store.rate(caseID: current.id, score: request.score, comment: comment, in: tx)
            return try events.recorded(
                "case.rated", try store.serviceCase(.id(current.id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// The customer of a case the caller sees, or nil: what CRM checks an activity's
    /// `case_id` with (App wires it).
    public func caseCustomer(_ id: UUID, in tx: Transaction) throws -> UUID? {
        try store.caseCustomer(id, in: tx)
    }

    /// A customer's open and breached cases and mean rating, for the customer summary.
    public func figures(customerID: UUID) throws -> CaseFigures {
        try pool.read { tx in try store.figures(customerID: customerID, in: tx) }
    }

    /// 422 naming the field of a contact, order, item or team that is unknown or not the
    /// customer's.
    private func checkLinks(_ input: CaseInput, customerID: UUID, in tx: Transaction) throws {
        var errors: [FieldError] = []
        if let contact = input.contactId, try !store.isContact(contact, of: customerID, in: tx) {
            errors.append(FieldError(field: "contact_id", message: "names no contact of the customer"))
        }
        if let order = input.salesOrderId, try !store.isOrder(order, of: customerID, in: tx) {
            errors.append(FieldError(field: "sales_order_id", message: "names no sales order of the customer"))
        }
        if let item = input.itemId, try catalog.item(id: item, in: tx) == nil {
            errors.append(FieldError(field: "item_id", message: "names no item"))
        }
        if let team = input.teamId, try !store.teamExists(team, in: tx) {
            errors.append(FieldError(field: "team_id", message: "names no team"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }

    // MARK: SLA policies

    func putPolicy(
        _ priority: ServiceCase.Priority, _ input: SLAPolicyInput, ifMatch: (Int) throws -> Void, actor: Principal
    )
        throws -> SLAPolicy
    {
        try input.validate()
        return try pool.transaction { tx in
            if let current = try store.policy(priority, lock: true, in: tx) { try ifMatch(current.version) }
            let policy = try store.putPolicy(priority, input, in: tx)
            try events.append(
                "sla_policy.updated", resourceType: "sla_policy", resourceID: UUID(), resource: policy, actor: actor,
                in: tx)
            return policy
        }
    }

    func policies() throws -> [SLAPolicy] { try pool.read { tx in try store.policies(in: tx) } }

    func policy(_ priority: ServiceCase.Priority) throws -> SLAPolicy {
        try pool.record("SLA policy") { tx in try store.policy(priority, in: tx) }
    }

    // MARK: Report

    /// `GET /reports/service`.
    func report(groupBy: String, from: LocalDate?, to: LocalDate?) throws -> JSONValue {
        let rows = try pool.read { tx in try store.report(groupBy: groupBy, from: from, to: to, in: tx) }
        let keyName = ["owner": "owner_id", "type": "type", "priority": "priority"][groupBy] ?? "owner_id"
        func number(_ text: String?) -> JSONValue { text.map { .number(Self.trimmed($0)) } ?? .null }
        let data: [JSONValue] = try rows.map { row in
            .object(
                JSONObject([
                    (keyName, (try row.decodeIfPresent("key", as: String.self)).map(JSONValue.string) ?? .null),
                    ("count", .number(String(try row.decode("count", as: Int64.self)))),
                    ("open", .number(String(try row.decode("open", as: Int64.self)))),
                    ("breached", .number(String(try row.decode("breached", as: Int64.self)))),
                    ("median_first_response_minutes", number(try row.decodeIfPresent("median_first_response_minutes"))),
                    ("median_resolution_minutes", number(try row.decodeIfPresent("median_resolution_minutes"))),
                    ("sla_met_percent", number(try row.decodeIfPresent("sla_met_percent"))),
                    ("average_rating", number(try row.decodeIfPresent("average_rating"))),
                ]))
        }
        return .object(
            JSONObject([
                ("group_by", .string(groupBy)), ("from", from.map { .string($0.description) } ?? .null),
                ("to", to.map { .string($0.description) } ?? .null), ("data", .array(data)),
            ]))
    }

    /// `12.500` → `12.5`, `4.00` → `4`: numbers as JSON shows them.
    static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var result = Substring(text)
        while result.hasSuffix("0") { result = result.dropLast() }
        if result.hasSuffix(".") { result = result.dropLast() }
        return String(result)
    }
}

/// Listed in creation order; named by id in events.
extension ServiceCase: CreatedRecord {}
extension CustomerReturn: CreatedRecord {}
