import Core
import FoundationEssentials
import Postgres

/// SQL of the outbox.
struct EventStore: Sendable {
    /// Held (per transaction) by whichever instance is numbering events, so numbers are handed
    /// out by one publisher at a time ("concord-e" as an integer).
    static let publisherLock: Int64 = 0x636F_6E63_6F72_6465

    func insert(
        type: String, resourceType: String, resourceID: UUID, data: JSONValue, userID: UUID?, apiKeyID: UUID?,
        in tx: Transaction
    ) throws {
        try tx.execute(
            """
            INSERT INTO events (type, resource_type, resource_id, data, actor_user_id, actor_api_key_id)
            VALUES (\(type), \(resourceType), \(resourceID), \(data), \(userID), \(apiKeyID))
            """)
    }

    func latestSequence(in tx: Transaction) throws -> Int64 {
        try tx.first("SELECT coalesce(max(sequence), 0) AS latest FROM events")!.decode("latest")
    }

    func hasUnpublished(in tx: Transaction) throws -> Bool {
        try tx.first("SELECT EXISTS (SELECT 1 FROM events WHERE sequence IS NULL) AS pending")?.decode("pending")
            ?? false
    }

    /// Whether an unnumbered event is visible now, and the first transaction id not yet started
    /// (`horizon`): every transaction that committed before this call has a lower id.
    func pending(in tx: Transaction) throws -> (pending: Bool, horizon: String) {
        let row = try tx.first(
            """
            SELECT EXISTS (SELECT 1 FROM events WHERE sequence IS NULL) AS pending,
                   pg_snapshot_xmax(pg_current_snapshot())::text AS horizon
            """)!
        return (try row.decode("pending"), try row.decode("horizon"))
    }

    /// Whether an event of a transaction below `horizon` is still unnumbered.
    func hasUnpublished(before horizon: String, in tx: Transaction) throws -> Bool {
        try tx.first(
            """
            SELECT EXISTS (SELECT 1 FROM events WHERE sequence IS NULL AND xid < \(horizon)::xid8) AS pending
            """)?.decode("pending") ?? false
    }

    /// Numbers unnumbered events of transactions older than the oldest one still running: any
    /// transaction that commits later has a newer xid, so it can only get later numbers.
    func publish(in tx: Transaction) throws -> Int {
        guard
            try tx.first("SELECT pg_try_advisory_xact_lock(\(Self.publisherLock)) AS locked")?.decode(
                "locked", as: Bool.self) == true
        else {
            return 0
        }
        return try tx.execute(
            """
            UPDATE events AS e SET sequence = numbered.sequence
            FROM (
                SELECT ready.id, nextval('events_sequence_seq') AS sequence
                FROM (
                    SELECT id FROM events
                    WHERE sequence IS NULL AND xid < pg_snapshot_xmin(pg_current_snapshot())
                    ORDER BY xid, occurred_at, id
                    LIMIT 10000
                ) AS ready
            ) AS numbered
            WHERE e.id = numbered.id
            """)
    }

    func feed(after sequence: Int64, types: [String], limit: Int, in tx: Transaction) throws -> [Event] {
        let filter: SQL = types.isEmpty ? "" : " AND type = ANY(\(types)::text[])"
        return try tx.query(
            """
            SELECT id, sequence, type, resource_type, resource_id, occurred_at, actor_user_id, actor_api_key_id, data
            FROM events WHERE sequence > \(sequence)\(filter) ORDER BY sequence LIMIT \(limit)
            """
        ).rows.map(Self.event)
    }

    func history(resourceType: String, resourceID: UUID, in tx: Transaction) throws -> [Event] {
        try tx.query(
            """
            SELECT id, sequence, type, resource_type, resource_id, occurred_at, actor_user_id, actor_api_key_id, data
            FROM events WHERE resource_type = \(resourceType) AND resource_id = \(resourceID) AND sequence IS NOT NULL
            ORDER BY occurred_at, sequence, id
            """
        ).rows.map(Self.event)
    }

    /// `GET /audit`: events by who, what and when, in occurrence order (keyset on
    /// `occurred_at`, `id`).
    func audit(_ filter: AuditFilter, after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [Event]
    {
        var conditions: [SQL] = ["sequence IS NOT NULL"]
        if let user = filter.userID { conditions.append("actor_user_id = \(user)") }
        if let key = filter.apiKeyID { conditions.append("actor_api_key_id = \(key)") }
        if let resource = filter.resourceType { conditions.append("resource_type = \(resource)") }
        if let id = filter.resourceID { conditions.append("resource_id = \(id)") }
        if let action = filter.type { conditions.append("type = \(action)") }
        if let from = filter.from { conditions.append("occurred_at >= \(from)") }
        if let to = filter.to { conditions.append("occurred_at < \(to)") }
        let page = Keyset("occurred_at", cast: "timestamptz").clause(
            conditions, after: after, descending: filter.descending, limit: limit)
        return try tx.query(
            """
            SELECT id, sequence, type, resource_type, resource_id, occurred_at, actor_user_id, actor_api_key_id, data
            FROM events \(page)
            """
        ).rows.map(Self.event)
    }

    static func event(_ row: Row) throws -> Event {
        let user: UUID? = try row.decodeIfPresent("actor_user_id")
        let key: UUID? = try row.decodeIfPresent("actor_api_key_id")
        return Event(
            id: try row.decode("id"), sequence: try row.decodeIfPresent("sequence"), type: try row.decode("type"),
            resourceType: try row.decode("resource_type"), resourceId: try row.decode("resource_id"),
            occurredAt: try row.decode("occurred_at"),
            actor: user == nil && key == nil ? nil : Event.Actor(userId: user, apiKeyId: key),
            data: try row.decode("data"))
    }
}

/// The filters of `GET /audit`.
struct AuditFilter {
    var userID: UUID?
    var apiKeyID: UUID?
    var resourceType: String?
    var resourceID: UUID?
    var type: String?
    var from: Date?
    var to: Date?
    var descending = false
}
