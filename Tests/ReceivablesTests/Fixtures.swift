import Foundation
import Core
import Routing
import Testing
import TestSupport

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
    func issuedInvoice(_ customer: String, amount: Int, issued: String? = nil, currency: String? = nil) throws -> JSONValue {
        let currencyField = currency.map { #","currency":"\#($0)""# } ?? ""
        let draft = try admin.post("/invoices", #"{"customer_id":"\#(customer)"\#(currencyField),"lines":[{"description":"Work","quantity":1,"unit_price":\#(amount)}]}"#)
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("invoice: \(draft)") }
        let body = issued.map { #"{"issue_date":"\#($0)"}"# } ?? "{}"
        let reply = try admin.post("/invoices/\(id)/issue", body)
        guard reply.status == 200 else { throw TestFailure("issue: \(reply)") }
        return reply.json
    }

    func pay(_ customer: String, amount: Int, allocations: String? = nil, receivedOn: String? = nil) throws -> APIClient.Reply {
        var body = #"{"customer_id":"\#(customer)","amount":\#(amount),"method":"bank_transfer""#
        if let allocations { body += #","allocations":[\#(allocations)]"# }
        if let receivedOn { body += #","received_on":"\#(receivedOn)""# }
        return try admin.post("/payments", body + "}")
    }

    func invoice(_ id: String) throws -> JSONValue { try admin.get("/invoices/\(id)").json }

    /// API.md: Σ open invoice balances − unapplied credit = the statement's closing balance, for
    /// every customer that has documents. Balances and credit come straight from the tables;
    /// the closing balance from the API.
    func expectBooksBalance(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try TestSQL.lines(app.databaseURL, """
            SELECT c.id || ' ' ||
                   (coalesce((SELECT sum(total - amount_paid - amount_credited) FROM invoices i
                              WHERE i.customer_id = c.id AND i.currency = c.currency AND i.status IN ('issued', 'partially_paid')), 0)
                    - coalesce((SELECT sum(unapplied_amount) FROM payments p WHERE p.customer_id = c.id AND p.currency = c.currency), 0))
            FROM customers c
            WHERE EXISTS (SELECT 1 FROM invoices i WHERE i.customer_id = c.id) OR EXISTS (SELECT 1 FROM payments p WHERE p.customer_id = c.id)
            """)
        #expect(!rows.isEmpty, sourceLocation: sourceLocation)
        for row in rows {
            let parts = row.split(separator: " ")
            let statement = try admin.get("/customers/\(parts[0])/statement")
            #expect(statement["closing_balance"]?.numberText == String(parts[1]),
                    "customer \(parts[0]): books say \(parts[1]), statement \(statement.text)", sourceLocation: sourceLocation)
        }
        let negative = try TestSQL.scalar(app.databaseURL, """
            SELECT count(*) FROM invoices WHERE total - amount_paid - amount_credited < 0
            """)
        #expect(negative == "0", sourceLocation: sourceLocation)
    }
}
