import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Suppliers, received purchase orders, bills and supplier payments through the API, and the
/// payables identities.
struct PayablesFixture {
    let app: TestApp
    let admin: APIClient

    init(_ app: TestApp) {
        self.app = app
        admin = app.client()
    }

    /// A supplier; `extra` is more members for the body (`,"payment_terms_days":10`).
    func supplier(_ extra: String = "") throws -> String {
        let reply = try admin.post("/suppliers", #"{"name":"Vendor \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("supplier: \(reply)") }
        return id
    }

    /// An ordered purchase order of `quantity` units of a new stock item at `unitCost`, with
    /// `received` of them (all when nil) received; returns its id.
    func receivedOrder(supplier: String, quantity: Int = 10, unitCost: Int = 1000, received: Int? = nil) throws
        -> String
    {
        let warehouse = try admin.post(
            "/warehouses", #"{"code":"AP-\#(UUID().uuidString.prefix(6))","name":"Receiving"}"#)
        let item = try admin.post(
            "/items", #"{"sku":"AP-\#(UUID().uuidString.prefix(8))","name":"Widget","type":"stock","unit_price":5000}"#)
        guard let warehouseID = warehouse["id"]?.stringValue, let itemID = item["id"]?.stringValue else {
            throw TestFailure("warehouse \(warehouse), item \(item)")
        }
        let order = try admin.post(
            "/purchase-orders",
            #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouseID)","lines":[{"item_id":"\#(itemID)","quantity":\#(quantity),"unit_cost":\#(unitCost)}]}"#
        )
        guard order.status == 201, let id = order["id"]?.stringValue else { throw TestFailure("order: \(order)") }
        let placed = try admin.post("/purchase-orders/\(id)/order")
        guard placed.status == 200 else { throw TestFailure("order: \(placed)") }
        let received = received ?? quantity
        if received > 0 {
            let receipt = try admin.post(
                "/purchase-orders/\(id)/receipts", #"{"lines":[{"line_no":1,"quantity":\#(received)}]}"#)
            guard receipt.status == 201 else { throw TestFailure("receipt: \(receipt)") }
        }
        return id
    }

    /// `POST /purchase-orders/{id}/bill` for line 1; `unitCost` when the supplier's price differs.
    func billOrder(
        _ order: String, quantity: Int, reference: String? = nil, unitCost: Int? = nil, billDate: String? = nil,
        client: APIClient? = nil
    ) throws -> APIClient.Reply {
        let cost = unitCost.map { #","unit_cost":\#($0)"# } ?? ""
        let date = billDate.map { #","bill_date":"\#($0)""# } ?? ""
        return try (client ?? admin).post(
            "/purchase-orders/\(order)/bill",
            #"{"supplier_reference":"\#(reference ?? "INV-\(UUID().uuidString.prefix(8))")"\#(date),"lines":[{"line_no":1,"quantity":\#(quantity)\#(cost)}]}"#
        )
    }

    /// A posted bill without a purchase order for `amount` (one line, no tax).
    func postedBill(_ supplier: String, amount: Int, billDate: String? = nil, dueDate: String? = nil) throws
        -> JSONValue
    {
        var body =
            #"{"supplier_id":"\#(supplier)","supplier_reference":"S-\#(UUID().uuidString.prefix(8))","lines":[{"description":"Services","quantity":1,"unit_cost":\#(amount)}]"#
        if let billDate { body += #","bill_date":"\#(billDate)""# }
        if let dueDate { body += #","due_date":"\#(dueDate)""# }
        let draft = try admin.post("/supplier-bills", body + "}")
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("bill: \(draft)") }
        let posted = try admin.post("/supplier-bills/\(id)/post")
        guard posted.status == 200 else { throw TestFailure("post: \(posted)") }
        return posted.json
    }

    func pay(_ supplier: String, amount: Int, allocations: String? = nil, paidOn: String? = nil) throws
        -> APIClient.Reply
    {
        var body = #"{"supplier_id":"\#(supplier)","amount":\#(amount),"method":"bank_transfer""#
        if let allocations { body += #","allocations":[\#(allocations)]"# }
        if let paidOn { body += #","paid_on":"\#(paidOn)""# }
        return try admin.post("/supplier-payments", body + "}")
    }

    func bill(_ id: String) throws -> JSONValue { try admin.get("/supplier-bills/\(id)").json }
    func order(_ id: String) throws -> JSONValue { try admin.get("/purchase-orders/\(id)").json }

    /// The issue's invariants: Σ open bill balances − unapplied advances = the statement's
    /// closing balance for every supplier; billed ≤ received on every order line; a bill's
    /// balance = total − allocated (see `PayablesBooks`).
    func expectBooksBalance(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let hasDocuments =
            try TestSQL.scalar(
                app.databaseURL,
                "SELECT EXISTS (SELECT 1 FROM supplier_bills) OR EXISTS (SELECT 1 FROM supplier_payments)") == "t"
        #expect(hasDocuments, "nothing to check", sourceLocation: sourceLocation)
        let violations = try PayablesBooks.violations(app.databaseURL) { supplier in
            try admin.get("/suppliers/\(supplier)/statement")["closing_balance"]?.numberText
        }
        #expect(violations == [], sourceLocation: sourceLocation)
        // A bill's balance as the API shows it is its total less what payments allocated to it.
        for bill in try admin.get("/supplier-bills?limit=200")["data"]?.arrayValue ?? [] {
            let total = bill["total"]?.int64Value ?? -1, paid = bill["amount_paid"]?.int64Value ?? -1
            let expected = bill["status"] == "void" ? 0 : total - paid
            #expect(bill["balance_due"]?.int64Value == expected, "\(bill)", sourceLocation: sourceLocation)
        }
    }
}
