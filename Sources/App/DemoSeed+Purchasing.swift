import Core
import FoundationEssentials
import Routing

extension DemoSeed {
    /// Three suppliers that items prefer, and purchase orders in every status: one received at
    /// a cost above the opening one (so the moving average moves), one partially received, one
    /// ordered (incoming stock), a draft and a cancelled one; USB-C cables stay below their
    /// reorder point, so `GET /purchasing/suggestions` has something to say. Made through the
    /// API in-process; skipped when the supplier `demo-sup-1` exists.
    func seedPurchasing(api: InProcessClient) throws -> String {
        let existing = try api.get("/suppliers?external_ref=demo-sup-1")["data"]?.arrayValue ?? []
        if !existing.isEmpty { return "purchasing: already seeded (supplier demo-sup-1 exists)" }
        func body(_ text: String) throws -> JSONValue { try JSONParser.parse(Array(text.utf8)) }
        func item(_ sku: String) throws -> String {
            guard
                let found = try api.get("/items?q=\(sku)")["data"]?.arrayValue?.first(where: {
                    $0["sku"]?.stringValue == sku
                }),
                let id = found["id"]?.stringValue
            else { throw InProcessClient.Failure(description: "demo item \(sku) is missing") }
            return id
        }
        guard
            let main = try api.get("/warehouses?limit=200")["data"]?.arrayValue?.first(where: {
                $0["code"]?.stringValue == "MAIN"
            })?["id"]?.stringValue
        else {
            throw InProcessClient.Failure(description: "demo warehouse MAIN is missing")
        }
        let timber = try api.id(
            api.post(
                "/suppliers",
                body(
                    #"{"name":"Nordic Timber AB","email":"orders@nordictimber.example","phone":"+46 8 555 0101","address":{"line1":"Hamngatan 12","city":"Stockholm","country":"SE"},"payment_terms_days":45,"external_ref":"demo-sup-1"}"#
                )))
        let light = try api.id(
            api.post(
                "/suppliers",
                body(
                    #"{"name":"Brightline Lighting","email":"sales@brightline.example","address":{"line1":"Industrieweg 4","city":"Eindhoven","country":"NL"},"external_ref":"demo-sup-2"}"#
                )))
        let cables = try api.id(
            api.post(
                "/suppliers",
                body(
                    #"{"name":"Cable & Co","email":"trade@cableco.example","payment_terms_days":14,"external_ref":"demo-sup-3"}"#
                )))
        let chair = try item("CHAIR-OAK"), desk = try item("DESK-140"), lamp = try item("LAMP-LED"),
            cable = try item("CABLE-USB-C")
        for (id, supplier) in [(chair, timber), (desk, timber), (lamp, light), (cable, cables)] {
            try api.patch("/items/\(id)", body(#"{"preferred_supplier_id":"\#(supplier)"}"#))
        }
        func order(_ supplier: String, _ item: String, _ quantity: Int, _ cost: Int, _ ref: String) throws -> String {
            try api.id(
                api.post(
                    "/purchase-orders",
                    body(
                        #"{"supplier_id":"\#(supplier)","warehouse_id":"\#(main)","external_ref":"\#(ref)","lines":[{"item_id":"\#(item)","quantity":\#(quantity),"unit_cost":\#(cost)}]}"#
                    )))
        }
        let received = try order(timber, chair, 20, 15_500, "demo-po-1")
        try api.post("/purchase-orders/\(received)/order")
        try api.post("/purchase-orders/\(received)/receipts", body(#"{"lines":[{"line_no":1,"quantity":20}]}"#))
        let partial = try order(light, lamp, 100, 1_700, "demo-po-2")
        try api.post("/purchase-orders/\(partial)/order")
        try api.post("/purchase-orders/\(partial)/receipts", body(#"{"lines":[{"line_no":1,"quantity":40}]}"#))
        try api.post("/purchase-orders/\(try order(timber, desk, 10, 33_000, "demo-po-3"))/order")
        _ = try order(light, lamp, 50, 1_650, "demo-po-4")
        try api.post("/purchase-orders/\(try order(cables, cable, 50, 300, "demo-po-5"))/cancel")
        return "purchasing: 3 suppliers, 5 purchase orders (received, partially received, ordered, draft, cancelled)"
    }
}
