import Core
import Foundation
import Routing
import TestSupport
import Testing

/// `POST /customers/batch`, `/leads/batch`, `/items/batch`: all or nothing, or partial.
@Suite struct BatchTests {
    let app: TestApp
    let admin: APIClient

    init() throws {
        app = try TestApp()
        admin = app.client()
    }

    func count(_ table: String) throws -> String {
        try TestSQL.scalar(app.databaseURL, "SELECT count(*) FROM \(table)")
    }

    static let mixed = """
        {"items":[{"name":"Fine One","email":"one@batch.example"},{"name":"Bad Email","email":"nope"},
                  {"name":"Taken","email":"taken@batch.example"},{"name":"Twin","email":"ONE@batch.example"}]%@}
        """

    @Test func allOrNothing_createsEverything_orNothing_listingEachFailure() throws {
        _ = try admin.post("/customers", #"{"name":"Holder","email":"taken@batch.example"}"#)
        let good = try admin.post(
            "/customers/batch", #"{"items":[{"name":"A"},{"name":"B","tier":"gold"},{"name":"C"}]}"#)
        #expect(good.status == 201, "\(good)")
        #expect(good["data"]?.arrayValue?.count == 3)
        #expect(good["data"]?[1]?["tier"] == "gold")
        let before = try count("customers")
        let failed = try admin.post("/customers/batch", Self.mixed.replacingOccurrences(of: "%@", with: ""))
        #expect(failed.status == 422)
        #expect(failed.code == "batch_failed")
        let items = failed["items"]?.arrayValue ?? []
        #expect(items.compactMap { $0["index"]?.numberText } == ["1", "2", "3"])
        #expect(
            items.compactMap { $0["code"]?.stringValue } == [
                "validation_failed", "duplicate_customer", "duplicate_customer",
            ])
        #expect(items[0]["errors"]?[0]?["field"] == "email")
        #expect(items[2]["candidates"]?.arrayValue?.isEmpty == false)
        #expect(try count("customers") == before, "nothing of a failed batch is kept")
    }

    @Test func partial_keepsWhatWorks_withAResultPerItem() throws {
        _ = try admin.post("/customers", #"{"name":"Holder","email":"taken@batch.example"}"#)
        let reply = try admin.post(
            "/customers/batch", Self.mixed.replacingOccurrences(of: "%@", with: #","mode":"partial""#))
        #expect(reply.status == 200, "\(reply)")
        #expect(reply["created"] == .number("1"))
        #expect(reply["failed"] == .number("3"))
        let data = reply["data"]?.arrayValue ?? []
        #expect(data.compactMap { $0["status"]?.numberText } == ["201", "422", "409", "409"])
        #expect(data[0]["data"]?["email"] == "one@batch.example")
        #expect(data[3]["code"] == "duplicate_customer")
    }

    @Test func limitsAndShape_areChecked() throws {
        #expect(try admin.post("/customers/batch", #"{"items":[]}"#).status == 422)
        let many = (0...500).map { #"{"name":"N\#($0)"}"# }.joined(separator: ",")
        #expect(try admin.post("/customers/batch", #"{"items":[\#(many)]}"#).status == 422)
        #expect(try admin.post("/customers/batch", #"{"items":[{"name":"x"}],"mode":"some"}"#).status == 422)
        let unknown = try admin.post("/customers/batch", #"{"items":[{"name":"x","colour":"red"}]}"#)
        #expect(unknown["items"]?[0]?["code"] == "unknown_field")
        let readOnly = try admin.post("/customers/batch", #"{"items":[{"name":"x","number":"CUST-1"}]}"#)
        #expect(readOnly["items"]?[0]?["code"] == "read_only_field")
        let sales = app.client(key: try app.key(forRole: "warehouse"))
        #expect(try sales.post("/customers/batch", #"{"items":[{"name":"x"}]}"#).status == 403)
    }

    @Test func idempotencyKey_coversTheWholeBatch() throws {
        let body = #"{"items":[{"name":"Once"},{"name":"Only once"}]}"#
        let first = try admin.post("/customers/batch", body, headers: [("Idempotency-Key", "batch-1")])
        let again = try admin.post("/customers/batch", body, headers: [("Idempotency-Key", "batch-1")])
        #expect(first.status == 201)
        #expect(again.status == 201)
        #expect(again.header("Idempotent-Replayed") == "true")
        #expect(again.text == first.text)
        #expect(try count("customers") == "2")
    }

    @Test func leadsAndItems_haveBatchesToo() throws {
        let leads = try admin.post("/leads/batch", #"{"items":[{"name":"L1","source":"web"},{"name":"L2"}]}"#)
        #expect(leads.status == 201, "\(leads)")
        #expect(leads["data"]?[0]?["number"]?.stringValue?.hasPrefix("LEAD-") == true)
        let items = try admin.post(
            "/items/batch",
            #"{"items":[{"sku":"B-1","name":"One","type":"stock","unit_price":100},{"sku":"b-1","name":"Dup","type":"stock","unit_price":1},{"sku":"B-2","name":"Fine","type":"stock","unit_price":1},{"sku":"B-1","name":"Dup again","type":"stock","unit_price":1}]}"#
        )
        #expect(items.status == 422)
        // Each database refusal is undone alone; the items after it are still checked.
        #expect(items["items"]?.arrayValue?.compactMap { $0["index"]?.numberText } == ["1", "3"])
        #expect(items["items"]?.arrayValue?.allSatisfy { $0["code"] == "duplicate_item" } == true)
        #expect(try count("items") == "0")
    }
}
