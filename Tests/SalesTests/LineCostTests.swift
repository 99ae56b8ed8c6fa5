import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Order lines and shipments show what the shipped goods cost only to `costs.read`.
@Suite struct LineCostTests {
    @Test func orderLineCostAndMargin_showToFinance_andAreNullToSales() throws {
        let app = try TestApp()
        defer { app.stop() }
        let stock = try CostedStock(app)
        let customer = try SalesFixture(app).customer()
        // 10 @ 500 and 10 @ 700 (average 600); 5 sold @ 1,000 and shipped.
        let order = try stock.shippedFiveOfTwenty(customer: customer)
        let finance = app.client(key: try app.key(forRole: "finance"))
        let sales = app.client(key: try app.key(forRole: "sales"))

        let seen = try finance.get("/sales-orders/\(order)")
        #expect(seen.status == 200, "\(seen)")
        #expect(seen["lines"]?[0]?["cost"] == .number("3000"))
        #expect(seen["lines"]?[0]?["margin"] == .number("2000"))
        let shipments = try finance.get("/sales-orders/\(order)/shipments")
        #expect(shipments["data"]?[0]?["lines"]?[0]?["unit_cost"] == .number("600"), "\(shipments)")
        #expect(shipments["data"]?[0]?["lines"]?[0]?["cost"] == .number("3000"))

        let hidden = try sales.get("/sales-orders/\(order)")
        #expect(hidden.status == 200, "\(hidden)")
        let line = try #require(hidden["lines"]?[0]?.objectValue)
        #expect(line["cost"] == .null && line["margin"] == .null, "\(line)")
        #expect(line["shipped_quantity"] == .number("5"))
        let list = try sales.get("/sales-orders?customer_id=\(customer)")
        #expect(list["data"]?[0]?["lines"]?[0]?["cost"] == .null, "\(list)")
        #expect(list["data"]?[0]?["lines"]?[0]?["margin"] == .null)
        let theirShipments = try sales.get("/sales-orders/\(order)/shipments")
        #expect(theirShipments.status == 200, "\(theirShipments)")
        #expect(theirShipments["data"]?[0]?["lines"]?[0]?["unit_cost"] == .null)
        #expect(theirShipments["data"]?[0]?["lines"]?[0]?["cost"] == .null)
        #expect(try StockLedger.violations(app.databaseURL) == [])
    }
}
