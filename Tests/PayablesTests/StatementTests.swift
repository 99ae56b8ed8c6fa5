import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Supplier statements, AP aging, cash requirements, and the conventions every write keeps
/// (roles, events and history, Idempotency-Key, If-Match).
@Suite struct PayablesStatementTests {
    let app: TestApp
    let payables: PayablesFixture
    var admin: APIClient { payables.admin }

    init() throws {
        app = try TestApp()
        payables = PayablesFixture(app)
    }

    @Test func statement_runsABalance_fromAnOpeningBalance() throws {
        let supplier = try payables.supplier(#","payment_terms_days":10"#)
        let first = try payables.postedBill(supplier, amount: 1000, billDate: "2026-01-05")
        _ = try payables.pay(supplier, amount: 400, paidOn: "2026-01-20")
        _ = try payables.postedBill(supplier, amount: 500, billDate: "2026-02-01")
        // Drafts are not on the account.
        _ = try admin.post(
            "/supplier-bills",
            #"{"supplier_id":"\#(supplier)","supplier_reference":"DRAFT","bill_date":"2026-01-06","lines":[{"description":"d","quantity":1,"unit_cost":9}]}"#
        )
        let all = try admin.get("/suppliers/\(supplier)/statement")
        #expect(all.status == 200, "\(all)")
        #expect(all["opening_balance"] == .number("0"))
        let entries = all["entries"]?.arrayValue ?? []
        #expect(entries.compactMap { $0["type"]?.stringValue } == ["bill", "payment", "bill"])
        #expect(entries.compactMap { $0["amount"]?.numberText } == ["1000", "-400", "500"])
        #expect(entries.compactMap { $0["balance"]?.numberText } == ["1000", "600", "1100"])
        #expect(entries.first?["number"] == first["number"])
        #expect(entries.first?["supplier_reference"] == first["supplier_reference"])
        #expect(all["closing_balance"] == .number("1100"))
        let february = try admin.get("/suppliers/\(supplier)/statement?from=2026-02-01&to=2026-02-28")
        #expect(february["opening_balance"] == .number("600"))
        #expect(february["entries"]?.arrayValue?.count == 1)
        #expect(february["closing_balance"] == .number("1100"))
        let number = try #require(try admin.get("/suppliers/\(supplier)")["number"]?.stringValue)
        #expect(try admin.get("/suppliers/\(number)/statement")["closing_balance"] == .number("1100"))
        #expect(try admin.get("/suppliers/\(supplier)/statement?from=2026-02-02&to=2026-02-01").status == 400)
        #expect(try admin.get("/suppliers/\(UUID().uuidString)/statement").status == 404)
        try payables.expectBooksBalance()
    }

    @Test func aging_onAPastAsOfDate_matchesHandComputedBuckets() throws {
        let supplier = try payables.supplier(#","payment_terms_days":0"#)
        // Due the day they are dated; as of 2026-06-30 they are this many days past due:
        let bills: [(String, Int)] = [
            ("2026-06-30", 1),  // 0 days: current
            ("2026-07-05", 2),  // dated after as_of: not on the books yet
            ("2026-06-29", 4),  // 1: 1_30
            ("2026-05-31", 8),  // 30: 1_30
            ("2026-05-30", 16),  // 31: 31_60
            ("2026-05-01", 32),  // 60: 31_60
            ("2026-04-30", 64),  // 61: 61_90
            ("2026-04-01", 128),  // 90: 61_90
            ("2026-03-31", 256),  // 91: over_90
        ]
        var ids: [String: String] = [:]
        for (date, amount) in bills {
            ids[date] = try payables.postedBill(supplier, amount: amount, billDate: date)["id"]!.stringValue!
        }
        // Paid before as_of: gone from the report; paid after as_of: still open at as_of.
        _ = try payables.pay(
            supplier, amount: 64, allocations: #"{"bill_id":"\#(ids["2026-04-30"]!)","amount":64}"#,
            paidOn: "2026-06-15")
        _ = try payables.pay(
            supplier, amount: 256, allocations: #"{"bill_id":"\#(ids["2026-03-31"]!)","amount":256}"#,
            paidOn: "2026-07-10")
        // Part paid before as_of: the rest counts.
        _ = try payables.pay(
            supplier, amount: 10, allocations: #"{"bill_id":"\#(ids["2026-05-30"]!)","amount":10}"#,
            paidOn: "2026-06-01")
        let report = try admin.get("/reports/ap-aging?as_of=2026-06-30&currency=USD")
        #expect(report.status == 200, "\(report)")
        #expect(report["as_of"] == "2026-06-30")
        let row = try #require(report["suppliers"]?.arrayValue?.first { $0["supplier_id"] == .string(supplier) })
        #expect(row["current"] == .number("1"))
        #expect(row["1_30"] == .number("12"))
        #expect(row["31_60"] == .number("38"))
        #expect(row["61_90"] == .number("128"))
        #expect(row["over_90"] == .number("256"))
        #expect(row["total"] == .number("435"))
        #expect(report["totals"]?["total"] == .number("435"))
        #expect(try admin.get("/reports/ap-aging?as_of=yesterday").status == 400)
        #expect(try admin.get("/reports/ap-aging?currency=usd").status == 400)
        try payables.expectBooksBalance()
    }

    @Test func cashRequirements_listWhatFallsDueByADate() throws {
        let supplier = try payables.supplier()
        let early = try payables.postedBill(supplier, amount: 300, billDate: "2026-01-01", dueDate: "2026-01-31")
        let late = try payables.postedBill(supplier, amount: 500, billDate: "2026-01-01", dueDate: "2026-03-31")
        _ = try payables.pay(
            supplier, amount: 100, allocations: #"{"bill_id":"\#(early["id"]!.stringValue!)","amount":100}"#)
        let february = try admin.get("/reports/cash-requirements?until=2026-02-28")
        #expect(february.status == 200, "\(february)")
        #expect(february["bills"]?.arrayValue?.map { $0["bill_id"] } == [early["id"]])
        #expect(february["bills"]?[0]?["balance_due"] == .number("200"))
        #expect(february["total"] == .number("200"))
        let april = try admin.get("/reports/cash-requirements?until=2026-04-30")
        #expect(april["bills"]?.arrayValue?.map { $0["bill_id"] } == [early["id"], late["id"]])
        #expect(april["total"] == .number("700"))
        #expect(try admin.get("/reports/cash-requirements?until=soon").status == 400)
        try payables.expectBooksBalance()
    }

    @Test func roles_financeWrites_readonlyReads_warehouseAndSalesHaveNoAccess() throws {
        let supplier = try payables.supplier()
        let bill = try payables.postedBill(supplier, amount: 100)["id"]!.stringValue!
        let body =
            #"{"supplier_id":"\#(supplier)","supplier_reference":"ROLE-\#(UUID().uuidString.prefix(4))","lines":[{"description":"d","quantity":1,"unit_cost":5}]}"#
        let finance = app.client(key: try app.key(forRole: "finance"))
        #expect(try finance.post("/supplier-bills", body).status == 201)
        #expect(try finance.post("/supplier-payments", #"{"supplier_id":"\#(supplier)","amount":10}"#).status == 201)
        let readonly = app.client(key: try app.key(forRole: "readonly"))
        #expect(try readonly.get("/supplier-bills/\(bill)").status == 200)
        #expect(try readonly.get("/reports/ap-aging").status == 200)
        #expect(try readonly.post("/supplier-bills", body).status == 403)
        for role in ["warehouse", "sales"] {
            let client = app.client(key: try app.key(forRole: role))
            for path in [
                "/supplier-bills", "/supplier-bills/\(bill)", "/supplier-payments", "/suppliers/\(supplier)/statement",
                "/reports/ap-aging", "/reports/cash-requirements",
            ] {
                #expect(try client.get(path).status == 403, "\(role) GET \(path)")
            }
            #expect(try client.post("/supplier-bills", body).status == 403, "\(role)")
        }
        try payables.expectBooksBalance()
    }

    @Test func eventsHistoryIdempotencyAndIfMatch_asEverywhere() throws {
        let supplier = try payables.supplier()
        let order = try payables.receivedOrder(supplier: supplier, quantity: 4)
        let draft = try payables.billOrder(order, quantity: 4)
        let id = try #require(draft["id"]?.stringValue)
        #expect(draft.header("ETag") == "\"1\"")
        let stale = try admin.post("/supplier-bills/\(id)/post", "{}", headers: [("If-Match", "\"7\"")])
        #expect(stale.status == 412)
        #expect(try admin.post("/supplier-bills/\(id)/post", "{}", headers: [("If-Match", "\"1\"")]).status == 200)
        let body = #"{"supplier_id":"\#(supplier)","amount":4000}"#
        let key = [("Idempotency-Key", "pay-\(UUID().uuidString)")]
        let first = try admin.post("/supplier-payments", body, headers: key)
        let replay = try admin.post("/supplier-payments", body, headers: key)
        #expect(first.status == 201, "\(first)")
        #expect(replay.status == 201)
        #expect(replay.header("Idempotent-Replayed") == "true")
        #expect(replay["id"] == first["id"])
        #expect(
            try TestSQL.scalar(
                app.databaseURL, "SELECT count(*) FROM supplier_payments WHERE supplier_id = '\(supplier)'") == "1")

        let history = try admin.get("/supplier-bills/\(id)/history")
        #expect(
            history["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } == [
                "supplier_bill.created", "supplier_bill.posted", "supplier_bill.paid",
            ], "\(history)")
        let paymentHistory = try admin.get("/supplier-payments/\(first["id"]!.stringValue!)/history")
        #expect(paymentHistory["data"]?[0]?["type"] == "supplier_payment.created")
        let orderHistory = try admin.get("/purchase-orders/\(order)/history")
        #expect(
            orderHistory["data"]?.arrayValue?.contains { $0["type"] == "purchase_order.billed" } == true,
            "\(orderHistory)")
        let feed = try admin.get("/events?types=supplier_payment.created,supplier_bill.posted")
        #expect(
            Set(feed["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue } ?? []) == [
                "supplier_payment.created", "supplier_bill.posted",
            ], "\(feed)")
        try payables.expectBooksBalance()
    }
}
