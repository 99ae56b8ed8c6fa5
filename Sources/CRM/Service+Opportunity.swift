import Core
import Customers
import FoundationEssentials
import Platform
import Postgres

extension CRMService {
    func createOpportunity(_ input: OpportunityInput, actor: Principal) throws -> Opportunity {
        var input = input
        input.normalize()
        try input.validate()
        return try pool.transaction { tx in
            guard let customer = try customers.customer(id: input.customerId, in: tx) else {
                throw AppError.validation([FieldError(field: "customer_id", message: "names no customer")])
            }
            var input = input
            if input.ownerId == nil { input.ownerId = actor.userID }
            return try createOpportunity(input, customer: customer, actor: actor, in: tx)
        }
    }

    /// Inserts a valid opportunity for `customer` with its lines and first stage.
    func createOpportunity(_ input: OpportunityInput, customer: Customer, actor: Principal, in tx: Transaction) throws
        -> Opportunity
    {
        if customer.status == .archived {
            throw AppError.validation([FieldError(field: "customer_id", message: "names an archived customer")])
        }
        let stage = input.stage ?? .prospecting
        guard stage.isOpen else {
            throw AppError.validation([
                FieldError(
                    field: "stage", message: "must be an open stage; use POST /opportunities/{id}/win or /lose to close"
                )
            ])
        }
        try checkUser(input.ownerId, field: "owner_id")
        try actor.scope.checkOwner(input.ownerId, in: tx)
        try checkItems(input.lines ?? [], in: tx)
        let draft = Opportunity(
            id: UUID(), number: "", customerId: customer.id, name: input.name, stage: stage,
            probability: Opportunity.effectiveProbability(stage: stage, override: input.probability),
            amount: input.amount ?? input.linesTotal ?? 0, currency: input.currency ?? customer.currency,
            expectedCloseDate: input.expectedCloseDate, ownerId: input.ownerId, lostReason: nil, lines: [],
            salesOrderId: nil,
            closedAt: nil, stageHistory: [], createdAt: Date(), updatedAt: Date(), version: 1,
            probabilityOverride: input.probability)
        let id = try opportunityStore.insert(draft, in: tx)
        try opportunityStore.replaceLines(opportunityID: id, input.lines ?? [], in: tx)
        try opportunityStore.enterStage(opportunityID: id, stage, by: actor.userID, in: tx)
        let opportunity = try opportunityStore.opportunity(.id(id), in: tx)!
        try events.append(
            "opportunity.created", resourceType: "opportunity", resourceID: id, resource: opportunity, actor: actor,
            in: tx)
        return opportunity
    }

    func opportunity(_ key: DocumentKey) throws -> Opportunity {
        guard let found = try pool.transaction({ tx in try opportunityStore.opportunity(key, in: tx) }) else {
            throw AppError.notFound("opportunity")
        }
        return found
    }

    /// Hands the opportunity to another owner: an admin, or a team manager within their team.
    func reassignOpportunity(_ key: DocumentKey, to owner: UUID, actor: Principal) throws -> Opportunity {
        try pool.transaction { tx in
            guard var opportunity = try opportunityStore.opportunity(key, lock: true, in: tx) else {
                throw AppError.notFound("opportunity")
            }
            try users.teams.checkReassign(from: opportunity.ownerId, to: owner, actor: actor, in: tx)
            guard opportunity.ownerId != owner else { return opportunity }
            opportunity.ownerId = owner
            try opportunityStore.update(opportunity, in: tx)
            // Read back through the owner rule of the reassigned record only, not the caller's scope.
            let updated = try RecordScope.$current.withValue(.all) {
                try opportunityStore.opportunity(.id(opportunity.id), in: tx)!
            }
            return try events.recorded("opportunity.reassigned", updated, actor: actor, in: tx)
        }
    }

    func listOpportunities(_ filter: OpportunityFilter, page: PageRequest) throws -> Page<Opportunity> {
        try pool.page(page, consistent: true) { tx in
            try opportunityStore.list(filter, after: page.after, limit: page.limit, in: tx)
        }
    }

    /// A merge patch of an open opportunity. A stage move is recorded in `stage_history`; the
    /// probability follows the new stage unless one was set explicitly (`probability: null`
    /// goes back to following it). Closing goes through `win`/`lose`.
    func updateOpportunity(_ key: DocumentKey, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Opportunity
    {
        try pool.transaction { tx in
            guard let current = try opportunityStore.opportunity(key, lock: true, in: tx) else {
                throw AppError.notFound("opportunity")
            }
            try ifMatch(current.version)
            guard current.stage.isOpen else {
                throw AppError.invalidTransition(
                    "\(current.number) is \(current.stage.rawValue); reopen it before changing it",
                    from: current.stage.rawValue, to: nil)
            }
            let input = try RecordPatch<OpportunityInput>(
                patch, toDocument: try current.writableDocument(),
                writable: Opportunity.writableFields
            ).input
            let stage = input.stage ?? current.stage
            guard stage.isOpen else {
                throw AppError.invalidTransition(
                    "an opportunity is \(stage.rawValue) only through POST /opportunities/{id}/\(stage == .won ? "win" : "lose")",
                    from: current.stage.rawValue, to: stage.rawValue)
            }
            var changed = current
            if input.customerId != current.customerId {
                guard let customer = try customers.customer(id: input.customerId, in: tx), customer.status != .archived
                else {
                    throw AppError.validation([FieldError(field: "customer_id", message: "names no active customer")])
                }
                changed.customerId = customer.id
            }
            changed.name = input.name
            changed.stage = stage
            changed.probabilityOverride = input.probability
            changed.probability = Opportunity.effectiveProbability(stage: stage, override: input.probability)
            changed.currency = input.currency ?? current.currency
            changed.expectedCloseDate = input.expectedCloseDate
            changed.ownerId = input.ownerId
            let newLines = input.lines ?? []
            // New lines without a new amount re-price the deal when every line has a price.
            let linesSent = patch.objectValue?.contains("lines") == true
            let amountSent = patch.objectValue?.contains("amount") == true
            changed.amount = (linesSent && !amountSent ? input.linesTotal : nil) ?? input.amount ?? 0
            let linesChanged =
                try linesSent
                && JSONValueEncoder().encode(newLines)
                    != JSONValueEncoder().encode(
                        current.lines.map {
                            OpportunityLineInput(
                                itemId: $0.itemId, description: $0.description, quantity: $0.quantity,
                                unitPrice: $0.unitPrice)
                        })
            // A patch that changes nothing writes nothing: no new version, no event.
            if !linesChanged && changed.customerId == current.customerId && changed.name == current.name
                && changed.stage == current.stage
                && changed.probabilityOverride == current.probabilityOverride && changed.amount == current.amount
                && changed.currency == current.currency && changed.expectedCloseDate == current.expectedCloseDate
                && changed.ownerId == current.ownerId
            {
                return current
            }
            if changed.ownerId != current.ownerId {
                try checkUser(changed.ownerId, field: "owner_id")
                try actor.scope.checkOwner(changed.ownerId, in: tx)
            }
            if linesChanged {
                try checkItems(newLines, in: tx)
                try opportunityStore.replaceLines(opportunityID: current.id, newLines, in: tx)
            }
            try opportunityStore.update(changed, in: tx)
            if stage != current.stage {
                try opportunityStore.enterStage(opportunityID: current.id, stage, by: actor.userID, in: tx)
            }
            return try events.recorded(
                "opportunity.updated", try opportunityStore.opportunity(.id(current.id), in: tx)!, actor: actor, in: tx)
        }
    }

    /// Closes an open opportunity as won; with `create_order` also opens a draft sales order
    /// through the function App wired in, in the same transaction.
    func win(_ key: DocumentKey, createOrder: Bool, ifMatch: (Int) throws -> Void, actor: Principal) throws
        -> Opportunity
    {
        try pool.transaction { tx in
            var opportunity = try lockOpen(key, to: .won, ifMatch: ifMatch, in: tx)
            if createOrder && orderOpener == nil {
                throw AppError(
                    .orderCreationUnavailable,
                    "this installation cannot open sales orders from opportunities yet; win without create_order")
            }
            opportunity.stage = .won
            opportunity.probability = Opportunity.effectiveProbability(
                stage: .won, override: opportunity.probabilityOverride)
            opportunity.closedAt = Date()
            if createOrder, let orderOpener { opportunity.salesOrderId = try orderOpener(opportunity, actor, tx) }
            return try close(opportunity, event: "opportunity.won", actor: actor, in: tx)
        }
    }

    func lose(_ key: DocumentKey, reason: String, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Opportunity
    {
        let reason = reason.trimmed()
        guard !reason.isEmpty, reason.count <= 1_000 else {
            throw AppError.validation([FieldError(field: "reason", message: "must be 1 to 1000 characters")])
        }
        return try pool.transaction { tx in
            var opportunity = try lockOpen(key, to: .lost, ifMatch: ifMatch, in: tx)
            opportunity.stage = .lost
            opportunity.probability = .zero
            opportunity.lostReason = reason
            opportunity.closedAt = Date()
            return try close(opportunity, event: "opportunity.lost", actor: actor, in: tx)
        }
    }

    /// Back to the last open stage it was in, with its probability rule as before.
    func reopen(_ key: DocumentKey, ifMatch: (Int) throws -> Void, actor: Principal) throws -> Opportunity {
        try pool.transaction { tx in
            guard var opportunity = try opportunityStore.opportunity(key, lock: true, in: tx) else {
                throw AppError.notFound("opportunity")
            }
            try ifMatch(opportunity.version)
            guard !opportunity.stage.isOpen else {
                throw AppError.invalidTransition(
                    "\(opportunity.number) is open (\(opportunity.stage.rawValue)); only won or lost opportunities reopen",
                    from: opportunity.stage.rawValue, to: nil)
            }
            if opportunity.salesOrderId != nil {
                throw AppError.invalidTransition(
                    "\(opportunity.number) opened a sales order; cancel work there instead of reopening",
                    from: opportunity.stage.rawValue, to: nil)
            }
            let stage = opportunity.stageHistory.last { $0.stage.isOpen }?.stage ?? .prospecting
            opportunity.stage = stage
            opportunity.probability = Opportunity.effectiveProbability(
                stage: stage, override: opportunity.probabilityOverride)
            opportunity.closedAt = nil
            opportunity.lostReason = nil
            return try close(opportunity, event: "opportunity.reopened", actor: actor, in: tx)
        }
    }

    private func lockOpen(
        _ key: DocumentKey, to target: Opportunity.Stage, ifMatch: (Int) throws -> Void,
        in tx: Transaction
    ) throws -> Opportunity {
        guard let opportunity = try opportunityStore.opportunity(key, lock: true, in: tx) else {
            throw AppError.notFound("opportunity")
        }
        try ifMatch(opportunity.version)
        guard opportunity.stage.isOpen else {
            throw AppError.invalidTransition(
                "\(opportunity.number) is already \(opportunity.stage.rawValue); reopen it first",
                from: opportunity.stage.rawValue, to: target.rawValue)
        }
        return opportunity
    }

    /// Stores a stage change made by an action and records it.
    private func close(_ opportunity: Opportunity, event: String, actor: Principal, in tx: Transaction) throws
        -> Opportunity
    {
        try opportunityStore.update(opportunity, in: tx)
        try opportunityStore.enterStage(opportunityID: opportunity.id, opportunity.stage, by: actor.userID, in: tx)
        return try events.recorded(
            event, try opportunityStore.opportunity(.id(opportunity.id), in: tx)!, actor: actor, in: tx)
    }

    private func checkItems(_ lines: [OpportunityLineInput], in tx: Transaction) throws {
        let ids = lines.compactMap(\.itemId)
        guard !ids.isEmpty, let itemLookup else { return }
        let known = try itemLookup(ids, tx)
        let errors = lines.enumerated().compactMap { index, line in
            line.itemId.flatMap {
                known.contains($0) ? nil : FieldError(field: "lines[\(index)].item_id", message: "names no item")
            }
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }

    // MARK: Figures for other modules

    /// `GET /reports/pipeline`: by stage (all six), and the open pipeline by owner and by
    /// expected close month, in one currency.
    func pipeline(currency: String) throws -> PipelineReport {
        try pool.read { tx in
            let byStage = try opportunityStore.pipelineByStage(currency: currency, in: tx)
            return PipelineReport(
                currency: currency,
                byStage: Opportunity.Stage.allCases.map { stage in
                    PipelineReport.Group(
                        key: .string(stage.rawValue),
                        figures: byStage[stage.rawValue] ?? PipelineFigures(count: 0, amount: 0, weightedAmount: 0))
                },
                byOwner: try opportunityStore.pipelineByOwner(currency: currency, in: tx).map {
                    PipelineReport.Group(key: $0.0.map { .string($0.uuidString.lowercased()) } ?? .null, figures: $0.1)
                },
                byCloseMonth: try opportunityStore.pipelineByCloseMonth(currency: currency, in: tx).map {
                    PipelineReport.Group(key: $0.0.map(JSONValue.string) ?? .null, figures: $0.1)
                })
        }
    }

    /// A customer's open opportunities in `currency` for the 360° summary, and how many open
    /// ones are in other currencies (left out of the figures).
    public func openPipeline(customerID: UUID, currency: String) throws -> (
        openCount: Int64, openAmount: Int64, weightedAmount: Int64,
        otherCurrency: Int64
    ) {
        let (figures, other) = try pool.read { tx in
            try opportunityStore.openPipeline(customerID: customerID, currency: currency, in: tx)
        }
        return (figures.count, figures.amount, figures.weightedAmount, other)
    }

    /// The newest activities about a customer (its own, its opportunities', its leads').
    public func recentActivities(customerID: UUID, limit: Int = 10) throws -> [Activity] {
        try pool.read { tx in try store.recentActivities(customerID: customerID, limit: limit, in: tx) }
    }
}

/// `GET /reports/pipeline`.
struct PipelineReport: Encodable {
    let currency: String
    let byStage: [Group]
    let byOwner: [Group]
    let byCloseMonth: [Group]

    /// One row: the grouping key under its own name (`stage`, `owner_id`, `month`) and the figures.
    struct Group {
        let key: JSONValue
        let figures: PipelineFigures
    }

    func encode(to encoder: any Encoder) throws {
        func rows(_ groups: [Group], _ name: String) -> JSONValue {
            .array(
                groups.map { group in
                    .object(
                        JSONObject([
                            (name, group.key), ("count", .number(String(group.figures.count))),
                            ("amount", .number(String(group.figures.amount))),
                            ("weighted_amount", .number(String(group.figures.weightedAmount))),
                        ]))
                })
        }
        let document: JSONValue = .object(
            JSONObject([
                ("currency", .string(currency)), ("by_stage", rows(byStage, "stage")),
                ("by_owner", rows(byOwner, "owner_id")),
                ("by_close_month", rows(byCloseMonth, "month")),
            ]))
        try document.encode(to: encoder)
    }
}

/// Listed in creation order.
extension Opportunity: CreatedRecord {}

/// Patched through RecordPatch.
extension OpportunityInput: RecordInput {}
