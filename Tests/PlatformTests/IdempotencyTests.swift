import Core
import Foundation
import Routing
import Synchronization
import TestSupport
import Testing

/// `Idempotency-Key` on POST over HTTP.
@Suite struct IdempotencyTests {
    let app: TestApp

    init() throws { app = try TestApp() }

    @Test func repeat_withSameBody_replaysFirstResponse() throws {
        let client = app.client()
        let body = #"{"name":"Ida","email":"ida@example.com","role":"sales"}"#
        let first = try client.post("/users", body, headers: [("Idempotency-Key", "k-1")])
        #expect(first.status == 201)
        let second = try client.post("/users", body, headers: [("Idempotency-Key", "k-1")])
        #expect(second.status == 201)
        #expect(second.header("Idempotent-Replayed") == "true")
        #expect(second["id"] == first["id"])
        #expect(second.header("Location") == first.header("Location"))
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM users WHERE email = 'ida@example.com'") == "1")
    }

    @Test func sameKey_withOtherBody_is422() throws {
        let client = app.client()
        _ = try client.post(
            "/users", #"{"name":"A","email":"a1@example.com","role":"sales"}"#, headers: [("Idempotency-Key", "k-2")])
        let other = try client.post(
            "/users", #"{"name":"B","email":"b1@example.com","role":"sales"}"#, headers: [("Idempotency-Key", "k-2")])
        #expect(other.status == 422)
        #expect(other.code == "idempotency_key_reused")
    }

    @Test func clientErrors_areStoredAndReplayed() throws {
        let client = app.client()
        let bad = #"{"name":"","email":"x@example.com","role":"sales"}"#
        let first = try client.post("/users", bad, headers: [("Idempotency-Key", "k-3")])
        #expect(first.status == 422)
        let again = try client.post("/users", bad, headers: [("Idempotency-Key", "k-3")])
        #expect(again.status == 422)
        #expect(again.header("Idempotent-Replayed") == "true")
    }

    @Test func keysAreScopedPerAPIKey() throws {
        let admin = app.client()
        let body = #"{"name":"S","email":"scoped@example.com","role":"admin"}"#
        let user = try admin.post("/users", body)
        let id = try #require(user["id"]?.stringValue)
        let otherKey = try #require(try admin.post("/users/\(id)/api-keys", #"{"name":"k"}"#)["key"]?.stringValue)
        let one = try admin.post(
            "/users", #"{"name":"X","email":"x1@example.com","role":"sales"}"#, headers: [("Idempotency-Key", "shared")]
        )
        let two = try app.client(key: otherKey).post(
            "/users", #"{"name":"Y","email":"y1@example.com","role":"sales"}"#,
            headers: [("Idempotency-Key", "shared")])
        #expect(one.status == 201)
        #expect(two.status == 201)
        #expect(two.header("Idempotent-Replayed") == nil)
    }

    @Test func concurrentRequests_withSameKey_doTheWorkOnce() throws {
        let body = #"{"name":"Con","email":"con@example.com","role":"sales"}"#
        let outcomes = Mutex<[String]>([])
        concurrently(12) { _ in
            do {
                let reply = try app.client().post("/users", body, headers: [("Idempotency-Key", "same-key")])
                outcomes.withLock {
                    $0.append(reply.status == 201 || reply.status == 409 ? "\(reply.status)" : "\(reply)")
                }
            } catch {
                outcomes.withLock { $0.append("error \(error)") }
            }
        }
        let all = outcomes.withLock { $0 }
        // Exactly one request did the work; the rest were replays (201) or told to wait (409).
        #expect(all.allSatisfy { $0 == "201" || $0 == "409" }, "\(all)")
        #expect(
            try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM users WHERE email = 'con@example.com'") == "1")
        #expect(
            try TestSQL.scalar(
                app.databaseURL,
                "SELECT count(*) FROM events WHERE type = 'user.created' AND data->>'email' = 'con@example.com'") == "1"
        )
    }

    @Test func malformedKey_is400() throws {
        let reply = try app.client().post(
            "/users", "{}", headers: [("Idempotency-Key", String(repeating: "k", count: 300))])
        #expect(reply.status == 400)
    }
}
