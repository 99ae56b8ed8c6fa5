import Foundation
import TestSupport
import Testing

/// The books checker itself: each identity reports a row corrupted behind the API's back (in
/// this test's throwaway database), and names it.
@Suite struct BooksCheckerTests {
    @Test func eachBooksIdentity_reportsACorruptedRow() throws {
        let app = try TestApp()
        let books = BooksFixture(app)
        var invoices: [String] = []
        var payments: [String] = []
        var customers: [String] = []
        for _ in 0..<3 {
            let customer = try books.customer()
            let invoice = try #require(try books.issuedInvoice(customer, amount: 1000)["id"]?.stringValue)
            #expect(
                try app.client().post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":100,"reason":"damaged"}"#)
                    .status == 201)
            let payment = try books.pay(
                customer, amount: 500, allocations: #"{"invoice_id":"\#(invoice)","amount":400}"#)
            #expect(payment.status == 201, "\(payment)")
            customers.append(customer)
            invoices.append(invoice)
            payments.append(try #require(payment["id"]?.stringValue))
        }
        let check = {
            try Books.violations(app.databaseURL) { customer in
                try books.admin.get("/customers/\(customer)/statement")["closing_balance"]?.numberText
            }
        }
        #expect(try check() == [])

        // amount_paid no longer Σ allocations.
        try TestSQL.execute(
            app.databaseURL, "UPDATE invoices SET amount_paid = amount_paid + 1 WHERE id = '\(invoices[0])'")
        // Unapplied credit no longer amount − Σ allocations.
        try TestSQL.execute(
            app.databaseURL, "UPDATE payments SET unapplied_amount = unapplied_amount - 1 WHERE id = '\(payments[1])'")
        // The statement no longer agrees with the open balances.
        try TestSQL.execute(
            app.databaseURL, "UPDATE credit_notes SET amount = amount + 5 WHERE invoice_id = '\(invoices[2])'")

        let violations = try check()
        #expect(
            violations.contains { $0.hasPrefix("invoice \(invoices[0]): amount_paid 401, allocations 400") },
            "\(violations)")
        #expect(
            violations.contains { $0.hasPrefix("payment \(payments[1]): amount 500, unapplied 99, allocations 400") },
            "\(violations)")
        #expect(violations.contains { $0.hasPrefix("customer \(customers[2]):") }, "\(violations)")
        #expect(
            !violations.contains { $0.contains(invoices[1]) || $0.contains(payments[0]) || $0.contains(payments[2]) },
            "reported a row that was not corrupted: \(violations)")
    }
}
