import Core
import Foundation
import TestSupport
import Testing

/// Data permissions over HTTP against PostgreSQL (API.md "Permissions"): teams T1 and T2; sales
/// users a (T1, own), b (T1, team), c (T2, own), m (T1's manager, team). a makes customer X, an
/// opportunity, an order it ships and invoices.
@Suite struct DataScopeTests {
    let app: TestApp
    let admin: APIClient
    let t1: String, t2: String
    let a: (id: String, client: APIClient)
    let b: (id: String, client: APIClient)
    let c: (id: String, client: APIClient)
    let m: (id: String, client: APIClient)

    init() throws {
        app = try TestApp()
        admin = app.client()
        t1 = try Self.id(admin.post("/teams", #"{"name":"T1"}"#))
        t2 = try Self.id(admin.post("/teams", #"{"name":"T2"}"#))
        a = try Self.user(app, "a", team: t1, scope: "own")
        b = try Self.user(app, "b", team: t1, scope: "team")
        c = try Self.user(app, "c", team: t2, scope: "own")
        m = try Self.user(app, "m", team: t1, scope: "team")
        let managed = try admin.patch("/teams/\(t1)", #"{"manager_id":"\#(m.id)"}"#)
        guard managed.status == 200 else { throw TestFailure("manager: \(managed)") }
    }

    static func id(_ reply: APIClient.Reply) throws -> String {
        guard reply.status == 201 || reply.status == 200, let id = reply["id"]?.stringValue else {
            throw TestFailure("\(reply)")
        }
        return id
    }

    static func user(_ app: TestApp, _ name: String, team: String, scope: String, role: String = "sales") throws -> (
        id: String, client: APIClient
    ) {
        let admin = app.client()
        let id = try id(
            admin.post(
                "/users",
                #"{"name":"\#(name)","email":"\#(name)-\#(UUID().uuidString)@example.com","role":"\#(role)","team_id":"\#(team)","data_scope":"\#(scope)"}"#
            ))
        let key = try admin.post("/users/\(id)/api-keys", #"{"name":"test"}"#)
        guard let text = key["key"]?.stringValue else { throw TestFailure("key: \(key)") }
        return (id, app.client(key: text))
    }

    /// X with an opportunity and an order shipped and invoiced, all made by a.
    func makeX() throws -> (customer: String, name: String, email: String, order: String, invoice: String) {
        let name = "Xylo \(UUID().uuidString.prefix(6))"
        let email = "x-\(UUID().uuidString.prefix(6))@example.com"
        let x = try Self.id(a.client.post("/customers", #"{"name":"\#(name)","email":"\#(email)"}"#))
        _ = try Self.id(a.client.post("/opportunities", #"{"customer_id":"\#(x)","name":"Deal","amount":5000}"#))
        let warehouse = try Self.id(
            admin.post("/warehouses", #"{"code":"W-\#(UUID().uuidString.prefix(6))","name":"W"}"#))
        let item = try Self.id(
            admin.post(
                "/items", #"{"sku":"S-\#(UUID().uuidString.prefix(8))","name":"Thing","type":"stock","unit_price":100}"#
            ))
        #expect(
            try admin.post(
                "/stock/adjustments",
                #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":10,"reason":"opening"}"#
            ).status == 201)
        let order = try Self.id(
            a.client.post(
                "/sales-orders",
                #"{"customer_id":"\#(x)","warehouse_id":"\#(warehouse)","lines":[{"item_id":"\#(item)","quantity":2}]}"#
            ))
        #expect(try a.client.post("/sales-orders/\(order)/confirm").status == 200)
        #expect(
            try admin.post("/sales-orders/\(order)/shipments", #"{"lines":[{"line_no":1,"quantity":2}]}"#).status == 201
        )
        let invoiced = try admin.post("/sales-orders/\(order)/invoice")
        let invoice = try #require(
            invoiced["id"]?.stringValue ?? invoiced["invoice"]?["id"]?.stringValue, "\(invoiced)")
        return (x, name, email, order, invoice)
    }

    func ids(_ client: APIClient, _ path: String) throws -> [String] {
        let reply = try client.get(path)
        #expect(reply.status == 200, "\(path): \(reply)")
        return reply["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @Test func outsideTheScope_recordsBehaveAsIfTheyDidNotExist() throws {
        let x = try makeX()
        let c = self.c.client
        #expect(try !ids(c, "/customers").contains(x.customer))
        #expect(try ids(c, "/customers?q=\(x.name.replacingOccurrences(of: " ", with: "%20"))").isEmpty)
        #expect(try !ids(c, "/sales-orders").contains(x.order))
        #expect(try !ids(c, "/invoices").contains(x.invoice))
        #expect(try ids(c, "/opportunities").isEmpty)
        for path in [
            "/customers/\(x.customer)", "/customers/\(x.customer)/summary", "/customers/\(x.customer)/statement",
            "/customers/\(x.customer)/contacts", "/customers/\(x.customer)/history", "/sales-orders/\(x.order)",
            "/invoices/\(x.invoice)",
        ] {
            #expect(try c.get(path).status == 404, "\(path)")
        }
        #expect(try c.patch("/customers/\(x.customer)", #"{"phone":"1"}"#).status == 404)
        // An id of it in a body is the same 422 as an unknown id.
        let order = try c.post("/sales-orders", #"{"customer_id":"\#(x.customer)","lines":[]}"#)
        #expect(order.status == 422 && order.text.contains("customer_id"), "\(order)")
        // A clash with it is still a 409, but its candidate shows only id and number.
        let clash = try c.post("/customers", #"{"name":"Other","email":"\#(x.email)"}"#)
        #expect(clash.code == "duplicate_customer")
        let candidate = try #require(clash["candidates"]?[0]?.objectValue)
        #expect(Set(candidate.keys) == ["id", "number"], "\(candidate)")
        #expect(!clash.text.contains(x.name) && !clash.text.contains(x.email))
        // Reports count only what is in scope.
        let pipeline = try c.get("/reports/pipeline")
        #expect(pipeline.status == 200 && !pipeline.text.contains("5000"), "\(pipeline)")
        let sales = try c.get("/reports/sales?group_by=customer")
        #expect(sales.status == 200 && !sales.text.contains(x.customer), "\(sales)")
        let aging = try c.get("/reports/ar-aging")
        #expect(aging.status == 200 && !aging.text.contains(x.customer), "\(aging)")
        // The same reports show it to a.
        #expect(try a.client.get("/reports/sales?group_by=customer").text.contains(x.customer))
    }

    @Test func walkingEveryListOnePerPage_findsNothingOfT1_andNoEmptyPageWithANextCursor() throws {
        let x = try makeX()
        _ = try Self.id(a.client.post("/leads", #"{"name":"Lead of a"}"#))
        _ = try Self.id(c.client.post("/customers", #"{"name":"C's own"}"#))
        let t1Ids = Set(try ids(admin, "/customers?limit=200")).subtracting(try ids(c.client, "/customers?limit=200"))
        #expect(t1Ids.contains(x.customer))
        for list in [
            "/customers", "/sales-orders", "/invoices", "/payments", "/credit-notes", "/opportunities", "/leads",
            "/activities",
        ] {
            var cursor: String? = nil
            var pages = 0
            repeat {
                let path = list + "?limit=1" + (cursor.map { "&cursor=\($0)" } ?? "")
                let reply = try c.client.get(path)
                #expect(reply.status == 200, "\(path): \(reply)")
                let data = reply["data"]?.arrayValue ?? []
                cursor = reply["next_cursor"]?.stringValue
                #expect(!(data.isEmpty && cursor != nil), "\(list): an empty page with a next cursor")
                for record in data {
                    let text = "\(record)"
                    #expect(!text.contains(x.customer) && !text.contains(a.id), "\(list) shows T1's \(text)")
                }
                pages += 1
            } while cursor != nil && pages < 100
        }
    }

    @Test func teamScopeAndManager_seeX_andTheManagerReassignsIt() throws {
        let x = try makeX()
        #expect(try b.client.get("/customers/\(x.customer)").status == 200)
        #expect(try m.client.get("/customers/\(x.customer)").status == 200)
        #expect(try ids(b.client, "/sales-orders").contains(x.order))
        // b is no manager; c manages nothing of T1.
        #expect(try b.client.post("/customers/\(x.customer)/reassign", #"{"owner_id":"\#(b.id)"}"#).status == 403)
        let moved = try m.client.post("/customers/\(x.customer)/reassign", #"{"owner_id":"\#(b.id)"}"#)
        #expect(moved.status == 200 && moved["owner_id"]?.stringValue == b.id, "\(moved)")
        #expect(try !ids(a.client, "/customers").contains(x.customer))
        #expect(try !ids(a.client, "/sales-orders").contains(x.order))
        #expect(try a.client.get("/customers/\(x.customer)").status == 404)
        let history = try admin.get("/customers/\(x.customer)/history")
        #expect(history.text.contains("customer.reassigned"), "\(history)")
        // A manager cannot hand a T1 customer to someone outside T1.
        #expect(try m.client.post("/customers/\(x.customer)/reassign", #"{"owner_id":"\#(c.id)"}"#).status == 403)
    }

    @Test func leadsAndOpportunities_areReassignedByTheManager_andLeaveTheFormerOwnersLists() throws {
        let lead = try Self.id(a.client.post("/leads", #"{"name":"Handed over"}"#))
        let customer = try Self.id(b.client.post("/customers", #"{"name":"B's customer"}"#))
        let deal = try Self.id(
            b.client.post(
                "/opportunities", #"{"customer_id":"\#(customer)","name":"Shared","amount":10,"owner_id":"\#(a.id)"}"#))
        // a cannot name b's customer, which is outside a's scope.
        #expect(
            try a.client.post("/opportunities", #"{"customer_id":"\#(customer)","name":"No","amount":1}"#).status == 422
        )
        #expect(try a.client.post("/leads/\(lead)/reassign", #"{"owner_id":"\#(b.id)"}"#).status == 403)
        let moved = try m.client.post("/leads/\(lead)/reassign", #"{"owner_id":"\#(b.id)"}"#)
        #expect(moved.status == 200 && moved["owner_id"]?.stringValue == b.id, "\(moved)")
        #expect(try a.client.get("/leads/\(lead)").status == 404)
        #expect(try admin.get("/leads/\(lead)/history").text.contains("lead.reassigned"))
        // a sees the opportunity as its owner, though the customer is b's; after the
        // reassignment it is gone for a.
        #expect(try a.client.get("/opportunities/\(deal)").status == 200)
        let handed = try m.client.post("/opportunities/\(deal)/reassign", #"{"owner_id":"\#(m.id)"}"#)
        #expect(handed.status == 200 && handed["owner_id"]?.stringValue == m.id, "\(handed)")
        #expect(try a.client.get("/opportunities/\(deal)").status == 404)
        #expect(try !ids(a.client, "/opportunities").contains(deal))
        #expect(try c.client.post("/leads/\(lead)/reassign", #"{"owner_id":"\#(c.id)"}"#).status == 404)
    }

    @Test func scopedCreators_ownWhatTheyMake_andOnlyGiveItInsideTheirScope() throws {
        let made = try a.client.post("/customers", #"{"name":"Mine"}"#)
        #expect(made["owner_id"]?.stringValue == a.id)
        let lead = try a.client.post("/leads", #"{"name":"Mine too"}"#)
        #expect(lead["owner_id"]?.stringValue == a.id)
        let outside = try a.client.post("/customers", #"{"name":"Theirs","owner_id":"\#(b.id)"}"#)
        #expect(outside.status == 422 && outside.text.contains("owner_id"), "\(outside)")
        let inTeam = try b.client.post("/customers", #"{"name":"Team's","owner_id":"\#(a.id)"}"#)
        #expect(inTeam.status == 201, "\(inTeam)")
        let outOfTeam = try b.client.post("/customers", #"{"name":"Not team's","owner_id":"\#(c.id)"}"#)
        #expect(outOfTeam.status == 422 && outOfTeam.text.contains("owner_id"))
    }

    @Test func me_showsRoleTeamAndScope_andNarrowedUsersLoseTheFeeds() throws {
        let me = try a.client.get("/me")
        #expect(me["role"]?.stringValue == "sales")
        #expect(me["team_id"]?.stringValue == t1)
        #expect(me["data_scope"]?.stringValue == "own")
        #expect(try admin.get("/me")["data_scope"]?.stringValue == "all")
        let finance = try Self.user(app, "f", team: t1, scope: "team", role: "finance")
        let feed = try finance.client.get("/events")
        #expect(feed.status == 403 && feed["permission"]?.stringValue == "events.read", "\(feed)")
        let open = try Self.user(app, "g", team: t1, scope: "all", role: "finance")
        #expect(try open.client.get("/events").status == 200)
        // `/me` lists what each can use: the narrowed one lacks the feed, both keep receivables.
        func held(_ client: APIClient) throws -> [String] {
            try client.get("/me")["permissions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        }
        let narrowedHolds = try held(finance.client), openHolds = try held(open.client)
        #expect(!narrowedHolds.contains("events.read") && openHolds.contains("events.read"))
        #expect(narrowedHolds.contains("receivables.write") && openHolds.contains("receivables.write"))
        #expect(openHolds == openHolds.sorted() && narrowedHolds == openHolds.filter { $0 != "events.read" })
        // A team with members cannot go.
        let version = try admin.get("/teams/\(t2)").header("ETag") ?? ""
        let refused = try admin.delete("/teams/\(t2)", headers: [("If-Match", version)])
        #expect(refused.status == 409 && refused.code == "team_not_empty", "\(refused)")
        let empty = try Self.id(admin.post("/teams", #"{"name":"Empty"}"#))
        let emptyVersion = try admin.get("/teams/\(empty)").header("ETag") ?? ""
        #expect(try admin.delete("/teams/\(empty)", headers: [("If-Match", emptyVersion)]).status == 204)
    }

    @Test func costs_areNullWithoutCostsRead_andCreditTermsNeedFinance() throws {
        let item = try Self.id(
            admin.post(
                "/items",
                #"{"sku":"C-\#(UUID().uuidString.prefix(8))","name":"Costed","type":"stock","unit_price":100}"#))
        let warehouse = try Self.id(
            admin.post("/warehouses", #"{"code":"C-\#(UUID().uuidString.prefix(6))","name":"W"}"#))
        #expect(
            try admin.post(
                "/stock/adjustments",
                #"{"item_id":"\#(item)","warehouse_id":"\#(warehouse)","quantity_delta":4,"reason":"opening"}"#
            ).status == 201)
        #expect(try a.client.get("/items/\(item)")["average_cost"] == .null)
        let finance = try Self.user(app, "fin", team: t1, scope: "all", role: "finance")
        #expect(try finance.client.get("/items/\(item)")["average_cost"]?.int64Value != nil)
        #expect(try finance.client.get("/items/\(item)")["average_cost"] != .null)
        let customer = try Self.id(a.client.post("/customers", #"{"name":"Credit"}"#))
        let refused = try a.client.patch("/customers/\(customer)", #"{"credit_limit":1000}"#)
        #expect(refused.status == 403 && refused["permission"]?.stringValue == "customers.credit", "\(refused)")
        #expect(try a.client.get("/customers/\(customer)")["credit_limit"] == .null)
        #expect(try admin.patch("/customers/\(customer)", #"{"credit_limit":1000}"#).status == 200)
        #expect(try a.client.get("/customers/\(customer)")["credit_limit"] == .number("1000"))
        // Finance sets the terms on their own route, and only them.
        let terms = try finance.client.patch("/customers/\(customer)/credit", #"{"payment_terms_days":14}"#)
        #expect(terms.status == 200 && terms["payment_terms_days"] == .number("14"), "\(terms)")
        let more = try finance.client.patch("/customers/\(customer)/credit", #"{"name":"Renamed"}"#)
        #expect(more.status == 422 && more.text.contains(#""field":"name""#), "\(more)")
        #expect(try a.client.patch("/customers/\(customer)/credit", #"{"credit_limit":5}"#).status == 403)
    }

    @Test func roundRobin_fromTwoInstances_handsThirtyLeadsOutTenEach() throws {
        let set = try admin.send(
            "PUT", "/teams/\(t1)/assignment",
            body: #"{"mode":"round_robin","members":["\#(a.id)","\#(b.id)","\#(m.id)"]}"#)
        #expect(set.status == 200, "\(set)")
        let second = try TestApp(databaseURL: app.databaseURL)
        defer { second.stop() }
        let key = second.adminKey
        let ports = [app.port, second.port]
        let owners = Locked<[String]>([])
        concurrently(30) { index in
            let client = APIClient(port: ports[index % 2], key: key)
            let reply = try? client.post("/leads", #"{"name":"Lead \#(index)","team_id":"\#(self.t1)"}"#)
            owners.withLock { $0.append(reply?["owner_id"]?.stringValue ?? "none: \(String(describing: reply))") }
        }
        let counts = owners.withLock { Dictionary($0.map { ($0, 1) }, uniquingKeysWith: +) }
        #expect(counts == [a.id: 10, b.id: 10, m.id: 10], "\(counts)")
        // Customers share the turn: the 31st record goes to the first member again.
        // The second instance's start rotated the admin key.
        let admin = APIClient(port: app.port, key: key)
        let customer = try admin.post("/customers", #"{"name":"Assigned","team_id":"\#(t1)"}"#)
        #expect(customer["owner_id"]?.stringValue == a.id, "\(customer)")
        let unknown = try admin.post("/leads", #"{"name":"Nowhere","team_id":"\#(UUID().uuidString)"}"#)
        #expect(unknown.status == 422 && unknown.text.contains("team_id"), "\(unknown)")
    }
}
