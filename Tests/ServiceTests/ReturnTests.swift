import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Customer returns: stock back at its shipped cost, credit for what was billed, and the order
/// billing less for what came back before it was billed.
@Suite struct ReturnTests {
    let app: TestApp
    let fixture: AfterSalesFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try AfterSalesFixture(app)
    }

    @Test func restockedReturn_comesBackAtShippedCost_creditsTheInvoice_andOverReturnIs409() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 10, unitCost: 600)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 5)
        let invoice = try fixture.invoice(order)
        let invoiceID = try #require(invoice["id"]?.stringValue)
        #expect(invoice["balance_due"] == .number("5000"))
        // A later, dearer receipt moves the average; the return must not take it.
        try fixture.receive(item, quantity: 5, unitCost: 1200)
        // (5 × 600 + 5 × 1200) / 10.
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("900"))
        #expect(try fixture.onHand(item) == "10.000")

        let reply = try admin.post(
            "/sales-orders/\(order)/returns",
            #"{"lines":[{"line_no":1,"quantity":2}],"reason":"Dented on arrival","restock":true}"#)
        #expect(reply.status == 201, "\(reply)")
        #expect(reply["number"]?.stringValue?.hasPrefix("RMA-") == true)
        #expect(reply.header("Location")?.hasPrefix("/returns/") == true)
        #expect(reply["revenue"] == .number("2000"))
        #expect(reply["cost"] == .number("1200"))
        #expect(reply["credited_amount"] == .number("2000"))
        #expect(reply["lines"]?[0]?["unit_cost"] == .number("600"))
        #expect(reply["lines"]?[0]?["credited_quantity"]?.numberText == "2")
        #expect(reply["movements"]?[0]?["kind"] == "return")
        #expect(reply["movements"]?[0]?["unit_cost"] == .number("600"))
        #expect(reply["credit_notes"]?.arrayValue?.count == 1)
        #expect(reply["credit_notes"]?[0]?["amount"] == .number("2000"))
        #expect(try fixture.onHand(item) == "12.000")
        #expect(
            try fixture.sql("SELECT unit_cost FROM stock_movements WHERE kind = 'return' AND item_id = '\(item)'")
                == "600")
        // (10 × 900 + 2 × 600) / 12.
        #expect(try admin.get("/items/\(item)")["average_cost"] == .number("850"))
        let after = try admin.get("/invoices/\(invoiceID)")
        #expect(after["balance_due"] == .number("3000"))
        #expect(after["amount_credited"] == .number("2000"))
        #expect(try admin.get("/sales-orders/\(order)")["lines"]?[0]?["returned_quantity"]?.numberText == "2")

        let returnID = try #require(reply["id"]?.stringValue)
        let number = try #require(reply["number"]?.stringValue)
        #expect(try admin.get("/returns/\(number)")["id"] == .string(returnID))
        #expect(try admin.get("/returns?sales_order_id=\(order)")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/returns?customer_id=\(customer)")["data"]?[0]?["id"] == .string(returnID))
        let orderHistory = try admin.get("/sales-orders/\(order)/history")["data"]?.arrayValue ?? []
        #expect(orderHistory.contains { $0["type"] == "sales_order.returned" })
        let invoiceHistory = try admin.get("/invoices/\(invoiceID)/history")["data"]?.arrayValue ?? []
        #expect(invoiceHistory.contains { $0["type"] == "invoice.return_credited" })
        let returnHistory = try admin.get("/returns/\(returnID)/history")["data"]?.arrayValue ?? []
        #expect(returnHistory.compactMap { $0["type"]?.stringValue } == ["stock.returned", "return.created"])

        let over = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":4}],"reason":"More"}"#)
        #expect(over.status == 409)
        #expect(over.code == "over_return")
        #expect(over["lines"]?[0]?["line_no"] == .number("1"))
        #expect(over["lines"]?[0]?["shipped"]?.numberText == "5")
        #expect(over["lines"]?[0]?["returned"]?.numberText == "2")
        #expect(over["lines"]?[0]?["requested"]?.numberText == "4")
        #expect(try fixture.onHand(item) == "12.000")
        try fixture.expectInvariants()
    }

    @Test func concurrentReturns_ofOneLine_neverExceedWhatShipped() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 5, unitCost: 400)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 5)
        _ = try fixture.invoice(order)
        let statuses = Locked([Int]())
        let admin = self.admin
        concurrently(8) { _ in
            let status =
                (try? admin.post(
                    "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":3}],"reason":"Race"}"#
                ).status) ?? 0
            statuses.withLock { $0.append(status) }
        }
        let all = statuses.withLock { $0 }
        #expect(all.filter { $0 == 201 }.count == 1, "\(all)")
        #expect(all.filter { $0 == 409 }.count == 7, "\(all)")
        #expect(try admin.get("/sales-orders/\(order)")["lines"]?[0]?["returned_quantity"]?.numberText == "3")
        #expect(try fixture.onHand(item) == "3.000")
        #expect(try fixture.sql("SELECT count(*) FROM credit_notes") == "1")
        try fixture.expectInvariants()
    }

    @Test func returnOfUninvoicedGoods_makesNoCreditNote_andLowersWhatInvoiceBills() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 5, unitCost: 300)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 5)
        #expect(try admin.get("/customers/\(customer)/summary")["credit"]?["used"] == .number("5000"))
        let reply = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":2}],"reason":"Wrong colour"}"#)
        #expect(reply.status == 201, "\(reply)")
        #expect(reply["credit_notes"]?.arrayValue?.isEmpty == true)
        #expect(reply["credited_amount"] == .number("0"))
        #expect(reply["lines"]?[0]?["uninvoiced_quantity"]?.numberText == "2")
        #expect(try fixture.sql("SELECT count(*) FROM credit_notes") == "0")
        // The credit check no longer counts what came back unbilled.
        #expect(try admin.get("/customers/\(customer)/summary")["credit"]?["used"] == .number("3000"))
        let invoice = try fixture.invoice(order)
        #expect(invoice["lines"]?[0]?["quantity"]?.numberText == "3")
        #expect(invoice["total"] == .number("3000"))
        #expect(try admin.get("/sales-orders/\(order)")["invoice_status"] == "invoiced")
        #expect(try admin.post("/sales-orders/\(order)/invoice").code == "nothing_to_invoice")
        try fixture.expectInvariants()
    }

    @Test func returnAfterPayment_leavesUnappliedCredit_andTheBooksStillBalance() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 4, unitCost: 500)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 4)
        let invoice = try fixture.invoice(order)
        let invoiceID = try #require(invoice["id"]?.stringValue)
        let paid = try admin.post(
            "/payments",
            #"{"customer_id":"\#(customer)","amount":4000,"method":"bank_transfer","allocations":[{"invoice_id":"\#(invoiceID)","amount":4000}]}"#
        )
        #expect(paid.status == 201, "\(paid)")
        let reply = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"Broken"}"#)
        #expect(reply.status == 201, "\(reply)")
        #expect(reply["credit_notes"]?[0]?["amount"] == .number("1000"))
        #expect(reply["credit_notes"]?[0]?["unapplied_amount"] == .number("1000"))
        #expect(try admin.get("/invoices/\(invoiceID)")["status"] == "paid")
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["receivables"]?["unapplied_credit"] == .number("1000"))
        #expect(try admin.get("/customers/\(customer)/statement")["closing_balance"] == .number("-1000"))
        try fixture.expectInvariants()
    }

    @Test func writeOff_movesNoStock_butStillCredits() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 3, unitCost: 700)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 3)
        _ = try fixture.invoice(order)
        let reply = try admin.post(
            "/sales-orders/\(order)/returns",
            #"{"lines":[{"line_no":1,"quantity":1}],"reason":"Scrapped","restock":false}"#)
        #expect(reply.status == 201, "\(reply)")
        #expect(reply["movements"]?.arrayValue?.isEmpty == true)
        #expect(reply["warehouse_id"] == .null)
        #expect(reply["credited_amount"] == .number("1000"))
        #expect(try fixture.onHand(item) == "0.000")
        #expect(try fixture.sql("SELECT count(*) FROM stock_movements WHERE kind = 'return'") == "0")
        try fixture.expectInvariants()
    }

    @Test func marginReport_reversesTheRevenueAndCostOfReturns() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 5, unitCost: 600)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 5)
        _ = try fixture.invoice(order)
        let before = try admin.get("/reports/margin?group_by=item")
        #expect(before["totals"]?[0]?["revenue"] == .number("5000"))
        #expect(before["totals"]?[0]?["cost"] == .number("3000"))
        _ = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":2}],"reason":"Changed mind"}"#)
        for grouping in ["month", "customer", "item", "owner"] {
            let report = try admin.get("/reports/margin?group_by=\(grouping)")
            #expect(report["totals"]?[0]?["revenue"] == .number("3000"), "group_by=\(grouping)")
            #expect(report["totals"]?[0]?["cost"] == .number("1800"), "group_by=\(grouping)")
            #expect(report["totals"]?[0]?["gross_margin"] == .number("1200"), "group_by=\(grouping)")
        }
        #expect(try admin.get("/reports/margin?group_by=item")["data"]?[0]?["quantity"]?.numberText == "3")
        try fixture.expectInvariants()
    }

    @Test func badReturns_are422_or404_andWriteNothing() throws {
        let item = try fixture.item()
        try fixture.receive(item, quantity: 2, unitCost: 100)
        let customer = try fixture.customer()
        let order = try fixture.shippedOrder(customer: customer, item: item, quantity: 2)
        let unknownLine = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":9,"quantity":1}],"reason":"x"}"#)
        #expect(unknownLine.status == 422)
        #expect(unknownLine.text.contains(#""field":"lines[0].line_no""#))
        let noReason = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"  "}"#)
        #expect(noReason.status == 422)
        let zero = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":0}],"reason":"x"}"#)
        #expect(zero.status == 422)
        let otherCase = try admin.post(
            "/sales-orders/\(order)/returns",
            #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x","case_id":"\#(UUID().uuidString)"}"#)
        #expect(otherCase.status == 422)
        #expect(otherCase.text.contains(#""field":"case_id""#))
        let warehouse = try admin.post(
            "/sales-orders/\(order)/returns",
            #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x","warehouse_id":"\#(UUID().uuidString)"}"#)
        #expect(warehouse.status == 422)
        let unknownField = try admin.post(
            "/sales-orders/\(order)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x","restok":true}"#)
        #expect(unknownField.code == "unknown_field")
        #expect(
            try admin.post(
                "/sales-orders/\(UUID().uuidString)/returns", #"{"lines":[{"line_no":1,"quantity":1}],"reason":"x"}"#
            ).status == 404)
        #expect(try fixture.sql("SELECT count(*) FROM returns") == "0")
        #expect(try fixture.onHand(item) == "0.000")
        #expect(try admin.get("/returns/RMA-999999").status == 404)
        #expect(try admin.get("/returns?from=2026-02-01&to=2026-01-01").status == 400)
        try fixture.expectInvariants()
    }
}
