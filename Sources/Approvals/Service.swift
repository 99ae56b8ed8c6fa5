import Catalog
import Core
import FoundationEssentials
import Platform
import Postgres
import Synchronization

/// Approval rules, and the requests they make when a purchase order is ordered, a sales order
/// confirmed or a supplier bill posted: the document waits in `pending_approval` until every
/// step is approved (then the action runs, with every usual check), one is rejected, or the
/// requester withdraws.
///
/// Locks: the approval row first, then (inside the document's action) the document and what
/// the action locks. Two approvers deciding at once wait for each other on the approval row;
/// the unique keys of `approval_decisions` back that up.
public final class ApprovalService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let catalog: CatalogService
    /// The installation's currency: what `total_at_least` defaults to and what average costs
    /// (hence `margin_below`) are counted in.
    let currency: String
    let store = ApprovalStore()
    private let actions = Mutex<[ApprovalDocument: DocumentActions]>([:])

    public init(pool: ConnectionPool, events: EventLog, catalog: CatalogService, currency: String) {
        self.pool = pool
        self.events = events
        self.catalog = catalog
        self.currency = currency
    }

    /// How an approved request runs `document`'s action and how a rejected one puts it back.
    /// Call only while wiring.
    public func setActions(_ document: ApprovalDocument, _ actions: DocumentActions) {
        self.actions.withLock { $0[document] = actions }
    }

    // MARK: Rules

    func createRule(_ input: ApprovalRuleInput, actor: Principal) throws -> ApprovalRule {
        let (condition, steps) = try input.validated(defaultCurrency: currency)
        return try pool.transaction { tx in
            var unknown: [FieldError] = []
            for (index, step) in steps.enumerated() {
                if let user = step.userId, try tx.first("SELECT 1 AS one FROM users WHERE id = \(user)") == nil {
                    unknown.append(FieldError(field: "steps[\(index)].user_id", message: "names no user"))
                }
            }
            try DocumentRules.check(unknown)
            let rule = try store.insertRule(
                name: input.name.trimmedOrNil ?? "\(input.document.rawValue) \(condition.type.rawValue)",
                document: input.document, condition: condition, steps: steps, alertAfterHours: input.alertAfterHours,
                active: input.active ?? true, in: tx)
            return try events.recorded("approval_rule.created", rule, actor: actor, in: tx)
        }
    }

    func rule(_ id: UUID) throws -> ApprovalRule {
        try pool.record("approval rule") { tx in try store.rule(id: id, in: tx) }
    }

    func rules(page: PageRequest) throws -> Page<ApprovalRule> {
        let rows = try pool.read { tx in try store.rules(after: page.after, limit: page.limit, in: tx) }
        return page.page(rows, key: { $0.createdAt.postgresText }, id: \.id)
    }

    /// Deletes a rule; requests it already made keep their steps.
    func deleteRule(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let rule = try store.rule(id: id, in: tx) else { throw AppError.notFound("approval rule") }
            try ifMatch(rule.version)
            try events.append(
                "approval_rule.deleted", resourceType: "approval_rule", resourceID: rule.id, resource: rule,
                actor: actor, in: tx)
            _ = try store.deleteRule(id: id, in: tx)
        }
    }

    // MARK: The gate

    /// The gate of every binding action (installed on each document service by App): when
    /// active rules for the document match, records the approval (steps of every matching rule
    /// in rule order, duplicates removed) and its `approval.requested` event in `tx`.
    public func hold(_ subject: ApprovalSubject, actor: Principal, in tx: Transaction) throws -> ApprovalHold? {
        var matched: [ApprovalRule] = []
        var cost: Int64?
        for rule in try store.activeRules(for: subject.document, in: tx) {
            if try matches(rule.condition, subject, cost: &cost, in: tx) { matched.append(rule) }
        }
        guard !matched.isEmpty else { return nil }
        var steps: [ApprovalRule.Step] = []
        for step in matched.flatMap(\.steps) where !steps.contains(step) { steps.append(step) }
        let row = try store.insert(
            subject: subject, requestedBy: actor.userID, rules: matched.map(\.id), steps: steps,
            alertAfterHours: matched.compactMap(\.alertAfterHours).min(), in: tx)
        let approval = try present(row, in: tx)
        let data = try record("approval.requested", approval, actor: actor, in: tx)
        return ApprovalHold(id: row.id, number: row.number, representation: data)
    }

    private func matches(
        _ condition: ApprovalRule.Condition, _ subject: ApprovalSubject, cost: inout Int64?, in tx: Transaction
    ) throws -> Bool {
        switch condition.type {
        case .totalAtLeast:
            return subject.currency == condition.currency && subject.total >= (condition.amount ?? 0)
        case .lineDiscountAbove:
            let percent = condition.percent ?? .zero
            return subject.lines.contains { $0.discountPercent > percent }
        case .creditOverride:
            return subject.creditOverride
        case .marginBelow:
            // Average costs are in the installation's currency, and Concord has no exchange rates.
            guard subject.currency == currency else { return false }
            let goods: Int64
            if let cost { goods = cost } else { goods = try currentCost(subject, in: tx) }
            cost = goods
            let revenue = Int128(subject.subtotal)
            guard revenue > 0 else { return goods > 0 }
            // margin % = (revenue − cost) / revenue × 100 < percent, in thousandths of a percent.
            return (revenue - Int128(goods)) * 100_000 < Int128((condition.percent ?? .zero).thousandths) * revenue
        }
    }

    /// What the lines would cost at the items' current average cost: an order not yet shipped
    /// has no cost of its own.
    private func currentCost(_ subject: ApprovalSubject, in tx: Transaction) throws -> Int64 {
        let items = Dictionary(
            try catalog.items(ids: subject.lines.compactMap(\.itemID), in: tx).map { ($0.id, $0.averageCost) },
            uniquingKeysWith: { a, _ in a })
        var total: Int64 = 0
        for line in subject.lines {
            guard let item = line.itemID, let average = items[item] else { continue }
            let (cost, overflow) = line.quantity.multipliedReportingOverflow(byMinorUnits: average)
            if overflow { return .max }
            let (sum, over) = total.addingReportingOverflow(cost)
            if over { return .max }
            total = sum
        }
        return total
    }

    // MARK: Requests

    func approval(_ key: DocumentKey) throws -> Approval {
        try pool.record("approval", consistent: true) { tx in
            try store.approval(key, in: tx).map { try present($0, in: tx) }
        }
    }

    func list(_ filter: ApprovalFilter, page: PageRequest) throws -> Page<Approval> {
        let rows = try pool.snapshot { tx in
            let rows = try store.list(filter, after: page.after, limit: page.limit, in: tx)
            let decisions = try store.decisions(approvalIDs: rows.map(\.id), in: tx)
            return rows.map { Self.present($0, decisions: decisions[$0.id] ?? []) }
        }
        return page.page(rows, key: { $0.createdAt.postgresText }, id: \.id)
    }

    /// Approves the current step. The last approval runs the document's action in the same
    /// transaction with every usual check. When the action is refused (a conflict such as
    /// insufficient stock), nothing of the decision stays (a savepoint), the failure is
    /// recorded on the request, which stays pending, and the refusal is the outcome: it
    /// commits, so the record survives even inside an idempotent request's transaction.
    func approve(_ key: DocumentKey, comment: String?, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Decided
    {
        let comment = comment.trimmedOrNil
        try Self.checkText(comment, field: "comment")
        return try pool.transaction { tx in
            let row = try pending(key, ifMatch: ifMatch, to: .approved, in: tx)
            let step = try authorize(row, actor: actor, in: tx)
            do {
                return .approval(
                    try tx.withSavepoint {
                        try store.insertDecision(
                            approvalID: row.id, step: step, decision: "approved", userID: actor.userID,
                            comment: comment, in: tx)
                        if step + 1 < row.steps.count {
                            try store.advance(id: row.id, to: step + 1, status: .pending, reason: nil, in: tx)
                            return try decided("approval.step_approved", row.id, actor: actor, in: tx)
                        }
                        try complete(row, actor: actor, in: tx)
                        try store.advance(id: row.id, to: step, status: .approved, reason: nil, in: tx)
                        return try decided("approval.approved", row.id, actor: actor, in: tx)
                    })
            } catch let refused as ActionRefused {
                try store.recordFailure(id: row.id, failure: Self.failure(refused.problem, actor: actor), in: tx)
                return .refused(refused.problem)
            }
        }
    }

    /// What a decision came to: the approval after it, or the refusal of the document's action.
    enum Decided {
        case approval(Approval)
        case refused(AppError)
    }

    /// The document's action refused the approved request (its problem, for the approver).
    private struct ActionRefused: Error {
        let problem: AppError
    }

    /// Runs the held action; a refusal by a rule (not a database failure, which a retry may
    /// cure) becomes `ActionRefused`.
    private func complete(_ row: ApprovalRow, actor: Principal, in tx: Transaction) throws {
        guard let actions = actions.withLock({ $0[row.document.type] }) else {
            throw AppError(.notImplemented, "\(row.document.type.rawValue) approvals cannot run here")
        }
        do {
            _ = try actions.complete(row.document.id, row.options, actor, tx)
        } catch let error as AppError where Self.refuses(error) {
            throw ActionRefused(problem: error)
        } catch let error as ProblemConvertible where !(error is PostgresError) && Self.refuses(error.problem) {
            throw ActionRefused(problem: error.problem)
        }
    }

    /// A rule's answer about the document (its state, stock, credit, fields), not a failure
    /// of the system.
    private static func refuses(_ error: AppError) -> Bool {
        [.conflict, .unprocessable, .forbidden, .notFound].contains(error.code.kind)
    }

    /// Rejects the request at its current step: the document returns to `draft`, the reason
    /// in its history.
    func reject(_ key: DocumentKey, reason: String?, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Approval
    {
        guard let reason = reason.trimmedOrNil else {
            throw AppError.validation([FieldError(field: "reason", message: "is required")])
        }
        try Self.checkText(reason, field: "reason")
        return try pool.transaction { tx in
            let row = try pending(key, ifMatch: ifMatch, to: .rejected, in: tx)
            let step = try authorize(row, actor: actor, in: tx)
            try store.insertDecision(
                approvalID: row.id, step: step, decision: "rejected", userID: actor.userID, comment: reason, in: tx)
            try store.advance(id: row.id, to: step, status: .rejected, reason: reason, in: tx)
            try revert(row, in: tx)
            return try decided("approval.rejected", row.id, actor: actor, in: tx)
        }
    }

    /// The requester takes the request back: the document returns to `draft`.
    func withdraw(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Approval {
        try pool.transaction { tx in
            let row = try pending(key, ifMatch: ifMatch, to: .withdrawn, in: tx)
            guard row.requestedBy == actor.userID else {
                throw AppError(.forbidden, "only the requester withdraws \(row.number)")
            }
            try store.advance(id: row.id, to: row.currentStep, status: .withdrawn, reason: nil, in: tx)
            try revert(row, in: tx)
            return try decided("approval.withdrawn", row.id, actor: actor, in: tx)
        }
    }

    // MARK: Rules of deciding

    private func pending(
        _ key: DocumentKey, ifMatch: (Int) throws -> Void, to target: Approval.Status, in tx: Transaction
    ) throws -> ApprovalRow {
        guard let row = try store.approval(key, lock: true, in: tx) else { throw AppError.notFound("approval") }
        try ifMatch(row.version)
        guard row.status == .pending else {
            throw AppError.invalidTransition(
                "\(row.number) is \(row.status.rawValue); only a pending approval is decided", from: row.status,
                to: target)
        }
        return row
    }

    /// The step the caller decides now, or the problem: the requester never decides (403
    /// `self_approval`); one person decides at most one step (409 `already_decided`); a later
    /// step's approver waits (409 `approval_out_of_turn`); anyone else is not an approver (403).
    private func authorize(_ row: ApprovalRow, actor: Principal, in tx: Transaction) throws -> Int {
        if row.requestedBy == actor.userID {
            throw AppError(.selfApproval, "\(row.number) was requested by you; another person must decide it")
        }
        let decisions = try store.decisions(approvalIDs: [row.id], in: tx)[row.id] ?? []
        if decisions.contains(where: { $0.userID == actor.userID }) {
            throw AppError(.alreadyDecided, "you already decided a step of \(row.number); one person decides one step")
        }
        let step = row.steps[row.currentStep]
        if Self.fits(step, actor) { return row.currentStep }
        if row.steps[(row.currentStep + 1)...].contains(where: { Self.fits($0, actor) }) {
            throw AppError(
                .approvalOutOfTurn,
                "\(row.number) waits for step \(row.currentStep + 1) (\(Self.describe(step))) before yours")
        }
        throw AppError(.notApprover, "step \(row.currentStep + 1) of \(row.number) is for \(Self.describe(step))")
    }

    static func fits(_ step: ApprovalRule.Step, _ actor: Principal) -> Bool {
        if let user = step.userId { return user == actor.userID }
        guard let role = step.role else { return false }
        return role == actor.role || actor.role == .admin
    }

    static func describe(_ step: ApprovalRule.Step) -> String {
        if let role = step.role { return "the role \(role.rawValue)" }
        return "the user \(step.userId?.uuidString.lowercased() ?? "")"
    }

    static func checkText(_ text: String?, field: String) throws {
        if let text, text.count > 2_000 {
            throw AppError.validation([FieldError(field: field, message: "must be at most 2000 characters")])
        }
    }

    private func revert(_ row: ApprovalRow, in tx: Transaction) throws {
        guard let actions = actions.withLock({ $0[row.document.type] }) else {
            throw AppError(.notImplemented, "\(row.document.type.rawValue) approvals cannot run here")
        }
        try actions.revert(row.document.id, tx)
    }

    /// The request after a decision, with its event on the document (its history and `/audit`).
    private func decided(_ type: String, _ id: UUID, actor: Principal, in tx: Transaction) throws -> Approval {
        let approval = try present(try store.approval(.id(id), in: tx)!, in: tx)
        _ = try record(type, approval, actor: actor, in: tx)
        return approval
    }

    /// Appends `type` about the approval's document, with the approval as data.
    private func record(_ type: String, _ approval: Approval, actor: Principal, in tx: Transaction) throws
        -> JSONValue
    {
        let data = try JSONValueEncoder().encode(approval)
        try events.append(
            type, resourceType: approval.document.type.rawValue, resourceID: approval.document.id, data: data,
            actor: actor, in: tx)
        return data
    }

    /// `last_failure`: the refusal's code, detail and figures, when and for whom.
    static func failure(_ error: AppError, actor: Principal) throws -> JSONValue {
        var failure = JSONObject([
            ("code", .string(error.code.rawValue)), ("detail", .string(error.detail)),
            ("at", try JSONValueEncoder().encode(Date())),
            ("by_user_id", .string(actor.userID.uuidString.lowercased())),
        ])
        for key in error.extra.keys { failure.set(key, error.extra[key] ?? .null) }
        return .object(failure)
    }

    // MARK: Representation

    private func present(_ row: ApprovalRow, in tx: Transaction) throws -> Approval {
        Self.present(row, decisions: try store.decisions(approvalIDs: [row.id], in: tx)[row.id] ?? [])
    }

    static func present(_ row: ApprovalRow, decisions: [Decision]) -> Approval {
        let steps = row.steps.enumerated().map { index, step in
            let decision = decisions.first { $0.step == index }
            let status =
                decision?.decision
                ?? (row.status == .pending && index == row.currentStep ? "pending" : "waiting")
            return Approval.StepState(
                position: index + 1, role: step.role, userId: step.userId, status: status,
                decidedBy: decision?.userID, decidedAt: decision?.createdAt, comment: decision?.comment)
        }
        return Approval(
            id: row.id, number: row.number, status: row.status, document: row.document, currency: row.currency,
            total: row.total, requestedBy: row.requestedBy, ruleIds: row.ruleIds, steps: steps,
            currentStep: row.status == .pending ? row.currentStep + 1 : nil, reason: row.reason,
            lastFailure: row.lastFailure, decidedAt: row.decidedAt, createdAt: row.createdAt,
            updatedAt: row.updatedAt, version: row.version)
    }
}

/// Named by id in events.
extension ApprovalRule: IdentifiedRecord {}
/// Listed newest first.
extension Approval: IdentifiedRecord {}
