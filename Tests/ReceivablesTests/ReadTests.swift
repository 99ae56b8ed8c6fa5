import Core
import Foundation
import Routing
import TestSupport
import Testing

/// The read endpoints of receivables: lists, one by id or number, history.
@Suite struct ReceivablesReadTests {
    let app: TestApp
    let books: BooksFixture
    var admin: APIClient { books.admin }

    init() throws {
        app = try TestApp()
        books = BooksFixture(app)
    }

    @Test func payments_listGetAndHistory() throws {
        let customer = try books.customer()
        let invoice = try books.issuedInvoice(customer, amount: 100)["id"]!.stringValue!
        let paid = try books.pay(customer, amount: 150)
        let id = try #require(paid["id"]?.stringValue)
        let number = try #require(paid["number"]?.stringValue)
        #expect(try admin.get("/payments/\(number)")["id"] == .string(id))
        let shown = try admin.get("/payments/\(id)")
        #expect(shown["allocations"]?[0]?["invoice_id"] == .string(invoice))
        #expect(shown.header("ETag") == "\"2\"")
        #expect(try admin.get("/payments/\(id)", headers: [("If-None-Match", "\"2\"")]).status == 304)
        #expect(try admin.get("/payments?customer_id=\(customer)&unapplied=true")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/payments?unapplied=false")["data"]?.arrayValue?.isEmpty == true)
        #expect(try admin.get("/payments?unapplied=maybe").status == 400)
        #expect(try admin.get("/payments/PAY-999999").status == 404)
        let history = try admin.get("/payments/\(id)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(history == ["payment.received"])
        let invoiceHistory = try admin.get("/invoices/\(invoice)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(invoiceHistory == ["invoice.created", "invoice.issued", "invoice.paid"])
        try books.expectBooksBalance()
    }

    @Test func creditNotes_listAndGet_byIdOrNumber() throws {
        let customer = try books.customer()
        let invoice = try books.issuedInvoice(customer, amount: 500)["id"]!.stringValue!
        let note = try admin.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":50,"reason":"late"}"#)
        let id = try #require(note["id"]?.stringValue)
        let number = try #require(note["number"]?.stringValue)
        #expect(try admin.get("/credit-notes/\(id)")["amount"] == .number("50"))
        #expect(try admin.get("/credit-notes/\(number)")["id"] == .string(id))
        #expect(try admin.get("/credit-notes/CN-999999").status == 404)
        #expect(try admin.get("/credit-notes?invoice_id=\(invoice)")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/credit-notes?customer_id=\(UUID().uuidString)")["data"]?.arrayValue?.isEmpty == true)
        let sales = app.client(key: try app.key(forRole: "sales"))
        #expect(try sales.get("/credit-notes/\(id)").status == 200)
        #expect(try sales.post("/credit-notes", #"{"invoice_id":"\#(invoice)","amount":1,"reason":"x"}"#).status == 403)
        try books.expectBooksBalance()
    }
}
