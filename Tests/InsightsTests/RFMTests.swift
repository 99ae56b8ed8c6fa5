import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `GET /reports/customer-rfm` and the customer summary's `rfm` on customers with known
/// order histories. Orders are made and confirmed through the API, then their confirmation
/// is moved into the past with SQL: the API stamps `confirmed_at` with the present.
@Suite struct RFMTests {
    let app: TestApp
    let fixture: TradeFixture
    var admin: APIClient { fixture.admin }
    let asOf = LocalDate("2026-06-30")!

    init() throws {
        app = try TestApp()
        fixture = try TradeFixture(app)
    }

    /// A confirmed order of `amount` confirmed `daysAgo` days before `asOf`; its id.
    @discardableResult
    func order(_ customer: String, amount: Int, daysAgo: Int) throws -> String {
        let id = try fixture.confirmedOrder(
            customer: customer, lines: #"{"description":"Work","quantity":1,"unit_price":\#(amount)}"#)
        let day = asOf.adding(days: -daysAgo)!
        try TestSQL.execute(
            app.databaseURL, "UPDATE sales_orders SET confirmed_at = '\(day) 12:00:00+00' WHERE id = '\(id)'")
        return id
    }

    /// Five customers, one per quintile, made in the order A…E (so their numbers rise):
    ///
    /// | | orders (days before as_of: amount) | R days | F | M | R F M | segment | reasons |
    /// |---|---|---|---|---|---|---|---|
    /// | A | 5, 35, 65, 95: 1000 each; 400: 700 (outside) | 5 | 4 | 4000 | 4 5 4 | champions | — |
    /// | B | 2: 500 | 2 | 1 | 500 | 5 2 2 | new | — |
    /// | C | 300, 250, 200: 2000 each; an overdue invoice | 200 | 3 | 6000 | 2 4 5 | at_risk | order_gap, overdue_receivables |
    /// | D | 300: 3000; 10: 1000 | 10 | 2 | 4000 | 3 3 3 | potential | falling_order_value |
    /// | E | 360: 100 | 360 | 1 | 100 | 1 1 1 | hibernating | — |
    ///
    /// Ties: B and E both ordered once, E (the higher number) ranks lower, so F is E 1, B 2;
    /// A and D both spent 4000, D ranks lower, so M is D 3, A 4.
    func population() throws -> [String: String] {
        var ids: [String: String] = [:]
        for name in ["A", "B", "C", "D", "E"] { ids[name] = try fixture.customer() }
        for days in [5, 35, 65, 95] { try order(ids["A"]!, amount: 1000, daysAgo: days) }
        try order(ids["A"]!, amount: 700, daysAgo: 400)
        try order(ids["B"]!, amount: 500, daysAgo: 2)
        var overdue = ""
        for days in [300, 250, 200] { overdue = try order(ids["C"]!, amount: 2000, daysAgo: days) }
        try order(ids["D"]!, amount: 3000, daysAgo: 300)
        try order(ids["D"]!, amount: 1000, daysAgo: 10)
        try order(ids["E"]!, amount: 100, daysAgo: 360)
        let invoice = try admin.post("/sales-orders/\(overdue)/invoice", #"{"basis":"ordered"}"#)
        guard invoice.status == 201, let invoiceID = invoice["id"]?.stringValue else {
            throw TestFailure("invoice: \(invoice)")
        }
        try TestSQL.execute(app.databaseURL, "UPDATE invoices SET due_date = '2026-01-31' WHERE id = '\(invoiceID)'")
        return ids
    }

    @Test func scoresSegmentsAndReasons_matchTheHandComputedTable() throws {
        let ids = try population()
        let reply = try admin.get("/reports/customer-rfm?as_of=\(asOf)")
        #expect(reply.status == 200, "\(reply)")
        let rows = reply["data"]?.arrayValue ?? []
        #expect(rows.map { $0["customer_id"]?.stringValue } == ["A", "B", "C", "D", "E"].map { ids[$0] })
        let expected:
            [(
                r: Int, f: Int, m: Int, days: Int, frequency: Int, monetary: Int, segment: String, reasons: [String],
                risk: String, lifetime: Int
            )] = [
                (4, 5, 4, 5, 4, 4000, "champions", [], "low", 4700),
                (5, 2, 2, 2, 1, 500, "new", [], "low", 500),
                (2, 4, 5, 200, 3, 6000, "at_risk", ["order_gap", "overdue_receivables"], "high", 6000),
                (3, 3, 3, 10, 2, 4000, "potential", ["falling_order_value"], "medium", 4000),
                (1, 1, 1, 360, 1, 100, "hibernating", [], "low", 100),
            ]
        for (row, want) in zip(rows, expected) {
            let name = row["customer_number"]?.stringValue ?? "?"
            #expect(row["recency_score"] == .number(String(want.r)), "\(name)")
            #expect(row["frequency_score"] == .number(String(want.f)), "\(name)")
            #expect(row["monetary_score"] == .number(String(want.m)), "\(name)")
            #expect(row["recency_days"] == .number(String(want.days)), "\(name)")
            #expect(row["frequency"] == .number(String(want.frequency)), "\(name)")
            #expect(row["monetary"] == .number(String(want.monetary)), "\(name)")
            #expect(row["segment"]?.stringValue == want.segment, "\(name)")
            #expect(row["reasons"]?.arrayValue?.compactMap(\.stringValue) == want.reasons, "\(name)")
            #expect(row["churn_risk"]?.stringValue == want.risk, "\(name)")
            #expect(row["lifetime_value"] == .number(String(want.lifetime)), "\(name)")
        }
        // The same answer on every run, and page by page in number order.
        #expect(try admin.get("/reports/customer-rfm?as_of=\(asOf)").text == reply.text)
        var paged: [String] = []
        var path = "/reports/customer-rfm?as_of=\(asOf)&limit=2"
        while true {
            let page = try admin.get(path)
            #expect(page.status == 200, "\(page)")
            paged += (page["data"]?.arrayValue ?? []).compactMap { $0["customer_id"]?.stringValue }
            guard let cursor = page["next_cursor"]?.stringValue else { break }
            path = "/reports/customer-rfm?as_of=\(asOf)&limit=2&cursor=\(cursor)"
        }
        #expect(paged == ["A", "B", "C", "D", "E"].map { ids[$0]! })
        let atRisk = try admin.get("/reports/customer-rfm?as_of=\(asOf)&segment=at_risk")["data"]?.arrayValue
        #expect(atRisk?.map { $0["customer_id"]?.stringValue } == [ids["C"]])
        // A shorter window leaves E (360 days) out and rescores the rest.
        let short = try admin.get("/reports/customer-rfm?as_of=\(asOf)&window_days=100")["data"]?.arrayValue ?? []
        #expect(short.map { $0["customer_id"]?.stringValue } == ["A", "B", "D"].map { ids[$0] })
    }

    /// The ranked rows are kept between requests (`rfm_snapshots`); after any order change the
    /// report is what a computation from nothing gives.
    @Test func keptScores_followEveryOrderChange_exactly() throws {
        let ids = try population()
        let path = "/reports/customer-rfm?as_of=\(asOf)"
        func fresh() throws -> String {
            try TestSQL.execute(app.databaseURL, "DELETE FROM rfm_snapshots")
            return try admin.get(path).text
        }
        let before = try admin.get(path).text
        #expect(try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM rfm_snapshot_rows") == "5")
        #expect(try admin.get(path).text == before)
        // A new order for B, then a cancelled one of A's: each answer equals a fresh computation.
        try order(ids["B"]!, amount: 900, daysAgo: 1)
        let afterOrder = try admin.get(path)
        #expect(afterOrder.text != before)
        let b = afterOrder["data"]?.arrayValue?.first { $0["customer_id"]?.stringValue == ids["B"] }
        #expect(b?["frequency"] == .number("2"))
        #expect(try fresh() == afterOrder.text)
        let cancelled = try fixture.confirmedOrder(
            customer: ids["E"]!, lines: #"{"description":"Work","quantity":1,"unit_price":50}"#)
        try TestSQL.execute(
            app.databaseURL,
            "UPDATE sales_orders SET confirmed_at = '\(asOf.adding(days: -3)!) 12:00:00+00' WHERE id = '\(cancelled)'")
        let withE = try admin.get(path).text
        #expect(try fresh() == withE)
        #expect(try admin.post("/sales-orders/\(cancelled)/cancel").status == 200)
        let afterCancel = try admin.get(path).text
        #expect(afterCancel != withE)
        #expect(try fresh() == afterCancel)
    }

    /// Shipping and invoicing change nothing the ranking reads: the kept one stays (no
    /// recomputation after a shipment) and still equals a computation from nothing; a change
    /// of subtotal or customer does recompute it.
    @Test func keptScores_surviveShipmentsAndInvoices_andFollowWhatRFMReads() throws {
        let ids = try population()
        let path = "/reports/customer-rfm?as_of=\(asOf)"
        let snapshotID = "SELECT string_agg(id::text, ',') FROM rfm_snapshots"
        let service = try fixture.item(type: "service", extra: #","standard_cost":100"#)
        let order = try fixture.confirmedOrder(
            customer: ids["B"]!, lines: #"{"item_id":"\#(service)","quantity":2,"unit_price":700}"#)
        try TestSQL.execute(
            app.databaseURL,
            "UPDATE sales_orders SET confirmed_at = '\(asOf.adding(days: -1)!) 12:00:00+00' WHERE id = '\(order)'")
        let before = try admin.get(path).text
        let kept = try TestSQL.scalar(app.databaseURL, snapshotID)
        _ = try fixture.ship(order, lines: #"{"line_no":1,"quantity":2}"#)
        #expect(try admin.post("/sales-orders/\(order)/invoice").status == 201)
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT status FROM sales_orders WHERE id = '\(order)'") != "confirmed")
        let after = try admin.get(path).text
        #expect(try TestSQL.scalar(app.databaseURL, snapshotID) == kept, "no recomputation")
        #expect(after == before)
        try TestSQL.execute(app.databaseURL, "DELETE FROM rfm_snapshots")
        #expect(try admin.get(path).text == after, "equal to a computation from nothing")

        // What RFM reads: the subtotal, then the customer (as a merge moves orders).
        let recomputed = try TestSQL.scalar(app.databaseURL, snapshotID)
        try TestSQL.execute(app.databaseURL, "UPDATE sales_orders SET subtotal = subtotal + 5000 WHERE id = '\(order)'")
        let bigger = try admin.get(path)
        #expect(try TestSQL.scalar(app.databaseURL, snapshotID) != recomputed)
        let b = bigger["data"]?.arrayValue?.first { $0["customer_id"]?.stringValue == ids["B"] }
        #expect(b?["monetary"] == .number("6900"), "\(bigger)")
        try TestSQL.execute(
            app.databaseURL, "UPDATE sales_orders SET customer_id = '\(ids["E"]!)' WHERE id = '\(order)'")
        let moved = try admin.get(path).text
        try TestSQL.execute(app.databaseURL, "DELETE FROM rfm_snapshots")
        #expect(try admin.get(path).text == moved)
        #expect(moved != bigger.text)
    }

    @Test func customerSummary_carriesTheRFMRow_andLifetimeMargin() throws {
        let customer = try fixture.customer()
        let none = try admin.get("/customers/\(customer)/summary")
        #expect(none.status == 200, "\(none)")
        #expect(none["rfm"] == .null)
        #expect(none["lifetime_margin"] == .number("0"))
        let item = try fixture.item()
        try fixture.receive(item, quantity: 2, unitCost: 400)
        let order = try fixture.confirmedOrder(
            customer: customer, lines: #"{"item_id":"\#(item)","quantity":2,"unit_price":1000}"#)
        _ = try fixture.ship(order, lines: #"{"line_no":1,"quantity":2}"#)
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["rfm"]?["frequency"] == .number("1"))
        #expect(summary["rfm"]?["recency_days"] == .number("0"))
        // Alone in the population, it is the first (and only) member of quintile 1.
        #expect(summary["rfm"]?["recency_score"] == .number("1"))
        #expect(summary["rfm"]?["segment"] == "hibernating")
        #expect(summary["lifetime_margin"] == .number("1200"))
        let sales = app.client(key: try app.key(forRole: "sales"))
        let seen = try sales.get("/customers/\(customer)/summary")
        #expect(seen["rfm"]?["frequency"] == .number("1"))
        #expect(seen["lifetime_margin"] == .null)
    }

    @Test func badParameters_areA400NamingTheParameter() throws {
        for (query, parameter) in [
            ("window_days=0", "window_days"), ("window_days=3651", "window_days"), ("segment=vip", "segment"),
            ("as_of=yesterday", "as_of"), ("limit=0", "limit"),
        ] {
            let reply = try admin.get("/reports/customer-rfm?\(query)")
            #expect(reply.status == 400, "\(query): \(reply)")
            #expect(reply["errors"]?[0]?["field"]?.stringValue == parameter, "\(query): \(reply)")
        }
        let wide = try admin.get("/reports/customer-rfm?window_days=3650")
        #expect(wide.status == 200, "\(wide)")
        #expect(try admin.get("/reports/customer-rfm?window_days=1").status == 200)
    }
}
