import FoundationEssentials
import Postgres

/// A record events are about: what `resource_id` names.
public protocol IdentifiedRecord {
    var id: UUID { get }
}

extension EventLog {
    /// Appends `type` (`invoice.updated`) with `record` as its data, the resource type being the
    /// name before the dot, and hands the record back for the caller to return.
    public func recorded<Record: IdentifiedRecord & Encodable>(
        _ type: String, _ record: Record, actor: Principal?,
        in tx: Transaction
    ) throws -> Record {
        try append(
            type, resourceType: String(type.prefix { $0 != "." }), resourceID: record.id, resource: record,
            actor: actor, in: tx)
        return record
    }
}
