import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Invoice lines billed from an order show what the goods cost only to `costs.read`.
@Suite struct InvoiceLineCostTests {
    @Test func invoiceLineCostAndMargin_showToFinance_andAreNullToSales() throws {
        let app = try TestApp()
        defer { app.stop() }
        let stock = try CostedStock(app)
        let books = BooksFixture(app)
        let customer = try books.customer()
        // 10 @ 500 and 10 @ 700 (average 600); 5 sold @ 1,000, shipped and invoiced.
        let order = try stock.shippedFiveOfTwenty(customer: customer)
        let made = try app.client().post("/sales-orders/\(order)/invoice")
        #expect(made.status == 201, "\(made)")
        let invoice = try #require(made["id"]?.stringValue)
        let finance = app.client(key: try app.key(forRole: "finance"))
        let sales = app.client(key: try app.key(forRole: "sales"))

        let seen = try finance.get("/invoices/\(invoice)")
        #expect(seen.status == 200, "\(seen)")
        #expect(seen["lines"]?[0]?["line_total"] == .number("5000"))
        #expect(seen["lines"]?[0]?["cost"] == .number("3000"))
        #expect(seen["lines"]?[0]?["margin"] == .number("2000"))
        #expect(made["lines"]?[0]?["cost"] == .number("3000"))

        let hidden = try sales.get("/invoices/\(invoice)")
        #expect(hidden.status == 200, "\(hidden)")
        let line = try #require(hidden["lines"]?[0]?.objectValue)
        #expect(line["cost"] == .null && line["margin"] == .null, "\(line)")
        #expect(line["line_total"] == .number("5000"))
        let list = try sales.get("/invoices?customer_id=\(customer)")
        #expect(list["data"]?[0]?["lines"]?[0]?["cost"] == .null, "\(list)")
        try books.expectBooksBalance()
        #expect(try StockLedger.violations(app.databaseURL) == [])
    }
}
