import Core
import FoundationEssentials
import Platform
import Postgres
import Sales

/// Alerts, their rules, and the evaluation that opens and resolves them.
///
/// Two ways in, one evaluation: conditions that change with data are re-checked inside the
/// transaction that changes it (`watch`, installed on the event log at wiring, sees every event
/// its writer appends and evaluates the kinds about the records it names), so an adjustment
/// that drops stock below the reorder point commits with its alert or not at all. Conditions
/// that change with time are checked by `tick` (the scheduler, or `POST /alerts/evaluate`),
/// which evaluates every kind for every subject under a PostgreSQL advisory lock, so one
/// instance at a time does the work. Both open through the unique index of live alerts.
public final class AlertService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let sales: SalesService
    let store = AlertStore()

    public init(pool: ConnectionPool, events: EventLog, sales: SalesService) {
        self.pool = pool
        self.events = events
        self.sales = sales
    }

    // MARK: Reading

    /// The one place alert reads are narrowed to what the caller may see (data scope): an
    /// alert follows its subject. An activity's alert follows the activity (its owner, or the
    /// customer, opportunity or lead it is about); any other alert that names a customer (its
    /// orders, invoices, credit) follows the customer's owner; the rest (stock, purchase
    /// orders, supplier bills, webhooks) concern no customer and are seen by every reader of
    /// alerts. Nil when the caller sees everything.
    func scope(for principal: Principal) -> SQL? {
        guard let activity = principal.scope.condition(Self.visibleActivity),
            let customer = principal.scope.condition(.customer("customer_id"))
        else { return nil }
        return """
            (CASE WHEN subject_type = 'activity' THEN subject_id IN (SELECT id FROM activities WHERE \(activity))
                  WHEN customer_id IS NOT NULL THEN \(customer) ELSE true END)
            """
    }

    /// Who sees an activity (as `/activities` applies it): its owner, or whoever sees the
    /// customer, opportunity or lead it is about.
    static let visibleActivity = RecordScope.Rule.either([
        .owner("owner_id"), .customer("customer_id"),
        .within("opportunity_id", table: "opportunities", .opportunity),
        .within("lead_id", table: "leads", .owner("owner_id")),
    ])

    func alert(_ id: UUID, principal: Principal) throws -> Alert {
        try pool.record("alert") { tx in try store.alert(id: id, scope: scope(for: principal), in: tx) }
    }

    func list(_ filter: AlertFilter, principal: Principal, page: PageRequest) throws -> Page<Alert> {
        let rows = try pool.read { tx in
            try store.list(filter, scope: scope(for: principal), after: page.after, limit: page.limit, in: tx)
        }
        return page.page(rows, key: { $0.openedAt.postgresText }, id: \.id)
    }

    /// A customer's open and acknowledged alerts (the customer summary), at most 50.
    public func liveAlerts(customerID: UUID) throws -> [Alert] {
        try pool.read { tx in try store.live(customerID: customerID, limit: 50, in: tx) }
    }

    /// Open (and acknowledged) alerts by kind, every kind listed, and the last tick's time.
    public func figures() throws -> (live: [AlertKind: Int], lastTick: Date?) {
        try pool.read { tx in
            let counts = try store.liveCounts(in: tx)
            let last: Date? = try tx.first("SELECT last_tick_at FROM alert_scheduler")?.decodeIfPresent(
                "last_tick_at")
            return (Dictionary(uniqueKeysWithValues: AlertKind.allCases.map { ($0, counts[$0.rawValue] ?? 0) }), last)
        }
    }

    // MARK: Acknowledging

    /// `open` → `acknowledged`; acknowledging an acknowledged alert again keeps it so (and its
    /// first acknowledgement); a resolved one is a 409 `invalid_transition`.
    func acknowledge(_ id: UUID, _ input: AcknowledgeInput, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Alert
    {
        try input.validate()
        return try pool.transaction { tx in
            guard let current = try store.alert(id: id, lock: true, scope: scope(for: actor), in: tx) else {
                throw AppError.notFound("alert")
            }
            try ifMatch(current.version)
            switch current.status {
            case .acknowledged: return current
            case .resolved:
                throw AppError(
                    .invalidTransition, "the alert is resolved: its condition has cleared",
                    extra: JSONObject([("from_state", .string("resolved")), ("to_state", .string("acknowledged"))]))
            case .open:
                let note = input.note?.trimmed()
                let acknowledged = try store.acknowledge(
                    id: id, by: actor.userID, note: note?.isEmpty == true ? nil : note, in: tx)
                return try events.recorded("alert.acknowledged", acknowledged, actor: actor, in: tx)
            }
        }
    }

    // MARK: Rules

    func rules() throws -> [AlertRule] { try pool.read { tx in try store.rules(in: tx) } }

    func rule(_ kind: AlertKind) throws -> AlertRule {
        try pool.record("alert rule") { tx in try store.rule(kind, in: tx) }
    }

    /// Sets a rule and evaluates its kind at once, in the same transaction: a disabled kind's
    /// alerts resolve, a changed threshold opens and resolves what it now says.
    func updateRule(_ kind: AlertKind, _ input: AlertRuleInput, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> AlertRule
    {
        try input.validate(for: kind)
        return try pool.transaction { tx in
            guard let current = try store.rule(kind, lock: true, in: tx) else { throw AppError.notFound("alert rule") }
            try ifMatch(current.version)
            let threshold = kind.thresholdRange == nil ? nil : input.threshold ?? current.threshold
            if current.enabled == input.enabled && current.threshold == threshold { return current }
            let updated = try store.updateRule(kind, enabled: input.enabled, threshold: threshold, in: tx)
            try events.append(
                "alert_rule.updated", resourceType: "alert_rule", resourceID: Self.ruleID(kind), resource: updated,
                actor: actor, in: tx)
            _ = try evaluate(kind, rule: updated, ids: nil, in: tx)
            return updated
        }
    }

    /// A stable id for a kind's rule in the event feed (rules are keyed by kind).
    static func ruleID(_ kind: AlertKind) -> UUID {
        let hex = Crypto.hex(Array(Crypto.sha256("alert_rule:\(kind.rawValue)").prefix(16)))
        let chars = Array(hex)
        let text = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(chars[$0]) }.joined(separator: "-")
        return UUID(uuidString: text)!
    }

    // MARK: Evaluating

    /// A scheduler tick: every enabled kind for every subject, under the scheduler lock. With
    /// `wait` false it returns `ran: false` at once when another instance is running one.
    public func tick(wait: Bool) throws -> EvaluationResult {
        try pool.transaction { tx in
            guard try store.lockScheduler(wait: wait, in: tx) else {
                return EvaluationResult(ran: false, opened: 0, resolved: 0, live: 0, evaluatedAt: Date())
            }
            var opened = 0, resolved = 0
            let rules = try store.rules(in: tx)
            for rule in rules {
                let (o, r) = try evaluate(rule.kind, rule: rule, ids: nil, in: tx)
                opened += o
                resolved += r
            }
            let at = try store.markTick(opened: opened, resolved: resolved, in: tx)
            return EvaluationResult(
                ran: true, opened: opened, resolved: resolved, live: try store.liveCount(in: tx), evaluatedAt: at)
        }
    }

    /// Evaluates `kind` for the subjects about `ids` (every subject when nil): opens an alert
    /// for each that meets the condition and has none live, refreshes the figures of live ones,
    /// resolves live ones whose condition cleared. A disabled rule meets nothing. Appends
    /// `alert.opened` and `alert.resolved`. Returns how many opened and resolved.
    @discardableResult
    func evaluate(_ kind: AlertKind, rule: AlertRule, ids: [UUID]?, in tx: Transaction) throws -> (Int, Int) {
        var candidates: [AlertCandidate] = []
        if rule.enabled {
            if kind == .creditNearLimit {
                candidates = try creditCandidates(threshold: rule.threshold ?? 90, ids: ids, in: tx)
            } else {
                candidates = try store.candidates(kind, threshold: rule.threshold ?? 0, ids: ids, in: tx)
            }
        }
        let opened = try store.open(kind, candidates, in: tx)
        let resolved = try store.resolve(kind, keeping: candidates.map(\.subjectKey), ids: ids, in: tx)
        for alert in opened { _ = try events.recorded("alert.opened", alert, actor: nil, in: tx) }
        for alert in resolved { _ = try events.recorded("alert.resolved", alert, actor: nil, in: tx) }
        return (opened.count, resolved.count)
    }

    /// Customers using at least `threshold` percent of their credit limit, by the credit
    /// check's own figures, found in one statement (the tick reads every customer with a limit).
    private func creditCandidates(threshold: Int, ids: [UUID]?, in tx: Transaction) throws -> [AlertCandidate] {
        try sales.creditUsage(atLeast: threshold, ids: ids, in: tx).map { usage in
            let limit = usage.limit, used = usage.used
            // used / limit in whole percent; 0 when used × 100 does not fit.
            let (scaled, overflow) = used.multipliedReportingOverflow(by: 100)
            let percent = overflow ? 0 : scaled / limit
            return AlertCandidate(
                subjectType: "customer", subjectId: usage.customerID, subjectNumber: usage.number,
                subjectKey: usage.customerID.uuidString.lowercased(), warehouseId: nil, customerId: usage.customerID,
                itemId: nil, supplierId: nil, severity: used >= limit ? "critical" : "warning",
                details: .object(
                    JSONObject([
                        ("limit", .number(String(limit))), ("used", .number(String(used))),
                        ("available", .number(String(limit - used))),
                        ("percent_used", .number(String(percent))), ("currency", .string(usage.currency)),
                    ])),
                message: "\(usage.number) uses \(percent) % of its credit limit")
        }
    }
}

/// Events name an alert by its id.
extension Alert: IdentifiedRecord {}
