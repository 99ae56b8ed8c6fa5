import FoundationEssentials
import Postgres

extension InventoryService {
    /// Makes sure each (item, warehouse) has a stock row (zero when new), so `GET /stock` shows
    /// what an ordered purchase order will bring (`incoming`) before anything has arrived.
    /// Inside the caller's transaction; shares the items first (id order), the lock order of
    /// every stock writer, so it never deadlocks with a receipt creating the same row.
    public func track(itemIDs: [UUID], warehouseID: UUID, in tx: Transaction) throws {
        let items = try catalog.shareItems(ids: itemIDs, in: tx).filter(\.isStocked).map(\.id)
        guard !items.isEmpty else { return }
        try store.ensureBalances(items.map { (item: $0, warehouse: warehouseID) }, in: tx)
    }
}
