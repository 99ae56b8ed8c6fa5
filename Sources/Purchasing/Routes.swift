import Core
import FoundationEssentials
import Platform
import Routing

/// `/suppliers`, `/purchase-orders` with their actions and receipts, `/purchasing/suggestions`.
public struct PurchasingRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [
        .duplicateSupplier, .supplierInUse, .duplicatePurchaseOrder, .overReceipt,
    ]

    let service: PurchasingService

    public init(service: PurchasingService) { self.service = service }

    /// Declares the permissions and problem codes and adds the routes of suppliers, purchase
    /// orders, receipts and reorder suggestions.
    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": admin and finance order (suppliers, purchase orders, applying
        // suggestions); warehouse receives and reads; readonly reads. Sales has no access:
        // its role covers customers, CRM, sales orders and reading stock and invoices.
        permissions.declare("suppliers.read", roles: [.warehouse, .finance, .readonly])
        permissions.declare("suppliers.write", roles: [.finance])
        permissions.declare("purchase_orders.read", roles: [.warehouse, .finance, .readonly])
        permissions.declare("purchase_orders.write", roles: [.finance])
        permissions.declare("purchase_orders.receive", roles: [.warehouse])
        let service = self.service

        // Suppliers
        router.post("/suppliers", access: .permission("suppliers.write")) { request in
            let supplier = try service.createSupplier(
                try request.decode(SupplierInput.self, readOnly: Supplier.readOnlyFields),
                actor: try request.principal())
            return try .created(
                supplier, location: "/suppliers/\(supplier.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(supplier.version)])
        }
        let supplierFilters = ["q", "status", "external_ref", "email", "sort"]
        router.get(
            "/suppliers", access: .permission("suppliers.read"), query: PageRequest.parameters.union(supplierFilters)
        ) { request in
            var query = SupplierQuery()
            query.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            query.status = try request.query.oneOf("status", Supplier.Status.self)
            query.externalRef = try request.query.string("external_ref")
            query.email = try request.query.string("email")
            if let sort = try request.query.sort(["name", "created_at"]) {
                query.sortByName = sort.field == "name"
                query.descending = sort.descending
            }
            return try .json(service.listSuppliers(query, page: try PageRequest(request, filters: supplierFilters)))
        }
        router.record(
            "/suppliers/{id}", read: "suppliers.read", write: "suppliers.write", key: Self.supplierKey,
            get: service.supplier, readOnly: Supplier.readOnlyFields, update: service.updateSupplier,
            delete: service.deleteSupplier)
        EventRoutes.history(
            for: "supplier", template: "/suppliers/{id}/history", permission: "suppliers.read",
            events: service.events, resolve: { request in try service.supplier(try Self.supplierKey(request)).id },
            in: &router)

        // Purchase orders
        router.post("/purchase-orders", access: .permission("purchase_orders.write")) { request in
            let order = try service.createOrder(
                try request.decode(PurchaseOrderInput.self, readOnly: PurchaseOrder.readOnlyFields),
                actor: try request.principal())
            return try .created(
                order, location: "/purchase-orders/\(order.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(order.version)])
        }
        let orderFilters = [
            "status", "supplier_id", "warehouse_id", "item_id", "created_after", "created_before", "q", "external_ref",
            "sort",
        ]
        router.get(
            "/purchase-orders", access: .permission("purchase_orders.read"),
            query: PageRequest.parameters.union(orderFilters)
        ) { request in
            var filter = PurchaseOrderFilter()
            filter.status = try request.query.oneOf("status", PurchaseOrder.Status.self)
            filter.supplierId = try request.query.uuid("supplier_id")
            filter.warehouseId = try request.query.uuid("warehouse_id")
            filter.itemId = try request.query.uuid("item_id")
            filter.createdAfter = try request.query.timestamp("created_after")
            filter.createdBefore = try request.query.timestamp("created_before")
            filter.q = try request.query.string("q").flatMap { $0.isEmpty ? nil : $0 }
            filter.externalRef = try request.query.string("external_ref")
            filter.descending = try request.query.sort(["created_at"])?.descending ?? false
            return try .json(service.listOrders(filter, page: try PageRequest(request, filters: orderFilters)))
        }
        router.record(
            "/purchase-orders/{id}", read: "purchase_orders.read", write: "purchase_orders.write", key: Self.orderKey,
            get: service.order, readOnly: PurchaseOrder.readOnlyFields, update: service.updateOrder)
        router.post("/purchase-orders/{id}/order", access: .permission("purchase_orders.write")) { request in
            // 202 with the approval when a rule holds the order back.
            let gated = try service.placeOrder(
                try Self.orderKey(request), ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, gated, version: gated.document.version)
        }
        router.post("/purchase-orders/{id}/cancel", access: .permission("purchase_orders.write")) { request in
            let order = try service.cancel(
                try Self.orderKey(request), ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            return try Versioning.respond(request, order, version: order.version)
        }
        router.post("/purchase-orders/{id}/receipts", access: .permission("purchase_orders.receive")) { request in
            let result = try service.receive(
                try Self.orderKey(request), try request.decode(ReceiptRequest.self),
                ifMatch: Versioning.ifMatch(request), actor: try request.principal())
            let order = result.purchaseOrder.id.uuidString.lowercased(),
                receipt = result.receipt.id.uuidString.lowercased()
            return try .created(
                result, location: "/purchase-orders/\(order)/receipts/\(receipt)",
                headers: ["ETag": Versioning.etag(result.purchaseOrder.version)])
        }
        router.get("/purchase-orders/{id}/receipts", access: .permission("purchase_orders.read")) { request in
            try .json(ReceiptList(data: try service.receipts(try Self.orderKey(request))))
        }
        router.get("/purchase-orders/{id}/receipts/{receipt_id}", access: .permission("purchase_orders.read")) {
            request in
            let id = try request.uuidParameter("receipt_id", resource: "receipt")
            guard let receipt = try service.receipts(try Self.orderKey(request)).first(where: { $0.id == id }) else {
                throw AppError.notFound("receipt")
            }
            return try .json(receipt)
        }
        EventRoutes.history(
            for: "purchase_order", template: "/purchase-orders/{id}/history", permission: "purchase_orders.read",
            events: service.events, resolve: { request in try service.order(try Self.orderKey(request)).id },
            in: &router)

        // Reorder suggestions
        router.get("/purchasing/suggestions", access: .permission("purchase_orders.read")) { _ in
            try .json(service.suggestions())
        }
        router.post("/purchasing/suggestions/apply", access: .permission("purchase_orders.write")) { request in
            let input = request.body.isEmpty ? ApplyRequest() : try request.decode(ApplyRequest.self)
            return try .json(service.applySuggestions(warehouseID: input.warehouseId, actor: try request.principal()))
        }
    }

    static func supplierKey(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "SUP", resource: "supplier")
    }
    static func orderKey(_ request: Request) throws -> DocumentKey {
        try request.documentKey("id", prefix: "PO", resource: "purchase order")
    }
}

/// Answered with its version as ETag.
extension Supplier: VersionedRecord {}
extension PurchaseOrder: VersionedRecord {}
