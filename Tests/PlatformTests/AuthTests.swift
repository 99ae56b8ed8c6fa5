import Core
import Foundation
import Platform
import Routing
import TestSupport
import Testing

/// API keys and roles over HTTP against PostgreSQL.
@Suite struct AuthTests {
    let app: TestApp

    init() throws { app = try TestApp() }

    /// Creates a user with `role` and returns a key for them.
    func key(for role: Role) throws -> String {
        let admin = app.client()
        let user = try admin.post(
            "/users",
            #"{"name":"\#(role.rawValue) user","email":"\#(role.rawValue)-\#(UUID().uuidString)@example.com","role":"\#(role.rawValue)"}"#
        )
        #expect(user.status == 201, "\(user)")
        let id = try #require(user["id"]?.stringValue)
        let issued = try admin.post("/users/\(id)/api-keys", #"{"name":"test"}"#)
        #expect(issued.status == 201, "\(issued)")
        return try #require(issued["key"]?.stringValue)
    }

    @Test func missingKey_is401WithChallenge() throws {
        let reply = try app.client(key: "").get("/me")
        #expect(reply.status == 401)
        #expect(reply.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        #expect(reply.code == "unauthorized")
    }

    @Test func wrongSecret_is401() throws {
        let parts = app.adminKey.split(separator: "_")
        let forged = "ck_\(parts[1])_\(String(repeating: "A", count: 40))"
        #expect(try app.client(key: forged).get("/me").status == 401)
        #expect(try app.client(key: "not-a-key").get("/me").status == 401)
    }

    @Test func authorizationScheme_isCaseInsensitive_andOnlyBearerCounts() throws {
        let anonymous = app.client(key: "")
        for accepted in ["bearer \(app.adminKey)", "BEARER \(app.adminKey)", "Bearer   \(app.adminKey)"] {
            #expect(try anonymous.get("/me", headers: [("Authorization", accepted)]).status == 200, "\(accepted)")
        }
        for refused in ["Basic \(app.adminKey)", "Bearer", "Bearer ", app.adminKey, "Bearerx \(app.adminKey)"] {
            let reply = try anonymous.get("/me", headers: [("Authorization", refused)])
            #expect(reply.status == 401, "\(refused)")
            #expect(reply.code == "unauthorized")
        }
    }

    @Test func me_showsCallerAndRole() throws {
        let reply = try app.client().get("/me")
        #expect(reply.status == 200)
        #expect(reply["role"] == .string("admin"))
        #expect(reply["email"] == .string("admin@concord.local"))
    }

    @Test func revokedKey_is401AtOnce() throws {
        let key = try key(for: .sales)
        let client = app.client(key: key)
        #expect(try client.get("/me").status == 200)
        let keys = try app.client().get("/api-keys?limit=200")
        let entry = try #require(
            keys["data"]?.arrayValue?.first {
                $0.objectValue?["prefix"]?.stringValue == "ck_" + String(key.split(separator: "_")[1])
            })
        let id = try #require(entry.objectValue?["id"]?.stringValue)
        #expect(try app.client().delete("/api-keys/\(id)").status == 204)
        #expect(try client.get("/me").status == 401)
    }

    @Test func deactivatedUsersKey_is401() throws {
        let key = try key(for: .finance)
        let client = app.client(key: key)
        let me = try client.get("/me")
        let id = try #require(me["id"]?.stringValue)
        #expect(try app.client().patch("/users/\(id)", #"{"active":false}"#).status == 200)
        #expect(try client.get("/me").status == 401)
    }

    @Test(arguments: [Role.sales, .warehouse, .finance, .readonly])
    func nonAdminRoles_areRefusedUserAdministration_withPermissionNamed(_ role: Role) throws {
        let client = app.client(key: try key(for: role))
        #expect(try client.get("/me").status == 200)
        let list = try client.get("/users")
        #expect(list.status == 403)
        #expect(list["permission"] == .string("users.read"))
        #expect(list.text.contains("users.read"))
        #expect(try client.post("/users", #"{"name":"x","email":"x@example.com","role":"admin"}"#).status == 403)
        #expect(try client.get("/api-keys").status == 403)
    }

    @Test func keysAreStoredOnlyAsHashes() throws {
        let key = try key(for: .sales)
        let secret = String(key.split(separator: "_")[2])
        let found = try TestSQL.scalar(
            app.databaseURL,
            "SELECT count(*) FROM api_keys WHERE encode(secret_hash, 'escape') LIKE '%\(secret)%' OR prefix = '\(secret)'"
        )
        #expect(found == "0")
    }
}
