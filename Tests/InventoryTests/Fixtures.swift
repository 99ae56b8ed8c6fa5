import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Setting up items, warehouses, stock and users of other roles through the API.
struct StockFixture {
    let app: TestApp
    let admin: APIClient

    /// `adminKey`: the admin key when another instance on the same database rotated it.
    init(_ app: TestApp, adminKey: String? = nil) {
        self.app = app
        admin = app.client(key: adminKey)
    }

    /// Creates an item and returns its id.
    @discardableResult
    func item(_ sku: String, type: String = "stock", price: Int = 1000, extra: String = "") throws -> String {
        let reply = try admin.post(
            "/items", #"{"sku":"\#(sku)","name":"Item \#(sku)","type":"\#(type)","unit_price":\#(price)\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw FixtureError("item: \(reply)") }
        return id
    }

    @discardableResult
    func warehouse(_ code: String) throws -> String {
        let reply = try admin.post("/warehouses", #"{"code":"\#(code)","name":"Warehouse \#(code)"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw FixtureError("warehouse: \(reply)") }
        return id
    }

    func adjust(_ item: String, _ warehouse: String, delta: String, client: APIClient? = nil) throws -> APIClient.Reply
    {
        try (client ?? admin).post(
            "/stock/adjustments",
            #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":\#(delta),"reason":"test"}"#)
    }

    /// Adds stock and fails the test if that did not work.
    func stock(_ item: String, _ warehouse: String, _ delta: String) throws {
        let reply = try adjust(item, warehouse, delta: delta)
        guard reply.status == 201 else { throw FixtureError("adjust: \(reply)") }
    }

    /// A client whose key belongs to a new user with `role`.
    func client(role: String) throws -> APIClient {
        let user = try admin.post(
            "/users",
            #"{"name":"\#(role) user","email":"\#(role)-\#(UUID().uuidString.prefix(8))@example.com","role":"\#(role)"}"#
        )
        guard let id = user["id"]?.stringValue else { throw FixtureError("user: \(user)") }
        let key = try admin.post("/users/\(id)/api-keys", #"{"name":"test"}"#)
        guard let text = key["key"]?.stringValue else { throw FixtureError("key: \(key)") }
        return app.client(key: text)
    }

    /// `on_hand`, `reserved`, `available` of one balance as `GET /stock` shows them.
    func level(_ item: String, _ warehouse: String) throws -> (onHand: String, reserved: String, available: String)? {
        let reply = try admin.get("/stock?item_id=\(item)&warehouse_id=\(warehouse)")
        guard let row = reply["data"]?.arrayValue?.first?.objectValue else { return nil }
        return (row["on_hand"]?.numberText ?? "", row["reserved"]?.numberText ?? "", row["available"]?.numberText ?? "")
    }

    /// Fails the test when the ledger identity does not hold.
    func expectLedgerConsistent(sourceLocation: SourceLocation = #_sourceLocation) throws {
        let violations = try StockLedger.violations(app.databaseURL)
        #expect(violations.isEmpty, "ledger identity broken: \(violations)", sourceLocation: sourceLocation)
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
