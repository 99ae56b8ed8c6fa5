import Core
import FoundationEssentials
import Platform
import Postgres

/// SQL of service cases and SLA policies.
struct ServiceStore: Sendable {
    /// A case is seen by its owner's scope, or with its customer.
    static let visibleCase = RecordScope.Rule.either([.owner("owner_id"), .customer("customer_id")])

    /// Exact at the moment of reading: a deadline passed before its event (or before now).
    static let breached: SQL = """
        ((first_response_due_at IS NOT NULL AND coalesce(first_response_at, now()) > first_response_due_at)
         OR (resolution_due_at IS NOT NULL AND coalesce(resolved_at, paused_at, now()) > resolution_due_at))
        """

    static let caseColumns: SQL = """
        id, number, customer_id, contact_id, sales_order_id, item_id, type, priority, status, subject, description, owner_id,
        team_id, reported_at, first_response_due_at, resolution_due_at, first_response_at, resolved_at, closed_at, rating,
        rating_comment, rated_at, created_at, updated_at, version,
        """ + breached + " AS sla_breached"

    // MARK: Cases

    func insertCase(
        _ input: CaseInput, customerID: UUID, priority: ServiceCase.Priority, ownerID: UUID?, reportedAt: Date,
        in tx: Transaction
    ) throws -> UUID {
        try tx.first(
            """
            INSERT INTO service_cases (customer_id, contact_id, sales_order_id, item_id, type, priority, subject, description,
                                       owner_id, team_id, reported_at, first_response_due_at, resolution_due_at)
            SELECT \(customerID), \(input.contactId), \(input.salesOrderId), \(input.itemId), \(input.type.rawValue),
                   \(priority.rawValue), \(input.subject), \(input.description), \(ownerID), \(input.teamId),
                   \(reportedAt)::timestamptz,
                   \(reportedAt)::timestamptz + make_interval(mins => p.first_response_minutes),
                   \(reportedAt)::timestamptz + make_interval(mins => p.resolution_minutes)
            FROM (SELECT 1) one LEFT JOIN sla_policies p ON p.priority = \(priority.rawValue)
            RETURNING id
            """)!.decode("id")
    }

    func serviceCase(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> ServiceCase? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let condition = key.condition(visible: Self.visibleCase)
        return try tx.first("SELECT \(Self.caseColumns) FROM service_cases WHERE \(condition)\(locking)").map(
            Self.serviceCase)
    }

    func listCases(_ filter: CaseFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [ServiceCase]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let priority = filter.priority { conditions.append("priority = \(priority.rawValue)") }
        if let type = filter.type { conditions.append("type = \(type.rawValue)") }
        if let customer = filter.customerId { conditions.append("customer_id = \(customer)") }
        if let owner = filter.ownerId { conditions.append("owner_id = \(owner)") }
        if let team = filter.teamId { conditions.append("team_id = \(team)") }
        if let breached = filter.breached { conditions.append(breached ? Self.breached : "NOT " + Self.breached) }
        let page = Keyset.createdAt.clause(
            conditions, visible: Self.visibleCase, after: after, descending: filter.descending, limit: limit)
        return try tx.query("SELECT \(Self.caseColumns) FROM service_cases \(page)").rows.map(Self.serviceCase)
    }

    /// Writes the patched fields; a new priority takes its policy's deadlines from
    /// `reported_at`, the resolution one still moved by the time already spent waiting.
    func updateCase(_ serviceCase: ServiceCase, repriced: Bool, in tx: Transaction) throws {
        let deadlines: SQL =
            repriced
            ? """
            , first_response_due_at = reported_at + (SELECT make_interval(mins => first_response_minutes) FROM sla_policies
                                                     WHERE priority = \(serviceCase.priority.rawValue)),
              resolution_due_at = reported_at + waited + (SELECT make_interval(mins => resolution_minutes) FROM sla_policies
                                                          WHERE priority = \(serviceCase.priority.rawValue))
            """ : ""
        try tx.execute(
            """
            UPDATE service_cases SET contact_id = \(serviceCase.contactId), sales_order_id = \(serviceCase.salesOrderId),
                item_id = \(serviceCase.itemId), type = \(serviceCase.type.rawValue), priority = \(serviceCase.priority.rawValue),
                subject = \(serviceCase.subject), description = \(serviceCase.description), owner_id = \(serviceCase.ownerId),
                team_id = \(serviceCase.teamId), updated_at = now(), version = version + 1\(deadlines)
            WHERE id = \(serviceCase.id)
            """)
    }

    /// Moves a case to `next` (the caller checked the move): leaving `new` is a first
    /// response; waiting on the customer and being resolved stop the resolution clock, and
    /// going back to work moves the resolution deadline by the time it stood still.
    func move(caseID: UUID, from current: ServiceCase.Status, to next: ServiceCase.Status, in tx: Transaction) throws {
        var sets: [SQL] = ["status = \(next.rawValue)", "updated_at = now()", "version = version + 1"]
        if current == .new { sets.append("first_response_at = coalesce(first_response_at, now())") }
        var pausedAt: SQL?
        // Closing a resolved case leaves its clock where the resolution stopped it.
        if (current == .waitingCustomer || current == .resolved) && next != .closed {
            sets.append("waited = waited + (now() - coalesce(paused_at, now()))")
            sets.append("resolution_due_at = resolution_due_at + (now() - coalesce(paused_at, now()))")
            pausedAt = "NULL"
        }
        // Resolved, the clock stops at the resolution; a reopen moves the deadline by the time
        // the case stayed resolved.
        if next == .waitingCustomer || next == .resolved { pausedAt = "now()" }
        if let pausedAt { sets.append("paused_at = " + pausedAt) }
        switch next {
        case .resolved: sets.append("resolved_at = now()")
        case .inProgress where current == .resolved: sets.append("resolved_at = NULL")
        case .closed: sets.append("closed_at = now()")
        default: break
        }
        try tx.execute("UPDATE service_cases SET \(SQL.join(sets, separator: ", ")) WHERE id = \(caseID)")
    }

    func rate(caseID: UUID, score: Int, comment: String?, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE service_cases SET rating = \(score), rating_comment = \(comment), rated_at = now(), updated_at = now(),
                version = version + 1
            WHERE id = \(caseID)
            """)
    }

    /// The customer of a visible case, for activities logged on it.
    func caseCustomer(_ id: UUID, in tx: Transaction) throws -> UUID? {
        try tx.first(
            """
            SELECT customer_id FROM service_cases WHERE id = \(id) AND \(RecordScope.current.filter(Self.visibleCase))
            """
        )?.decode("customer_id")
    }

    /// Whether `contact` is one of `customer`'s contacts.
    func isContact(_ contact: UUID, of customer: UUID, in tx: Transaction) throws -> Bool {
        try tx.first("SELECT 1 AS one FROM customer_contacts WHERE id = \(contact) AND customer_id = \(customer)")
            != nil
    }

    /// Whether `order` is a sales order of `customer`.
    func isOrder(_ order: UUID, of customer: UUID, in tx: Transaction) throws -> Bool {
        try tx.first("SELECT 1 AS one FROM sales_orders WHERE id = \(order) AND customer_id = \(customer)") != nil
    }

    func teamExists(_ team: UUID, in tx: Transaction) throws -> Bool {
        try tx.first("SELECT 1 AS one FROM teams WHERE id = \(team)") != nil
    }

    /// Open cases, open breached ones and the mean rating of one customer.
    func figures(customerID: UUID, in tx: Transaction) throws -> CaseFigures {
        let row = try tx.first(
            """
            SELECT count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open,
                   count(*) FILTER (WHERE status NOT IN ('resolved', 'closed') AND \(Self.breached)) AS breached,
                   round(avg(rating), 2)::text AS average
            FROM service_cases WHERE customer_id = \(customerID)
            """)!
        let average: String? = try row.decodeIfPresent("average")
        return CaseFigures(
            open: try row.decode("open"), breached: try row.decode("breached"),
            averageSatisfaction: try average.map { try ExactDecimal(parsing: $0) })
    }

    // MARK: SLA policies

    static let policyColumns: SQL =
        "priority, first_response_minutes, resolution_minutes, created_at, updated_at, version"

    func putPolicy(_ priority: ServiceCase.Priority, _ input: SLAPolicyInput, in tx: Transaction) throws -> SLAPolicy {
        try Self.policy(
            tx.first(
                """
                INSERT INTO sla_policies (priority, first_response_minutes, resolution_minutes)
                VALUES (\(priority.rawValue), \(input.firstResponseMinutes), \(input.resolutionMinutes))
                ON CONFLICT (priority) DO UPDATE SET first_response_minutes = EXCLUDED.first_response_minutes,
                    resolution_minutes = EXCLUDED.resolution_minutes, updated_at = now(),
                    version = sla_policies.version + 1
                RETURNING \(Self.policyColumns)
                """)!)
    }

    func policy(_ priority: ServiceCase.Priority, lock: Bool = false, in tx: Transaction) throws -> SLAPolicy? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first(
            "SELECT \(Self.policyColumns) FROM sla_policies WHERE priority = \(priority.rawValue)\(locking)"
        ).map(Self.policy)
    }

    func policies(in tx: Transaction) throws -> [SLAPolicy] {
        try tx.query(
            """
            SELECT \(Self.policyColumns) FROM sla_policies
            ORDER BY array_position(ARRAY['low', 'normal', 'high', 'urgent'], priority)
            """
        ).rows.map(Self.policy)
    }

    // MARK: Report

    /// `GET /reports/service`: per group, counts, median minutes to first response and to
    /// resolution, the share of finished cases that met their SLA, and the mean rating.
    func report(groupBy: String, from: LocalDate?, to: LocalDate?, in tx: Transaction) throws -> [Row] {
        var conditions: [SQL] = []
        if let scoped = RecordScope.current.condition(Self.visibleCase) { conditions.append(scoped) }
        if let from { conditions.append("reported_at >= \(from)::date") }
        if let to { conditions.append("reported_at < \(to)::date + 1") }
        let filter: SQL = conditions.isEmpty ? "" : "WHERE " + SQL.join(conditions, separator: " AND ")
        let key: SQL =
            switch groupBy {
            case "type": "type"
            case "priority": "priority"
            default: "owner_id::text"
            }
        return try tx.query(
            """
            SELECT \(key) AS key, count(*) AS count,
                   count(*) FILTER (WHERE status NOT IN ('resolved', 'closed')) AS open,
                   count(*) FILTER (WHERE \(Self.breached)) AS breached,
                   round((percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM first_response_at - reported_at) / 60))::numeric, 3)::text
                       AS median_first_response_minutes,
                   round((percentile_cont(0.5) WITHIN GROUP (
                       ORDER BY extract(epoch FROM resolved_at - reported_at - waited) / 60))::numeric, 3)::text
                       AS median_resolution_minutes,
                   round(100.0 * count(*) FILTER (WHERE status IN ('resolved', 'closed') AND NOT \(Self.breached))
                         / nullif(count(*) FILTER (WHERE status IN ('resolved', 'closed')), 0), 3)::text AS sla_met_percent,
                   round(avg(rating), 2)::text AS average_rating
            FROM service_cases \(filter)
            GROUP BY 1 ORDER BY count DESC, key
            """
        ).rows
    }

    // MARK: Rows

    static func serviceCase(_ row: Row) throws -> ServiceCase {
        ServiceCase(
            id: try row.decode("id"), number: try row.decode("number"), customerId: try row.decode("customer_id"),
            contactId: try row.decodeIfPresent("contact_id"), salesOrderId: try row.decodeIfPresent("sales_order_id"),
            itemId: try row.decodeIfPresent("item_id"), type: try row.decodeEnum("type", as: ServiceCase.Kind.self),
            priority: try row.decodeEnum("priority", as: ServiceCase.Priority.self),
            status: try row.decodeEnum("status", as: ServiceCase.Status.self), subject: try row.decode("subject"),
            description: try row.decodeIfPresent("description"), ownerId: try row.decodeIfPresent("owner_id"),
            teamId: try row.decodeIfPresent("team_id"), reportedAt: try row.decode("reported_at"),
            firstResponseDueAt: try row.decodeIfPresent("first_response_due_at"),
            resolutionDueAt: try row.decodeIfPresent("resolution_due_at"),
            firstResponseAt: try row.decodeIfPresent("first_response_at"),
            resolvedAt: try row.decodeIfPresent("resolved_at"), closedAt: try row.decodeIfPresent("closed_at"),
            slaBreached: try row.decode("sla_breached"), rating: try row.decodeIfPresent("rating"),
            ratingComment: try row.decodeIfPresent("rating_comment"), ratedAt: try row.decodeIfPresent("rated_at"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }

    static func policy(_ row: Row) throws -> SLAPolicy {
        SLAPolicy(
            priority: try row.decodeEnum("priority", as: ServiceCase.Priority.self),
            firstResponseMinutes: try row.decode("first_response_minutes"),
            resolutionMinutes: try row.decode("resolution_minutes"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }
}
