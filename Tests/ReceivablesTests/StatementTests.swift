import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Statements, AR aging at bucket edges, and the whole order-to-cash loop.
@Suite struct StatementTests {
    let app: TestApp
    let books: BooksFixture
    var admin: APIClient { books.admin }

    init() throws {
        app = try TestApp()
        books = BooksFixture(app)
    }

    @Test func statement_runsABalance_fromAnOpeningBalance() throws {
        let customer = try books.customer(#","payment_terms_days":10"#)
        let first = try books.issuedInvoice(customer, amount: 1000, issued: "2026-01-05")
        _ = try books.pay(customer, amount: 400, receivedOn: "2026-01-20")
        let second = try books.issuedInvoice(customer, amount: 500, issued: "2026-02-01")
        _ = try admin.post(
            "/credit-notes",
            #"{"invoice_id":"\#(second["id"]!.stringValue!)","amount":50,"reason":"discount","issue_date":"2026-02-03"}"#
        )
        let all = try admin.get("/customers/\(customer)/statement")
        #expect(all["opening_balance"] == .number("0"))
        let entries = all["entries"]?.arrayValue ?? []
        #expect(entries.compactMap { $0["type"]?.stringValue } == ["invoice", "payment", "invoice", "credit_note"])
        #expect(entries.compactMap { $0["amount"]?.numberText } == ["1000", "-400", "500", "-50"])
        #expect(entries.compactMap { $0["balance"]?.numberText } == ["1000", "600", "1100", "1050"])
        #expect(entries.first?["number"] == first["number"])
        #expect(all["closing_balance"] == .number("1050"))
        let february = try admin.get("/customers/\(customer)/statement?from=2026-02-01&to=2026-02-02")
        #expect(february["opening_balance"] == .number("600"))
        #expect(february["entries"]?.arrayValue?.count == 1)
        #expect(february["closing_balance"] == .number("1100"))
        #expect(try admin.get("/customers/\(customer)/statement?from=2026-02-02&to=2026-02-01").status == 400)
        try books.expectBooksBalance()
    }

    @Test func aging_putsBalancesInBuckets_atTheEdges() throws {
        let customer = try books.customer(#","payment_terms_days":0"#)
        // Due the day they are issued; as of 2026-06-30 they are this many days past due:
        let cases: [(String, Int, String)] = [
            ("2026-06-30", 1, "current"), ("2026-07-05", 2, "current"), ("2026-06-29", 4, "1_30"),
            ("2026-05-31", 8, "1_30"),
            ("2026-05-30", 16, "31_60"), ("2026-05-01", 32, "31_60"), ("2026-04-30", 64, "61_90"),
            ("2026-04-01", 128, "61_90"),
            ("2026-03-31", 256, "over_90"),
        ]
        for (date, amount, _) in cases { _ = try books.issuedInvoice(customer, amount: amount, issued: date) }
        // Paid after as_of: still open at as_of.
        _ = try books.pay(customer, amount: 256, receivedOn: "2026-07-10")
        let report = try admin.get("/reports/ar-aging?as_of=2026-06-30&currency=USD")
        #expect(report.status == 200, "\(report)")
        let row = try #require(report["customers"]?.arrayValue?.first { $0["customer_id"] == .string(customer) })
        // 2026-07-05 is issued after as_of, so it is not on the books yet.
        #expect(row["current"] == .number("1"))
        #expect(row["1_30"] == .number("12"))
        #expect(row["31_60"] == .number("48"))
        #expect(row["61_90"] == .number("192"))
        #expect(row["over_90"] == .number("256"))
        #expect(row["total"] == .number("509"))
        #expect(report["totals"]?["total"] == .number("509"))
        #expect(try admin.get("/reports/ar-aging?as_of=yesterday").status == 400)
        try books.expectBooksBalance()
    }

    @Test func orderToCash_endToEnd() throws {
        // Lead → customer and opportunity → won → order → confirm → ship → invoice → payment → summary.
        let warehouse = try #require(try admin.post("/warehouses", #"{"code":"O2C","name":"Main"}"#)["id"]?.stringValue)
        let item = try #require(
            try admin.post("/items", #"{"sku":"O2C-CHAIR","name":"Chair","type":"stock","unit_price":25000}"#)["id"]?
                .stringValue)
        _ = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":10,"reason":"opening"}"#)
        let lead = try #require(
            try admin.post("/leads", #"{"name":"Dana Cruz","company":"Cruz Offices","email":"dana@cruz.example"}"#)[
                "id"]?.stringValue)
        let converted = try admin.post(
            "/leads/\(lead)/convert", #"{"opportunity":{"name":"Chairs for the new office"}}"#)
        #expect(converted.status == 200, "\(converted)")
        let customer = try #require(converted["customer"]?["id"]?.stringValue)
        let opportunity = try #require(converted["opportunity"]?["id"]?.stringValue)
        #expect(
            try admin.patch(
                "/opportunities/\(opportunity)",
                #"{"lines":[{"item_id":"\#(item)","quantity":4}],"stage":"negotiation"}"#
            ).status == 200)
        let won = try admin.post("/opportunities/\(opportunity)/win", #"{"create_order":true}"#)
        let order = try #require(won["sales_order_id"]?.stringValue)
        #expect(try admin.patch("/sales-orders/\(order)", #"{"warehouse_id":"\#(warehouse)"}"#).status == 200)
        let confirmed = try admin.post("/sales-orders/\(order)/confirm")
        #expect(confirmed["status"] == "confirmed", "\(confirmed)")
        #expect(confirmed["total"] == .number("100000"))
        let shipped = try admin.post("/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":4}]}"#)
        #expect(shipped["sales_order"]?["status"] == "shipped")
        let invoice = try admin.post("/sales-orders/\(order)/invoice")
        #expect(invoice.status == 201, "\(invoice)")
        var summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["receivables"]?["open_balance"] == .number("100000"))
        #expect(summary["credit"]?["used"] == .number("100000"))
        let payment = try books.pay(customer, amount: 100000)
        #expect(payment["allocations"]?[0]?["invoice_id"] == invoice["id"])
        #expect(try books.invoice(invoice["id"]!.stringValue!)["status"] == "paid")
        summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["orders"]?["lifetime_total"] == .number("100000"))
        #expect(summary["orders"]?["open_count"] == .number("0"))
        #expect(summary["receivables"]?["open_balance"] == .number("0"))
        #expect(summary["credit"]?["used"] == .number("0"))
        #expect(summary["opportunities"]?["open_count"] == .number("0"))
        #expect(try StockLedger.violations(app.databaseURL).isEmpty)
        #expect(try StockLedger.balance(app.databaseURL, item: item, warehouse: warehouse)?.onHand == "6.000")
        try books.expectBooksBalance()
    }
}
