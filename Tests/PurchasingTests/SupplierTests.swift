import Core
import Foundation
import Routing
import TestSupport
import Testing

/// Suppliers over HTTP: their own master with numbers, unique email and external_ref, search,
/// merge-patch, history, delete while unused, and the items that prefer them.
@Suite struct SupplierTests {
    let app: TestApp
    let fixture: PurchasingFixture
    var admin: APIClient { fixture.admin }

    init() throws {
        app = try TestApp()
        fixture = try PurchasingFixture(app)
    }

    @Test func create_numbersAndDefaults_andTheNumberFindsIt() throws {
        let reply = try admin.post(
            "/suppliers",
            #"{"name":"  Nordic Timber AB ","email":"Orders@Nordic.example","address":{"line1":"Hamngatan 1","city":"Stockholm"}}"#
        )
        #expect(reply.status == 201)
        #expect(reply.header("ETag") == "\"1\"")
        let number = try #require(reply["number"]?.stringValue)
        #expect(number.hasPrefix("SUP-") && number.count == 10)
        #expect(reply["name"] == "Nordic Timber AB")
        #expect(reply["payment_terms_days"] == .number("30"))
        #expect(reply["currency"] == "USD")
        #expect(reply["status"] == "active")
        #expect(reply["phone"] == .null)
        #expect(reply["external_ref"] == .null)
        #expect(reply.header("Location") == "/suppliers/\(reply["id"]!.stringValue!)")
        let byNumber = try admin.get("/suppliers/\(number)")
        #expect(byNumber.status == 200)
        #expect(byNumber["id"] == reply["id"])
        #expect(try admin.get("/suppliers/SUP-999999").status == 404)
        #expect(try admin.get("/suppliers/not-an-id").status == 404)
    }

    @Test func strictInput_unknownReadOnlyAndInvalidFields() throws {
        #expect(try admin.post("/suppliers", #"{"name":"X","colour":"red"}"#).code == "unknown_field")
        #expect(try admin.post("/suppliers", #"{"name":"X","number":"SUP-000009"}"#).code == "read_only_field")
        let invalid = try admin.post(
            "/suppliers", #"{"name":"","email":"nope","currency":"XXX","payment_terms_days":-1}"#)
        #expect(invalid.status == 422)
        let fields = Set(invalid["errors"]?.arrayValue?.compactMap { $0["field"]?.stringValue } ?? [])
        #expect(fields == ["name", "email", "currency", "payment_terms_days"])
        #expect(try admin.post("/suppliers", #"{"name":"X","status":"sleeping"}"#).status == 422)
    }

    @Test func emailAndExternalRef_areUnique_409NamesTheHolder() throws {
        let first = try admin.post(
            "/suppliers", #"{"name":"First","email":"sales@acme.example","external_ref":"erp-1"}"#)
        #expect(first.status == 201)
        let sameEmail = try admin.post("/suppliers", #"{"name":"Second","email":"SALES@acme.example"}"#)
        #expect(sameEmail.status == 409)
        #expect(sameEmail.code == "duplicate_supplier")
        #expect(sameEmail["candidates"]?[0]?["id"] == first["id"])
        #expect(sameEmail["candidates"]?[0]?["matched_on"] == "email")
        let sameRef = try admin.post("/suppliers", #"{"name":"Third","external_ref":"erp-1"}"#)
        #expect(sameRef.code == "duplicate_supplier")
        #expect(sameRef["errors"]?[0]?["field"] == "external_ref")
        // A patch onto a held value is refused the same way.
        let other = try fixture.supplier(#","email":"other@acme.example""#)
        let patched = try admin.patch("/suppliers/\(other)", #"{"email":"sales@ACME.example"}"#)
        #expect(patched.code == "duplicate_supplier")
    }

    @Test func list_filtersSearchSortAndPages() throws {
        _ = try admin.post("/suppliers", #"{"name":"Zeta Metals","email":"z@zeta.example"}"#)
        _ = try admin.post("/suppliers", #"{"name":"Alpha Plastics","external_ref":"crm-7"}"#)
        _ = try admin.post("/suppliers", #"{"name":"Mu Glass","status":"inactive"}"#)
        #expect(try admin.get("/suppliers?q=plast")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/suppliers?q=ZETA.EXAMPLE")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/suppliers?q=100%25")["data"]?.arrayValue?.count == 0)
        #expect(try admin.get("/suppliers?status=inactive")["data"]?[0]?["name"] == "Mu Glass")
        #expect(try admin.get("/suppliers?external_ref=crm-7")["data"]?[0]?["name"] == "Alpha Plastics")
        let names = try admin.get("/suppliers?sort=name")["data"]?.arrayValue?.compactMap { $0["name"]?.stringValue }
        #expect(names == ["Alpha Plastics", "Mu Glass", "Zeta Metals"])
        let descending = try admin.get("/suppliers?sort=-name")["data"]?.arrayValue?.compactMap {
            $0["name"]?.stringValue
        }
        #expect(descending == ["Zeta Metals", "Mu Glass", "Alpha Plastics"])
        let first = try admin.get("/suppliers?sort=name&limit=2")
        #expect(first["data"]?.arrayValue?.count == 2)
        let cursor = try #require(first["next_cursor"]?.stringValue)
        #expect(try admin.get("/suppliers?sort=name&limit=2&cursor=\(cursor)")["data"]?[0]?["name"] == "Zeta Metals")
        #expect(try admin.get("/suppliers?sort=-name&limit=2&cursor=\(cursor)").status == 400)
        #expect(try admin.get("/suppliers?colour=red").status == 400)
        #expect(try admin.get("/suppliers?sort=email").status == 400)
        // Runs of four digits, alone and with other text.
        _ = try admin.post("/suppliers", #"{"name":"Omega 90210 Tools"}"#)
        #expect(try admin.get("/suppliers?q=90210")["data"]?[0]?["name"] == "Omega 90210 Tools")
        #expect(try admin.get("/suppliers?q=omega%2090210")["data"]?.arrayValue?.count == 1)
        #expect(try admin.get("/suppliers?q=zeta%2090210")["data"]?.arrayValue?.count == 0)
    }

    @Test func patch_mergesIfMatch_andHistoryRecordsIt() throws {
        let id = try fixture.supplier(#","phone":"+46 8 123""#)
        let stale = try admin.patch("/suppliers/\(id)", #"{"payment_terms_days":60}"#, headers: [("If-Match", "\"7\"")])
        #expect(stale.status == 412)
        #expect(stale["current_version"] == .number("1"))
        let patched = try admin.patch(
            "/suppliers/\(id)", #"{"payment_terms_days":60,"phone":null}"#, headers: [("If-Match", "\"1\"")])
        #expect(patched.status == 200)
        #expect(patched["payment_terms_days"] == .number("60"))
        #expect(patched["phone"] == .null)
        #expect(patched["version"] == .number("2"))
        // The same patch again changes nothing: no new version.
        #expect(try admin.patch("/suppliers/\(id)", #"{"payment_terms_days":60}"#)["version"] == .number("2"))
        #expect(try admin.patch("/suppliers/\(id)", #"{"name":null}"#).status == 422)
        #expect(try admin.patch("/suppliers/\(id)", #"{"version":9}"#).code == "read_only_field")
        let types = try admin.get("/suppliers/\(id)/history")["data"]?.arrayValue?.compactMap {
            $0["type"]?.stringValue
        }
        #expect(types == ["supplier.created", "supplier.updated"])
        let etag = try admin.get("/suppliers/\(id)").header("ETag")
        #expect(try admin.get("/suppliers/\(id)", headers: [("If-None-Match", etag ?? "")]).status == 304)
    }

    @Test func delete_onlyWhileNothingRefersToIt() throws {
        let unused = try fixture.supplier()
        #expect(try admin.delete("/suppliers/\(unused)").status == 204)
        #expect(try admin.get("/suppliers/\(unused)").status == 404)
        let preferred = try fixture.supplier()
        _ = try fixture.item(extra: #","preferred_supplier_id":"\#(preferred)""#)
        let refused = try admin.delete("/suppliers/\(preferred)")
        #expect(refused.status == 409)
        #expect(refused.code == "supplier_in_use")
    }

    @Test func itemsPreferredSupplier_mustNameASupplier() throws {
        let missing = UUID().uuidString.lowercased()
        let created = try admin.post(
            "/items",
            #"{"sku":"PS-1","name":"Part","type":"stock","unit_price":100,"preferred_supplier_id":"\#(missing)"}"#)
        #expect(created.status == 422)
        #expect(created["errors"]?[0]?["field"] == "preferred_supplier_id")
        let supplier = try fixture.supplier()
        let item = try fixture.item(extra: #","preferred_supplier_id":"\#(supplier)""#)
        #expect(try admin.get("/items/\(item)")["preferred_supplier_id"] == .string(supplier))
        let patched = try admin.patch("/items/\(item)", #"{"preferred_supplier_id":"\#(missing)"}"#)
        #expect(patched.status == 422)
        #expect(patched["errors"]?[0]?["field"] == "preferred_supplier_id")
        #expect(try admin.patch("/items/\(item)", #"{"preferred_supplier_id":null}"#).status == 200)
    }

    @Test func roles_financeWrites_warehouseAndReadonlyRead_salesHasNoAccess() throws {
        let finance = app.client(key: try app.key(forRole: "finance"))
        let warehouse = app.client(key: try app.key(forRole: "warehouse"))
        let readonly = app.client(key: try app.key(forRole: "readonly"))
        let sales = app.client(key: try app.key(forRole: "sales"))
        let created = try finance.post("/suppliers", #"{"name":"By finance"}"#)
        #expect(created.status == 201)
        let id = try #require(created["id"]?.stringValue)
        #expect(try finance.patch("/suppliers/\(id)", #"{"phone":"1"}"#).status == 200)
        for client in [warehouse, readonly] {
            #expect(try client.get("/suppliers/\(id)").status == 200)
            #expect(try client.get("/suppliers").status == 200)
            #expect(try client.post("/suppliers", #"{"name":"No"}"#).status == 403)
            #expect(try client.patch("/suppliers/\(id)", #"{"phone":"2"}"#).status == 403)
        }
        #expect(try sales.get("/suppliers").status == 403)
        #expect(try sales.get("/suppliers/\(id)/history").status == 403)
        #expect(try app.client(key: "").get("/suppliers").status == 401)
    }
}
