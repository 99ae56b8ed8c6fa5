import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `supplier_bill_due`: a posted, unpaid supplier bill due within the rule's days (3 by
/// default) or past due; it opens with the posting or with the scheduler's tick as the date
/// comes near, and resolves when the bill is paid.
@Suite struct SupplierBillDueTests {
    /// A posted bill for `amount` from `supplier` dated `billDate` and due on `dueDate`.
    func postedBill(_ fixture: AlertFixture, _ supplier: String, amount: Int, billDate: String, dueDate: String) throws
        -> String
    {
        let id = try fixture.created(
            "/supplier-bills",
            #"{"supplier_id":"\#(supplier)","supplier_reference":"S-\#(UUID().uuidString.prefix(8))","bill_date":"\#(billDate)","due_date":"\#(dueDate)","lines":[{"description":"Services","quantity":1,"unit_cost":\#(amount)}]}"#
        )
        let posted = try fixture.admin.post("/supplier-bills/\(id)/post")
        guard posted.status == 200 else { throw TestFailure("post: \(posted)") }
        return id
    }

    @Test func aBillDueWithinItsDaysOrPastOpens_oneFurtherOutWaitsForTheTick_payingResolves() throws {
        let app = try TestApp()
        defer { app.stop() }
        let fixture = try AlertFixture(app)
        let rule = try fixture.admin.get("/alert-rules/supplier_bill_due")
        #expect(rule["threshold"] == .number("3"), "\(rule)")
        #expect(rule["threshold_unit"] == "days")
        let supplier = try fixture.created("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        let today = AlertFixture.date(0)
        let soon = try postedBill(fixture, supplier, amount: 4000, billDate: today, dueDate: AlertFixture.date(2))
        let late = try postedBill(
            fixture, supplier, amount: 700, billDate: AlertFixture.date(-40), dueDate: AlertFixture.date(-10))
        let later = try postedBill(fixture, supplier, amount: 900, billDate: today, dueDate: AlertFixture.date(10))
        // A draft is not a debt yet.
        _ = try fixture.created(
            "/supplier-bills",
            #"{"supplier_id":"\#(supplier)","supplier_reference":"D-1","due_date":"\#(today)","lines":[{"description":"Draft","quantity":1,"unit_cost":5}]}"#
        )

        // Posting evaluates at once, in the posting's transaction.
        var open = try fixture.alerts("kind=supplier_bill_due&status=open")
        #expect(Set(open.compactMap { $0["subject"]?["id"]?.stringValue }) == [soon, late], "\(open)")
        let due = try #require(open.first { $0["subject"]?["id"]?.stringValue == soon })
        #expect(due["subject"]?["type"] == "supplier_bill")
        #expect(due["supplier_id"]?.stringValue == supplier)
        #expect(due["severity"] == "info")
        #expect(due["details"]?["days_until_due"] == .number("2"))
        #expect(due["details"]?["balance"] == .number("4000"))
        let overdue = try #require(open.first { $0["subject"]?["id"]?.stringValue == late })
        #expect(overdue["severity"] == "warning")
        #expect(overdue["details"]?["days_until_due"] == .number("-10"))

        // Time passes: the later bill is now two days from due; the scheduler's tick opens it.
        try TestSQL.execute(
            app.databaseURL, "UPDATE supplier_bills SET due_date = current_date + 2 WHERE id = '\(later)'")
        #expect(try fixture.alerts("kind=supplier_bill_due&status=open").count == 2)
        #expect(try fixture.evaluate()["opened"] == .number("1"))
        open = try fixture.alerts("kind=supplier_bill_due&status=open")
        #expect(Set(open.compactMap { $0["subject"]?["id"]?.stringValue }) == [soon, late, later])

        // Paying part leaves it open with the new balance; paying the rest resolves it.
        let part = try fixture.admin.post(
            "/supplier-payments",
            #"{"supplier_id":"\#(supplier)","amount":1000,"method":"bank_transfer","allocations":[{"bill_id":"\#(soon)","amount":1000}]}"#
        )
        #expect(part.status == 201, "\(part)")
        let still = try fixture.alerts("kind=supplier_bill_due&status=open").first {
            $0["subject"]?["id"]?.stringValue == soon
        }
        #expect(still?["details"]?["balance"] == .number("3000"))
        let rest = try fixture.admin.post(
            "/supplier-payments",
            #"{"supplier_id":"\#(supplier)","amount":3000,"method":"bank_transfer","allocations":[{"bill_id":"\#(soon)","amount":3000}]}"#
        )
        #expect(rest.status == 201, "\(rest)")
        let all = try fixture.alerts("kind=supplier_bill_due")
        #expect(all.first { $0["subject"]?["id"]?.stringValue == soon }?["status"] == "resolved")
        #expect(all.filter { $0["status"] == "open" }.count == 2)

        // A narrower rule resolves what it no longer covers at once; the overdue one stays.
        let narrowed = try fixture.admin.send(
            "PUT", "/alert-rules/supplier_bill_due", body: #"{"enabled":true,"threshold":0}"#)
        #expect(narrowed.status == 200, "\(narrowed)")
        open = try fixture.alerts("kind=supplier_bill_due&status=open")
        #expect(open.compactMap { $0["subject"]?["id"]?.stringValue } == [late])
    }
}
