import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Sales orders over HTTP against PostgreSQL: pricing, totals, confirm, ship, cancel, close.
@Suite struct SalesOrderTests {
    let app: TestApp
    let fixture: SalesFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try SalesFixture(app)
    }

    func id(_ value: JSONValue) -> String { value["id"]?.stringValue ?? "" }

    @Test func draft_pricesFromTheCatalog_byTierPriceDiscountOrList() throws {
        _ = try admin.send("PUT", "/pricing/tiers/silver", body: #"{"discount_percent":12.5}"#)
        let item = try fixture.item(price: 1999, extra: #","tier_prices":{"gold":1500}"#)
        let gold = try fixture.customer(#","tier":"gold""#)
        let silver = try fixture.customer(#","tier":"silver""#)
        let standard = try fixture.customer()
        func price(_ customer: String) throws -> JSONValue? {
            try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":1}"#)["lines"]?[0]
        }
        #expect(try price(gold)?["unit_price"] == .number("1500"))
        #expect(try price(gold)?["price_source"] == "tier_price")
        // 1999 less 12.5 % = 1749.125 → 1749.
        #expect(try price(silver)?["unit_price"] == .number("1749"))
        #expect(try price(standard)?["unit_price"] == .number("1999"))
        let explicit = try fixture.order(
            customer: gold, lines: #"{"item_id":"\#(item)","quantity":1,"unit_price":100}"#)
        #expect(explicit["lines"]?[0]?["unit_price"] == .number("100"))
        #expect(explicit["lines"]?[0]?["price_source"] == "explicit")
    }

    @Test func totals_roundHalfEvenPerLine_withDiscountAndTax() throws {
        let customer = try fixture.customer()
        let order = try fixture.order(
            customer: customer,
            lines: """
                {"description":"Consulting","quantity":2.5,"unit_price":333,"tax_rate":19},
                {"description":"Widgets","quantity":3,"unit_price":1000,"discount_percent":12.5,"tax_rate":7}
                """)
        // 2.5 × 333 = 832.5 → 832; tax 19 % of 832 = 158.08 → 158.
        #expect(order["lines"]?[0]?["line_total"] == .number("832"))
        #expect(order["lines"]?[0]?["tax_amount"] == .number("158"))
        // 3 × 1000 less 12.5 % = 2625; tax 7 % = 183.75 → 184.
        #expect(order["lines"]?[1]?["line_total"] == .number("2625"))
        #expect(order["lines"]?[1]?["tax_amount"] == .number("184"))
        #expect(order["subtotal"] == .number("3457"))
        #expect(order["tax_total"] == .number("342"))
        #expect(order["total"] == .number("3799"))
        #expect(order["status"] == "draft")
        #expect(order["invoice_status"] == "not_invoiced")
        #expect(order["number"]?.stringValue?.hasPrefix("SO-") == true)
    }

    @Test func invalidLines_are422_withPaths() throws {
        let customer = try fixture.customer()
        let reply = try admin.post(
            "/sales-orders",
            """
            {"customer_id":"\(customer)","lines":[{"item_id":"\(UUID().uuidString)","quantity":1},{"quantity":0,"description":"x","unit_price":1},
             {"description":"no price","quantity":1},{"description":"x","unit_price":1,"quantity":1,"discount_percent":101}]}
            """)
        #expect(reply.status == 422)
        for field in ["lines[1].quantity", "lines[2].item_id", "lines[3].discount_percent"] {
            #expect(reply.text.contains(#""field":"\#(field)""#), "\(field): \(reply.text)")
        }
        let unknown = try admin.post(
            "/sales-orders",
            #"{"customer_id":"\#(customer)","lines":[{"item_id":"\#(UUID().uuidString)","quantity":1}]}"#)
        #expect(unknown.text.contains(#""field":"lines[0].item_id""#))
        #expect(try admin.post("/sales-orders", #"{"customer_id":"\#(customer)","total":5}"#).code == "read_only_field")
    }

    @Test func confirm_reservesStock_andLinesFreezeAfterDraft() throws {
        let item = try fixture.item(stock: "10")
        let customer = try fixture.customer()
        let order = try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":4}"#)
        let confirmed = try admin.post("/sales-orders/\(id(order))/confirm")
        #expect(confirmed.status == 200, "\(confirmed)")
        #expect(confirmed["status"] == "confirmed")
        #expect(confirmed["confirmed_at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(try fixture.stock(item) == ("10.000", "4.000"))
        let frozen = try admin.patch("/sales-orders/\(id(order))", #"{"lines":[{"item_id":"\#(item)","quantity":1}]}"#)
        #expect(frozen.status == 409)
        #expect(frozen.code == "invalid_transition")
        #expect(try admin.patch("/sales-orders/\(id(order))", #"{"notes":"deliver to the back door"}"#).status == 200)
        #expect(try admin.post("/sales-orders/\(id(order))/confirm").code == "invalid_transition")
        try fixture.expectLedgerConsistent()
    }

    @Test func confirm_withShortStock_is409_listingEveryShortLine_andReservesNothing() throws {
        let plenty = try fixture.item(stock: "100")
        let few = try fixture.item(stock: "1")
        let none = try fixture.item()
        let service = try fixture.item(type: "service")
        let customer = try fixture.customer()
        let order = try fixture.order(
            customer: customer,
            lines: """
                {"item_id":"\(plenty)","quantity":5},{"item_id":"\(few)","quantity":2},{"item_id":"\(none)","quantity":1},
                {"item_id":"\(service)","quantity":8}
                """)
        let reply = try admin.post("/sales-orders/\(id(order))/confirm")
        #expect(reply.status == 409)
        #expect(reply.code == "insufficient_stock")
        let shortages = reply["shortages"]?.arrayValue ?? []
        #expect(shortages.compactMap { $0["line_no"]?.numberText } == ["2", "3"])
        #expect(shortages.first?["requested"] == .number("2"))
        #expect(shortages.first?["available"] == .number("1"))
        #expect(shortages.first?["warehouse_id"] == .string(fixture.warehouse))
        #expect(try fixture.stock(plenty).reserved == "0.000")
        #expect(try admin.get("/sales-orders/\(id(order))")["status"] == "draft")
        try fixture.expectLedgerConsistent()
    }

    @Test func confirm_anExpiredQuotation_orForABlockedCustomer_is409() throws {
        let item = try fixture.item(stock: "5")
        let customer = try fixture.customer()
        let expired = try fixture.order(
            customer: customer, lines: #"{"item_id":"\#(item)","quantity":1}"#, extra: #","valid_until":"2020-01-31""#)
        let reply = try admin.post("/sales-orders/\(id(expired))/confirm")
        #expect(reply.status == 409)
        #expect(reply.code == "quotation_expired")
        let blocked = try fixture.customer(#","status":"blocked""#)
        let order = try fixture.order(customer: blocked, lines: #"{"item_id":"\#(item)","quantity":1}"#)
        #expect(try admin.post("/sales-orders/\(id(order))/confirm").code == "customer_not_active")
    }

    @Test func creditLimit_equalPasses_oneMinorUnitOverFails_andOverrideIsRecorded() throws {
        let customer = try fixture.customer(#","credit_limit":10000"#)
        let first = try fixture.order(
            customer: customer, lines: #"{"description":"A","quantity":1,"unit_price":6000}"#, extra: "")
        #expect(try admin.post("/sales-orders/\(id(first))/confirm").status == 200)
        // 6000 open + 4000 = the limit exactly: passes.
        let exact = try fixture.order(customer: customer, lines: #"{"description":"B","quantity":1,"unit_price":4000}"#)
        #expect(try admin.post("/sales-orders/\(id(exact))/confirm").status == 200)
        let over = try fixture.order(customer: customer, lines: #"{"description":"C","quantity":1,"unit_price":1}"#)
        let refused = try admin.post("/sales-orders/\(id(over))/confirm")
        #expect(refused.status == 409)
        #expect(refused.code == "credit_limit_exceeded")
        let credit = try #require(refused["credit"])
        #expect(credit["limit"] == .number("10000"))
        #expect(credit["open_receivables"] == .number("0"))
        #expect(credit["open_orders"] == .number("10000"))
        #expect(credit["order_total"] == .number("1"))
        #expect(credit["available"] == .number("0"))
        let sales = app.client(key: try app.key(forRole: "sales"))
        #expect(try sales.post("/sales-orders/\(id(over))/confirm", #"{"override_credit_limit":true}"#).status == 403)
        let finance = app.client(key: try app.key(forRole: "finance"))
        let overridden = try finance.post("/sales-orders/\(id(over))/confirm", #"{"override_credit_limit":true}"#)
        #expect(overridden.status == 200, "\(overridden)")
        let history = try admin.get("/sales-orders/\(id(over))/history")["data"]?.arrayValue ?? []
        let event = try #require(history.first { $0["type"] == "sales_order.confirmed" })
        #expect(event["data"]?["credit_override"]?["role"] == "finance")
        #expect(event["data"]?["credit_override"]?["credit"]?["open_orders"] == .number("10000"))
    }

    @Test func shipments_partialAndSeveral_moveStock_andAdvanceTheStatus() throws {
        let item = try fixture.item(stock: "10")
        let service = try fixture.item(type: "service")
        let customer = try fixture.customer()
        let order = try fixture.order(
            customer: customer, lines: #"{"item_id":"\#(item)","quantity":6},{"item_id":"\#(service)","quantity":1}"#)
        _ = try admin.post("/sales-orders/\(id(order))/confirm")
        let warehouse = app.client(key: try app.key(forRole: "warehouse"))
        let first = try warehouse.post(
            "/sales-orders/\(id(order))/shipments", #"{"lines":[{"line_no":1,"quantity":2.5}]}"#)
        #expect(first.status == 201, "\(first)")
        #expect(first["sales_order"]?["status"] == "partially_shipped")
        #expect(first["shipment"]?["number"]?.stringValue?.hasPrefix("SHP-") == true)
        #expect(try fixture.stock(item) == ("7.500", "3.500"))
        let over = try warehouse.post(
            "/sales-orders/\(id(order))/shipments", #"{"lines":[{"line_no":1,"quantity":3.501}]}"#)
        #expect(over.status == 409)
        #expect(over.code == "over_shipment")
        #expect(
            try warehouse.post("/sales-orders/\(id(order))/shipments", #"{"lines":[{"line_no":9,"quantity":1}]}"#)
                .status == 422)
        let rest = try warehouse.post(
            "/sales-orders/\(id(order))/shipments",
            #"{"lines":[{"line_no":1,"quantity":3.5},{"line_no":2,"quantity":1}]}"#)
        #expect(rest["sales_order"]?["status"] == "shipped")
        #expect(rest["sales_order"]?["lines"]?[0]?["shipped_quantity"] == .number("6"))
        #expect(try fixture.stock(item) == ("4.000", "0.000"))
        #expect(try admin.get("/sales-orders/\(id(order))/shipments")["data"]?.arrayValue?.count == 2)
        let shipment = try #require(first["shipment"]?["id"]?.stringValue)
        #expect(
            try admin.get("/sales-orders/\(id(order))/shipments/\(shipment)")["lines"]?[0]?["quantity"]
                == .number("2.5"))
        #expect(try admin.get("/sales-orders/\(id(order))/shipments/\(UUID().uuidString)").status == 404)
        let movements = try admin.get("/stock/movements?item_id=\(item)&kind=shipment")["data"]?.arrayValue ?? []
        #expect(movements.count == 2)
        #expect(
            try warehouse.post("/sales-orders/\(id(order))/shipments", #"{"lines":[{"line_no":1,"quantity":1}]}"#).code
                == "invalid_transition")
        // Sales does not ship.
        #expect(
            try admin.client(fixture, role: "sales").post("/sales-orders/\(id(order))/shipments", #"{"lines":[]}"#)
                .status == 403)
        try fixture.expectLedgerConsistent()
    }

    @Test func cancel_close_unconfirm_releaseWhatIsHeld() throws {
        let item = try fixture.item(stock: "20")
        let customer = try fixture.customer()
        let cancelled = try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":5}"#)
        _ = try admin.post("/sales-orders/\(id(cancelled))/confirm")
        #expect(try admin.post("/sales-orders/\(id(cancelled))/cancel")["status"] == "cancelled")
        #expect(try fixture.stock(item).reserved == "0.000")
        #expect(try admin.post("/sales-orders/\(id(cancelled))/confirm").code == "invalid_transition")

        let undone = try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":3}"#)
        _ = try admin.post("/sales-orders/\(id(undone))/confirm")
        let draft = try admin.post("/sales-orders/\(id(undone))/unconfirm")
        #expect(draft["status"] == "draft")
        #expect(draft["confirmed_at"] == .null)
        #expect(try fixture.stock(item).reserved == "0.000")

        let closed = try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":10}"#)
        _ = try admin.post("/sales-orders/\(id(closed))/confirm")
        #expect(try admin.post("/sales-orders/\(id(closed))/close").code == "invalid_transition")
        _ = try admin.post("/sales-orders/\(id(closed))/shipments", #"{"lines":[{"line_no":1,"quantity":4}]}"#)
        #expect(try admin.post("/sales-orders/\(id(closed))/unconfirm").code == "invalid_transition")
        #expect(try admin.post("/sales-orders/\(id(closed))/cancel").code == "invalid_transition")
        #expect(try admin.post("/sales-orders/\(id(closed))/close")["status"] == "closed")
        #expect(try fixture.stock(item) == ("16.000", "0.000"))
        try fixture.expectLedgerConsistent()
    }

    @Test func unconfirmed_andChanged_orderConfirmsAgain_holdingTheNewItem() throws {
        let first = try fixture.item(stock: "5")
        let second = try fixture.item(stock: "5")
        let customer = try fixture.customer()
        let order = try fixture.order(customer: customer, lines: #"{"item_id":"\#(first)","quantity":2}"#)
        _ = try admin.post("/sales-orders/\(id(order))/confirm")
        _ = try admin.post("/sales-orders/\(id(order))/unconfirm")
        #expect(
            try admin.patch("/sales-orders/\(id(order))", #"{"lines":[{"item_id":"\#(second)","quantity":3}]}"#).status
                == 200)
        let again = try admin.post("/sales-orders/\(id(order))/confirm")
        #expect(again.status == 200, "\(again)")
        #expect(try fixture.stock(first).reserved == "0.000")
        #expect(try fixture.stock(second).reserved == "3.000")
        try fixture.expectLedgerConsistent()
    }

    @Test func invoice_ofADraft_is409() throws {
        let customer = try fixture.customer()
        let order = try fixture.order(customer: customer, lines: #"{"description":"A","quantity":1,"unit_price":1}"#)
        let reply = try admin.post("/sales-orders/\(id(order))/invoice")
        #expect(reply.status == 409)
        #expect(reply.code == "invalid_transition")
        #expect(try admin.post("/sales-orders/SO-999999/invoice").status == 404)
    }

    @Test func wonOpportunity_opensADraftOrder_linkedBothWays() throws {
        let item = try fixture.item(price: 250)
        let customer = try fixture.customer()
        let deal = try admin.post(
            "/opportunities",
            """
            {"customer_id":"\(customer)","name":"Deal","lines":[{"item_id":"\(item)","quantity":4},{"description":"Setup","quantity":1,"unit_price":5000}]}
            """)
        let won = try admin.post("/opportunities/\(id(deal.json))/win", #"{"create_order":true}"#)
        #expect(won.status == 200, "\(won)")
        let orderID = try #require(won["sales_order_id"]?.stringValue)
        let order = try admin.get("/sales-orders/\(orderID)")
        #expect(order["status"] == "draft")
        #expect(order["opportunity_id"] == deal["id"])
        #expect(order["customer_id"] == .string(customer))
        #expect(order["total"] == .number("6000"))
        #expect(try admin.post("/opportunities/\(id(deal.json))/reopen").code == "invalid_transition")
    }

    @Test func summaryAndReport_countConfirmedOrders() throws {
        let customer = try fixture.customer(#","credit_limit":100000"#)
        let confirmed = try fixture.order(
            customer: customer, lines: #"{"description":"A","quantity":2,"unit_price":1500}"#)
        _ = try admin.post("/sales-orders/\(id(confirmed))/confirm")
        let cancelled = try fixture.order(
            customer: customer, lines: #"{"description":"B","quantity":1,"unit_price":999}"#)
        _ = try admin.post("/sales-orders/\(id(cancelled))/confirm")
        _ = try admin.post("/sales-orders/\(id(cancelled))/cancel")
        _ = try fixture.order(customer: customer, lines: #"{"description":"C","quantity":1,"unit_price":7}"#)
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["orders"]?["open_count"] == .number("1"))
        #expect(summary["orders"]?["lifetime_total"] == .number("3000"))
        #expect(summary["orders"]?["last_order_date"]?.stringValue?.count == 10)
        #expect(summary["credit"]?["used"] == .number("3000"))
        #expect(summary["credit"]?["available"] == .number("97000"))
        let report = try admin.get("/reports/sales?group_by=customer")
        #expect(report.status == 200, "\(report)")
        let row = report["data"]?.arrayValue?.first { $0["customer_id"] == .string(customer) }
        #expect(row?["order_count"] == .number("1"))
        #expect(row?["total"] == .number("3000"))
        #expect(try admin.get("/reports/sales?group_by=planet").status == 400)
        // Search text is literal, a trailing backslash included.
        #expect(try admin.get("/sales-orders?q=%5C").status == 200)
        #expect(try admin.get("/invoices?q=%5C").status == 200)
    }
}

extension APIClient {
    /// A client of a new user with `role` (for "this role may not" checks).
    func client(_ fixture: SalesFixture, role: String) throws -> APIClient {
        fixture.app.client(key: try fixture.app.key(forRole: role))
    }
}
