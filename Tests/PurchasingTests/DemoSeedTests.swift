import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `concord seed --demo`'s purchasing part: suppliers that items prefer, orders in every
/// state, the average cost moved by a receipt, and nothing added by a second run.
@Suite struct DemoSeedTests {
    @Test func demoSeed_addsSuppliersAndOrdersInEveryState_once() throws {
        let app = try TestApp()
        let first = try app.server.seedDemo()
        #expect(first.contains { $0.hasPrefix("purchasing: 3 suppliers") }, "\(first)")
        let second = try app.server.seedDemo()
        #expect(second.contains { $0.hasPrefix("purchasing: already seeded") }, "\(second)")
        let admin = app.client()
        #expect(try admin.get("/suppliers")["data"]?.arrayValue?.count == 3)
        let orders = try admin.get("/purchase-orders")["data"]?.arrayValue ?? []
        #expect(orders.count == 5)
        #expect(
            Set(orders.compactMap { $0["status"]?.stringValue }) == [
                "received", "partially_received", "ordered", "draft", "cancelled",
            ])
        // Received above the opening cost of 13 500: the chair's average rose.
        let chair = try #require(admin.get("/items?q=CHAIR-OAK")["data"]?[0])
        #expect((chair["average_cost"]?.int64Value ?? 0) > 13_500)
        #expect(chair["preferred_supplier_id"]?.stringValue != nil)
        let suggestions = try admin.get("/purchasing/suggestions")
        #expect(suggestions["data"]?.arrayValue?.contains { $0["sku"] == "CABLE-USB-C" } == true, "\(suggestions)")
        #expect(try StockLedger.violations(app.databaseURL).isEmpty)
        app.stop()
    }
}
