import Foundation
import Postgres

extension InventoryService {
    /// The warehouse `id` names, inside the caller's transaction (documents check their
    /// `warehouse_id` with it); nil when there is none.
    public func warehouse(id: UUID, in tx: Transaction) throws -> Warehouse? {
        try store.warehouse(id: id, in: tx)
    }
}
