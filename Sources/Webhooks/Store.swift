import Core
import FoundationEssentials
import Platform
import Postgres

/// A subscription as the delivery loop needs it (with its secrets).
struct ClaimedEndpoint {
    let id: UUID
    /// The lease this instance holds on it.
    let lease: UUID
    let url: String
    let secret: String
    let previousSecret: String?
}

/// A pending message as the delivery loop needs it.
struct PendingDelivery {
    let id: UUID
    let messageId: UUID
    let payload: JSONValue
    let attempts: Int
    let firstAttemptAt: Date?
    let due: Bool
}

/// SQL of subscriptions and deliveries.
struct WebhookStore: Sendable {
    static let columns: SQL =
        "id, url, description, event_types, status, disabled_reason, created_at, updated_at, version"

    func insert(_ input: WebhookInput, secret: String, cursor: Int64, by user: UUID?, in tx: Transaction) throws
        -> WebhookEndpoint
    {
        try Self.endpoint(
            tx.first(
                """
                INSERT INTO webhook_endpoints (url, description, event_types, status, secret, cursor_sequence, created_by)
                VALUES (\(input.url), \(input.description), \(input.eventTypes ?? []), \((input.status ?? .enabled).rawValue), \(secret),
                        \(cursor), \(user))
                RETURNING \(Self.columns)
                """)!)
    }

    func endpoint(id: UUID, lock: Bool = false, in tx: Transaction) throws -> WebhookEndpoint? {
        let locking: SQL = lock ? " FOR UPDATE" : ""
        return try tx.first("SELECT \(Self.columns) FROM webhook_endpoints WHERE id = \(id)\(locking)").map(
            Self.endpoint)
    }

    func update(_ endpoint: WebhookEndpoint, in tx: Transaction) throws -> WebhookEndpoint {
        try Self.endpoint(
            tx.first(
                """
                UPDATE webhook_endpoints SET url = \(endpoint.url), description = \(endpoint.description), event_types = \(endpoint.eventTypes),
                    status = \(endpoint.status.rawValue), disabled_reason = \(endpoint.disabledReason), updated_at = now(), version = version + 1
                WHERE id = \(endpoint.id)
                RETURNING \(Self.columns)
                """)!)
    }

    func rotate(id: UUID, secret: String, keepPreviousFor seconds: Int, in tx: Transaction) throws -> Date {
        try tx.first(
            """
            UPDATE webhook_endpoints SET previous_secret = secret, secret = \(secret),
                previous_secret_expires_at = now() + make_interval(secs => \(seconds)), updated_at = now(), version = version + 1
            WHERE id = \(id)
            RETURNING previous_secret_expires_at
            """)!.decode("previous_secret_expires_at")
    }

    func delete(id: UUID, in tx: Transaction) throws {
        try tx.execute("DELETE FROM webhook_endpoints WHERE id = \(id)")
    }

    func list(after: (key: String, id: UUID)?, limit: Int, in tx: Transaction) throws -> [WebhookEndpoint] {
        let page = Keyset.createdAt.clause([], after: after, limit: limit)
        return try tx.query("SELECT \(Self.columns) FROM webhook_endpoints \(page)").rows.map(Self.endpoint)
    }

    // MARK: Fan-out

    /// Subscriptions that are not disabled, locked for fan-out (another instance skips them).
    func lockForFanOut(in tx: Transaction) throws -> [(id: UUID, types: [String], cursor: Int64)] {
        try tx.query(
            """
            SELECT id, event_types, cursor_sequence FROM webhook_endpoints WHERE status <> 'disabled'
            ORDER BY id FOR UPDATE SKIP LOCKED
            """
        ).rows.map { (try $0.decode("id"), try $0.decode("event_types"), try $0.decode("cursor_sequence")) }
    }

    func insertDelivery(
        endpointID: UUID, messageID: UUID, sequence: Int64?, type: String, payload: JSONValue, replayOf: UUID? = nil,
        in tx: Transaction
    ) throws -> UUID? {
        try tx.first(
            """
            INSERT INTO webhook_deliveries (endpoint_id, message_id, event_sequence, event_type, payload, status, replay_of)
            VALUES (\(endpointID), \(messageID), \(sequence), \(type), \(payload), 'pending', \(replayOf))
            ON CONFLICT DO NOTHING RETURNING id
            """)?.decode("id")
    }

    func advance(endpointID: UUID, to sequence: Int64, in tx: Transaction) throws {
        try tx.execute(
            "UPDATE webhook_endpoints SET cursor_sequence = \(sequence) WHERE id = \(endpointID) AND cursor_sequence < \(sequence)"
        )
    }

    // MARK: Delivering

    /// Leases up to `limit` enabled subscriptions whose oldest pending delivery is due, for
    /// `seconds`; an instance only delivers to subscriptions it leased, so one message is never
    /// sent twice at once and each subscription gets its messages in order.
    func lease(limit: Int, seconds: Int, in tx: Transaction) throws -> [ClaimedEndpoint] {
        let lease = UUID()
        return try tx.query(
            """
            UPDATE webhook_endpoints SET lease_owner = \(lease), lease_until = now() + make_interval(secs => \(seconds))
            WHERE id IN (
                SELECT e.id FROM webhook_endpoints e
                WHERE e.status = 'enabled' AND (e.lease_until IS NULL OR e.lease_until < now())
                  AND (SELECT d.next_attempt_at FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.status = 'pending'
                       ORDER BY d.created_at, d.id LIMIT 1) <= now()
                LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING id, url, secret,
                      CASE WHEN previous_secret_expires_at > now() THEN previous_secret END AS previous_secret
            """
        ).rows.map {
            ClaimedEndpoint(
                id: try $0.decode("id"), lease: lease, url: try $0.decode("url"), secret: try $0.decode("secret"),
                previousSecret: try $0.decodeIfPresent("previous_secret"))
        }
    }

    /// Extends a lease this instance still holds; false when it was lost (it expired and
    /// another instance took the subscription, or the subscription stopped delivering).
    func renew(endpointID: UUID, lease: UUID, seconds: Int, in tx: Transaction) throws -> Bool {
        try tx.execute(
            """
            UPDATE webhook_endpoints SET lease_until = now() + make_interval(secs => \(seconds))
            WHERE id = \(endpointID) AND lease_owner = \(lease) AND status = 'enabled'
            """) == 1
    }

    func release(endpointID: UUID, lease: UUID, in tx: Transaction) throws {
        try tx.execute(
            "UPDATE webhook_endpoints SET lease_owner = NULL, lease_until = NULL WHERE id = \(endpointID) AND lease_owner = \(lease)"
        )
    }

    /// The oldest pending delivery of a subscription (messages go out in order).
    func oldestPending(endpointID: UUID, in tx: Transaction) throws -> PendingDelivery? {
        try tx.first(
            """
            SELECT id, message_id, payload, attempts, first_attempt_at, next_attempt_at <= now() AS due
            FROM webhook_deliveries WHERE endpoint_id = \(endpointID) AND status = 'pending'
            ORDER BY created_at, id LIMIT 1
            """
        ).map {
            PendingDelivery(
                id: try $0.decode("id"), messageId: try $0.decode("message_id"), payload: try $0.decode("payload"),
                attempts: try $0.decode("attempts"), firstAttemptAt: try $0.decodeIfPresent("first_attempt_at"),
                due: try $0.decode("due"))
        }
    }

    /// Records one attempt; `retryIn` nil means the delivery is over (succeeded or failed).
    func recordAttempt(
        deliveryID: UUID, succeeded: Bool, status: Int?, milliseconds: Int, error: String?, retryIn: Double?,
        in tx: Transaction
    ) throws {
        let outcome = succeeded ? "succeeded" : (retryIn == nil ? "failed" : "pending")
        try tx.execute(
            """
            UPDATE webhook_deliveries SET attempts = attempts + 1, first_attempt_at = coalesce(first_attempt_at, now()),
                last_attempt_at = now(), last_response_status = \(status), last_response_ms = \(milliseconds), last_error = \(error),
                status = \(outcome), delivered_at = CASE WHEN \(succeeded) THEN now() END,
                next_attempt_at = now() + make_interval(secs => \(retryIn ?? 0))
            WHERE id = \(deliveryID)
            """)
    }

    func setStatus(endpointID: UUID, _ status: WebhookEndpoint.Status, reason: String, in tx: Transaction) throws
        -> WebhookEndpoint?
    {
        try tx.first(
            """
            UPDATE webhook_endpoints SET status = \(status.rawValue), disabled_reason = \(reason), updated_at = now(), version = version + 1
            WHERE id = \(endpointID)
            RETURNING \(Self.columns)
            """
        ).map(Self.endpoint)
    }

    /// Finished deliveries older than 30 days (the outbox keeps events at least that long).
    func reap(in tx: Transaction) throws -> Int {
        try tx.execute(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND created_at < now() - interval '30 days'")
    }

    // MARK: Reading deliveries

    static let deliveryColumns: SQL = """
        id, endpoint_id, message_id, event_type, status, attempts, next_attempt_at, last_attempt_at, last_response_status,
        last_response_ms, last_error, delivered_at, replay_of, created_at
        """

    func deliveries(
        endpointID: UUID, status: WebhookDelivery.Status?, after: (key: String, id: UUID)?, limit: Int,
        in tx: Transaction
    ) throws -> [WebhookDelivery] {
        var conditions: [SQL] = ["endpoint_id = \(endpointID)"]
        if let status { conditions.append("status = \(status.rawValue)") }
        let page = Keyset.createdAt.clause(conditions, after: after, limit: limit)
        return try tx.query("SELECT \(Self.deliveryColumns) FROM webhook_deliveries \(page)").rows.map(Self.delivery)
    }

    func delivery(id: UUID, endpointID: UUID, in tx: Transaction) throws -> (WebhookDelivery, JSONValue)? {
        try tx.first(
            """
            SELECT \(Self.deliveryColumns), payload FROM webhook_deliveries WHERE id = \(id) AND endpoint_id = \(endpointID)
            """
        ).map { (try Self.delivery($0), try $0.decode("payload")) }
    }

    static func endpoint(_ row: Row) throws -> WebhookEndpoint {
        let status = try row.decodeEnum("status", as: WebhookEndpoint.Status.self)
        return WebhookEndpoint(
            id: try row.decode("id"), url: try row.decode("url"), description: try row.decodeIfPresent("description"),
            eventTypes: try row.decode("event_types"), status: status,
            disabledReason: try row.decodeIfPresent("disabled_reason"),
            createdAt: try row.decode("created_at"), updatedAt: try row.decode("updated_at"),
            version: try row.decode("version"))
    }

    static func delivery(_ row: Row) throws -> WebhookDelivery {
        let status = try row.decodeEnum("status", as: WebhookDelivery.Status.self)
        return WebhookDelivery(
            id: try row.decode("id"), webhookId: try row.decode("endpoint_id"), messageId: try row.decode("message_id"),
            eventType: try row.decode("event_type"), status: status, attempts: try row.decode("attempts"),
            nextAttemptAt: status == .pending ? try row.decodeIfPresent("next_attempt_at") : nil,
            lastAttemptAt: try row.decodeIfPresent("last_attempt_at"),
            lastResponseStatus: try row.decodeIfPresent("last_response_status"),
            lastResponseMs: try row.decodeIfPresent("last_response_ms"),
            lastError: try row.decodeIfPresent("last_error"),
            deliveredAt: try row.decodeIfPresent("delivered_at"), replayOf: try row.decodeIfPresent("replay_of"),
            createdAt: try row.decode("created_at"))
    }
}
