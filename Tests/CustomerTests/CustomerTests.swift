import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `/customers` over HTTP against PostgreSQL: fields, uniqueness, merge patches, lists.
@Suite struct CustomerTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    func create(_ body: String) throws -> APIClient.Reply {
        try admin.post("/customers", body)
    }

    func createID(_ body: String) throws -> String {
        let reply = try create(body)
        guard reply.status == 201, let id = reply["id"]?.stringValue else { throw TestFailure("create: \(reply)") }
        return id
    }

    @Test func create_fillsDefaults_andShowsEveryField() throws {
        let reply = try create(#"{"name":"Acme GmbH"}"#)
        #expect(reply.status == 201)
        let id = try #require(reply["id"]?.stringValue)
        #expect(reply.header("Location") == "/customers/\(id)")
        #expect(reply.header("ETag") == "\"1\"")
        #expect(reply["number"]?.stringValue?.hasPrefix("CUST-") == true)
        #expect(reply["number"]?.stringValue?.count == 11)
        #expect(reply["kind"] == "company")
        #expect(reply["tier"] == "standard")
        #expect(reply["status"] == "active")
        #expect(reply["payment_terms_days"] == .number("30"))
        #expect(reply["currency"] == "USD")
        #expect(reply["tags"] == .array([]))
        for field in [
            "email", "phone", "tax_id", "website", "billing_address", "shipping_address", "credit_limit", "owner_id",
            "external_ref", "merged_into_id",
        ] {
            #expect(reply[field] == .null, "\(field) should be present as null")
        }
    }

    @Test func get_byIdOrNumber_inAnySpelling() throws {
        let reply = try create(#"{"name":"Numbered"}"#)
        let id = try #require(reply["id"]?.stringValue)
        let number = try #require(reply["number"]?.stringValue)
        #expect(try admin.get("/customers/\(id)")["number"] == .string(number))
        #expect(try admin.get("/customers/\(number)")["id"] == .string(id))
        let digits = Int(number.dropFirst(5))!
        #expect(try admin.get("/customers/cust-\(digits)")["id"] == .string(id))
        #expect(try admin.get("/customers/CUST-999999").status == 404)
        #expect(try admin.get("/customers/INV-000001").status == 404)
    }

    @Test func numbers_areUniqueUnderConcurrentCreates() throws {
        let port = app.port, key = app.adminKey
        let numbers = Locked<[String]>([])
        let outcomes = Outcomes()
        concurrently(20) { index in
            let client = APIClient(port: port, key: key)
            if let reply = outcomes.record({ try client.post("/customers", #"{"name":"Parallel \#(index)"}"#) }),
                let number = reply["number"]?.stringValue
            {
                numbers.withLock { $0.append(number) }
            }
        }
        #expect(outcomes.errors == [])
        let all = numbers.withLock { $0 }
        #expect(all.count == 20)
        #expect(Set(all).count == 20)
    }

    @Test func duplicateEmail_is409_caseInsensitively_namingTheExistingCustomer() throws {
        let first = try create(#"{"name":"Ann","kind":"person","email":"Ann@Example.com"}"#)
        let again = try create(#"{"name":"Ann again","email":"ann@example.COM"}"#)
        #expect(again.status == 409)
        #expect(again.code == "duplicate_customer")
        let candidate = try #require(again["candidates"]?.arrayValue?.first)
        #expect(candidate["id"] == first["id"])
        #expect(candidate["number"] == first["number"])
        #expect(candidate["matched_on"] == "email")
        #expect(again.text.contains(#""field":"email""#))
    }

    @Test func duplicateTaxIdAndExternalRef_are409() throws {
        _ = try createID(#"{"name":"Taxed","tax_id":"DE123456789","external_ref":"crm-1"}"#)
        let tax = try create(#"{"name":"Other","tax_id":"de123456789"}"#)
        #expect(tax.status == 409)
        #expect(tax["candidates"]?[0]?["matched_on"] == "tax_id")
        let ref = try create(#"{"name":"Other","external_ref":"crm-1"}"#)
        #expect(ref.status == 409)
        #expect(ref["candidates"]?[0]?["matched_on"] == "external_ref")
        // Absent values are not duplicates of each other.
        #expect(try create(#"{"name":"No tax 1"}"#).status == 201)
        #expect(try create(#"{"name":"No tax 2"}"#).status == 201)
    }

    @Test func concurrentCreates_withOneEmail_makeOneCustomer_andClear409s() throws {
        let port = app.port, key = app.adminKey
        let outcomes = Outcomes()
        concurrently(12) { _ in
            let client = APIClient(port: port, key: key)
            outcomes.record { try client.post("/customers", #"{"name":"Race","email":"race@example.com"}"#) }
        }
        #expect(outcomes.errors == [])
        let all = outcomes.statuses
        #expect(all.filter { $0 == 201 }.count == 1)
        #expect(all.filter { $0 == 409 }.count == 11, "\(all)")
    }

    @Test func invalidFields_are422_withEveryFieldNamed() throws {
        let reply = try create(
            """
            {"name":"","email":"nope","currency":"XXX","credit_limit":-1,"payment_terms_days":9999,
             "billing_address":{"country":"Germany"},"tags":["\(String(repeating: "t", count: 51))"]}
            """)
        #expect(reply.status == 422)
        for field in [
            "name", "email", "currency", "credit_limit", "payment_terms_days", "billing_address.country", "tags[0]",
        ] {
            #expect(reply.text.contains(#""field":"\#(field)""#), "\(field) in \(reply.text)")
        }
        #expect(try create(#"{"name":"x","kind":"robot"}"#).status == 422)
        #expect(try create(#"{"name":"x","credit_limit":9007199254740992}"#).status == 422)
        #expect(
            try create(#"{"name":"x","owner_id":"00000000-0000-0000-0000-000000000001"}"#).text.contains("owner_id"))
    }

    @Test func unknownAndReadOnlyFields_areNamed() throws {
        let unknown = try create(#"{"name":"x","emial":"a@b.co"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.code == "unknown_field")
        let readOnly = try create(#"{"name":"x","number":"CUST-000001"}"#)
        #expect(readOnly.code == "read_only_field")
    }

    @Test func patch_isAMergePatch_nestedAndWithNullsClearing() throws {
        let id = try createID(
            """
            {"name":"Patchy","email":"patchy@example.com","billing_address":{"line1":"1 Main St","city":"Springfield","country":"US"}}
            """)
        let patched = try admin.patch(
            "/customers/\(id)", #"{"email":null,"billing_address":{"city":"Shelbyville"},"tier":"gold"}"#)
        #expect(patched.status == 200)
        #expect(patched["email"] == .null)
        #expect(patched["tier"] == "gold")
        #expect(patched["billing_address"]?["line1"] == "1 Main St")
        #expect(patched["billing_address"]?["city"] == "Shelbyville")
        #expect(patched.header("ETag") == "\"2\"")
        // Required fields cannot be removed.
        #expect(try admin.patch("/customers/\(id)", #"{"name":null}"#).status == 422)
        #expect(try admin.patch("/customers/\(id)", #"{"version":5}"#).code == "read_only_field")
        #expect(try admin.patch("/customers/\(id)", #"{"nmae":"x"}"#).code == "unknown_field")
    }

    @Test func patch_thatChangesNothing_keepsTheVersion() throws {
        let id = try createID(#"{"name":"Same","tags":["a"]}"#)
        let reply = try admin.patch("/customers/\(id)", #"{"name":"Same","tags":["a"]}"#)
        #expect(reply.status == 200)
        #expect(reply.header("ETag") == "\"1\"")
    }

    @Test func patch_withStaleIfMatch_is412_andToATakenEmail_is409() throws {
        _ = try createID(#"{"name":"Holder","email":"taken@example.com"}"#)
        let id = try createID(#"{"name":"Mover"}"#)
        #expect(try admin.patch("/customers/\(id)", #"{"phone":"1"}"#, headers: [("If-Match", "\"1\"")]).status == 200)
        let stale = try admin.patch("/customers/\(id)", #"{"phone":"2"}"#, headers: [("If-Match", "\"1\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"] == .number("2"))
        let taken = try admin.patch("/customers/\(id)", #"{"email":"TAKEN@example.com"}"#)
        #expect(taken.status == 409)
        #expect(taken.code == "duplicate_customer")
    }

    @Test func list_filters_byStatusTierTagOwnerAndExternalRef() throws {
        let owner = try app.userID()
        let gold = try createID(
            #"{"name":"Gold one","tier":"gold","tags":["vip","eu"],"owner_id":"\#(owner)","external_ref":"ext-9"}"#)
        let blocked = try createID(#"{"name":"Blocked one","status":"blocked"}"#)
        _ = try createID(#"{"name":"Plain one"}"#)
        func ids(_ query: String) throws -> [String] {
            let reply = try admin.get("/customers?\(query)")
            #expect(reply.status == 200, "\(reply)")
            return reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try ids("tier=gold") == [gold])
        #expect(try ids("tag=vip") == [gold])
        #expect(try ids("owner_id=\(owner)") == [gold])
        #expect(try ids("external_ref=ext-9") == [gold])
        #expect(try ids("status=blocked") == [blocked])
        #expect(try admin.get("/customers?status=gone").status == 400)
        #expect(try admin.get("/customers?colour=red").status == 400)
    }

    @Test func search_findsByNameEmailNumberAndTaxId_caseInsensitively() throws {
        let hit = try create(#"{"name":"Zebra Logistics","email":"ops@zebra-log.example","tax_id":"GB99887766"}"#)
        let id = try #require(hit["id"]?.stringValue)
        _ = try createID(#"{"name":"Other Company"}"#)
        let number = try #require(hit["number"]?.stringValue)
        for q in ["zebra", "LOGISTICS", "ops@zebra", "gb9988", number.lowercased()] {
            let reply = try admin.get("/customers?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            let ids = reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            #expect(ids == [id], "q=\(q) → \(ids)")
        }
        // Wildcards in the search text are literal.
        #expect(try admin.get("/customers?q=%25").json["data"] == .array([]))
    }

    /// A search with a long run of digits reads the index for the digits only; the rows found
    /// must be exactly those holding the whole text, case-insensitively and with `%` and `_`
    /// literal.
    @Test func search_withDigits_findsExactlyTheRowsHoldingTheWholeText() throws {
        let hit = try createID(#"{"name":"Row_2468 Traders","email":"Desk.2468@Traders.example"}"#)
        let alsoDigits = try createID(#"{"name":"Rowx2468 Traders","email":"desk-2468@other.example"}"#)
        _ = try createID(#"{"name":"Nothing 1357"}"#)
        func ids(_ q: String) throws -> Set<String> {
            let reply = try admin.get("/customers?q=\(q.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)")
            #expect(reply.status == 200, "\(reply)")
            return Set(reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? [])
        }
        #expect(try ids("DESK.2468@traders") == [hit])
        #expect(try ids("row_2468") == [hit])
        #expect(try ids("2468 traders") == [hit, alsoDigits])
        #expect(try ids("desk%2468") == [])
        #expect(try ids("desk.24689") == [])
        #expect(try ids("2468") == [hit, alsoDigits])
        // Found by id first, the rows still page in the list's order, each once.
        #expect(try walk("q=2468&limit=1", field: "id") == [hit, alsoDigits])
        #expect(try ids("2468&status=blocked") == [])
    }

    @Test func search_usesTheTrigramIndex_atScale() throws {
        try TestSQL.execute(
            app.databaseURL,
            """
            INSERT INTO customers (name, kind, email, tier, payment_terms_days, currency, status)
            SELECT 'Customer ' || g, 'company', 'c' || g || '@example.com', 'standard', 30, 'USD', 'active'
            FROM generate_series(1, 20000) AS g;
            ANALYZE customers;
            """)
        let fullPlan = try TestSQL.lines(
            app.databaseURL,
            """
            EXPLAIN SELECT id FROM customers WHERE search_text LIKE '%c1234@exa%' ORDER BY created_at, id LIMIT 51
            """
        ).joined(separator: "\n")
        #expect(fullPlan.contains("customers_search_idx"), "\(fullPlan)")
        let reply = try admin.get("/customers?q=c1234%40exa")
        #expect(reply["data"]?.arrayValue?.count == 1)
    }

    /// `field` of every customer `/customers?query` lists, following `next_cursor` to the end
    /// (at most 20 pages, so a cursor that never ends fails instead of hanging).
    func walk(_ query: String, field: String) throws -> [String] {
        var seen: [String] = []
        var cursor: String? = nil
        var pages = 0
        repeat {
            let reply = try admin.get("/customers?\(query)" + (cursor.map { "&cursor=\($0)" } ?? ""))
            #expect(reply.status == 200, "\(reply)")
            seen += reply["data"]?.arrayValue?.compactMap { $0[field]?.stringValue } ?? []
            cursor = reply["next_cursor"]?.stringValue
            pages += 1
        } while cursor != nil && pages < 20
        #expect(cursor == nil, "more than 20 pages of \(query)")
        return seen
    }

    @Test func list_sortsByName_bothWays_andPagesWithoutGaps() throws {
        for name in ["delta", "Alpha", "charlie", "Bravo", "echo"] { _ = try createID(#"{"name":"\#(name)"}"#) }
        func names(_ sort: String) throws -> [String] { try walk("sort=\(sort)&limit=2", field: "name") }
        #expect(try names("name") == ["Alpha", "Bravo", "charlie", "delta", "echo"])
        #expect(try names("-name") == ["echo", "delta", "charlie", "Bravo", "Alpha"])
        #expect(try admin.get("/customers?sort=colour").status == 400)
        let first = try admin.get("/customers?sort=name&limit=2")
        let cursor = try #require(first["next_cursor"]?.stringValue)
        #expect(try admin.get("/customers?sort=-name&limit=2&cursor=\(cursor)").code == "invalid_cursor")
    }

    @Test func roles_everyoneReads_onlySalesAndAdminWrite() throws {
        let id = try createID(#"{"name":"Shared"}"#)
        for role in ["warehouse", "finance", "readonly"] {
            let client = app.client(key: try app.key(forRole: role))
            #expect(try client.get("/customers/\(id)").status == 200)
            #expect(try client.post("/customers", #"{"name":"Nope"}"#).status == 403)
            #expect(try client.patch("/customers/\(id)", #"{"name":"Nope"}"#).status == 403)
        }
        let sales = app.client(key: try app.key(forRole: "sales"))
        #expect(try sales.post("/customers", #"{"name":"By sales"}"#).status == 201)
    }

    @Test func delete_withoutDocuments_removesIt() throws {
        let id = try createID(#"{"name":"Short lived"}"#)
        _ = try admin.post("/customers/\(id)/contacts", #"{"name":"Gone too"}"#)
        #expect(try admin.delete("/customers/\(id)", headers: [("If-Match", "\"7\"")]).status == 412)
        #expect(try admin.delete("/customers/\(id)").status == 204)
        #expect(try admin.get("/customers/\(id)").status == 404)
    }

    @Test func history_listsCreateAndUpdate_withTheActor() throws {
        let id = try createID(#"{"name":"Historic"}"#)
        _ = try admin.patch("/customers/\(id)", #"{"tier":"silver"}"#)
        let history = try admin.get("/customers/\(id)/history")
        let types = history["data"]?.arrayValue?.compactMap { $0["type"]?.stringValue }
        #expect(types == ["customer.created", "customer.updated"])
        #expect(history["data"]?[1]?["actor"]?["user_id"]?.stringValue != nil)
        #expect(history["data"]?[1]?["data"]?["tier"] == "silver")
    }
}
