import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Payments: allocation order, boundaries, currencies, concurrency.
@Suite struct PaymentTests {
    let app: TestApp
    let books: BooksFixture
    var admin: APIClient { books.admin }

    init() throws {
        app = try TestApp()
        books = BooksFixture(app)
    }

    @Test func withoutAllocations_paysOldestDueFirst_andKeepsTheRestAsCredit() throws {
        let customer = try books.customer(#","payment_terms_days":30"#)
        let newer = try books.issuedInvoice(customer, amount: 500, issued: "2026-03-01")["id"]!.stringValue!
        let oldest = try books.issuedInvoice(customer, amount: 300, issued: "2026-01-01")["id"]!.stringValue!
        let middle = try books.issuedInvoice(customer, amount: 400, issued: "2026-02-01")["id"]!.stringValue!
        let payment = try books.pay(customer, amount: 600)
        #expect(payment.status == 201, "\(payment)")
        #expect(payment["number"]?.stringValue?.hasPrefix("PAY-") == true)
        let allocations = payment["allocations"]?.arrayValue ?? []
        #expect(allocations.map { $0["invoice_id"] } == [.string(oldest), .string(middle)])
        #expect(allocations.map { $0["amount"] } == [.number("300"), .number("300")])
        #expect(payment["unapplied_amount"] == .number("0"))
        #expect(try books.invoice(oldest)["status"] == "paid")
        #expect(try books.invoice(middle)["status"] == "partially_paid")
        #expect(try books.invoice(middle)["balance_due"] == .number("100"))
        #expect(try books.invoice(newer)["status"] == "issued")
        let more = try books.pay(customer, amount: 1000)
        #expect(more["unapplied_amount"] == .number("400"))
        #expect(try books.invoice(newer)["status"] == "paid")
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["receivables"]?["unapplied_credit"] == .number("400"))
        #expect(summary["receivables"]?["open_balance"] == .number("0"))
        try books.expectBooksBalance()
    }

    @Test func explicitAllocation_exactlyTheBalancePasses_oneMinorUnitMoreIs422() throws {
        let customer = try books.customer()
        let invoice = try books.issuedInvoice(customer, amount: 1000)["id"]!.stringValue!
        let over = try books.pay(customer, amount: 1001, allocations: #"{"invoice_id":"\#(invoice)","amount":1001}"#)
        #expect(over.status == 422)
        #expect(over.text.contains(#""field":"allocations[0].amount""#))
        let beyondPayment = try books.pay(
            customer, amount: 10, allocations: #"{"invoice_id":"\#(invoice)","amount":11}"#)
        #expect(beyondPayment.status == 422)
        #expect(beyondPayment.text.contains(#""field":"allocations""#))
        let exact = try books.pay(customer, amount: 1000, allocations: #"{"invoice_id":"\#(invoice)","amount":1000}"#)
        #expect(exact.status == 201)
        #expect(try books.invoice(invoice)["status"] == "paid")
        #expect(try books.invoice(invoice)["balance_due"] == .number("0"))
        // Nothing half-written by the refused attempts.
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM payments WHERE customer_id = '\(customer)'")
                == "1")
        try books.expectBooksBalance()
    }

    @Test func currenciesMustMatch_andOtherCustomersInvoicesAreRefused() throws {
        let customer = try books.customer()
        let euro = try books.issuedInvoice(customer, amount: 100, currency: "EUR")["id"]!.stringValue!
        let mismatch = try books.pay(customer, amount: 100, allocations: #"{"invoice_id":"\#(euro)","amount":100}"#)
        #expect(mismatch.status == 422)
        #expect(mismatch.text.contains("EUR"))
        let other = try books.customer()
        let theirs = try books.issuedInvoice(other, amount: 100)["id"]!.stringValue!
        #expect(
            try books.pay(customer, amount: 100, allocations: #"{"invoice_id":"\#(theirs)","amount":50}"#).status == 422
        )
        let draft = try #require(
            try admin.post(
                "/invoices",
                #"{"customer_id":"\#(customer)","lines":[{"description":"d","quantity":1,"unit_price":5}]}"#)["id"]?
                .stringValue)
        #expect(
            try books.pay(customer, amount: 5, allocations: #"{"invoice_id":"\#(draft)","amount":5}"#).status == 422)
        #expect(try books.pay(customer, amount: 0).status == 422)
        try books.expectBooksBalance()
    }

    @Test func unappliedCredit_canBeAllocatedLater() throws {
        let customer = try books.customer()
        let payment = try #require(try books.pay(customer, amount: 250)["id"]?.stringValue)
        let invoice = try books.issuedInvoice(customer, amount: 400)["id"]!.stringValue!
        let allocated = try admin.post("/payments/\(payment)/allocate")
        #expect(allocated.status == 200, "\(allocated)")
        #expect(allocated["unapplied_amount"] == .number("0"))
        #expect(try books.invoice(invoice)["balance_due"] == .number("150"))
        try books.expectBooksBalance()
    }

    @Test func concurrentPayments_againstOneInvoice_neverOverAllocate() throws {
        let customer = try books.customer()
        let invoice = try books.issuedInvoice(customer, amount: 1000)["id"]!.stringValue!
        let port = app.port, key = app.adminKey
        let outcomes = Outcomes()
        concurrently(10) { _ in
            let client = APIClient(port: port, key: key)
            outcomes.record {
                try client.post(
                    "/payments",
                    """
                    {"customer_id":"\(customer)","amount":300,"allocations":[{"invoice_id":"\(invoice)","amount":300}]}
                    """)
            }
        }
        #expect(outcomes.errors == [])
        #expect(outcomes.statuses.filter { $0 == 201 }.count == 3)
        #expect(outcomes.statuses.filter { $0 == 422 }.count == 7)
        #expect(try books.invoice(invoice)["balance_due"] == .number("100"))
        // Auto-allocating payments racing for the same balance never take it below zero either.
        let autoAllocated = Outcomes()
        concurrently(6) { _ in
            let client = APIClient(port: port, key: key)
            autoAllocated.record { try client.post("/payments", #"{"customer_id":"\#(customer)","amount":40}"#) }
        }
        #expect(autoAllocated.errors == [])
        #expect(autoAllocated.statuses == Array(repeating: 201, count: 6))
        #expect(try books.invoice(invoice)["balance_due"] == .number("0"))
        #expect(
            try TestSQL.scalar(
                app.databaseURL, "SELECT sum(unapplied_amount) FROM payments WHERE customer_id = '\(customer)'")
                == "140")
        try books.expectBooksBalance()
    }
}
