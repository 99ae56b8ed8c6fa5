import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Customers, invoices and payments through the API, and the books identity.
struct BooksFixture {
    let app: TestApp
    let admin: APIClient

    init(_ app: TestApp) {
        self.app = app
        admin = app.client()
    }

    func customer(_ extra: String = "") throws -> String {
        let reply = try admin.post("/customers", #"{"name":"Debtor \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("customer: \(reply)") }
        return id
    }

    /// An issued invoice for `amount` (one line, no tax) dated `issued` (today when nil).
    func issuedInvoice(_ customer: String, amount: Int, issued: String? = nil, currency: String? = nil) throws
        -> JSONValue
    {
        let currencyField = currency.map { #","currency":"\#($0)""# } ?? ""
        let draft = try admin.post(
            "/invoices",
            #"{"customer_id":"\#(customer)"\#(currencyField),"lines":[{"description":"Work","quantity":1,"unit_price":\#(amount)}]}"#
        )
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("invoice: \(draft)") }
        let body = issued.map { #"{"issue_date":"\#($0)"}"# } ?? "{}"
        let reply = try admin.post("/invoices/\(id)/issue", body)
        guard reply.status == 200 else { throw TestFailure("issue: \(reply)") }
        return reply.json
    }

    func pay(_ customer: String, amount: Int, allocations: String? = nil, receivedOn: String? = nil) throws
        -> APIClient.Reply
    {
        var body = #"{"customer_id":"\#(customer)","amount":\#(amount),"method":"bank_transfer""#
        if let allocations { body += #","allocations":[\#(allocations)]"# }
        if let receivedOn { body += #","received_on":"\#(receivedOn)""# }
        return try admin.post("/payments", body + "}")
    }

    func invoice(_ id: String) throws -> JSONValue { try admin.get("/invoices/\(id)").json }

    /// API.md: Σ open invoice balances − unapplied credit = the statement's closing balance, for
    /// every customer that has documents; paid amounts and unapplied credit tie to the
    /// allocations (see `Books`).
    func expectBooksBalance(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let hasDocuments =
            try TestSQL.scalar(
                app.databaseURL, "SELECT EXISTS (SELECT 1 FROM invoices) OR EXISTS (SELECT 1 FROM payments)") == "t"
        #expect(hasDocuments, "nothing to check", sourceLocation: sourceLocation)
        let violations = try Books.violations(app.databaseURL) { customer in
            try admin.get("/customers/\(customer)/statement")["closing_balance"]?.numberText
        }
        #expect(violations == [], sourceLocation: sourceLocation)
    }
}
