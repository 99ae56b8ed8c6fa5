import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Supplier payments: allocation order, boundaries, advances, concurrency.
@Suite struct SupplierPaymentTests {
    let app: TestApp
    let payables: PayablesFixture
    var admin: APIClient { payables.admin }

    init() throws {
        app = try TestApp()
        payables = PayablesFixture(app)
    }

    @Test func payingSeventyPercentOfTwoBills_paysTheOldestDueFirst() throws {
        let supplier = try payables.supplier(#","payment_terms_days":30"#)
        let newer = try payables.postedBill(supplier, amount: 2000, billDate: "2026-02-01")["id"]!.stringValue!
        let older = try payables.postedBill(supplier, amount: 3000, billDate: "2026-01-01")["id"]!.stringValue!
        // 70 % of the 5000 owed.
        let payment = try payables.pay(supplier, amount: 3500)
        #expect(payment.status == 201, "\(payment)")
        #expect(payment["number"]?.stringValue?.hasPrefix("SPAY-") == true)
        #expect(payment["currency"] == "USD")
        let allocations = payment["allocations"]?.arrayValue ?? []
        #expect(allocations.map { $0["bill_id"] } == [.string(older), .string(newer)])
        #expect(allocations.map { $0["amount"] } == [.number("3000"), .number("500")])
        #expect(payment["unapplied_amount"] == .number("0"))
        #expect(try payables.bill(older)["status"] == "paid")
        #expect(try payables.bill(older)["balance_due"] == .number("0"))
        #expect(try payables.bill(newer)["status"] == "partially_paid")
        #expect(try payables.bill(newer)["balance_due"] == .number("1500"))
        // More than is owed leaves an advance.
        let more = try payables.pay(supplier, amount: 2000)
        #expect(more["unapplied_amount"] == .number("500"))
        #expect(try payables.bill(newer)["status"] == "paid")
        #expect(
            try admin.get("/suppliers/\(supplier)/statement")["closing_balance"] == .number("-500"))
        try payables.expectBooksBalance()
    }

    @Test func explicitAllocations_refusePastTheBalance_otherSuppliers_draftsAndOtherCurrencies() throws {
        let supplier = try payables.supplier()
        let bill = try payables.postedBill(supplier, amount: 1000)["id"]!.stringValue!
        let over = try payables.pay(supplier, amount: 1001, allocations: #"{"bill_id":"\#(bill)","amount":1001}"#)
        #expect(over.status == 422)
        #expect(over.text.contains(#""field":"allocations[0].amount""#))
        let beyondPayment = try payables.pay(supplier, amount: 10, allocations: #"{"bill_id":"\#(bill)","amount":11}"#)
        #expect(beyondPayment.status == 422)
        #expect(beyondPayment.text.contains(#""field":"allocations""#))
        let other = try payables.supplier()
        let theirs = try payables.postedBill(other, amount: 100)["id"]!.stringValue!
        #expect(
            try payables.pay(supplier, amount: 100, allocations: #"{"bill_id":"\#(theirs)","amount":50}"#).status
                == 422)
        let draft = try #require(
            try admin.post(
                "/supplier-bills",
                #"{"supplier_id":"\#(supplier)","supplier_reference":"D-1","lines":[{"description":"d","quantity":1,"unit_cost":5}]}"#
            )["id"]?.stringValue)
        #expect(
            try payables.pay(supplier, amount: 5, allocations: #"{"bill_id":"\#(draft)","amount":5}"#).status == 422)
        let euro = try admin.post(
            "/supplier-payments",
            #"{"supplier_id":"\#(supplier)","amount":100,"currency":"EUR","allocations":[{"bill_id":"\#(bill)","amount":100}]}"#
        )
        #expect(euro.status == 422)
        #expect(euro.text.contains(#""field":"currency""#))
        #expect(try payables.pay(supplier, amount: 0).status == 422)
        #expect(try payables.pay(UUID().uuidString, amount: 10).status == 422)
        let exact = try payables.pay(supplier, amount: 1000, allocations: #"{"bill_id":"\#(bill)","amount":1000}"#)
        #expect(exact.status == 201, "\(exact)")
        #expect(try payables.bill(bill)["status"] == "paid")
        // Nothing half-written by the refused attempts.
        #expect(
            try TestSQL.scalar(
                app.databaseURL, "SELECT count(*) FROM supplier_payments WHERE supplier_id = '\(supplier)'") == "1")
        try payables.expectBooksBalance()
    }

    @Test func billsInAnotherCurrency_areNotPaid_afterTheInstallationsCurrencyChanges() throws {
        let supplier = try payables.supplier()
        let dollars = try payables.postedBill(supplier, amount: 700)["id"]!.stringValue!
        app.stop()
        let euros = try TestApp(databaseURL: app.databaseURL) { $0.defaultCurrency = "EUR" }
        let fixture = PayablesFixture(euros)
        let explicit = try fixture.pay(supplier, amount: 700, allocations: #"{"bill_id":"\#(dollars)","amount":700}"#)
        #expect(explicit.status == 422, "\(explicit)")
        #expect(explicit.text.contains("is in USD; the payment is in EUR"))
        // Oldest first passes it by: the euros are an advance.
        let advance = try fixture.pay(supplier, amount: 700)
        #expect(advance.status == 201)
        #expect(advance["currency"] == "EUR")
        #expect(advance["unapplied_amount"] == .number("700"))
        #expect(try fixture.bill(dollars)["balance_due"] == .number("700"))
        euros.stop()
    }

    @Test func aSupplierWithBillsOrPayments_isNotDeleted() throws {
        let billed = try payables.supplier()
        _ = try payables.postedBill(billed, amount: 10)
        let paid = try payables.supplier()
        #expect(try payables.pay(paid, amount: 10).status == 201)
        for supplier in [billed, paid] {
            let refused = try admin.delete("/suppliers/\(supplier)")
            #expect(refused.status == 409, "\(refused)")
            #expect(refused.code == "supplier_in_use")
        }
        #expect(try admin.delete("/suppliers/\(try payables.supplier())").status == 204)
        try payables.expectBooksBalance()
    }

    @Test func anAdvance_isAllocatedLater() throws {
        let supplier = try payables.supplier()
        let payment = try #require(try payables.pay(supplier, amount: 250)["id"]?.stringValue)
        let nothing = try admin.post("/supplier-payments/\(payment)/allocate")
        #expect(nothing.status == 200)
        #expect(nothing["unapplied_amount"] == .number("250"))
        let bill = try payables.postedBill(supplier, amount: 400)["id"]!.stringValue!
        let allocated = try admin.post("/supplier-payments/\(payment)/allocate")
        #expect(allocated.status == 200, "\(allocated)")
        #expect(allocated["unapplied_amount"] == .number("0"))
        #expect(allocated["allocations"]?[0]?["bill_id"] == .string(bill))
        #expect(try payables.bill(bill)["balance_due"] == .number("150"))
        #expect(try admin.get("/supplier-payments?supplier_id=\(supplier)&unapplied=true")["data"]?.arrayValue == [])
        try payables.expectBooksBalance()
    }

    @Test func twoConcurrentPaymentsForTheFullBalance_oneAllocates_theOtherIsAnAdvance() throws {
        let port = app.port, key = app.adminKey
        for _ in 0..<3 {
            let supplier = try payables.supplier()
            let first = try payables.postedBill(supplier, amount: 600, billDate: "2026-01-01")["id"]!.stringValue!
            let second = try payables.postedBill(supplier, amount: 400, billDate: "2026-01-02")["id"]!.stringValue!
            let replies = Locked<[APIClient.Reply]>([])
            let outcomes = Outcomes()
            concurrently(2) { _ in
                let client = APIClient(port: port, key: key)
                if let reply = outcomes.record({
                    try client.post("/supplier-payments", #"{"supplier_id":"\#(supplier)","amount":1000}"#)
                }) {
                    replies.withLock { $0.append(reply) }
                }
            }
            #expect(outcomes.errors == [])
            #expect(outcomes.statuses == [201, 201])
            let unapplied = replies.withLock { $0 }.compactMap { $0["unapplied_amount"]?.int64Value }.sorted()
            #expect(unapplied == [0, 1000])
            #expect(try payables.bill(first)["status"] == "paid")
            #expect(try payables.bill(second)["status"] == "paid")
            #expect(
                try TestSQL.scalar(
                    app.databaseURL,
                    "SELECT sum(amount) FROM supplier_payment_allocations a JOIN supplier_bills b ON b.id = a.supplier_bill_id WHERE b.supplier_id = '\(supplier)'"
                ) == "1000")
        }
        // Explicit allocations racing for one bill never over-allocate either.
        let supplier = try payables.supplier()
        let bill = try payables.postedBill(supplier, amount: 1000)["id"]!.stringValue!
        let outcomes = Outcomes()
        concurrently(8) { _ in
            let client = APIClient(port: port, key: key)
            outcomes.record {
                try client.post(
                    "/supplier-payments",
                    #"{"supplier_id":"\#(supplier)","amount":300,"allocations":[{"bill_id":"\#(bill)","amount":300}]}"#)
            }
        }
        #expect(outcomes.errors == [])
        #expect(outcomes.statuses.filter { $0 == 201 }.count == 3)
        #expect(outcomes.statuses.filter { $0 == 422 }.count == 5)
        #expect(try payables.bill(bill)["balance_due"] == .number("100"))
        try payables.expectBooksBalance()
    }
}
