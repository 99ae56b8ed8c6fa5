import Core
import FoundationEssentials
import Platform
import Postgres

/// SQL of approval rules, approvals and their decisions.
struct ApprovalStore: Sendable {
    static let ruleColumns: SQL = """
        id, name, document, condition_type, amount, currency, percent, steps, alert_after_hours, active, created_at,
        updated_at, version
        """
    static let columns: SQL = """
        id, number, document_type, document_id, document_number, currency, total, status, requested_by, rule_ids,
        steps, current_step, options, reason, last_failure, decided_at, created_at, updated_at, version
        """
    /// A sales order's approval follows the order's customer (API.md "Data scope"); purchase
    /// orders and bills have no owner. Nil when the caller sees everything.
    static func scope() -> SQL? {
        guard
            let orders = RecordScope.current.condition(
                .within("document_id", table: "sales_orders", .customer("customer_id")))
        else { return nil }
        return "(document_type <> 'sales_order' OR " + orders + ")"
    }

    // MARK: Rules

    func insertRule(
        name: String, document: ApprovalDocument, condition: ApprovalRule.Condition, steps: [ApprovalRule.Step],
        alertAfterHours: Int?, active: Bool, in tx: Transaction
    ) throws -> ApprovalRule {
        try Self.rule(
            tx.first(
                """
                INSERT INTO approval_rules (name, document, condition_type, amount, currency, percent, steps,
                                            alert_after_hours, active)
                VALUES (\(name), \(document.rawValue), \(condition.type.rawValue), \(condition.amount),
                        \(condition.currency), \(condition.percent), \(try JSONValueEncoder().encode(steps)),
                        \(alertAfterHours), \(active))
                RETURNING \(Self.ruleColumns)
                """)!)
    }

    func rule(id: UUID, in tx: Transaction) throws -> ApprovalRule? {
        try tx.first("SELECT \(Self.ruleColumns) FROM approval_rules WHERE id = \(id)").map(Self.rule)
    }

    func rules(after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [ApprovalRule] {
        let page = Keyset.createdAt.clause([], after: after, limit: limit)
        return try tx.query("SELECT \(Self.ruleColumns) FROM approval_rules \(page)").rows.map(Self.rule)
    }

    /// The active rules for `document`, in rule order (creation).
    func activeRules(for document: ApprovalDocument, in tx: Transaction) throws -> [ApprovalRule] {
        try tx.query(
            """
            SELECT \(Self.ruleColumns) FROM approval_rules WHERE document = \(document.rawValue) AND active
            ORDER BY created_at, id
            """
        ).rows.map(Self.rule)
    }

    func deleteRule(id: UUID, in tx: Transaction) throws -> Bool {
        try tx.execute("DELETE FROM approval_rules WHERE id = \(id)") == 1
    }

    // MARK: Approvals

    func insert(
        subject: ApprovalSubject, requestedBy: UUID, rules: [UUID], steps: [ApprovalRule.Step], alertAfterHours: Int?,
        in tx: Transaction
    ) throws -> ApprovalRow {
        try Self.row(
            tx.first(
                """
                INSERT INTO approvals (document_type, document_id, document_number, currency, total, requested_by,
                                       rule_ids, steps, options, alert_after_hours)
                VALUES (\(subject.document.rawValue), \(subject.id), \(subject.number), \(subject.currency),
                        \(subject.total), \(requestedBy), \(rules)::uuid[], \(try JSONValueEncoder().encode(steps)),
                        \(JSONValue.object(subject.options)), \(alertAfterHours))
                RETURNING \(Self.columns)
                """)!)
    }

    /// By id or `APR-` number, within the caller's data scope.
    func approval(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> ApprovalRow? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let scoped: SQL = Self.scope().map { " AND \($0)" } ?? ""
        return try tx.first("SELECT \(Self.columns) FROM approvals WHERE \(key.condition)\(scoped)\(locking)").map(
            Self.row)
    }

    /// Newest first: a list of approvals is read for what waits now.
    func list(_ filter: ApprovalFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [ApprovalRow]
    {
        var conditions: [SQL] = []
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let type = filter.documentType { conditions.append("document_type = \(type.rawValue)") }
        if let document = filter.documentId { conditions.append("document_id = \(document)") }
        if let me = filter.mine {
            // What waits for me: pending, not mine, and the current step names my role or me.
            conditions.append(
                """
                status = 'pending' AND requested_by <> \(me.userID)
                AND (steps -> current_step ->> 'role' = \(me.role.rawValue)
                     OR steps -> current_step ->> 'user_id' = \(me.userID.uuidString.lowercased()))
                AND NOT EXISTS (SELECT 1 FROM approval_decisions d WHERE d.approval_id = approvals.id
                                AND d.user_id = \(me.userID))
                """)
        }
        if let scope = Self.scope() { conditions.append(scope) }
        let page = Keyset.createdAt.clause(conditions, after: after, descending: true, limit: limit)
        return try tx.query("SELECT \(Self.columns) FROM approvals \(page)").rows.map(Self.row)
    }

    func decisions(approvalIDs: [UUID], in tx: Transaction) throws -> [UUID: [Decision]] {
        guard !approvalIDs.isEmpty else { return [:] }
        var found: [UUID: [Decision]] = [:]
        for row in try tx.query(
            """
            SELECT approval_id, step, decision, user_id, comment, created_at FROM approval_decisions
            WHERE approval_id = ANY(\(approvalIDs)::uuid[]) ORDER BY step
            """
        ).rows {
            found[try row.decode("approval_id"), default: []].append(
                Decision(
                    step: try row.decode("step"), decision: try row.decode("decision"),
                    userID: try row.decode("user_id"), comment: try row.decodeIfPresent("comment"),
                    createdAt: try row.decode("created_at")))
        }
        return found
    }

    func insertDecision(
        approvalID: UUID, step: Int, decision: String, userID: UUID, comment: String?, in tx: Transaction
    ) throws {
        try tx.execute(
            """
            INSERT INTO approval_decisions (approval_id, step, decision, user_id, comment)
            VALUES (\(approvalID), \(step), \(decision), \(userID), \(comment))
            """)
    }

    /// Moves to the next step, or ends the request with `status`.
    func advance(id: UUID, to step: Int, status: Approval.Status, reason: String?, in tx: Transaction) throws {
        let decided: SQL = status == .pending ? "NULL" : "now()"
        try tx.execute(
            """
            UPDATE approvals SET current_step = \(step), status = \(status.rawValue), reason = \(reason),
                last_failure = CASE WHEN \(status.rawValue) = 'pending' THEN last_failure END,
                decided_at = \(decided), updated_at = now(), version = version + 1
            WHERE id = \(id)
            """)
    }

    /// Records why the final approval could not run the action; the request stays pending.
    func recordFailure(id: UUID, failure: JSONValue, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE approvals SET last_failure = \(failure), updated_at = now(), version = version + 1 WHERE id = \(id)
            """)
    }

    // MARK: Rows

    static func rule(_ row: Row) throws -> ApprovalRule {
        let steps: JSONValue = try row.decode("steps")
        return ApprovalRule(
            id: try row.decode("id"), name: try row.decode("name"), document: try row.decodeEnum("document"),
            condition: ApprovalRule.Condition(
                type: try row.decodeEnum("condition_type"), amount: try row.decodeIfPresent("amount"),
                currency: try row.decodeIfPresent("currency"), percent: try row.decodeIfPresent("percent")),
            steps: try JSONValueDecoder().decode([ApprovalRule.Step].self, from: steps),
            alertAfterHours: try row.decodeIfPresent("alert_after_hours"), active: try row.decode("active"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }

    static func row(_ row: Row) throws -> ApprovalRow {
        let steps: JSONValue = try row.decode("steps")
        let options: JSONValue = try row.decode("options")
        return ApprovalRow(
            id: try row.decode("id"), number: try row.decode("number"), status: try row.decodeEnum("status"),
            document: Approval.DocumentRef(
                type: try row.decodeEnum("document_type"), id: try row.decode("document_id"),
                number: try row.decode("document_number")),
            currency: try row.decode("currency"), total: try row.decode("total"),
            requestedBy: try row.decode("requested_by"), ruleIds: try row.decode("rule_ids"),
            steps: try JSONValueDecoder().decode([ApprovalRule.Step].self, from: steps),
            currentStep: try row.decode("current_step"), options: options.objectValue ?? JSONObject([]),
            reason: try row.decodeIfPresent("reason"), lastFailure: try row.decodeIfPresent("last_failure"),
            decidedAt: try row.decodeIfPresent("decided_at"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"), version: try row.decode("version"))
    }
}
