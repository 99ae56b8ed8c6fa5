import Foundation
import TestSupport
import Testing

/// The payables checker itself: each identity reports a row corrupted behind the API's back (in
/// this test's throwaway database), and names it.
@Suite struct PayablesBooksCheckerTests {
    @Test func eachPayablesIdentity_reportsACorruptedRow() throws {
        let app = try TestApp()
        let payables = PayablesFixture(app)
        var suppliers: [String] = []
        var bills: [String] = []
        var payments: [String] = []
        var orders: [String] = []
        for _ in 0..<3 {
            let supplier = try payables.supplier()
            let order = try payables.receivedOrder(supplier: supplier, quantity: 10, unitCost: 100)
            let bill = try #require(try payables.billOrder(order, quantity: 6)["id"]?.stringValue)
            #expect(try payables.admin.post("/supplier-bills/\(bill)/post").status == 200)
            let payment = try payables.pay(supplier, amount: 500, allocations: #"{"bill_id":"\#(bill)","amount":400}"#)
            #expect(payment.status == 201, "\(payment)")
            suppliers.append(supplier)
            bills.append(bill)
            orders.append(order)
            payments.append(try #require(payment["id"]?.stringValue))
        }
        let check = {
            try PayablesBooks.violations(app.databaseURL) { supplier in
                try payables.admin.get("/suppliers/\(supplier)/statement")["closing_balance"]?.numberText
            }
        }
        #expect(try check() == [])

        // amount_paid no longer Σ allocations.
        try TestSQL.execute(
            app.databaseURL, "UPDATE supplier_bills SET amount_paid = amount_paid + 1 WHERE id = '\(bills[0])'")
        // An advance no longer amount − Σ allocations.
        try TestSQL.execute(
            app.databaseURL,
            "UPDATE supplier_payments SET unapplied_amount = unapplied_amount - 1 WHERE id = '\(payments[1])'")
        // A line's billed quantity no longer what its bills claim.
        try TestSQL.execute(
            app.databaseURL,
            "UPDATE purchase_order_lines SET billed_quantity = 7 WHERE purchase_order_id = '\(orders[2])'")

        let violations = try check()
        #expect(
            violations.contains { $0.hasPrefix("bill \(bills[0]): amount_paid 401, allocations 400") }, "\(violations)")
        #expect(
            violations.contains { $0.hasPrefix("payment \(payments[1]): amount 500, unapplied 99, allocations 400") },
            "\(violations)")
        #expect(violations.contains { $0.hasPrefix("supplier \(suppliers[0]):") }, "\(violations)")
        #expect(
            violations.contains { $0.hasPrefix("purchase order \(orders[2]) line 1: billed 7.000") }, "\(violations)")
        #expect(
            !violations.contains { $0.contains(bills[1]) || $0.contains(payments[0]) || $0.contains(suppliers[2]) },
            "reported a row that was not corrupted: \(violations)")
    }
}
