import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `concord seed --demo`'s payables part: an overdue bill, one with a price variance, payments
/// and an advance, once.
@Suite struct PayablesDemoSeedTests {
    @Test func demoSeed_addsBillsAndPayments_once() throws {
        let app = try TestApp()
        let first = try app.server.seedDemo()
        #expect(first.contains { $0.hasPrefix("payables: 3 supplier bills") }, "\(first)")
        let second = try app.server.seedDemo()
        #expect(second.contains { $0.hasPrefix("payables: already seeded") }, "\(second)")
        let payables = PayablesFixture(app)
        let bills = try payables.admin.get("/supplier-bills")["data"]?.arrayValue ?? []
        #expect(bills.count == 3)
        #expect(bills.contains { $0["overdue"] == .bool(true) && $0["status"] == "partially_paid" }, "\(bills)")
        #expect(bills.contains { $0["price_variance"] == .bool(true) && $0["status"] == "posted" }, "\(bills)")
        let payments = try payables.admin.get("/supplier-payments")["data"]?.arrayValue ?? []
        #expect(payments.count == 3)
        #expect(payments.contains { $0["unapplied_amount"]?.int64Value ?? 0 > 0 })
        let aging = try payables.admin.get("/reports/ap-aging")
        #expect((aging["totals"]?["1_30"]?.int64Value ?? 0) > 0, "\(aging)")
        let chairs = try #require(try payables.admin.get("/purchase-orders?external_ref=demo-po-1")["data"]?[0])
        #expect(chairs["bill_status"] == "billed")
        try payables.expectBooksBalance()
        app.stop()
    }
}
