import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Leads: the status machine and conversion into the customer master.
@Suite struct LeadTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    func lead(_ body: String) throws -> JSONValue {
        let reply = try admin.post("/leads", body)
        guard reply.status == 201 else { throw TestFailure("lead: \(reply)") }
        return reply.json
    }

    func customer(_ body: String) throws -> JSONValue {
        let reply = try admin.post("/customers", body)
        guard reply.status == 201 else { throw TestFailure("customer: \(reply)") }
        return reply.json
    }

    func id(_ value: JSONValue) -> String { value["id"]?.stringValue ?? "" }

    @Test func create_setsNumberAndDefaults() throws {
        let created = try lead(#"{"name":"Pat Doe","company":"Doe Corp","email":"pat@doe.example"}"#)
        #expect(created["number"]?.stringValue?.hasPrefix("LEAD-") == true)
        #expect(created["status"] == "new")
        #expect(created["source"] == "other")
        for field in [
            "converted_customer_id", "converted_opportunity_id", "converted_at", "owner_id", "notes", "phone",
        ] {
            #expect(created[field] == .null, "\(field)")
        }
        #expect(try admin.post("/leads", #"{"name":"x","source":"tv"}"#).status == 422)
        #expect(try admin.post("/leads", #"{"name":"x","status":"converted"}"#).status == 422)
    }

    @Test func status_movesOnlyAlongTheMachine() throws {
        let lead = id(try lead(#"{"name":"Mover"}"#))
        func move(_ status: String) throws -> APIClient.Reply {
            try admin.patch("/leads/\(lead)", #"{"status":"\#(status)"}"#)
        }
        let skip = try move("qualified")
        #expect(skip.status == 409)
        #expect(skip.code == "invalid_transition")
        #expect(skip["from_state"] == "new")
        #expect(skip["to_state"] == "qualified")
        #expect(try move("contacted").status == 200)
        #expect(try move("unqualified").status == 200)
        #expect(try move("qualified").status == 409)
        #expect(try move("contacted").status == 200)
        #expect(try move("qualified").status == 200)
        #expect(try move("contacted").status == 409)
        #expect(try move("converted").code == "invalid_transition")
    }

    @Test func convert_createsCustomerContactAndOpportunity_andTheLeadIsFinal() throws {
        let owner = try app.userID()
        let created = try lead(
            #"{"name":"Kim Lee","company":"Lee Trading","email":"kim@lee.example","phone":"+44 1","owner_id":"\#(owner)"}"#
        )
        let reply = try admin.post(
            "/leads/\(id(created))/convert",
            #"{"opportunity":{"name":"First deal","amount":125000,"expected_close_date":"2027-01-31"}}"#)
        #expect(reply.status == 200, "\(reply)")
        let customer = try #require(reply["customer"])
        #expect(customer["name"] == "Lee Trading")
        #expect(customer["kind"] == "company")
        #expect(customer["email"] == "kim@lee.example")
        #expect(customer["owner_id"] == .string(owner))
        let opportunity = try #require(reply["opportunity"])
        #expect(opportunity["customer_id"] == customer["id"])
        #expect(opportunity["amount"] == .number("125000"))
        #expect(opportunity["stage"] == "prospecting")
        let converted = try #require(reply["lead"])
        #expect(converted["status"] == "converted")
        #expect(converted["converted_customer_id"] == customer["id"])
        #expect(converted["converted_opportunity_id"] == opportunity["id"])
        #expect(converted["converted_at"]?.stringValue?.hasSuffix("Z") == true)
        let contacts = try admin.get("/customers/\(customer["id"]!.stringValue!)/contacts")["data"]?.arrayValue ?? []
        #expect(contacts.count == 1)
        #expect(contacts.first?["name"] == "Kim Lee")
        #expect(contacts.first?["is_primary"] == .bool(true))
        // Final: no edits, no second conversion.
        #expect(try admin.patch("/leads/\(id(created))", #"{"notes":"later"}"#).code == "invalid_transition")
        #expect(try admin.post("/leads/\(id(created))/convert").code == "invalid_transition")
        #expect(try admin.delete("/leads/\(id(created))").status == 409)
        let types = try admin.get("/events?types=lead.converted")["data"]?.arrayValue ?? []
        _ = types  // numbered a moment after commit; the history shows it at once
        let history = try admin.get("/leads/\(id(created))/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(history == ["lead.created", "lead.converted"])
    }

    @Test func convert_withADuplicate_failsByDefault_listingCandidates() throws {
        let byEmail = try customer(#"{"name":"Somebody","kind":"person","email":"dup@example.com"}"#)
        let byName = try customer(#"{"name":"Dup Industries"}"#)
        let created = try lead(#"{"name":"Dup Person","company":"dup industries","email":"DUP@example.com"}"#)
        let reply = try admin.post("/leads/\(id(created))/convert")
        #expect(reply.status == 409)
        #expect(reply.code == "duplicate_customer")
        let candidates = reply["candidates"]?.arrayValue ?? []
        #expect(candidates.map { $0["id"] } == [byEmail["id"], byName["id"]])
        #expect(candidates.map { $0["matched_on"] } == ["email", "company"])
        #expect(candidates.first?["number"] == byEmail["number"])
        // Nothing changed.
        #expect(try admin.get("/leads/\(id(created))")["status"] == "new")
    }

    @Test func convert_link_prefersTheEmailMatch_andFillsOnlyEmptyFields() throws {
        let byName = try customer(#"{"name":"Link Works"}"#)
        let byEmail = try customer(
            #"{"name":"Link Person","kind":"person","email":"link@example.com","phone":"+1 keep"}"#)
        _ = byName
        let created = try lead(
            #"{"name":"Link Person","company":"Link Works","email":"link@example.com","phone":"+1 lead"}"#)
        let reply = try admin.post("/leads/\(id(created))/convert", #"{"on_duplicate":"link"}"#)
        #expect(reply.status == 200, "\(reply)")
        #expect(reply["customer"]?["id"] == byEmail["id"])
        #expect(reply["customer"]?["phone"] == "+1 keep")
        #expect(reply["opportunity"] == .null)

        let sparse = try customer(#"{"name":"Sparse Co"}"#)
        let second = try lead(#"{"name":"Sam","company":"SPARSE CO","email":"sam@sparse.example","phone":"+49 2"}"#)
        let linked = try admin.post("/leads/\(id(second))/convert", #"{"on_duplicate":"link"}"#)
        #expect(linked["customer"]?["id"] == sparse["id"])
        #expect(linked["customer"]?["email"] == "sam@sparse.example")
        #expect(linked["customer"]?["phone"] == "+49 2")
        #expect(linked["customer"]?["name"] == "Sparse Co")
    }

    @Test func convert_create_makesANewCustomer_unlessTheEmailIsTaken() throws {
        let existing = try customer(#"{"name":"Twin Co"}"#)
        let nameOnly = try lead(#"{"name":"Tom","company":"Twin Co","email":"tom@twin-two.example"}"#)
        let created = try admin.post("/leads/\(id(nameOnly))/convert", #"{"on_duplicate":"create"}"#)
        #expect(created.status == 200)
        #expect(created["customer"]?["id"] != existing["id"])
        _ = try customer(#"{"name":"Mail Owner","kind":"person","email":"taken@twin.example"}"#)
        let emailTaken = try lead(#"{"name":"Tara","email":"taken@twin.example"}"#)
        let refused = try admin.post("/leads/\(id(emailTaken))/convert", #"{"on_duplicate":"create"}"#)
        #expect(refused.status == 409)
        #expect(refused["candidates"]?[0]?["matched_on"] == "email")
    }

    @Test func convert_toAGivenCustomer_linksIt_andRejectsUnknownIds() throws {
        let target = try customer(#"{"name":"Chosen Ltd"}"#)
        let created = try lead(#"{"name":"Ana","email":"ana@chosen.example"}"#)
        let unknown = try admin.post("/leads/\(id(created))/convert", #"{"customer_id":"\#(UUID().uuidString)"}"#)
        #expect(unknown.status == 422)
        #expect(unknown.text.contains("customer_id"))
        let reply = try admin.post("/leads/\(id(created))/convert", #"{"customer_id":"\#(id(target))"}"#)
        #expect(reply["customer"]?["id"] == target["id"])
        #expect(reply["customer"]?["email"] == "ana@chosen.example")
    }

    @Test func convert_fromUnqualified_is409() throws {
        let created = id(try lead(#"{"name":"Nope"}"#))
        _ = try admin.patch("/leads/\(created)", #"{"status":"contacted"}"#)
        _ = try admin.patch("/leads/\(created)", #"{"status":"unqualified"}"#)
        let reply = try admin.post("/leads/\(created)/convert")
        #expect(reply.status == 409)
        #expect(reply["from_state"] == "unqualified")
    }

    @Test func concurrentConversions_ofOneLead_exactlyOneWins() throws {
        let created = id(try lead(#"{"name":"Popular","company":"Popular Inc","email":"popular@example.com"}"#))
        let port = app.port, key = app.adminKey
        let outcomes = Outcomes()
        let codes = Locked<[String]>([])
        concurrently(8) { _ in
            let client = APIClient(port: port, key: key)
            let reply = outcomes.record { try client.post("/leads/\(created)/convert", #"{"on_duplicate":"create"}"#) }
            if let code = reply?.code { codes.withLock { $0.append(code) } }
        }
        #expect(outcomes.errors == [])
        #expect(outcomes.statuses.filter { $0 == 200 }.count == 1)
        #expect(outcomes.statuses.filter { $0 == 409 }.count == 7)
        #expect(codes.withLock { $0 }.allSatisfy { $0 == "invalid_transition" })
        let count = try TestSQL.scalar(
            app.databaseURL, "SELECT count(*) FROM customers WHERE email = 'popular@example.com'")
        #expect(count == "1")
    }

    @Test func list_filtersByStatusSourceAndSearch() throws {
        let web = id(try lead(#"{"name":"Web Walker","source":"web","company":"Needle Corp 4711"}"#))
        _ = try lead(#"{"name":"Event Eve","source":"event","company":"Hay 4712"}"#)
        func ids(_ query: String) throws -> [String] {
            try admin.get("/leads?\(query)")["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
        }
        #expect(try ids("source=web") == [web])
        #expect(try ids("q=needle") == [web])
        // Runs of four digits, alone and with other text.
        #expect(try ids("q=4711") == [web])
        #expect(try ids("q=corp%204711") == [web])
        #expect(try ids("q=hay%204711").isEmpty)
        #expect(try ids("status=new&source=web") == [web])
        #expect(try ids("status=converted").isEmpty)
        #expect(try admin.get("/leads?source=radio").status == 400)
    }
}
