import Core
import FoundationEssentials
import Platform
import Postgres

extension PurchasingService {
    /// `GET /purchasing/suggestions`: every active stock item with a reorder point whose
    /// position (available + incoming + drafted, summed over every warehouse) is at or below
    /// it. Items with an active preferred supplier are in `data`; the others in
    /// `without_supplier` with the reason, never dropped.
    func suggestions() throws -> SuggestionList {
        let (data, without) = try pool.read { tx in Self.split(try store.reorderRows(in: tx)) }
        return SuggestionList(currency: currency, data: data, withoutSupplier: without)
    }

    /// `POST /purchasing/suggestions/apply`: one draft purchase order per preferred supplier,
    /// delivering into `warehouseID`, each line the suggested quantity at the item's average
    /// cost. Drafted quantities count in the position, so a second apply orders only what the
    /// first drafts do not cover (usually nothing). Applies are serialised across instances.
    /// Without `warehouseID`, the installation's one warehouse; with several, a 422 that lists
    /// their codes.
    func applySuggestions(warehouseID requested: UUID?, actor: Principal) throws -> ApplyResult {
        try pool.transaction { tx in
            try store.lockSuggestions(in: tx)
            let warehouseID: UUID
            if let requested {
                try checkWarehouse(requested, in: tx)
                warehouseID = requested
            } else {
                warehouseID = try onlyWarehouse(in: tx)
            }
            let (data, without) = Self.split(try store.reorderRows(in: tx))
            var drafts: [PurchaseOrder] = []
            let bySupplier = Dictionary(grouping: data, by: { $0.supplierId! })
            for supplierID in bySupplier.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
                let lines = bySupplier[supplierID]!.map {
                    PurchaseOrderLineInput(lineNo: nil, itemId: $0.itemId, quantity: $0.quantity, unitCost: $0.unitCost)
                }
                var input = PurchaseOrderInput(
                    supplierId: supplierID, warehouseId: warehouseID, currency: currency, lines: lines,
                    expectedDate: nil, notes: "Reorder suggestions of \(LocalDate.today())", externalRef: nil)
                input.normalize()
                try input.validate()
                drafts.append(try createOrder(input, actor: actor, in: tx))
            }
            return ApplyResult(data: drafts.sorted { $0.number < $1.number }, withoutSupplier: without)
        }
    }

    /// The one warehouse there is, or a 422 on `warehouse_id` naming the codes to choose from
    /// (in `warehouses`, with their ids).
    private func onlyWarehouse(in tx: Transaction) throws -> UUID {
        let warehouses = try inventory.warehouses(limit: 101, in: tx)
        if warehouses.count == 1 { return warehouses[0].id }
        let message =
            warehouses.isEmpty
            ? "is required, and there is no warehouse yet: create one with POST /warehouses"
            : "is required when there are several warehouses; one of: \(warehouses.prefix(100).map(\.code).joined(separator: ", "))"
        let choices = warehouses.prefix(100).map {
            JSONValue.object(JSONObject([("id", .string($0.id.uuidString.lowercased())), ("code", .string($0.code))]))
        }
        throw AppError(
            .validationFailed, "name the warehouse the orders' goods are to arrive in",
            errors: [FieldError(field: "warehouse_id", message: message)],
            extra: JSONObject([("warehouses", .array(choices))]))
    }

    /// Suggestions with an active preferred supplier, and the rest with their reason.
    static func split(_ rows: [ReorderRow]) -> (data: [Suggestion], without: [Suggestion]) {
        var data: [Suggestion] = [], without: [Suggestion] = []
        for row in rows {
            let reason: String? =
                row.supplierID == nil ? "no_preferred_supplier" : (row.supplierActive ? nil : "supplier_inactive")
            let suggestion = Suggestion(
                itemId: row.itemID, sku: row.sku, name: row.name, supplierId: row.supplierID, available: row.available,
                incoming: row.incoming, drafted: row.drafted, reorderPoint: row.reorderPoint,
                reorderQuantity: row.reorderQuantity,
                quantity: quantityToOrder(row), unitCost: row.averageCost, reason: reason)
            if reason == nil { data.append(suggestion) } else { without.append(suggestion) }
        }
        return (data, without)
    }

    /// The reorder quantity when it lifts the position above the reorder point; otherwise the
    /// smallest whole number of units that does (reorder point − position, rounded down, + 1).
    static func quantityToOrder(_ row: ReorderRow) -> ExactDecimal {
        let position = row.available.thousandths + row.incoming.thousandths + row.drafted.thousandths
        let shortfall = max(row.reorderPoint.thousandths - position, 0)
        let needed = (shortfall / 1_000 + 1) * 1_000
        let quantity = max(row.reorderQuantity?.thousandths ?? 0, needed)
        return ExactDecimal(thousandths: min(quantity, ExactDecimal.thousandthsLimit - 1))
    }
}
