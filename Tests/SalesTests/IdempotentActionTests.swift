import Foundation
import Routing
import TestSupport
import Testing

/// `Idempotency-Key` on the money and stock actions: a repeat replays the first answer and the
/// work happens once (reservation, shipment, invoice, payment, and one event each).
@Suite struct IdempotentActionTests {
    let app: TestApp
    let fixture: SalesFixture

    init() throws {
        app = try TestApp()
        fixture = try SalesFixture(app)
    }

    /// Sends `body` to `path` twice with one key; expects the second to be the replayed first.
    func twice(_ path: String, _ body: String = "{}", key: String, sourceLocation: SourceLocation = #_sourceLocation)
        throws -> APIClient.Reply
    {
        let first = try fixture.admin.post(path, body, headers: [("Idempotency-Key", key)])
        #expect(first.status < 300, "\(first)", sourceLocation: sourceLocation)
        #expect(first.header("Idempotent-Replayed") == nil, sourceLocation: sourceLocation)
        let second = try fixture.admin.post(path, body, headers: [("Idempotency-Key", key)])
        #expect(second.status == first.status, "\(second)", sourceLocation: sourceLocation)
        #expect(second.header("Idempotent-Replayed") == "true", sourceLocation: sourceLocation)
        #expect(second.text == first.text, sourceLocation: sourceLocation)
        #expect(second.header("Location") == first.header("Location"), sourceLocation: sourceLocation)
        return second
    }

    func count(_ sql: String) throws -> String { try TestSQL.scalar(app.databaseURL, sql) }

    @Test func confirmShipInvoiceAndPay_repeatedWithTheirKeys_happenOnce() throws {
        let customer = try fixture.customer()
        let item = try fixture.item(price: 1000, stock: "10")
        let order = try #require(
            try fixture.order(customer: customer, lines: #"{"item_id":"\#(item)","quantity":3}"#)["id"]?.stringValue)

        let confirmed = try twice("/sales-orders/\(order)/confirm", key: "confirm-1")
        #expect(confirmed["status"] == "confirmed")
        #expect(try fixture.stock(item).reserved == "3.000")
        #expect(
            try count("SELECT count(*) FROM events WHERE type = 'sales_order.confirmed' AND resource_id = '\(order)'")
                == "1")

        let shipped = try twice(
            "/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":2}]}"#, key: "ship-1")
        #expect(shipped.status == 201)
        #expect(try count("SELECT count(*) FROM shipments WHERE sales_order_id = '\(order)'") == "1")
        #expect(try fixture.stock(item).onHand == "8.000")
        #expect(try fixture.stock(item).reserved == "1.000")
        #expect(
            try count("SELECT count(*) FROM stock_movements WHERE item_id = '\(item)' AND kind = 'shipment'") == "1")

        let invoiced = try twice("/sales-orders/\(order)/invoice", key: "invoice-1")
        #expect(invoiced.status == 201)
        let invoice = try #require(invoiced["id"]?.stringValue)
        #expect(try count("SELECT count(*) FROM invoices WHERE sales_order_id = '\(order)'") == "1")
        #expect(try fixture.admin.get("/sales-orders/\(order)")["lines"]?[0]?["invoiced_quantity"]?.numberText == "2")

        let payment =
            #"{"customer_id":"\#(customer)","amount":500,"method":"card","allocations":[{"invoice_id":"\#(invoice)","amount":500}]}"#
        let paid = try twice("/payments", payment, key: "pay-1")
        #expect(paid.status == 201)
        #expect(try count("SELECT count(*) FROM payments WHERE customer_id = '\(customer)'") == "1")
        #expect(try fixture.admin.get("/invoices/\(invoice)")["amount_paid"]?.numberText == "500")
        #expect(try count("SELECT count(*) FROM events WHERE type = 'payment.received'") == "1")
        try fixture.expectLedgerConsistent()
    }
}
