import Core
import FoundationEssentials
import Platform
import Postgres

/// Conditions and order shared by CRM lists: newest or oldest first by `created_at`.
struct ListShape {
    var conditions: [SQL] = []
    var descending = false
    /// Who sees the listed rows (RecordScope).
    var visible: RecordScope.Rule? = nil

    /// `WHERE … ORDER BY created_at, id LIMIT n+1` after the keyset position.
    func clause(after: (key: String, id: UUID)?, limit: Int) -> SQL {
        Keyset.createdAt.clause(conditions, visible: visible, after: after, descending: descending, limit: limit)
    }
}

/// SQL of leads and activities.
struct CRMStore: Sendable {
    // MARK: Leads

    /// A lead follows its own owner.
    static let visibleLead = RecordScope.Rule.owner("owner_id")
    /// An activity is seen by its owner's scope, or with what it is about.
    static let visibleActivity = RecordScope.Rule.either([
        .owner("owner_id"), .customer("customer_id"),
        .within("opportunity_id", table: "opportunities", .opportunity),
        .within("lead_id", table: "leads", .owner("owner_id")),
    ])

    static let leadColumns: SQL = """
        id, number, name, company, email, phone, source, status, owner_id, notes, converted_customer_id,
        converted_opportunity_id, converted_at, created_at, updated_at, version
        """

    func insertLead(_ input: LeadInput, in tx: Transaction) throws -> Lead {
        try Self.lead(
            tx.first(
                """
                INSERT INTO leads (name, company, email, phone, source, status, owner_id, notes)
                VALUES (\(input.name), \(input.company), \(input.email), \(input.phone), \((input.source ?? .other).rawValue),
                        \((input.status ?? .new).rawValue), \(input.ownerId), \(input.notes))
                RETURNING \(Self.leadColumns)
                """)!)
    }

    func lead(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> Lead? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first(
            "SELECT \(Self.leadColumns) FROM leads WHERE \(key.condition(visible: Self.visibleLead))\(locking)"
        ).map(Self.lead)
    }

    func updateLead(_ lead: Lead, in tx: Transaction) throws -> Lead {
        try Self.lead(
            tx.first(
                """
                UPDATE leads SET name = \(lead.name), company = \(lead.company), email = \(lead.email), phone = \(lead.phone),
                    source = \(lead.source.rawValue), status = \(lead.status.rawValue), owner_id = \(lead.ownerId), notes = \(lead.notes),
                    converted_customer_id = \(lead.convertedCustomerId), converted_opportunity_id = \(lead.convertedOpportunityId),
                    converted_at = \(lead.convertedAt), updated_at = now(), version = version + 1
                WHERE id = \(lead.id)
                RETURNING \(Self.leadColumns)
                """)!)
    }

    func deleteLead(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM leads WHERE id = \(id)")
    }

    func listLeads(
        status: Lead.Status?, source: Lead.Source?, ownerID: UUID?, q: String?, descending: Bool,
        after: (key: String, id: UUID)?, limit: Int, in tx: Transaction
    ) throws -> [Lead] {
        var shape = ListShape(descending: descending, visible: Self.visibleLead)
        if let status { shape.conditions.append("status = \(status.rawValue)") }
        if let source { shape.conditions.append("source = \(source.rawValue)") }
        if let ownerID { shape.conditions.append("owner_id = \(ownerID)") }
        if let q { shape.conditions.append(SQL.contains("search_text", q, in: "leads")) }
        return try tx.query("SELECT \(Self.leadColumns) FROM leads \(shape.clause(after: after, limit: limit))").rows
            .map(Self.lead)
    }

    /// Merge: leads converted into the duplicate now point at the survivor.
    func moveLeads(from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        try tx.execute(
            """
            UPDATE leads SET converted_customer_id = \(survivor), updated_at = now(), version = version + 1
            WHERE converted_customer_id = \(duplicate)
            """)
    }

    // MARK: Activities

    static let activityColumns: SQL = """
        id, type, subject, body, due_at, completed_at, owner_id, lead_id, opportunity_id, customer_id, case_id, created_at,
        updated_at, version
        """

    func insertActivity(_ input: ActivityInput, in tx: Transaction) throws -> Activity {
        try Self.activity(
            tx.first(
                """
                INSERT INTO activities (type, subject, body, due_at, owner_id, lead_id, opportunity_id, customer_id, case_id)
                VALUES (\(input.type.rawValue), \(input.subject), \(input.body), \(input.dueAt), \(input.ownerId), \(input.leadId),
                        \(input.opportunityId), \(input.customerId), \(input.caseId))
                RETURNING \(Self.activityColumns)
                """)!)
    }

    func activity(id: UUID, lock: Bool = false, in tx: Transaction) throws -> Activity? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first(
            "SELECT \(Self.activityColumns) FROM activities WHERE id = \(id) AND \(RecordScope.current.filter(Self.visibleActivity))\(locking)"
        ).map(
            Self.activity)
    }

    func updateActivity(_ activity: Activity, in tx: Transaction) throws -> Activity {
        try Self.activity(
            tx.first(
                """
                UPDATE activities SET type = \(activity.type.rawValue), subject = \(activity.subject), body = \(activity.body),
                    due_at = \(activity.dueAt), completed_at = \(activity.completedAt), owner_id = \(activity.ownerId),
                    lead_id = \(activity.leadId), opportunity_id = \(activity.opportunityId), customer_id = \(activity.customerId),
                    case_id = \(activity.caseId),
                    updated_at = now(), version = version + 1
                WHERE id = \(activity.id)
                RETURNING \(Self.activityColumns)
                """)!)
    }

    func deleteActivity(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM activities WHERE id = \(id)")
    }

    func listActivities(_ filter: ActivityFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction)
        throws -> [Activity]
    {
        var shape = ListShape(descending: filter.descending, visible: Self.visibleActivity)
        if let type = filter.type { shape.conditions.append("type = \(type.rawValue)") }
        if let owner = filter.ownerId { shape.conditions.append("owner_id = \(owner)") }
        if let lead = filter.leadId { shape.conditions.append("lead_id = \(lead)") }
        if let opportunity = filter.opportunityId { shape.conditions.append("opportunity_id = \(opportunity)") }
        if let customer = filter.customerId { shape.conditions.append(Self.aboutCustomer(customer)) }
        if let serviceCase = filter.caseId { shape.conditions.append("case_id = \(serviceCase)") }
        if filter.overdue == true { shape.conditions.append("completed_at IS NULL AND due_at < now()") }
        if filter.overdue == false {
            shape.conditions.append("NOT (completed_at IS NULL AND due_at IS NOT NULL AND due_at < now())")
        }
        if let completed = filter.completed {
            shape.conditions.append(completed ? "completed_at IS NOT NULL" : "completed_at IS NULL")
        }
        if let before = filter.dueBefore { shape.conditions.append("due_at < \(before)") }
        if let after = filter.dueAfter { shape.conditions.append("due_at >= \(after)") }
        return try tx.query(
            "SELECT \(Self.activityColumns) FROM activities \(shape.clause(after: after, limit: limit))"
        )
        .rows.map(Self.activity)
    }

    /// An activity shows on a customer when it is about the customer, one of its opportunities,
    /// or a lead that became it.
    static func aboutCustomer(_ customer: UUID) -> SQL {
        """
        (customer_id = \(customer)
         OR opportunity_id IN (SELECT id FROM opportunities WHERE customer_id = \(customer))
         OR lead_id IN (SELECT id FROM leads WHERE converted_customer_id = \(customer)))
        """
    }

    func recentActivities(customerID: UUID, limit: Int, in tx: Transaction) throws -> [Activity] {
        try tx.query(
            """
            SELECT \(Self.activityColumns) FROM activities WHERE \(Self.aboutCustomer(customerID))
            ORDER BY created_at DESC, id DESC LIMIT \(limit)
            """
        ).rows.map(Self.activity)
    }

    func moveActivities(from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        try tx.execute(
            """
            UPDATE activities SET customer_id = \(survivor), updated_at = now(), version = version + 1
            WHERE customer_id = \(duplicate)
            """)
    }

    // MARK: Rows

    static func lead(_ row: Row) throws -> Lead {
        Lead(
            id: try row.decode("id"), number: try row.decode("number"), name: try row.decode("name"),
            company: try row.decodeIfPresent("company"), email: try row.decodeIfPresent("email"),
            phone: try row.decodeIfPresent("phone"),
            source: try row.decodeEnum("source", as: Lead.Source.self),
            status: try row.decodeEnum("status", as: Lead.Status.self),
            ownerId: try row.decodeIfPresent("owner_id"), notes: try row.decodeIfPresent("notes"),
            convertedCustomerId: try row.decodeIfPresent("converted_customer_id"),
            convertedOpportunityId: try row.decodeIfPresent("converted_opportunity_id"),
            convertedAt: try row.decodeIfPresent("converted_at"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }

    static func activity(_ row: Row) throws -> Activity {
        Activity(
            id: try row.decode("id"), type: try row.decodeEnum("type", as: Activity.Kind.self),
            subject: try row.decode("subject"),
            body: try row.decodeIfPresent("body"), dueAt: try row.decodeIfPresent("due_at"),
            completedAt: try row.decodeIfPresent("completed_at"), ownerId: try row.decodeIfPresent("owner_id"),
            leadId: try row.decodeIfPresent("lead_id"), opportunityId: try row.decodeIfPresent("opportunity_id"),
            customerId: try row.decodeIfPresent("customer_id"), caseId: try row.decodeIfPresent("case_id"),
            createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }
}

/// The filters of `GET /activities`.
struct ActivityFilter {
    var type: Activity.Kind?
    var ownerId: UUID?
    var leadId: UUID?
    var opportunityId: UUID?
    var customerId: UUID?
    var caseId: UUID?
    var overdue: Bool?
    var completed: Bool?
    var dueBefore: Date?
    var dueAfter: Date?
    var descending = false
}
