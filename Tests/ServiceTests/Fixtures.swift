import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Goods bought in at a known cost, sold, shipped and invoiced over the API; the invariants
/// every after-sales test checks at its end.
struct AfterSalesFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String
    let supplier: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        let reply = try admin.post("/warehouses", #"{"code":"W-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
        let supplier = try admin.post("/suppliers", #"{"name":"Supplier \#(UUID().uuidString.prefix(6))"}"#)
        guard supplier.status == 201, let supplierID = supplier["id"]?.stringValue else {
            throw TestFailure("supplier: \(supplier)")
        }
        self.supplier = supplierID
    }

    func item(price: Int = 1000) throws -> String {
        let reply = try admin.post(
            "/items",
            #"{"sku":"R-\#(UUID().uuidString.prefix(8))","name":"Kettle","type":"stock","unit_price":\#(price)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("item: \(reply)") }
        return id
    }

    func customer(_ extra: String = "") throws -> String {
        let reply = try admin.post("/customers", #"{"name":"Buyer \#(UUID().uuidString.prefix(6))"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("customer: \(reply)") }
        return id
    }

    /// Buys `quantity` of `item` at `unitCost` and receives all of it.
    func receive(_ item: String, quantity: Int, unitCost: Int) throws {
        let draft = try admin.post(
            "/purchase-orders",
            #"""
            {"supplier_id":"\#(supplier)","warehouse_id":"\#(warehouse)",
             "lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":\#(unitCost)}]}
            """#)
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("po: \(draft)") }
        guard try admin.post("/purchase-orders/\(id)/order").status == 200 else { throw TestFailure("order po") }
        let received = try admin.post(
            "/purchase-orders/\(id)/receipts", #"{"lines":[{"line_no":1,"quantity":\#(quantity)}]}"#)
        guard received.status == 201 else { throw TestFailure("receipt: \(received)") }
    }

    /// A confirmed order for `quantity` of `item` at `price`, shipped in full when `ship`.
    func shippedOrder(customer: String, item: String, quantity: Int, price: Int = 1000, ship: Bool = true) throws
        -> String
    {
        let draft = try admin.post(
            "/sales-orders",
            #"""
            {"customer_id":"\#(customer)","warehouse_id":"\#(warehouse)",
             "lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_price":\#(price)}]}
            """#)
        guard draft.status == 201, let id = draft["id"]?.stringValue else { throw TestFailure("order: \(draft)") }
        guard try admin.post("/sales-orders/\(id)/confirm").status == 200 else { throw TestFailure("confirm") }
        if ship {
            let shipped = try admin.post(
                "/sales-orders/\(id)/shipments", #"{"lines":[{"line_no":1,"quantity":\#(quantity)}]}"#)
            guard shipped.status == 201 else { throw TestFailure("ship: \(shipped)") }
        }
        return id
    }

    /// Invoices what shipped and is not yet billed; the invoice.
    func invoice(_ order: String) throws -> JSONValue {
        let reply = try admin.post("/sales-orders/\(order)/invoice")
        guard reply.status == 201 || reply.status == 200 else { throw TestFailure("invoice: \(reply)") }
        return reply.json
    }

    func onHand(_ item: String) throws -> String {
        try StockLedger.balance(app.databaseURL, item: item, warehouse: warehouse)?.onHand ?? "0"
    }

    func sql(_ text: String) throws -> String { try TestSQL.scalar(app.databaseURL, text) }

    /// The stock ledger identity (on hand = Σ movements) and the books identity (open balances −
    /// unapplied credit = the statement's closing balance), after every test.
    func expectInvariants(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ledger = try StockLedger.violations(app.databaseURL)
        #expect(ledger.isEmpty, "ledger identity broken: \(ledger)", sourceLocation: sourceLocation)
        let books = try Books.violations(app.databaseURL) { customer in
            try admin.get("/customers/\(customer)/statement")["closing_balance"]?.numberText
        }
        #expect(books == [], sourceLocation: sourceLocation)
    }
}
