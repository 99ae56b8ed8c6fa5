import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `GET /audit`: who changed what, when — for admins.
@Suite struct AuditTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    @Test func audit_filtersByUserResourceAndTime_andPages() throws {
        let salesKey = try app.key(forRole: "sales")
        let sales = app.client(key: salesKey)
        let me = try sales.get("/me")
        let userID = try #require(me["id"]?.stringValue)
        let keyID = try #require(me["api_key_id"]?.stringValue)
        let before = ISO8601DateFormatter().string(from: Date().addingTimeInterval(-1))
        let customer = try #require(try sales.post("/customers", #"{"name":"Audited"}"#)["id"]?.stringValue)
        _ = try sales.patch("/customers/\(customer)", #"{"tier":"gold"}"#)
        _ = try sales.post("/leads", #"{"name":"Also audited"}"#)
        _ = try admin.post("/customers", #"{"name":"By the admin"}"#)

        let mine = try admin.get("/audit?user_id=\(userID)")
        #expect(mine.status == 200, "\(mine)")
        let entries = mine["data"]?.arrayValue ?? []
        #expect(
            entries.compactMap { $0["type"]?.stringValue } == ["customer.created", "customer.updated", "lead.created"])
        #expect(entries.allSatisfy { $0["actor"]?["api_key_id"] == .string(keyID) })
        let customers =
            try admin.get("/audit?user_id=\(userID)&resource=customer&resource_id=\(customer)")["data"]?.arrayValue
            ?? []
        #expect(customers.count == 2)
        let updates = try admin.get("/audit?action=customer.updated&user_id=\(userID)")["data"]?.arrayValue ?? []
        #expect(updates.first?["data"]?["tier"] == "gold")
        #expect(try admin.get("/audit?user_id=\(userID)&from=\(before)")["data"]?.arrayValue?.count == 3)
        #expect(try admin.get("/audit?user_id=\(userID)&to=\(before)")["data"]?.arrayValue?.isEmpty == true)
        let first = try admin.get("/audit?user_id=\(userID)&limit=2&sort=-occurred_at")
        #expect(first["data"]?[0]?["type"] == "lead.created")
        let cursor = try #require(first["next_cursor"]?.stringValue)
        #expect(
            try admin.get("/audit?user_id=\(userID)&limit=2&sort=-occurred_at&cursor=\(cursor)")["data"]?[0]?["type"]
                == "customer.created")
        #expect(try sales.get("/audit").status == 403)
        #expect(try admin.get("/audit?from=yesterday").status == 400)
    }
}
