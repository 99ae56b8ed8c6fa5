import Foundation
import Routing
import TestSupport
import Testing

/// API keys as an admin and a key holder see them: `prefix` is the literal start of the key,
/// and a key may carry its own rate limit.
@Suite struct APIKeyTests {
    /// Creates a user with `role` and returns its id.
    static func user(_ admin: APIClient, role: String = "sales") throws -> String {
        let user = try admin.post(
            "/users", #"{"name":"Key holder","email":"holder-\#(UUID().uuidString)@example.com","role":"\#(role)"}"#)
        guard user.status == 201, let id = user["id"]?.stringValue else { throw TestFailure("user: \(user)") }
        return id
    }

    @Test func prefix_isTheLiteralStartOfTheKey_inCreateListGetMeAndAudit() throws {
        let app = try TestApp()
        let admin = app.client()
        let userID = try Self.user(admin)
        let issued = try admin.post("/users/\(userID)/api-keys", #"{"name":"sync"}"#)
        #expect(issued.status == 201)
        let key = try #require(issued["key"]?.stringValue)
        let prefix = try #require(issued["prefix"]?.stringValue)
        let keyID = try #require(issued["id"]?.stringValue)
        #expect(prefix.hasPrefix("ck_") && prefix.count == 11)
        #expect(key.hasPrefix(prefix + "_"))

        #expect(try admin.get("/api-keys/\(keyID)")["prefix"]?.stringValue == prefix)
        let listed = try admin.get("/api-keys?user_id=\(userID)")["data"]?.arrayValue ?? []
        #expect(listed.map { $0["prefix"]?.stringValue } == [prefix])
        #expect(try app.client(key: key).get("/me")["api_key_prefix"]?.stringValue == prefix)
        let audit = try admin.get("/audit?resource=api_key&resource_id=\(keyID)")["data"]?.arrayValue ?? []
        #expect(audit.first?["data"]?["prefix"]?.stringValue == prefix)

        // Someone holding a leaked key finds its record by the key's start, or the whole key.
        for search in [prefix, key] {
            let found = try admin.get("/api-keys?prefix=\(search)")["data"]?.arrayValue ?? []
            #expect(found.map { $0["id"]?.stringValue } == [keyID], "\(search)")
        }
        #expect(try admin.get("/api-keys?prefix=ck_00000000")["data"]?.arrayValue?.isEmpty == true)
        #expect(try admin.get("/api-keys?prefix=nonsense").status == 400)
    }

    @Test func rateLimitPerSecond_setOnCreate_changedByPatch_andEnforcedPerKey() throws {
        let app = try TestApp()  // the installation's limit is off in tests
        let admin = app.client()
        let userID = try Self.user(admin)
        let issued = try admin.post("/users/\(userID)/api-keys", #"{"name":"script","rate_limit_per_second":2}"#)
        #expect(issued.status == 201, "\(issued)")
        #expect(issued["rate_limit_per_second"] == 2)
        let key = try #require(issued["key"]?.stringValue)
        let keyID = try #require(issued["id"]?.stringValue)
        let holder = app.client(key: key)
        // Its own limit: 2 per second, 2 at once.
        #expect(try holder.get("/customers").header("RateLimit-Policy") == "2;w=1")
        #expect(try holder.get("/customers").status == 200)
        let refused = try holder.get("/customers")
        #expect(refused.status == 429)
        #expect(refused.code == "rate_limited")
        // Keys without their own limit follow the installation's (off here).
        #expect(try admin.get("/me").header("RateLimit") == nil)

        let bad = try admin.post("/users/\(userID)/api-keys", #"{"name":"x","rate_limit_per_second":0}"#)
        #expect(bad.status == 422)
        #expect(bad["errors"]?[0]?["field"] == "rate_limit_per_second")
        #expect(try admin.post("/users/\(userID)/api-keys", #"{"name":"x","rate_limit_per_second":1.5}"#).status == 422)

        // PATCH: the key's own limit (and name); null returns it to the installation's.
        let raised = try admin.patch(
            "/users/\(userID)/api-keys/\(keyID)", #"{"rate_limit_per_second":1000}"#, headers: [("If-Match", "\"1\"")])
        #expect(raised.status == 200, "\(raised)")
        #expect(raised["rate_limit_per_second"] == 1000)
        #expect(raised.header("ETag") == "\"2\"")
        usleep(600_000)
        for _ in 0..<20 { #expect(try holder.get("/me").status == 200) }
        #expect(try holder.get("/me").header("RateLimit-Policy") == "1000;w=1")
        #expect(
            try admin.patch("/users/\(userID)/api-keys/\(keyID)", #"{"name":"y"}"#, headers: [("If-Match", "\"1\"")])
                .status == 412)
        #expect(try admin.patch("/users/\(userID)/api-keys/\(keyID)", #"{"rate_limit_per_second":-1}"#).status == 422)
        #expect(try admin.patch("/users/\(userID)/api-keys/\(keyID)", #"{"prefix":"ck_x"}"#).code == "read_only_field")
        #expect(try admin.patch("/users/\(userID)/api-keys/\(keyID)", #"{"limit":5}"#).code == "unknown_field")
        let reset = try admin.patch(
            "/users/\(userID)/api-keys/\(keyID)", #"{"rate_limit_per_second":null,"name":"renamed"}"#)
        #expect(reset["rate_limit_per_second"] == .null)
        #expect(reset["name"] == "renamed")
        #expect(try holder.get("/me").header("RateLimit") == nil)
        // The key of another user, or a key that does not exist, is a 404; so is a non-admin caller's attempt a 403.
        let otherUser = try Self.user(admin)
        #expect(try admin.patch("/users/\(otherUser)/api-keys/\(keyID)", #"{"name":"z"}"#).status == 404)
        #expect(try admin.patch("/users/\(userID)/api-keys/\(UUID().uuidString)", #"{"name":"z"}"#).status == 404)
        #expect(try holder.patch("/users/\(userID)/api-keys/\(keyID)", #"{"name":"z"}"#).status == 403)
        let history = try admin.get("/audit?resource=api_key&resource_id=\(keyID)")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(history == ["api_key.created", "api_key.updated", "api_key.updated"])
    }
}
