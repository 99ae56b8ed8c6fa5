import Core
import FoundationEssentials
import Platform
import Postgres

/// What Payables needs of purchasing, inside its own transaction: the order to bill (locked),
/// the supplier's terms, and the billed quantities it claims or gives back.
extension PurchasingService {
    /// The purchase order `key` names, its row locked until the transaction ends (the lock every
    /// change to an order takes first, receipts included), so two bills on one line apply one
    /// after the other; nil when there is none.
    public func lockOrderForBilling(_ key: DocumentKey, in tx: Transaction) throws -> PurchaseOrder? {
        try store.order(key, lock: true, in: tx)
    }

    /// The supplier with this id, if any.
    public func supplier(id: UUID, in tx: Transaction) throws -> Supplier? {
        try store.supplier(.id(id), in: tx)
    }

    /// The supplier a path's id or number names, if any.
    public func supplier(_ key: DocumentKey, in tx: Transaction) throws -> Supplier? {
        try store.supplier(key, in: tx)
    }

    /// The names of the given items (bill lines describe what they bill by them).
    public func itemNames(_ ids: [UUID], in tx: Transaction) throws -> [UUID: String] {
        Dictionary(try catalog.items(ids: ids, in: tx).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    /// Adds billed quantities to an order's lines (negative ones give them back, when a bill is
    /// voided), sets its `bill_status` and appends `event` with the order. The caller checked the
    /// quantities against received − billed under `lockOrderForBilling`'s lock.
    public func recordBilled(
        orderID: UUID, lines: [(lineNo: Int, quantity: ExactDecimal)], event: String, actor: Principal?,
        in tx: Transaction
    ) throws -> PurchaseOrder {
        for line in lines {
            try store.addBilled(orderID: orderID, lineNo: line.lineNo, quantity: line.quantity, in: tx)
        }
        try store.refreshBillStatus(orderID: orderID, in: tx)
        return try events.recorded(event, try store.order(.id(orderID), in: tx)!, actor: actor, in: tx)
    }
}
