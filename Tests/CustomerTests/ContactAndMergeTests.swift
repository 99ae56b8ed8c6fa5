import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Contacts and `POST /customers/{id}/merge`.
@Suite struct ContactAndMergeTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    func customer(_ name: String, _ extra: String = "") throws -> String {
        let reply = try admin.post("/customers", #"{"name":"\#(name)"\#(extra)}"#)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("\(reply)") }
        return id
    }

    func contact(_ customer: String, _ body: String) throws -> String {
        let reply = try admin.post("/customers/\(customer)/contacts", body)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("\(reply)") }
        return id
    }

    func contacts(_ customer: String) throws -> [JSONValue] {
        try admin.get("/customers/\(customer)/contacts")["data"]?.arrayValue ?? []
    }

    @Test func contacts_crud_withOnePrimaryPerCustomer() throws {
        let id = try customer("Contacts Inc")
        let first = try contact(id, #"{"name":"Ann","email":"ann@contacts.example","is_primary":true}"#)
        let second = try contact(id, #"{"name":"Bob","role":"Buyer","is_primary":true}"#)
        var all = try contacts(id)
        #expect(all.count == 2)
        #expect(all.first { $0["id"]?.stringValue == first }?["is_primary"] == .bool(false))
        #expect(all.first { $0["id"]?.stringValue == second }?["is_primary"] == .bool(true))
        let promoted = try admin.patch("/customers/\(id)/contacts/\(first)", #"{"is_primary":true,"phone":"+1 555"}"#)
        #expect(promoted.status == 200)
        #expect(promoted["phone"] == "+1 555")
        all = try contacts(id)
        #expect(all.filter { $0["is_primary"] == .bool(true) }.count == 1)
        #expect(try admin.get("/customers/\(id)/contacts/\(first)")["name"] == "Ann")
        #expect(try admin.post("/customers/\(id)/contacts", #"{"name":"","email":"bad"}"#).status == 422)
        #expect(try admin.delete("/customers/\(id)/contacts/\(second)").status == 204)
        #expect(try contacts(id).count == 1)
        // A contact is reached only through its own customer.
        let other = try customer("Someone else")
        #expect(try admin.get("/customers/\(other)/contacts/\(first)").status == 404)
    }

    @Test func merge_movesContacts_archivesTheDuplicate_andRecordsIt() throws {
        let survivor = try customer("Keep Ltd", #","email":"keep@example.com""#)
        let duplicate = try customer("Keep Limited", #","email":"keep2@example.com""#)
        _ = try contact(survivor, #"{"name":"Primary here","is_primary":true}"#)
        _ = try contact(duplicate, #"{"name":"Primary there","is_primary":true}"#)
        _ = try contact(duplicate, #"{"name":"Also there"}"#)
        let merged = try admin.post("/customers/\(survivor)/merge", #"{"duplicate_id":"\#(duplicate)"}"#)
        #expect(merged.status == 200, "\(merged)")
        #expect(merged["moved"]?["contacts"] == .number("2"))
        #expect(merged["merged"]?["status"] == "archived")
        #expect(merged["merged"]?["merged_into_id"] == .string(survivor))
        let all = try contacts(survivor)
        #expect(all.count == 3)
        #expect(all.filter { $0["is_primary"] == .bool(true) }.count == 1)
        #expect(try contacts(duplicate).isEmpty)
        // The archived duplicate keeps its history and cannot change any more.
        #expect(try admin.patch("/customers/\(duplicate)", #"{"status":"active"}"#).code == "customer_merged")
        let types = try admin.get("/customers/\(survivor)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(types?.last == "customer.merged")
    }

    @Test func merge_intoItself_orWithAnArchivedCustomer_is409() throws {
        let a = try customer("Self")
        let itself = try admin.post("/customers/\(a)/merge", #"{"duplicate_id":"\#(a)"}"#)
        #expect(itself.status == 409)
        #expect(itself.code == "merge_not_allowed")
        let archived = try customer("Archived", #","status":"archived""#)
        #expect(try admin.post("/customers/\(a)/merge", #"{"duplicate_id":"\#(archived)"}"#).status == 409)
        #expect(try admin.post("/customers/\(archived)/merge", #"{"duplicate_id":"\#(a)"}"#).status == 409)
        let missing = try admin.post("/customers/\(a)/merge", #"{"duplicate_id":"\#(UUID().uuidString)"}"#)
        #expect(missing.status == 422)
        #expect(missing.text.contains("duplicate_id"))
    }

    @Test func concurrentCrossMerges_neverLoseBothCustomers() throws {
        // A merges B while B merges A: exactly one wins; the other sees an archived customer.
        // A table lock holds both requests at their first read until both are in flight, so the
        // two really overlap (run one after the other, they would pass even without row locks).
        let port = app.port, key = app.adminKey
        for round in 0..<5 {
            let a = try customer("Cross A\(round)")
            let b = try customer("Cross B\(round)")
            let outcomes = Outcomes()
            let gate = try TableLock("customers", databaseURL: app.databaseURL)
            let opened = Locked(false)
            Thread {
                opened.withLock { $0 = (try? gate.waitForWaiters(2)) ?? false }
                try? gate.release()
            }.start()
            concurrently(2) { index in
                let client = APIClient(port: port, key: key)
                let (into, from) = index == 0 ? (a, b) : (b, a)
                outcomes.record { try client.post("/customers/\(into)/merge", #"{"duplicate_id":"\#(from)"}"#) }
            }
            #expect(opened.withLock { $0 }, "round \(round): the merges never both waited at the gate")
            #expect(outcomes.errors == [])
            #expect(outcomes.statuses.sorted() == [200, 409], "round \(round)")
            let states = try [a, b].map { try admin.get("/customers/\($0)")["status"]?.stringValue }
            #expect(states.sorted { ($0 ?? "") < ($1 ?? "") } == ["active", "archived"], "round \(round)")
        }
        #expect(app.server.pool?.retries(.deadlockDetected) == 0)
    }
}
