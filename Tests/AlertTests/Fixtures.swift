import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Warehouses, items, orders and invoices made through the API for the alert tests.
struct AlertFixture {
    let app: TestApp
    let admin: APIClient
    let warehouse: String

    init(_ app: TestApp) throws {
        self.app = app
        admin = app.client()
        let reply = try admin.post("/warehouses", #"{"code":"WH-\#(UUID().uuidString.prefix(6))","name":"Main"}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("warehouse: \(reply)") }
        warehouse = id
    }
}
