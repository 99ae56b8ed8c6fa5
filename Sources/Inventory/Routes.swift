import Core
import FoundationEssentials
import Platform
import Routing

/// `/warehouses`, `/stock`, `/stock/movements`, `/stock/adjustments`, `/stock/transfers`,
/// `/reports/stock-valuation`.
public struct InventoryRoutes: ModuleRoutes {
    /// The module's own problem codes, for the application's `ProblemRegistry`.
    public static let problemCodes: [ProblemCode] = [.insufficientStock, .notStockItem, .duplicateWarehouse]

    let service: InventoryService

    public init(service: InventoryService) { self.service = service }

    /// Declares the permissions and adds the routes of warehouses, stock and the valuation.
    public func register(in router: inout RouterBuilder, permissions: PermissionTable) {
        // API.md "Auth": `warehouse` manages stock; `sales` reads it; `finance` and `readonly`
        // read everything. The valuation shows costs, so it is for finance, warehouse, readonly.
        permissions.declare("warehouses.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("warehouses.write", roles: [.warehouse])
        permissions.declare("stock.read", roles: [.sales, .warehouse, .finance, .readonly])
        permissions.declare("stock.write", roles: [.warehouse])
        permissions.declare("reports.stock_valuation", roles: [.warehouse, .finance, .readonly])
        let service = self.service

        router.post("/warehouses", access: .permission("warehouses.write")) { request in
            let input = try request.decode(WarehouseCreate.self, readOnly: WarehouseCreate.readOnly)
            let warehouse = try service.createWarehouse(input, actor: try request.principal())
            return try .created(
                warehouse, location: "/warehouses/\(warehouse.id.uuidString.lowercased())",
                headers: ["ETag": Versioning.etag(warehouse.version)])
        }
        router.get("/warehouses", access: .permission("warehouses.read"), query: PageRequest.parameters) { request in
            try .json(service.listWarehouses(try PageRequest(request)))
        }
        router.record(
            "/warehouses/{id}", read: "warehouses.read", key: RecordKey.uuid("warehouse"), get: service.warehouse)
        router.patch("/warehouses/{id}", access: .permission("warehouses.write")) { request in
            let patch = try request.decode(WarehousePatch.self, readOnly: WarehousePatch.readOnly)
            let warehouse = try service.updateWarehouse(
                try request.uuidParameter("id", resource: "warehouse"), patch: patch,
                ifMatch: Versioning.ifMatch(request),
                actor: try request.principal())
            return try Versioning.respond(request, warehouse, version: warehouse.version)
        }
        EventRoutes.history(
            for: "warehouse", template: "/warehouses/{id}/history", permission: "warehouses.read",
            events: service.events,
            resolve: { request in
                let id = try request.uuidParameter("id", resource: "warehouse")
                _ = try service.warehouse(id)
                return id
            }, in: &router)

        let stockFilters = ["item_id", "warehouse_id", "below_reorder"]
        router.get("/stock", access: .permission("stock.read"), query: PageRequest.parameters.union(stockFilters)) {
            request in
            let filter = StockFilter(
                itemID: try request.query.uuid("item_id"), warehouseID: try request.query.uuid("warehouse_id"),
                belowReorder: try request.query.bool("below_reorder") ?? false)
            return try .json(service.listStock(filter, page: try PageRequest(request, filters: stockFilters)))
        }
        let movementFilters = [
            "item_id", "warehouse_id", "kind", "reference_type", "reference_id", "created_after", "created_before",
        ]
        router.get(
            "/stock/movements", access: .permission("stock.read"), query: PageRequest.parameters.union(movementFilters)
        ) { request in
            let filter = MovementFilter(
                itemID: try request.query.uuid("item_id"), warehouseID: try request.query.uuid("warehouse_id"),
                kind: try request.query.oneOf("kind", MovementKind.self),
                referenceType: try request.query.string("reference_type"),
                referenceID: try request.query.uuid("reference_id"),
                createdAfter: try Self.timestamp(request, "created_after"),
                createdBefore: try Self.timestamp(request, "created_before"))
            return try .json(service.listMovements(filter, page: try PageRequest(request, filters: movementFilters)))
        }
        router.get("/stock/movements/{id}", access: .permission("stock.read")) { request in
            try .json(service.movement(try request.uuidParameter("id", resource: "stock movement")))
        }
        router.post("/stock/adjustments", access: .permission("stock.write")) { request in
            let input = try request.decode(AdjustmentRequest.self)
            let adjustment = try service.adjust(input, actor: try request.principal())
            guard let movement = adjustment.movement else { return try .json(adjustment) }
            return try .created(adjustment, location: "/stock/movements/\(movement.id.uuidString.lowercased())")
        }
        router.post("/stock/transfers", access: .permission("stock.write")) { request in
            let input = try request.decode(TransferRequest.self)
            let transfer = try service.transfer(input, actor: try request.principal())
            return try .created(
                transfer,
                location: "/stock/movements?reference_type=transfer&reference_id=\(transfer.id.uuidString.lowercased())"
            )
        }
        router.get(
            "/reports/stock-valuation", access: .permission("reports.stock_valuation"),
            query: ["item_id", "warehouse_id"]
        ) { request in
            try .json(
                service.valuation(
                    itemID: try request.query.uuid("item_id"), warehouseID: try request.query.uuid("warehouse_id")))
        }
    }

    static func timestamp(_ request: Request, _ name: String) throws -> Date? {
        guard let text = try request.query.string(name) else { return nil }
        guard let date = RFC3339.parse(text) else {
            throw AppError.invalidParameter(name, "must be an RFC 3339 timestamp")
        }
        return date
    }
}

/// Answered with its version as ETag.
extension Warehouse: VersionedRecord {}
