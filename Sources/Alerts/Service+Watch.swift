import Core
import FoundationEssentials
import Platform
import Postgres

extension AlertService {
    /// The event log's watcher (see `EventLog.Watcher`): inside the writer's transaction,
    /// re-evaluates the data-driven kinds about the records `type`'s event names, so the alert
    /// commits (or rolls back) with the change. The evaluation runs just before the commit, so
    /// it sees the transaction's final state.
    ///
    /// - stock: `stock.*` events and items (`item.*`), and purchase orders (their incoming), by
    ///   the `item_id`s they carry;
    /// - purchase and sales orders, quotations, invoices, supplier bills (posting, paying,
    ///   voiding), activities, webhooks, service cases: events whose
    ///   resource is one (stock movements are recorded against their document, so a receipt
    ///   re-checks its purchase order); invoices also by the `invoice_id`s of payments and
    ///   credit notes;
    /// - credit: customers, and the `customer_id` of orders, invoices, payments and credit notes;
    /// - approvals: `approval.*` events, by the approval they carry.
    public func watch(type: String, resourceType: String, resourceID: UUID, data: JSONValue, in tx: Transaction)
        throws
    {
        let scopes = Self.scopes(type: type, resourceType: resourceType, resourceID: resourceID, data: data)
        guard !scopes.isEmpty else { return }
        // Gathered over the whole transaction and evaluated once before it commits: a
        // confirmation appends several events about the same order, customer and items, and
        // evaluating after each held the order's locks for the same queries again.
        try tx.beforeCommit(PendingScopes.init, adding: { $0.scopes.merge(scopes) { $0.union($1) } }) { pending, tx in
            try self.evaluate(pending.scopes, in: tx)
        }
    }

    /// The records a transaction's events named, by kind, until it commits.
    final class PendingScopes {
        var scopes: [AlertKind: Set<UUID>] = [:]
    }

    /// Evaluates each kind for its records, the rules read once.
    private func evaluate(_ scopes: [AlertKind: Set<UUID>], in tx: Transaction) throws {
        guard !scopes.isEmpty else { return }
        let rules = try store.rules(in: tx)
        // Kinds in one order (the rules' order), so two writers never open keys in a cycle.
        for rule in rules {
            guard let ids = scopes[rule.kind], !ids.isEmpty else { continue }
            try evaluate(rule.kind, rule: rule, ids: ids.sorted { $0.uuidString < $1.uuidString }, in: tx)
        }
    }

    /// The kinds an event concerns and, for each, the records to re-check.
    static func scopes(type: String, resourceType: String, resourceID: UUID, data: JSONValue) -> [AlertKind: Set<UUID>]
    {
        guard !type.hasPrefix("alert") else { return [:] }
        var scopes: [AlertKind: Set<UUID>] = [:]
        func add(_ kind: AlertKind, _ ids: some Sequence<UUID>) { scopes[kind, default: []].formUnion(ids) }
        if type.hasPrefix("stock.") || type.hasPrefix("purchase_order.") {
            add(.stockBelowReorder, values(of: "item_id", in: data))
        }
        let customerDocuments: Set<String> = ["sales_order", "invoice", "payment", "credit_note"]
        switch resourceType {
        case "item": add(.stockBelowReorder, [resourceID])
        case "purchase_order": add(.purchaseOrderLate, [resourceID])
        case "sales_order":
            add(.salesOrderLate, [resourceID])
            add(.quotationExpiring, [resourceID])
        case "invoice": add(.invoiceOverdue, [resourceID])
        case "activity": add(.activityOverdue, [resourceID])
        case "webhook": add(.webhookFailing, [resourceID])
        case "supplier_bill": add(.supplierBillDue, [resourceID])
        case "case": add(.caseSLABreached, [resourceID])
        case "customer": if type != "customer.created" { add(.creditNearLimit, [resourceID]) }
        default: break
        }
        // Approvals' events are about their document; the approval is the data.
        if type.hasPrefix("approval."), let id = data["id"]?.stringValue.flatMap(UUID.init(uuidString:)) {
            add(.approvalWaiting, [id])
        }
        if resourceType == "payment" || resourceType == "credit_note" {
            add(.invoiceOverdue, values(of: "invoice_id", in: data))
        }
        if customerDocuments.contains(resourceType) && type != "sales_order.created" && type != "sales_order.updated" {
            add(.creditNearLimit, values(of: "customer_id", in: data))
        }
        return scopes.filter { !$0.value.isEmpty }
    }

    /// Every UUID under `key`, at any depth (`lines[].item_id`, `allocations[].invoice_id`).
    static func values(of key: String, in value: JSONValue) -> Set<UUID> {
        var found: Set<UUID> = []
        func walk(_ value: JSONValue) {
            switch value {
            case .object(let object):
                for (name, member) in object {
                    if name == key, let text = member.stringValue, let id = UUID(uuidString: text) { found.insert(id) }
                    walk(member)
                }
            case .array(let elements): elements.forEach(walk)
            default: break
            }
        }
        walk(value)
        return found
    }
}
