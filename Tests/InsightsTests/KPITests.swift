import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `GET /reports/kpis` on a small fixed data set for March 2026. Records are made through the
/// API, then their timestamps are moved into March with SQL (the API stamps the present).
@Suite struct KPITests {
    let app: TestApp
    let fixture: TradeFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try TradeFixture(app)
    }

    func sql(_ text: String) throws { try TestSQL.execute(app.databaseURL, text) }

    func post(_ path: String, _ body: String = "{}") throws -> String {
        let reply = try admin.post(path, body)
        guard reply.status == 201 || reply.status == 200, let id = reply["id"]?.stringValue else {
            throw TestFailure("\(path): \(reply)")
        }
        return id
    }

    /// Orders: 1000 (service costing 600), 2000 (service costing 1500), 4000 (unshipped),
    /// confirmed in March, and 9999 confirmed in April. Shipped 10 h and 24 h after confirming;
    /// the first by its requested date, the second a day late, the third not at all.
    /// Opportunities: won after 30 and 10 days, two lost. Leads: three from the web (one
    /// converted) and one referral (converted). Invoices: 4000 issued 10 March and overdue,
    /// 1000 issued 20 March and not yet due, 2000 issued today. Stock: 10 received at 100 on
    /// 1 February.
    func march() throws {
        let customer = try fixture.customer()
        let first = try fixture.item(type: "service", extra: #","standard_cost":600"#)
        let second = try fixture.item(type: "service", extra: #","standard_cost":1500"#)
        func order(_ lines: String, requested: String) throws -> String {
            let id = try post(
                "/sales-orders",
                #"{"customer_id":"\#(customer)","warehouse_id":"\#(fixture.warehouse)","requested_date":"\#(requested)","lines":[\#(lines)]}"#
            )
            _ = try post("/sales-orders/\(id)/confirm")
            return id
        }
        let o1 = try order(#"{"item_id":"\#(first)","quantity":1,"unit_price":1000}"#, requested: "2026-03-03")
        let o2 = try order(#"{"item_id":"\#(second)","quantity":1,"unit_price":2000}"#, requested: "2026-03-05")
        let o3 = try order(#"{"description":"Project","quantity":1,"unit_price":4000}"#, requested: "2026-03-10")
        let april = try order(#"{"description":"Later","quantity":1,"unit_price":9999}"#, requested: "2026-04-30")
        for id in [o1, o2] { _ = try fixture.ship(id, lines: #"{"line_no":1,"quantity":1}"#) }
        for (id, confirmed, shipped) in [
            (o1, "2026-03-02 10:00", "2026-03-02 20:00"), (o2, "2026-03-05 00:00", "2026-03-06 00:00"),
            (o3, "2026-03-08 00:00", nil), (april, "2026-04-02 00:00", nil),
        ] {
            try sql("UPDATE sales_orders SET confirmed_at = '\(confirmed)+00' WHERE id = '\(id)'")
            if let shipped {
                try sql(
                    """
                    UPDATE sales_orders SET first_shipped_at = '\(shipped)+00', last_shipped_at = '\(shipped)+00' WHERE id = '\(id)';
                    UPDATE shipments SET created_at = '\(shipped)+00' WHERE sales_order_id = '\(id)';
                    UPDATE shipment_lines SET shipped_at = '\(shipped)+00' WHERE sales_order_id = '\(id)';
                    """)
            }
        }
        for (created, days, won) in [
            ("2026-02-01", 30, true), ("2026-03-01", 10, true), ("2026-03-01", 5, false),
            ("2026-02-20", 12, false),
        ] {
            let id = try post("/opportunities", #"{"customer_id":"\#(customer)","name":"Deal","amount":1000}"#)
            if won {
                _ = try post("/opportunities/\(id)/win")
            } else {
                _ = try post("/opportunities/\(id)/lose", #"{"reason":"price"}"#)
            }
            try sql(
                """
                UPDATE opportunities SET created_at = '\(created) 09:00+00', closed_at = '\(created) 09:00+00'::timestamptz + interval '\(days) days'
                WHERE id = '\(id)'
                """)
        }
        for (source, converted) in [("web", true), ("web", false), ("web", false), ("referral", true)] {
            let id = try post("/leads", #"{"name":"Lead \#(UUID().uuidString.prefix(6))","source":"\#(source)"}"#)
            if converted { _ = try admin.post("/leads/\(id)/convert") }
            try sql("UPDATE leads SET created_at = '2026-03-15 12:00+00' WHERE id = '\(id)'")
        }
        for (id, basis, issued, due) in [
            (o3, "ordered", "2026-03-10", "2026-04-09"), (o1, "shipped", "2026-03-20", "2099-01-31"),
            (o2, "shipped", nil, "2099-01-31"),
        ] as [(String, String, String?, String)] {
            let invoice = try post("/sales-orders/\(id)/invoice", #"{"basis":"\#(basis)"}"#)
            let issue = issued.map { ", issue_date = '\($0)'" } ?? ""
            try sql("UPDATE invoices SET due_date = '\(due)'\(issue) WHERE id = '\(invoice)'")
        }
        let stocked = try fixture.item()
        try fixture.receive(stocked, quantity: 10, unitCost: 100)
        // The ledger is append-only; only this test's history is rewritten.
        try sql(
            """
            ALTER TABLE stock_movements DISABLE TRIGGER stock_movements_append_only;
            UPDATE stock_movements SET created_at = '2026-02-01 00:00+00' WHERE item_id = '\(stocked)';
            ALTER TABLE stock_movements ENABLE TRIGGER stock_movements_append_only;
            """)
    }

    @Test func kpis_matchHandComputedFigures() throws {
        try march()
        let reply = try admin.get("/reports/kpis?from=2026-03-01&to=2026-03-31")
        #expect(reply.status == 200, "\(reply)")
        let expected: [(String, JSONValue)] = [
            ("orders", .number("3")), ("order_value", .number("7000")),
            // 7000 / 3 = 2333.33…
            ("average_order_value", .number("2333")), ("revenue", .number("3000")),
            ("cost_of_goods", .number("2100")), ("gross_margin", .number("900")), ("margin_percent", .number("30")),
            ("win_rate_percent", .number("50")), ("median_days_to_close", .number("20")),
            ("median_hours_to_first_shipment", .number("17")),
            // 1 of 3 due orders shipped by its requested date.
            ("on_time_shipment_percent", .number("33.333")),
            ("stock_value", .number("1000")),
            // 2100 / 1000; 31 days × 1000 / 2100 = 14.7619…
            ("stock_turnover", .number("2.1")), ("days_on_hand", .number("14.762")),
            ("open_receivables", .number("7000")),
            // 7000 open × 31 days / 5000 invoiced in March.
            ("days_sales_outstanding", .number("43.4")),
            // 4000 of 7000.
            ("overdue_receivables_percent", .number("57.143")),
        ]
        for (name, value) in expected { #expect(reply[name] == value, "\(name): \(reply[name] ?? .null)") }
        let leads = reply["lead_conversion"]?.arrayValue ?? []
        #expect(leads.map { $0["source"]?.stringValue } == ["referral", "web"])
        #expect(leads.map { $0["conversion_percent"] } == [.number("100"), .number("33.333")])
        #expect(leads.map { $0["leads"] } == [.number("1"), .number("3")])

        // A sales user sees the same counts and no cost figures.
        let sales = try app.client(key: try app.key(forRole: "sales")).get(
            "/reports/kpis?from=2026-03-01&to=2026-03-31")
        #expect(sales.status == 200, "\(sales)")
        for name in [
            "cost_of_goods", "gross_margin", "margin_percent", "stock_value", "stock_turnover", "days_on_hand",
        ] {
            #expect(sales[name] == .null, "\(name)")
        }
        #expect(sales["orders"] == .number("3"))
        #expect(sales["revenue"] == .number("3000"))
    }

    @Test func kpis_onAnEmptyPeriod_areZeroOrNull_andBadDatesAre400() throws {
        let reply = try admin.get("/reports/kpis?from=2020-01-01&to=2020-01-31")
        #expect(reply.status == 200, "\(reply)")
        #expect(reply["orders"] == .number("0"))
        #expect(reply["average_order_value"] == .null)
        #expect(reply["margin_percent"] == .null)
        #expect(reply["win_rate_percent"] == .null)
        #expect(reply["median_days_to_close"] == .null)
        #expect(reply["stock_turnover"] == .null)
        let backwards = try admin.get("/reports/kpis?from=2026-03-02&to=2026-03-01")
        #expect(backwards.status == 400)
        #expect(backwards["errors"]?[0]?["field"] == "from")
        #expect(try admin.get("/reports/kpis?group_by=month").code == "unknown_parameter")
    }
}
