import Foundation
import Routing
import TestSupport
import Testing

/// `POST /purchasing/suggestions/apply` without `warehouse_id`: the one warehouse there is,
/// else a 422 that names the codes to choose from.
@Suite struct SuggestionWarehouseTests {
    @Test func apply_withoutWarehouse_usesTheOnlyOne_elseListsTheCodes() throws {
        let app = try TestApp()
        let fixture = try PurchasingFixture(app)
        let admin = fixture.admin
        let supplier = try fixture.supplier()
        _ = try fixture.item(extra: #","reorder_point":3,"reorder_quantity":10,"preferred_supplier_id":"\#(supplier)""#)

        let applied = try admin.post("/purchasing/suggestions/apply", "{}")
        #expect(applied.status == 200, "\(applied)")
        let drafts = try #require(applied["data"]?.arrayValue)
        #expect(drafts.count == 1)
        #expect(drafts.first?["warehouse_id"] == .string(fixture.warehouse))

        let main = try admin.get("/warehouses/\(fixture.warehouse)")["code"]?.stringValue ?? ""
        let second = try admin.post("/warehouses", #"{"code":"SECOND","name":"Second"}"#)
        #expect(second.status == 201)
        let refused = try admin.post("/purchasing/suggestions/apply", "{}")
        #expect(refused.status == 422)
        #expect(refused.code == "validation_failed")
        #expect(refused["errors"]?[0]?["field"] == "warehouse_id")
        let message = refused["errors"]?[0]?["message"]?.stringValue ?? ""
        #expect(message.contains(main) && message.contains("SECOND"), "\(message)")
        let codes = refused["warehouses"]?.arrayValue?.compactMap { $0["code"]?.stringValue } ?? []
        #expect(Set(codes) == [main, "SECOND"])
    }

    /// `warehouse_id` is the only member and it is optional, so the body may be left out.
    @Test func apply_withoutABody_isTheSameAsAnEmptyObject() throws {
        let app = try TestApp()
        let fixture = try PurchasingFixture(app)
        let supplier = try fixture.supplier()
        _ = try fixture.item(extra: #","reorder_point":3,"reorder_quantity":10,"preferred_supplier_id":"\#(supplier)""#)
        let applied = try fixture.admin.send("POST", "/purchasing/suggestions/apply")
        #expect(applied.status == 200, "\(applied)")
        #expect(applied["data"]?.arrayValue?.first?["warehouse_id"] == .string(fixture.warehouse))
    }
}
