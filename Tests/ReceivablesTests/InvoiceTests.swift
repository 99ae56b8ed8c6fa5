import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Invoices: drafts, issue, void, invoices from orders, credit notes.
@Suite struct InvoiceTests {
    let app: TestApp
    let books: BooksFixture
    var admin: APIClient { books.admin }

    init() throws {
        app = try TestApp()
        books = BooksFixture(app)
    }

    @Test func draft_issue_givesNumberAndDueDate_andFreezesTheInvoice() throws {
        let customer = try books.customer(#","payment_terms_days":14"#)
        let draft = try admin.post(
            "/invoices",
            """
            {"customer_id":"\(customer)","lines":[{"description":"Consulting","quantity":2.5,"unit_price":333,"tax_rate":19}]}
            """)
        #expect(draft.status == 201, "\(draft)")
        #expect(draft["number"] == .null)
        #expect(draft["status"] == "draft")
        #expect(draft["total"] == .number("990"))
        let id = try #require(draft["id"]?.stringValue)
        let patched = try admin.patch(
            "/invoices/\(id)", #"{"lines":[{"description":"Consulting","quantity":3,"unit_price":333}]}"#)
        #expect(patched["total"] == .number("999"))
        #expect(
            try admin.post("/invoices/\(id)/issue", #"{"issue_date":"2026-03-01"}"#, headers: [("If-Match", "\"1\"")])
                .status == 412)
        let issued = try admin.post("/invoices/\(id)/issue", #"{"issue_date":"2026-03-01"}"#)
        #expect(issued.status == 200, "\(issued)")
        #expect(issued["number"]?.stringValue?.hasPrefix("INV-") == true)
        #expect(issued["issue_date"] == "2026-03-01")
        #expect(issued["due_date"] == "2026-03-15")
        #expect(issued["balance_due"] == .number("999"))
        #expect(issued["overdue"] == .bool(true))
        #expect(try admin.patch("/invoices/\(id)", #"{"notes":"x"}"#).code == "invalid_transition")
        #expect(try admin.post("/invoices/\(id)/issue").code == "invalid_transition")
        let number = try #require(issued["number"]?.stringValue)
        #expect(try admin.get("/invoices/\(number)")["id"] == .string(id))
        try books.expectBooksBalance()
    }

    @Test func newDocuments_forArchivedCustomers_orUnknownItems_are422() throws {
        let archived = try books.customer(#","status":"archived""#)
        let invoice = try admin.post(
            "/invoices", #"{"customer_id":"\#(archived)","lines":[{"description":"A","quantity":1,"unit_price":5}]}"#)
        #expect(invoice.status == 422)
        #expect(invoice.text.contains("customer_id"))
        #expect(try books.pay(archived, amount: 5).status == 422)
        let customer = try books.customer()
        let unknownItem = try admin.post(
            "/invoices",
            #"{"customer_id":"\#(customer)","lines":[{"item_id":"\#(UUID().uuidString)","description":"A","quantity":1,"unit_price":5}]}"#
        )
        #expect(unknownItem.status == 422)
        #expect(unknownItem.text.contains(#""field":"lines[0].item_id""#))
    }

    @Test func void_onlyWithoutPaymentsOrCredits() throws {
        let customer = try books.customer()
        let draft = try #require(
            try admin.post(
                "/invoices",
                #"{"customer_id":"\#(customer)","lines":[{"description":"A","quantity":1,"unit_price":5}]}"#)["id"]?
                .stringValue)
        #expect(try admin.post("/invoices/\(draft)/void")["status"] == "void")
        let clean = try books.issuedInvoice(customer, amount: 100)["id"]!.stringValue!
        #expect(try admin.post("/invoices/\(clean)/void")["status"] == "void")
        let paid = try books.issuedInvoice(customer, amount: 100)["id"]!.stringValue!
        _ = try books.pay(customer, amount: 10, allocations: #"{"invoice_id":"\#(paid)","amount":10}"#)
        let refused = try admin.post("/invoices/\(paid)/void")
        #expect(refused.status == 409)
        #expect(refused["from_state"] == "partially_paid")
        // A credit note alone leaves the invoice `issued`, and still forbids the void.
        let credited = try books.issuedInvoice(customer, amount: 100)["id"]!.stringValue!
        #expect(
            try admin.post("/credit-notes", #"{"invoice_id":"\#(credited)","amount":10,"reason":"damaged"}"#).status
                == 201)
        #expect(try books.invoice(credited)["status"] == "issued")
        let refusedCredit = try admin.post("/invoices/\(credited)/void")
        #expect(refusedCredit.status == 409, "\(refusedCredit)")
        #expect(refusedCredit.code == "invalid_transition")
        #expect(refusedCredit["from_state"] == "issued")
        #expect(try books.invoice(credited)["status"] == "issued")
        try books.expectBooksBalance()
    }

    @Test func creditNotes_reduceTheBalance_neverBelowZero() throws {
        let customer = try books.customer()
        let invoice = try books.issuedInvoice(customer, amount: 1000)["id"]!.stringValue!
        let note = try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":300,"reason":"damaged"}"#)
        #expect(note.status == 201, "\(note)")
        #expect(note["number"]?.stringValue?.hasPrefix("CN-") == true)
        #expect(try books.invoice(invoice)["balance_due"] == .number("700"))
        #expect(try books.invoice(invoice)["amount_credited"] == .number("300"))
        let lines = try admin.post(
            "/credit-notes",
            #"{"invoice_id":"\#(invoice)","lines":[{"description":"return","quantity":2,"unit_price":100,"tax_rate":10}],"reason":"returned"}"#
        )
        #expect(lines["amount"] == .number("220"))
        let tooMuch = try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":481,"reason":"too much"}"#)
        #expect(tooMuch.status == 422)
        #expect(
            try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":480,"reason":"rest"}"#).status == 201
        )
        #expect(try books.invoice(invoice)["status"] == "paid")
        #expect(try books.invoice(invoice)["balance_due"] == .number("0"))
        #expect(
            try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":1,"reason":"more"}"#).status == 422)
        #expect(try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","reason":"neither"}"#).status == 422)
        try books.expectBooksBalance()
    }

    @Test func orderInvoices_billShippedThenOrdered_andTrackTheOrder() throws {
        let warehouse = try #require(try admin.post("/warehouses", #"{"code":"INV-WH","name":"W"}"#)["id"]?.stringValue)
        let item = try #require(
            try admin.post("/items", #"{"sku":"BILL-1","name":"Billable","type":"stock","unit_price":1000}"#)["id"]?
                .stringValue)
        _ = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":10,"reason":"open"}"#)
        let customer = try books.customer()
        let order = try #require(
            try admin.post(
                "/sales-orders",
                """
                {"customer_id":"\(customer)","warehouse_id":"\(warehouse)","lines":[{"item_id":"\(item)","quantity":4,"discount_percent":10,"tax_rate":20}]}
                """)["id"]?.stringValue)
        _ = try admin.post("/sales-orders/\(order)/confirm")
        #expect(try admin.post("/sales-orders/\(order)/invoice").code == "nothing_to_invoice")
        _ = try admin.post("/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        let first = try admin.post("/sales-orders/\(order)/invoice")
        #expect(first.status == 201, "\(first)")
        #expect(first["status"] == "issued")
        #expect(first["sales_order_id"] == .string(order))
        #expect(first["lines"]?[0]?["quantity"] == .number("1"))
        // 1 × 1000 less 10 % = 900, tax 20 % = 180.
        #expect(first["total"] == .number("1080"))
        #expect(first.header("Location")?.hasPrefix("/invoices/") == true)
        var state = try admin.get("/sales-orders/\(order)")
        #expect(state["invoice_status"] == "partially_invoiced")
        #expect(state["lines"]?[0]?["invoiced_quantity"] == .number("1"))
        #expect(try admin.post("/sales-orders/\(order)/invoice").code == "nothing_to_invoice")
        let rest = try admin.post("/sales-orders/\(order)/invoice", #"{"basis":"ordered"}"#)
        #expect(rest["lines"]?[0]?["quantity"] == .number("3"))
        #expect(rest["total"] == .number("3240"))
        state = try admin.get("/sales-orders/\(order)")
        #expect(state["invoice_status"] == "invoiced")
        #expect(try admin.post("/sales-orders/\(order)/invoice", #"{"basis":"ordered"}"#).code == "nothing_to_invoice")
        // Voiding an order's invoice gives its quantities back to the order.
        let voided = try admin.post("/invoices/\(rest["id"]!.stringValue!)/void")
        #expect(voided["status"] == "void")
        state = try admin.get("/sales-orders/\(order)")
        #expect(state["invoice_status"] == "partially_invoiced")
        #expect(state["lines"]?[0]?["invoiced_quantity"] == .number("1"))
        #expect(try admin.post("/sales-orders/\(order)/invoice", #"{"basis":"ordered"}"#)["total"] == .number("3240"))
        try books.expectBooksBalance()
    }

    @Test func closingAnOrder_whoseShippedPartIsInvoiced_makesItInvoiced() throws {
        let warehouse = try #require(
            try admin.post("/warehouses", #"{"code":"CLOSE-WH","name":"W"}"#)["id"]?.stringValue)
        let item = try #require(
            try admin.post("/items", #"{"sku":"CLOSE-1","name":"Partly","type":"stock","unit_price":100}"#)["id"]?
                .stringValue)
        _ = try admin.post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":10,"reason":"open"}"#)
        let customer = try books.customer()
        let order = try #require(
            try admin.post(
                "/sales-orders",
                """
                {"customer_id":"\(customer)","warehouse_id":"\(warehouse)","lines":[{"item_id":"\(item)","quantity":4}]}
                """)["id"]?.stringValue)
        _ = try admin.post("/sales-orders/\(order)/confirm")
        _ = try admin.post("/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":1}]}"#)
        _ = try admin.post("/sales-orders/\(order)/invoice")
        #expect(try admin.get("/sales-orders/\(order)")["invoice_status"] == "partially_invoiced")
        let closed = try admin.post("/sales-orders/\(order)/close")
        #expect(closed["status"] == "closed")
        #expect(closed["invoice_status"] == "invoiced")
        #expect(try admin.post("/sales-orders/\(order)/invoice", #"{"basis":"ordered"}"#).code == "nothing_to_invoice")
        try books.expectBooksBalance()
    }

    @Test func creditCheck_countsOpenReceivables_lessUnappliedCredit() throws {
        let customer = try books.customer(#","credit_limit":1000"#)
        _ = try books.issuedInvoice(customer, amount: 800)
        let order = try #require(
            try admin.post(
                "/sales-orders",
                """
                {"customer_id":"\(customer)","lines":[{"description":"Extra","quantity":1,"unit_price":300}]}
                """)["id"]?.stringValue)
        // Warehouse is needed to confirm.
        let warehouse = try #require(try admin.post("/warehouses", #"{"code":"CC-WH","name":"W"}"#)["id"]?.stringValue)
        _ = try admin.patch("/sales-orders/\(order)", #"{"warehouse_id":"\#(warehouse)"}"#)
        let refused = try admin.post("/sales-orders/\(order)/confirm")
        #expect(refused.code == "credit_limit_exceeded")
        #expect(refused["credit"]?["open_receivables"] == .number("800"))
        // Paying 100 (and 50 more as credit) makes room: 800 − 150 + 300 = 950 ≤ 1000.
        _ = try books.pay(customer, amount: 150)
        #expect(try admin.post("/sales-orders/\(order)/confirm").status == 200)
        let summary = try admin.get("/customers/\(customer)/summary")
        #expect(summary["receivables"]?["open_balance"] == .number("650"))
        #expect(summary["credit"]?["used"] == .number("950"))
        #expect(summary["credit"]?["available"] == .number("50"))
        try books.expectBooksBalance()
    }
}
