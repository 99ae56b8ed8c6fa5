import Core
import FoundationEssentials
import Platform
import Postgres

/// The management reports (`/reports/margin`, `/reports/kpis`, `/reports/customer-rfm`) and
/// the customer summary's `rfm` and `lifetime_margin`. Reads only; money in minor units,
/// ratios exact to three places, rounded half-even once.
public final class InsightsService: Sendable {
    let pool: ConnectionPool
    let store = InsightsStore()
    /// Costs are kept in this currency (there are no exchange rates), so margins exist only
    /// for revenue in it.
    let currency: String

    public init(pool: ConnectionPool, currency: String) {
        self.pool = pool
        self.currency = currency
    }

    // MARK: Margin

    /// `GET /reports/margin`: per group and currency, revenue (shipped quantity × net unit
    /// price), cost (at shipment), gross margin and its percent of revenue; totals per currency.
    func margin(by grouping: MarginGrouping, period: ReportPeriod, viewer: Principal) throws -> JSONValue {
        let rows = try pool.read { tx in
            try store.margin(by: grouping, period: period, scope: ReportScope(viewer: viewer), in: tx)
        }
        var totals: [String: (revenue: Int64, cost: Int64)] = [:]
        let data: [JSONValue] = rows.map { row in
            let sum = totals[row.currency] ?? (0, 0)
            totals[row.currency] = (sum.revenue + row.revenue, sum.cost + row.cost)
            var object = JSONObject([(grouping.keyName, row.key.map(JSONValue.string) ?? .null)])
            object.set("quantity", .number(row.quantity.description))
            for (name, value) in figures(currency: row.currency, revenue: row.revenue, cost: row.cost) {
                object.set(name, value)
            }
            return .object(object)
        }
        let totalRows: [JSONValue] = totals.keys.sorted().map { currency in
            .object(
                JSONObject(
                    figures(currency: currency, revenue: totals[currency]!.revenue, cost: totals[currency]!.cost)))
        }
        return .object(
            JSONObject([
                ("group_by", .string(grouping.rawValue)), ("from", .string(period.from.description)),
                ("to", .string(period.to.description)), ("cost_currency", .string(currency)), ("data", .array(data)),
                ("totals", .array(totalRows)),
            ]))
    }

    private func figures(currency: String, revenue: Int64, cost: Int64) -> [(String, JSONValue)] {
        let comparable = currency == self.currency
        return [
            ("currency", .string(currency)), ("revenue", .number(String(revenue))), ("cost", .number(String(cost))),
            ("gross_margin", comparable ? .number(String(revenue - cost)) : .null),
            (
                "margin_percent",
                comparable
                    ? Figures.percent(revenue - cost, of: revenue).map { .number($0.description) } ?? .null : .null
            ),
        ]
    }

    // MARK: KPIs

    /// `GET /reports/kpis`: the figures of one wall screen for `period`, in the installation's
    /// currency (openapi.yaml `KPIReport` says how each is computed). Cost figures are null
    /// unless `showCosts`.
    func kpis(period: ReportPeriod, today: LocalDate, showCosts: Bool, viewer: Principal) throws -> JSONValue {
        let scope = ReportScope(viewer: viewer)
        return try pool.read { tx in
            let orders = try store.orders(period: period, currency: currency, scope: scope, in: tx)
            let shipped = try store.shipped(period: period, currency: currency, scope: scope, in: tx)
            let opportunities = try store.opportunities(period: period, scope: scope, in: tx)
            let leads = try store.leadConversion(period: period, scope: scope, in: tx)
            let toShipment = try store.confirmToShipment(period: period, scope: scope, in: tx)
            let onTime = try store.onTime(period: period, today: today, scope: scope, in: tx)
            let receivables = try store.receivables(
                period: period, currency: currency, today: today, scope: scope, in: tx)
            var object = JSONObject([
                ("from", .string(period.from.description)), ("to", .string(period.to.description)),
                ("currency", .string(currency)), ("orders", .number(String(orders.count))),
                ("order_value", .number(String(orders.value))),
                ("average_order_value", Self.number(Figures.money(Int128(orders.value), Int128(orders.count)))),
                ("other_currency_orders", .number(String(orders.otherCurrency))),
                ("revenue", .number(String(shipped.revenue))),
            ])
            var costFigures: [(String, JSONValue)] = [
                ("cost_of_goods", .null), ("gross_margin", .null), ("margin_percent", .null), ("stock_value", .null),
                ("stock_turnover", .null), ("days_on_hand", .null),
            ]
            if showCosts {
                let stock = try store.stockValues(period: period, in: tx)
                // Value at an instant = today's value less what came in since; the average of
                // the period's two ends, in thousandths of a minor unit.
                let atStart = Int128(stock.now) - Int128(stock.sinceStart)
                let atEnd = Int128(stock.now) - Int128(stock.sinceEnd)
                let averageThousandths = atStart + atEnd  // ÷ 2 below
                let cost = Int128(shipped.cost)
                costFigures = [
                    ("cost_of_goods", .number(String(shipped.cost))),
                    ("gross_margin", .number(String(shipped.revenue - shipped.cost))),
                    (
                        "margin_percent",
                        Self.number(Figures.percent(shipped.revenue - shipped.cost, of: shipped.revenue))
                    ),
                    ("stock_value", Self.number(Figures.money(Int128(stock.now), 1000))),
                    // cost ÷ (average / 1000) = cost × 2000 ÷ (start + end)
                    ("stock_turnover", Self.number(Figures.ratio(cost * 2000, averageThousandths))),
                    (
                        "days_on_hand",
                        Self.number(
                            cost == 0 ? nil : Figures.ratio(averageThousandths * Int128(period.days), cost * 2000))
                    ),
                ]
            }
            for (name, value) in costFigures { object.set(name, value) }
            object.set(
                "win_rate_percent",
                Self.number(Figures.percent(opportunities.won, of: opportunities.won + opportunities.lost)))
            object.set(
                "median_days_to_close",
                Self.number(
                    Figures.ratio(
                        Int128(opportunities.medianMillis.sum), Int128(opportunities.medianMillis.count) * 86_400_000)))
            object.set(
                "lead_conversion",
                .array(
                    leads.map { lead in
                        .object(
                            JSONObject([
                                ("source", .string(lead.source)), ("leads", .number(String(lead.leads))),
                                ("converted", .number(String(lead.converted))),
                                ("conversion_percent", Self.number(Figures.percent(lead.converted, of: lead.leads))),
                            ]))
                    }))
            object.set(
                "median_hours_to_first_shipment",
                Self.number(Figures.ratio(Int128(toShipment.sum), Int128(toShipment.count) * 3_600_000)))
            object.set("on_time_shipment_percent", Self.number(Figures.percent(onTime.onTime, of: onTime.due)))
            object.set("open_receivables", .number(String(receivables.open)))
            object.set(
                "days_sales_outstanding",
                Self.number(Figures.ratio(Int128(receivables.open) * Int128(period.days), Int128(receivables.invoiced)))
            )
            object.set(
                "overdue_receivables_percent", Self.number(Figures.percent(receivables.overdue, of: receivables.open)))
            return .object(object)
        }
    }

    private static func number(_ value: ExactDecimal?) -> JSONValue {
        value.map { .number($0.description) } ?? .null
    }

    private static func number(_ value: Int64?) -> JSONValue {
        value.map { .number(String($0)) } ?? .null
    }

    // MARK: RFM

    /// `GET /reports/customer-rfm`: one page in customer-number order.
    func rfm(
        asOf: LocalDate, windowDays: Int, segment: RFMSegment?, page: PageRequest, viewer: Principal
    ) throws -> Page<CustomerRFM> {
        let rows = try rfmRows(
            asOf: asOf, windowDays: windowDays, segment: segment, customerID: nil, after: page.after,
            limit: page.limit, viewer: viewer)
        let sequences = Dictionary(uniqueKeysWithValues: rows.map { ($0.row.customerID, $0.sequence) })
        return page.page(
            rows.map { CustomerRFM($0.row, currency: currency) }, key: { String(sequences[$0.customerId]!) },
            id: \.customerId)
    }

    /// RFM rows from the snapshot of these parameters while no sales order changed since it
    /// was computed (else computed again first, once however many ask at the same time); for
    /// a caller whose scope restricts what it sees, computed over that scope on each request.
    /// On a read replica (the customer summary may read from one) nothing is written: without
    /// a current snapshot the rows are ranked in the statement.
    private func rfmRows(
        asOf: LocalDate, windowDays: Int, segment: RFMSegment?, customerID: UUID?, after: (key: String, id: UUID)?,
        limit: Int, viewer: Principal
    ) throws -> [(sequence: Int64, row: RFMRow)] {
        let scope = ReportScope(viewer: viewer)
        func rows(snapshot: Int64?, in tx: Transaction) throws -> [(sequence: Int64, row: RFMRow)] {
            try store.rfm(
                snapshot: snapshot, asOf: asOf, windowDays: windowDays, currency: currency, segment: segment,
                customerID: customerID, after: after, limit: limit, scope: scope, in: tx)
        }
        if scope.restricts { return try pool.snapshot { tx in try rows(snapshot: nil, in: tx) } }
        // The kept ranking, when current: a read only (on the request's replica if it reads from one).
        let kept = try pool.snapshot { tx -> [(sequence: Int64, row: RFMRow)]? in
            let stamp = try store.ordersStamp(in: tx)
            guard
                let snapshot = try store.snapshot(
                    asOf: asOf, windowDays: windowDays, currency: currency, stamp: stamp, in: tx)
            else { return nil }
            return try rows(snapshot: snapshot, in: tx)
        }
        if let kept { return kept }
        if pool.readsFromReplica { return try pool.snapshot { tx in try rows(snapshot: nil, in: tx) } }
        return try pool.transaction { tx in
            try store.lockSnapshot(asOf: asOf, windowDays: windowDays, currency: currency, in: tx)
            let current = try store.ordersStamp(in: tx)
            let snapshot =
                try store.snapshot(asOf: asOf, windowDays: windowDays, currency: currency, stamp: current, in: tx)
                ?? store.saveSnapshot(asOf: asOf, windowDays: windowDays, currency: currency, stamp: current, in: tx)
            return try rows(snapshot: snapshot, in: tx)
        }
    }

    /// The customer summary's `rfm` (today, a 365-day window, the installation's currency;
    /// nil without orders in it) and `lifetime_margin` (nil unless `showCosts`, or when the
    /// customer's currency is not the one costs are kept in).
    public func customerInsight(customerID: UUID, customerCurrency: String, showCosts: Bool, viewer: Principal) throws
        -> (rfm: CustomerRFM?, lifetimeMargin: Int64?)
    {
        let rfm = try rfmRows(
            asOf: LocalDate.today(), windowDays: 365, segment: nil, customerID: customerID, after: nil, limit: 1,
            viewer: viewer
        ).first.map { CustomerRFM($0.row, currency: currency) }
        return try pool.read { tx in
            let margin =
                showCosts && customerCurrency == currency
                ? try store.lifetimeMargin(customerID: customerID, currency: currency, in: tx) : nil
            return (rfm, margin)
        }
    }
}
