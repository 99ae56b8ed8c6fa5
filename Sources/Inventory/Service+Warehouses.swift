import FoundationEssentials
import Postgres

extension InventoryService {
    /// The warehouse `id` names, inside the caller's transaction (documents check their
    /// `warehouse_id` with it); nil when there is none.
    public func warehouse(id: UUID, in tx: Transaction) throws -> Warehouse? {
        try store.warehouse(id: id, in: tx)
    }

    /// Every warehouse, oldest first, up to `limit`, inside the caller's transaction (purchasing
    /// picks the only one when a request names none).
    public func warehouses(limit: Int, in tx: Transaction) throws -> [Warehouse] {
        try store.listWarehouses(after: nil, limit: limit, in: tx)
    }
}
