import Core
import FoundationEssentials
import Platform
import Postgres

/// The filters of `GET /opportunities`.
struct OpportunityFilter {
    var stage: Opportunity.Stage?
    var customerId: UUID?
    var ownerId: UUID?
    var expectedCloseBefore: LocalDate?
    var expectedCloseAfter: LocalDate?
    var q: String?
    var descending = false
}

/// Count, amount and weighted amount of a group of opportunities.
struct PipelineFigures {
    var count: Int64
    var amount: Int64
    var weightedAmount: Int64
}

/// SQL of opportunities, their lines and stage history.
struct OpportunityStore: Sendable {
    static let columns: SQL = """
        id, number, customer_id, name, stage, probability, probability_override, amount, currency, expected_close_date,
        owner_id, lost_reason, sales_order_id, closed_at, created_at, updated_at, version
        """

    func insert(_ opportunity: Opportunity, in tx: Transaction) throws -> UUID {
        try tx.first(
            """
            INSERT INTO opportunities (customer_id, name, stage, probability, probability_override, amount, currency,
                                       expected_close_date, owner_id)
            VALUES (\(opportunity.customerId), \(opportunity.name), \(opportunity.stage.rawValue), \(opportunity.probability),
                    \(opportunity.probabilityOverride), \(opportunity.amount), \(opportunity.currency),
                    \(opportunity.expectedCloseDate), \(opportunity.ownerId))
            RETURNING id
            """)!.decode("id")
    }

    func update(_ opportunity: Opportunity, in tx: Transaction) throws {
        try tx.execute(
            """
            UPDATE opportunities SET customer_id = \(opportunity.customerId), name = \(opportunity.name),
                stage = \(opportunity.stage.rawValue), probability = \(opportunity.probability),
                probability_override = \(opportunity.probabilityOverride), amount = \(opportunity.amount),
                currency = \(opportunity.currency), expected_close_date = \(opportunity.expectedCloseDate),
                owner_id = \(opportunity.ownerId), lost_reason = \(opportunity.lostReason),
                sales_order_id = \(opportunity.salesOrderId), closed_at = \(opportunity.closedAt),
                updated_at = now(), version = version + 1
            WHERE id = \(opportunity.id)
            """)
    }

    func delete(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM opportunities WHERE id = \(id)")
    }

    func replaceLines(opportunityID: UUID, _ lines: [OpportunityLineInput], in tx: Transaction) throws {
        try tx.execute("DELETE FROM opportunity_lines WHERE opportunity_id = \(opportunityID)")
        for (index, line) in lines.enumerated() {
            try tx.execute(
                """
                INSERT INTO opportunity_lines (opportunity_id, line_no, item_id, description, quantity, unit_price)
                VALUES (\(opportunityID), \(index + 1), \(line.itemId), \(line.description.trimmedOrNil), \(line.quantity), \(line.unitPrice))
                """)
        }
    }

    func enterStage(opportunityID: UUID, _ stage: Opportunity.Stage, by user: UUID?, in tx: Transaction) throws {
        try tx.execute(
            """
            INSERT INTO opportunity_stages (opportunity_id, stage, entered_by) VALUES (\(opportunityID), \(stage.rawValue), \(user))
            """)
    }

    func opportunity(_ key: DocumentKey, lock: Bool = false, in tx: Transaction) throws -> Opportunity? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        guard
            let row = try tx.first(
                "SELECT \(Self.columns) FROM opportunities WHERE \(key.condition(visible: .opportunity))\(locking)")
        else {
            return nil
        }
        return try complete([row], in: tx).first
    }

    func list(_ filter: OpportunityFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws
        -> [Opportunity]
    {
        var shape = ListShape(descending: filter.descending, visible: .opportunity)
        if let stage = filter.stage { shape.conditions.append("stage = \(stage.rawValue)") }
        if let customer = filter.customerId { shape.conditions.append("customer_id = \(customer)") }
        if let owner = filter.ownerId { shape.conditions.append("owner_id = \(owner)") }
        if let before = filter.expectedCloseBefore { shape.conditions.append("expected_close_date < \(before)") }
        if let after = filter.expectedCloseAfter { shape.conditions.append("expected_close_date > \(after)") }
        if let q = filter.q { shape.conditions.append(SQL.contains("search_text", q, in: "opportunities")) }
        let rows = try tx.query("SELECT \(Self.columns) FROM opportunities \(shape.clause(after: after, limit: limit))")
            .rows
        return try complete(rows, in: tx)
    }

    /// Rows with their lines and stage history, two queries for any number of rows.
    private func complete(_ rows: [Row], in tx: Transaction) throws -> [Opportunity] {
        guard !rows.isEmpty else { return [] }
        let ids: [UUID] = try rows.map { try $0.decode("id") }
        var lines: [UUID: [OpportunityLine]] = [:]
        for row in try tx.query(
            """
            SELECT opportunity_id, line_no, item_id, description, quantity, unit_price FROM opportunity_lines
            WHERE opportunity_id = ANY(\(ids)::uuid[]) ORDER BY opportunity_id, line_no
            """
        ).rows {
            lines[try row.decode("opportunity_id"), default: []].append(
                OpportunityLine(
                    lineNo: try row.decode("line_no"), itemId: try row.decodeIfPresent("item_id"),
                    description: try row.decodeIfPresent("description"), quantity: try row.decode("quantity"),
                    unitPrice: try row.decodeIfPresent("unit_price")))
        }
        var stages: [UUID: [StageEntry]] = [:]
        for row in try tx.query(
            """
            SELECT opportunity_id, stage, entered_at, entered_by FROM opportunity_stages
            WHERE opportunity_id = ANY(\(ids)::uuid[]) ORDER BY opportunity_id, id
            """
        ).rows {
            stages[try row.decode("opportunity_id"), default: []].append(
                StageEntry(
                    stage: try row.decodeEnum("stage", as: Opportunity.Stage.self),
                    enteredAt: try row.decode("entered_at"),
                    enteredBy: try row.decodeIfPresent("entered_by")))
        }
        return try rows.map { row in
            let id: UUID = try row.decode("id")
            var opportunity = Opportunity(
                id: id, number: try row.decode("number"), customerId: try row.decode("customer_id"),
                name: try row.decode("name"),
                stage: try row.decodeEnum("stage", as: Opportunity.Stage.self),
                probability: try row.decode("probability"),
                amount: try row.decode("amount"), currency: try row.decode("currency"),
                expectedCloseDate: try row.decodeIfPresent("expected_close_date"),
                ownerId: try row.decodeIfPresent("owner_id"),
                lostReason: try row.decodeIfPresent("lost_reason"), lines: lines[id] ?? [],
                salesOrderId: try row.decodeIfPresent("sales_order_id"), closedAt: try row.decodeIfPresent("closed_at"),
                stageHistory: stages[id] ?? [], createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"),
                version: try row.decode("version"))
            opportunity.probabilityOverride = try row.decodeIfPresent("probability_override")
            return opportunity
        }
    }

    func moveOpportunities(from duplicate: UUID, to survivor: UUID, in tx: Transaction) throws -> Int {
        try tx.execute(
            """
            UPDATE opportunities SET customer_id = \(survivor), updated_at = now(), version = version + 1
            WHERE customer_id = \(duplicate)
            """)
    }

    // MARK: Figures

    /// Weighted = Σ amount × probability / 100, rounded half-even per opportunity (API.md).
    static let figures: SQL = """
        count(*) AS count, coalesce(sum(amount), 0)::bigint AS amount,
        coalesce(sum(round_half_even(amount * probability / 100)), 0)::bigint AS weighted_amount
        """

    func pipelineByStage(currency: String, in tx: Transaction) throws -> [String: PipelineFigures] {
        var result: [String: PipelineFigures] = [:]
        for row in try tx.query(
            """
            SELECT stage, \(Self.figures) FROM opportunities
            WHERE currency = \(currency) AND \(RecordScope.current.filter(.opportunity)) GROUP BY stage
            """
        ).rows {
            result[try row.decode("stage")] = try Self.figures(row)
        }
        return result
    }

    func pipelineByOwner(currency: String, in tx: Transaction) throws -> [(UUID?, PipelineFigures)] {
        try tx.query(
            """
            SELECT owner_id, \(Self.figures) FROM opportunities
            WHERE currency = \(currency) AND stage NOT IN ('won', 'lost') AND \(RecordScope.current.filter(.opportunity))
            GROUP BY owner_id ORDER BY owner_id NULLS LAST
            """
        ).rows.map { (try $0.decodeIfPresent("owner_id"), try Self.figures($0)) }
    }

    func pipelineByCloseMonth(currency: String, in tx: Transaction) throws -> [(String?, PipelineFigures)] {
        try tx.query(
            """
            SELECT to_char(expected_close_date, 'YYYY-MM') AS month, \(Self.figures) FROM opportunities
            WHERE currency = \(currency) AND stage NOT IN ('won', 'lost') AND \(RecordScope.current.filter(.opportunity))
            GROUP BY month ORDER BY month NULLS LAST
            """
        ).rows.map { (try $0.decodeIfPresent("month"), try Self.figures($0)) }
    }

    /// A customer's open opportunities in `currency`, and how many open ones are in others.
    func openPipeline(customerID: UUID, currency: String, in tx: Transaction) throws -> (
        PipelineFigures, otherCurrency: Int64
    ) {
        let row = try tx.first(
            """
            SELECT count(*) FILTER (WHERE currency = \(currency)) AS count,
                   coalesce(sum(amount) FILTER (WHERE currency = \(currency)), 0)::bigint AS amount,
                   coalesce(sum(round_half_even(amount * probability / 100)) FILTER (WHERE currency = \(currency)), 0)::bigint
                       AS weighted_amount,
                   count(*) FILTER (WHERE currency <> \(currency)) AS other_currency
            FROM opportunities WHERE customer_id = \(customerID) AND stage NOT IN ('won', 'lost')
            """)!
        return (try Self.figures(row), try row.decode("other_currency"))
    }

    static func figures(_ row: Row) throws -> PipelineFigures {
        PipelineFigures(
            count: try row.decode("count"), amount: try row.decode("amount"),
            weightedAmount: try row.decode("weighted_amount"))
    }
}
