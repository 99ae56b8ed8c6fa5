import Core
import FoundationEssentials
import Platform
import Postgres

/// SQL of alerts, their rules and the scheduler's row, and the candidate query of each kind:
/// which subjects meet its condition now. The candidate queries read other modules' tables
/// (as `GET /stock` reads `stock_incoming`): a condition is one statement, so the whole set is
/// taken from one snapshot.
struct AlertStore: Sendable {
    static let columns: SQL = """
        id, kind, status, severity, subject_type, subject_id, subject_number, warehouse_id, customer_id, item_id,
        supplier_id, details, message, opened_at, acknowledged_at, acknowledged_by, acknowledgement_note, resolved_at,
        updated_at, version
        """
    static let live: SQL = "status IN ('open', 'acknowledged')"
    /// Transaction-level advisory lock key of the scheduler ("concord alerts"): held for one
    /// tick, released by commit or rollback, so it also works behind a transaction-pooling
    /// PgBouncer.
    static let schedulerLock: Int64 = 0x636f_6e63_616c_7274

    // MARK: Alerts

    func alert(id: UUID, lock: Bool = false, scope: SQL?, in tx: Transaction) throws -> Alert? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        let scoped: SQL = scope.map { " AND \($0)" } ?? ""
        return try tx.first("SELECT \(Self.columns) FROM alerts WHERE id = \(id)\(scoped)\(locking)").map(Self.alert)
    }

    /// Newest first: a list of alerts is read for what just happened.
    func list(_ filter: AlertFilter, scope: SQL?, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction)
        throws -> [Alert]
    {
        var conditions: [SQL] = []
        if let kind = filter.kind { conditions.append("kind = \(kind.rawValue)") }
        if let status = filter.status { conditions.append("status = \(status.rawValue)") }
        if let customer = filter.customerID { conditions.append("customer_id = \(customer)") }
        if let item = filter.itemID { conditions.append("item_id = \(item)") }
        if let supplier = filter.supplierID { conditions.append("supplier_id = \(supplier)") }
        if let scope { conditions.append(scope) }
        let page = Keyset("opened_at", cast: "timestamptz").clause(
            conditions, after: after, descending: true, limit: limit)
        return try tx.query("SELECT \(Self.columns) FROM alerts \(page)").rows.map(Self.alert)
    }

    /// A customer's open and acknowledged alerts, oldest first (the customer summary).
    func live(customerID: UUID, limit: Int, in tx: Transaction) throws -> [Alert] {
        try tx.query(
            """
            SELECT \(Self.columns) FROM alerts WHERE customer_id = \(customerID) AND \(Self.live)
            ORDER BY opened_at, id LIMIT \(limit)
            """
        ).rows.map(Self.alert)
    }

    func acknowledge(id: UUID, by user: UUID?, note: String?, in tx: Transaction) throws -> Alert {
        try Self.alert(
            tx.first(
                """
                UPDATE alerts SET status = 'acknowledged', acknowledged_at = now(), acknowledged_by = \(user),
                    acknowledgement_note = \(note), updated_at = now(), version = version + 1
                WHERE id = \(id) RETURNING \(Self.columns)
                """)!)
    }

    /// Opens an alert for every candidate without a live one, and brings the figures of live
    /// ones up to date; returns the alerts it opened. Candidates go in key order, the one order
    /// every opener uses, so two transactions never wait on each other's keys in a cycle.
    func open(_ kind: AlertKind, _ candidates: [AlertCandidate], in tx: Transaction) throws -> [Alert] {
        guard !candidates.isEmpty else { return [] }
        let rows = try JSONValueEncoder().encode(candidates.sorted { $0.subjectKey < $1.subjectKey })
        return try tx.query(
            """
            INSERT INTO alerts (kind, severity, subject_type, subject_id, subject_number, subject_key, warehouse_id,
                                customer_id, item_id, supplier_id, details, message)
            SELECT \(kind.rawValue), c.severity, c.subject_type, c.subject_id, c.subject_number, c.subject_key,
                   c.warehouse_id, c.customer_id, c.item_id, c.supplier_id, c.details, c.message
            FROM jsonb_to_recordset(\(rows)) AS c(
                severity text, subject_type text, subject_id uuid, subject_number text, subject_key text,
                warehouse_id uuid, customer_id uuid, item_id uuid, supplier_id uuid, details jsonb, message text)
            ORDER BY c.subject_key
            ON CONFLICT (kind, subject_key) WHERE status IN ('open', 'acknowledged') DO UPDATE
                SET details = excluded.details, message = excluded.message, severity = excluded.severity,
                    updated_at = now(), version = alerts.version + 1
                WHERE alerts.details IS DISTINCT FROM excluded.details OR alerts.severity IS DISTINCT FROM excluded.severity
            RETURNING \(Self.columns), xmax = 0 AS inserted
            """
        ).rows.filter { try $0.decode("inserted", as: Bool.self) }.map(Self.alert)
    }

    /// Resolves the live alerts of `kind` whose subject is no longer a candidate, among those
    /// about `ids` (every one when nil); returns them.
    func resolve(_ kind: AlertKind, keeping keys: [String], ids: [UUID]?, in tx: Transaction) throws -> [Alert] {
        let scoped: SQL = ids.map { " AND \(unsafeRaw: kind.scopeColumn) = ANY(\($0)::uuid[])" } ?? ""
        return try tx.query(
            """
            UPDATE alerts SET status = 'resolved', resolved_at = now(), updated_at = now(), version = version + 1
            WHERE kind = \(kind.rawValue) AND \(Self.live)\(scoped) AND NOT (subject_key = ANY(\(keys)::text[]))
            RETURNING \(Self.columns)
            """
        ).rows.map(Self.alert)
    }

    func liveCount(in tx: Transaction) throws -> Int {
        try tx.first("SELECT count(*)::int AS n FROM alerts WHERE \(Self.live)")!.decode("n")
    }

    /// Open alerts by kind (acknowledged ones are counted as open: someone is on them, the
    /// condition still holds).
    func liveCounts(in tx: Transaction) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for row in try tx.query("SELECT kind, count(*)::int AS n FROM alerts WHERE \(Self.live) GROUP BY kind").rows {
            counts[try row.decode("kind")] = try row.decode("n")
        }
        return counts
    }

    // MARK: Rules

    func rules(in tx: Transaction) throws -> [AlertRule] {
        try tx.query("SELECT kind, enabled, threshold, updated_at, version FROM alert_rules ORDER BY kind").rows
            .compactMap(Self.rule)
    }

    func rule(_ kind: AlertKind, lock: Bool = false, in tx: Transaction) throws -> AlertRule? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first(
            "SELECT kind, enabled, threshold, updated_at, version FROM alert_rules WHERE kind = \(kind.rawValue)\(locking)"
        ).flatMap(Self.rule)
    }

    func updateRule(_ kind: AlertKind, enabled: Bool, threshold: Int?, in tx: Transaction) throws -> AlertRule {
        try Self.rule(
            tx.first(
                """
                UPDATE alert_rules SET enabled = \(enabled), threshold = \(threshold), updated_at = now(), version = version + 1
                WHERE kind = \(kind.rawValue) RETURNING kind, enabled, threshold, updated_at, version
                """)!)!
    }

    // MARK: Scheduler

    /// Takes the scheduler lock for the rest of `tx`: waits for it, or (`wait` false) returns
    /// false at once when another instance holds it.
    func lockScheduler(wait: Bool, in tx: Transaction) throws -> Bool {
        if wait {
            try tx.execute("SELECT pg_advisory_xact_lock(\(Self.schedulerLock))")
            return true
        }
        return try tx.first("SELECT pg_try_advisory_xact_lock(\(Self.schedulerLock)) AS taken")!.decode("taken")
    }

    func markTick(opened: Int, resolved: Int, in tx: Transaction) throws -> Date {
        try tx.first(
            """
            UPDATE alert_scheduler SET last_tick_at = now(), last_tick_alerts_opened = \(opened),
                last_tick_alerts_resolved = \(resolved)
            RETURNING last_tick_at
            """)!.decode("last_tick_at")
    }

    // MARK: Candidates

    /// The subjects meeting `kind`'s condition at `threshold`, among `ids` (see
    /// `AlertKind.scopeColumn`) or all. Not for `credit_near_limit` (the service computes it
    /// with Sales' credit figures).
    func candidates(_ kind: AlertKind, threshold: Int, ids: [UUID]?, in tx: Transaction) throws -> [AlertCandidate] {
        // `IN (SELECT unnest(…))`, not `= ANY(…)`: with a generic plan, `= ANY` let the planner
        // prefer a status index and read every open order for the one a write touched.
        func among(_ column: String) -> SQL {
            ids.map { " AND \(unsafeRaw: column) IN (SELECT unnest(\($0)::uuid[]))" } ?? ""
        }
        let query: SQL
        switch kind {
        case .stockBelowReorder:
            query = """
                SELECT 'item' AS subject_type, b.item_id AS subject_id, i.sku AS subject_number,
                    b.item_id::text || '@' || b.warehouse_id::text AS subject_key, b.warehouse_id, NULL::uuid AS customer_id,
                    b.item_id, i.preferred_supplier_id AS supplier_id,
                    CASE WHEN b.on_hand - b.reserved + coalesce(inc.quantity, 0) <= 0 THEN 'critical' ELSE 'warning' END AS severity,
                    jsonb_build_object('warehouse_id', b.warehouse_id, 'warehouse_code', w.code, 'on_hand', trim_scale(b.on_hand),
                        'reserved', trim_scale(b.reserved), 'available', trim_scale(b.on_hand - b.reserved),
                        'incoming', trim_scale(coalesce(inc.quantity, 0)), 'reorder_point', trim_scale(i.reorder_point)) AS details,
                    format('%s in %s: available %s + incoming %s is at or below the reorder point %s', i.sku, w.code,
                        trim_scale(b.on_hand - b.reserved), trim_scale(coalesce(inc.quantity, 0)), trim_scale(i.reorder_point)) AS message
                FROM stock_balances b JOIN items i ON i.id = b.item_id JOIN warehouses w ON w.id = b.warehouse_id
                LEFT JOIN stock_incoming inc ON inc.item_id = b.item_id AND inc.warehouse_id = b.warehouse_id
                WHERE i.reorder_point IS NOT NULL AND i.type = 'stock'
                  AND b.on_hand - b.reserved + coalesce(inc.quantity, 0) <= i.reorder_point\(among("b.item_id"))
                """
        case .purchaseOrderLate:
            query = """
                SELECT 'purchase_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
                    o.warehouse_id, NULL::uuid AS customer_id, NULL::uuid AS item_id, o.supplier_id,
                    CASE WHEN current_date - o.expected_date > 14 THEN 'critical' ELSE 'warning' END AS severity,
                    jsonb_build_object('expected_date', o.expected_date, 'days_late', current_date - o.expected_date,
                        'status', o.status, 'ordered_quantity', trim_scale(l.ordered), 'received_quantity', trim_scale(l.received)) AS details,
                    format('%s was expected on %s and is %s days late', o.number, o.expected_date, current_date - o.expected_date) AS message
                FROM purchase_orders o
                CROSS JOIN LATERAL (SELECT coalesce(sum(quantity), 0) AS ordered, coalesce(sum(received_quantity), 0) AS received
                                    FROM purchase_order_lines WHERE purchase_order_id = o.id) l
                WHERE o.status IN ('ordered', 'partially_received') AND o.expected_date IS NOT NULL
                  AND current_date - o.expected_date > \(threshold)\(among("o.id"))
                """
        case .salesOrderLate:
            query = """
                SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
                    o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id,
                    CASE WHEN current_date - o.requested_date > 14 THEN 'critical' ELSE 'warning' END AS severity,
                    jsonb_build_object('requested_date', o.requested_date, 'days_late', current_date - o.requested_date,
                        'status', o.status, 'ordered_quantity', trim_scale(l.ordered), 'shipped_quantity', trim_scale(l.shipped)) AS details,
                    format('%s was requested for %s and is %s days late', o.number, o.requested_date, current_date - o.requested_date) AS message
                FROM sales_orders o
                CROSS JOIN LATERAL (SELECT coalesce(sum(quantity), 0) AS ordered, coalesce(sum(shipped_quantity), 0) AS shipped
                                    FROM sales_order_lines WHERE sales_order_id = o.id) l
                WHERE o.status IN ('confirmed', 'partially_shipped') AND o.requested_date IS NOT NULL
                  AND current_date - o.requested_date > \(threshold)\(among("o.id"))
                """
        case .invoiceOverdue:
            query = """
                SELECT 'invoice' AS subject_type, i.id AS subject_id, i.number AS subject_number, i.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, i.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id,
                    CASE WHEN current_date - i.due_date > 60 THEN 'critical' ELSE 'warning' END AS severity,
                    jsonb_build_object('due_date', i.due_date, 'days_overdue', current_date - i.due_date, 'total', i.total,
                        'balance', i.total - i.amount_paid - i.amount_credited, 'currency', i.currency) AS details,
                    format('%s was due on %s and is %s days overdue', i.number, i.due_date, current_date - i.due_date) AS message
                FROM invoices i
                WHERE i.status IN ('issued', 'partially_paid') AND current_date - i.due_date > \(threshold)\(among("i.id"))
                """
        case .quotationExpiring:
            query = """
                SELECT 'sales_order' AS subject_type, o.id AS subject_id, o.number AS subject_number, o.id::text AS subject_key,
                    o.warehouse_id, o.customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id, 'info' AS severity,
                    jsonb_build_object('valid_until', o.valid_until, 'days_left', o.valid_until - current_date, 'total', o.total,
                        'currency', o.currency) AS details,
                    format('quotation %s expires on %s', o.number, o.valid_until) AS message
                FROM sales_orders o
                WHERE o.status = 'draft' AND o.valid_until IS NOT NULL
                  AND o.valid_until - current_date BETWEEN 0 AND \(threshold)\(among("o.id"))
                """
        case .activityOverdue:
            query = """
                SELECT 'activity' AS subject_type, a.id AS subject_id, NULL::text AS subject_number, a.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, coalesce(a.customer_id, op.customer_id) AS customer_id, NULL::uuid AS item_id,
                    NULL::uuid AS supplier_id, 'warning' AS severity,
                    jsonb_build_object('type', a.type, 'subject', a.subject, 'owner_id', a.owner_id,
                        'due_at', to_char(a.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS details,
                    format('%s "%s" was due at %s', a.type, left(a.subject, 200),
                        to_char(a.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"')) AS message
                FROM activities a LEFT JOIN opportunities op ON op.id = a.opportunity_id
                WHERE a.completed_at IS NULL AND a.due_at IS NOT NULL
                  AND a.due_at < now() - make_interval(days => \(threshold)::int)\(among("a.id"))
                """
        case .webhookFailing:
            query = """
                SELECT 'webhook' AS subject_type, e.id AS subject_id, NULL::text AS subject_number, e.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, NULL::uuid AS customer_id, NULL::uuid AS item_id, NULL::uuid AS supplier_id,
                    'critical' AS severity, jsonb_build_object('url', e.url, 'reason', e.disabled_reason) AS details,
                    format('webhook %s is failing: %s', left(e.url, 200), coalesce(e.disabled_reason, 'deliveries keep failing')) AS message
                FROM webhook_endpoints e WHERE e.status = 'failing'\(among("e.id"))
                """
        case .supplierBillDue:
            query = """
                SELECT 'supplier_bill' AS subject_type, b.id AS subject_id, b.number AS subject_number, b.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, NULL::uuid AS customer_id, NULL::uuid AS item_id, b.supplier_id,
                    CASE WHEN b.due_date < current_date THEN 'warning' ELSE 'info' END AS severity,
                    jsonb_build_object('due_date', b.due_date, 'days_until_due', b.due_date - current_date, 'total', b.total,
                        'balance', b.total - b.amount_paid, 'currency', b.currency,
                        'supplier_reference', b.supplier_reference) AS details,
                    CASE WHEN b.due_date < current_date
                        THEN format('%s (%s) was due on %s and is %s days overdue', b.number, left(b.supplier_reference, 100),
                            b.due_date, current_date - b.due_date)
                        ELSE format('%s (%s) is due on %s', b.number, left(b.supplier_reference, 100), b.due_date) END AS message
                FROM supplier_bills b
                WHERE b.status IN ('posted', 'partially_paid') AND b.total > b.amount_paid
                  AND b.due_date - current_date <= \(threshold)\(among("b.id"))
                """
        case .approvalWaiting:
            query = """
                SELECT 'approval' AS subject_type, a.id AS subject_id, a.number AS subject_number, a.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, so.customer_id, NULL::uuid AS item_id,
                    coalesce(po.supplier_id, sb.supplier_id) AS supplier_id, 'warning' AS severity,
                    jsonb_build_object('document_type', a.document_type, 'document_id', a.document_id,
                        'document_number', a.document_number, 'alert_after_hours', a.alert_after_hours,
                        'hours_waiting', floor(extract(epoch FROM now() - a.created_at) / 3600)::int) AS details,
                    format('%s for %s has waited more than %s hours for a decision', a.number, a.document_number,
                        a.alert_after_hours) AS message
                FROM approvals a
                LEFT JOIN sales_orders so ON a.document_type = 'sales_order' AND so.id = a.document_id
                LEFT JOIN purchase_orders po ON a.document_type = 'purchase_order' AND po.id = a.document_id
                LEFT JOIN supplier_bills sb ON a.document_type = 'supplier_bill' AND sb.id = a.document_id
                WHERE a.status = 'pending' AND a.alert_after_hours IS NOT NULL
                  AND a.created_at < now() - make_interval(hours => a.alert_after_hours)\(among("a.id"))
                """
        case .caseSLABreached:
            // The breach rule of service cases (the Service module's `sla_breached`), for open cases.
            query = """
                SELECT 'case' AS subject_type, c.id AS subject_id, c.number AS subject_number, c.id::text AS subject_key,
                    NULL::uuid AS warehouse_id, c.customer_id, c.item_id, NULL::uuid AS supplier_id,
                    CASE WHEN c.priority IN ('high', 'urgent') THEN 'critical' ELSE 'warning' END AS severity,
                    jsonb_build_object('priority', c.priority, 'status', c.status, 'owner_id', c.owner_id,
                        'first_response_due_at', to_char(c.first_response_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                        'resolution_due_at', to_char(c.resolution_due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) AS details,
                    format('%s "%s" is past its SLA', c.number, left(c.subject, 200)) AS message
                FROM service_cases c
                WHERE c.status NOT IN ('resolved', 'closed')
                  AND ((c.first_response_due_at IS NOT NULL AND coalesce(c.first_response_at, now()) > c.first_response_due_at)
                       OR (c.resolution_due_at IS NOT NULL AND coalesce(c.paused_at, now()) > c.resolution_due_at))\(among("c.id"))
                """
        case .creditNearLimit:
            return []
        }
        return try tx.query(query).rows.map(Self.candidate)
    }

    // MARK: Rows

    static func alert(_ row: Row) throws -> Alert {
        Alert(
            id: try row.decode("id"), kind: try row.decodeEnum("kind"), status: try row.decodeEnum("status"),
            severity: try row.decodeEnum("severity"),
            subject: Alert.Subject(
                type: try row.decode("subject_type"), id: try row.decode("subject_id"),
                number: try row.decodeIfPresent("subject_number")),
            warehouseId: try row.decodeIfPresent("warehouse_id"), customerId: try row.decodeIfPresent("customer_id"),
            itemId: try row.decodeIfPresent("item_id"), supplierId: try row.decodeIfPresent("supplier_id"),
            details: try row.decode("details"), message: try row.decode("message"),
            openedAt: try row.decode("opened_at"), acknowledgedAt: try row.decodeIfPresent("acknowledged_at"),
            acknowledgedBy: try row.decodeIfPresent("acknowledged_by"),
            acknowledgementNote: try row.decodeIfPresent("acknowledgement_note"),
            resolvedAt: try row.decodeIfPresent("resolved_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }

    /// Nil for a kind this version does not know (a row a newer version added).
    static func rule(_ row: Row) throws -> AlertRule? {
        guard let kind = AlertKind(rawValue: try row.decode("kind")) else { return nil }
        return AlertRule(
            kind: kind, enabled: try row.decode("enabled"), threshold: try row.decodeIfPresent("threshold"),
            thresholdUnit: kind.thresholdUnit, rule: kind.rule, updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }

    static func candidate(_ row: Row) throws -> AlertCandidate {
        AlertCandidate(
            subjectType: try row.decode("subject_type"), subjectId: try row.decode("subject_id"),
            subjectNumber: try row.decodeIfPresent("subject_number"), subjectKey: try row.decode("subject_key"),
            warehouseId: try row.decodeIfPresent("warehouse_id"), customerId: try row.decodeIfPresent("customer_id"),
            itemId: try row.decodeIfPresent("item_id"), supplierId: try row.decodeIfPresent("supplier_id"),
            severity: try row.decode("severity"), details: try row.decode("details"), message: try row.decode("message")
        )
    }
}
