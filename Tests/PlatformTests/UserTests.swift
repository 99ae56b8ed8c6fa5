import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `/users` and `/api-keys`: validation, versions, pagination, events.
@Suite struct UserTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    func createUser(_ email: String, role: String = "sales") throws -> APIClient.Reply {
        try admin.post("/users", #"{"name":"Someone","email":"\#(email)","role":"\#(role)"}"#)
    }

    @Test func create_returns201WithLocationAndETag() throws {
        let reply = try createUser("ann@example.com")
        #expect(reply.status == 201)
        let id = try #require(reply["id"]?.stringValue)
        #expect(reply.header("Location") == "/users/\(id)")
        #expect(reply.header("ETag") == "\"1\"")
        #expect(reply["active"] == .bool(true))
        #expect(reply["created_at"]?.stringValue?.hasSuffix("Z") == true)
    }

    @Test func duplicateEmail_isConflict_caseInsensitively() throws {
        #expect(try createUser("Bob@Example.com").status == 201)
        let again = try createUser("bob@example.COM")
        #expect(again.status == 409)
        #expect(again.code == "duplicate_user")
    }

    @Test func invalidFields_are422WithFieldPaths() throws {
        let reply = try admin.post("/users", #"{"name":"","email":"nope","role":"king"}"#)
        #expect(reply.status == 422)
        #expect(reply.text.contains("role"))
        let fields = try admin.post("/users", #"{"name":"","email":"nope","role":"sales"}"#)
        #expect(fields.status == 422)
        #expect(fields.text.contains(#""field":"name""#))
        #expect(fields.text.contains(#""field":"email""#))
    }

    @Test func unknownAndReadOnlyFields_areNamed() throws {
        let unknown = try admin.post("/users", #"{"name":"a","email":"a@example.com","role":"sales","rolle":"x"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.code == "unknown_field")
        let readOnly = try admin.post(
            "/users",
            #"{"id":"00000000-0000-0000-0000-000000000000","name":"a","email":"a@example.com","role":"sales"}"#)
        #expect(readOnly.status == 422)
        #expect(readOnly.code == "read_only_field")
    }

    @Test func patch_withStaleIfMatch_is412WithCurrentVersion() throws {
        let id = try #require(try createUser("cat@example.com")["id"]?.stringValue)
        let first = try admin.patch("/users/\(id)", #"{"role":"finance"}"#, headers: [("If-Match", "\"1\"")])
        #expect(first.status == 200)
        #expect(first.header("ETag") == "\"2\"")
        let stale = try admin.patch("/users/\(id)", #"{"role":"sales"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"] == .number("2"))
        #expect(stale.header("ETag") == "\"2\"")
    }

    @Test func get_withMatchingIfNoneMatch_is304() throws {
        let id = try #require(try createUser("dan@example.com")["id"]?.stringValue)
        let fresh = try admin.get("/users/\(id)", headers: [("If-None-Match", "\"1\"")])
        #expect(fresh.status == 304)
        #expect(fresh.body.isEmpty)
        #expect(try admin.get("/users/\(id)", headers: [("If-None-Match", "\"7\"")]).status == 200)
    }

    @Test func list_pagesWithKeysetCursor_withoutDuplicatesOrGaps() throws {
        for index in 0..<7 { _ = try createUser("page\(index)@example.com") }
        var seen: [String] = []
        var cursor: String? = nil
        repeat {
            let path = "/users?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
            let page = try admin.get(path)
            #expect(page.status == 200)
            for user in page["data"]?.arrayValue ?? [] { seen.append(user.objectValue?["id"]?.stringValue ?? "") }
            cursor = page["next_cursor"]?.stringValue
        } while cursor != nil
        #expect(seen.count == 8)  // seven plus the admin
        #expect(Set(seen).count == 8)
    }

    @Test func list_limitRules() throws {
        #expect(try admin.get("/users?limit=0").status == 400)
        #expect(try admin.get("/users?limit=500").status == 200)
        #expect(try admin.get("/users?cursor=garbage").code == "invalid_cursor")
        #expect(try admin.get("/users?color=red").code == "unknown_parameter")
    }

    @Test func cursorReusedWithOtherFilters_is400() throws {
        // Keys of two users, so a one-key page has a real cursor to reuse.
        var owners: [String] = []
        for index in 0..<2 {
            let id = try #require(try createUser("filter\(index)@example.com")["id"]?.stringValue)
            #expect(try admin.post("/users/\(id)/api-keys", #"{"name":"k"}"#).status == 201)
            owners.append(id)
        }
        let page = try admin.get("/api-keys?limit=1")
        let cursor = try #require(page["next_cursor"]?.stringValue, "\(page)")
        #expect(try admin.get("/api-keys?limit=1&cursor=\(cursor)").status == 200)
        let other = try admin.get("/api-keys?limit=1&user_id=\(owners[1])&cursor=\(cursor)")
        #expect(other.status == 400, "\(other)")
        #expect(other.code == "invalid_cursor")
    }

    @Test func patchWithIfNoneMatch_stillAnswersTheNewRepresentation() throws {
        let id = try #require(try createUser("ines@example.com")["id"]?.stringValue)
        let patched = try admin.patch("/users/\(id)", #"{"name":"Ines"}"#, headers: [("If-None-Match", "\"2\"")])
        #expect(patched.status == 200)
        #expect(patched["name"]?.stringValue == "Ines")
        #expect(try admin.get("/users/\(id)", headers: [("If-None-Match", "\"2\"")]).status == 304)
    }

    @Test func newKeysLocation_answersTheKey_withoutItsSecret() throws {
        let id = try #require(try createUser("kim@example.com")["id"]?.stringValue)
        let created = try admin.post("/users/\(id)/api-keys", #"{"name":"laptop"}"#)
        let location = try #require(created.header("Location"))
        let key = try admin.get(location)
        #expect(key.status == 200)
        #expect(key["name"]?.stringValue == "laptop")
        #expect(key["key"] == nil)
        #expect(!key.text.contains(try #require(created["key"]?.stringValue)))
        #expect(try admin.get("/api-keys/\(UUID().uuidString.lowercased())").status == 404)
    }

    @Test func patchThatChangesNothing_keepsTheVersion_andAppendsNoEvent() throws {
        let id = try #require(try createUser("noop@example.com")["id"]?.stringValue)
        let same = try admin.patch("/users/\(id)", #"{"email":"noop@example.com"}"#)
        #expect(same.status == 200)
        #expect(same.header("ETag") == "\"1\"")
        #expect(try admin.patch("/users/\(id)", "{}").header("ETag") == "\"1\"")
        let history = try admin.get("/users/\(id)/history")
        #expect(history["data"]?.arrayValue?.count == 1)
    }

    @Test func revokingAKey_honoursIfMatch_andTwiceChangesNothing() throws {
        let id = try #require(try createUser("rev@example.com")["id"]?.stringValue)
        let created = try admin.post("/users/\(id)/api-keys", #"{"name":"ci"}"#)
        let location = try #require(created.header("Location"))
        let secret = try #require(created["key"]?.stringValue)
        #expect(try admin.get(location).header("ETag") == "\"1\"")
        let stale = try admin.delete(location, headers: [("If-Match", "\"7\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"]?.numberText == "1")
        #expect(try APIClient(port: app.port, key: secret).get("/me").status == 200)
        #expect(try admin.delete(location, headers: [("If-Match", "\"1\"")]).status == 204)
        #expect(try APIClient(port: app.port, key: secret).get("/me").status == 401)
        #expect(try admin.delete(location).status == 204)
        #expect(try admin.get(location).header("ETag") == "\"2\"")
    }

    @Test func history_listsOneUsersEvents_inOrder() throws {
        let id = try #require(try createUser("hal@example.com")["id"]?.stringValue)
        _ = try admin.patch("/users/\(id)", #"{"name":"Hal"}"#)
        _ = try createUser("other@example.com")
        let history = try admin.get("/users/\(id)/history")
        #expect(history.status == 200)
        let types = history["data"]?.arrayValue?.compactMap { $0.objectValue?["type"]?.stringValue }
        #expect(types == ["user.created", "user.updated"])
        #expect(try admin.get("/users/\(UUID().uuidString.lowercased())/history").status == 404)
        let sales = try #require(try createUser("sal@example.com")["id"]?.stringValue)
        let salesKey = try #require(try admin.post("/users/\(sales)/api-keys", #"{"name":"k"}"#)["key"]?.stringValue)
        #expect(try APIClient(port: app.port, key: salesKey).get("/users/\(id)/history").status == 403)
    }

    @Test func writes_appendEventsAndHistory() throws {
        let id = try #require(try createUser("eve@example.com")["id"]?.stringValue)
        _ = try admin.patch("/users/\(id)", #"{"name":"Eve"}"#)
        #expect(try eventually { try admin.get("/events?types=user.updated")["data"]?.arrayValue?.count == 1 })
        let feed = try admin.get("/events?types=user.created,user.updated")
        let types = feed["data"]?.arrayValue?.compactMap { $0.objectValue?["type"]?.stringValue } ?? []
        #expect(types.contains("user.created"))
        #expect(types.contains("user.updated"))
        let sequences =
            feed["data"]?.arrayValue?.compactMap { $0.objectValue?["sequence"]?.numberText.flatMap(Int.init) ?? nil }
            ?? []
        #expect(sequences == sequences.sorted())
    }

    @Test func sqlInjectionAttempts_stayData() throws {
        let name = "Robert'); DROP TABLE users; --"
        let reply = try admin.post("/users", #"{"name":"\#(name)","email":"bobby@example.com","role":"sales"}"#)
        #expect(reply.status == 201)
        #expect(reply["name"] == .string(name))
        #expect(try admin.get("/users/'%20OR%201=1--").status == 404)
        #expect(try admin.get("/api-keys?user_id=1%27%20OR%20%271%27=%271").status == 400)
        #expect(try admin.get("/users?cursor=JyBPUiAxPTEgLS0").status == 400)
        #expect(try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM users") == "2")
    }
}
