import Core
import FoundationEssentials
import HTTPClient
import Logging
import Platform
import Postgres

/// Subscriptions and their deliveries; `Dispatcher` does the sending.
public final class WebhookService: Sendable {
    let pool: ConnectionPool
    let events: EventLog
    let settings: WebhookSettings
    let store = WebhookStore()
    /// How long a rotated-out secret still signs (receivers switch over meanwhile).
    static let rotationOverlap = 24 * 3600

    public init(pool: ConnectionPool, events: EventLog, settings: WebhookSettings) {
        self.pool = pool
        self.events = events
        self.settings = settings
    }

    func create(_ input: WebhookInput, actor: Principal) throws -> WebhookWithSecret {
        var input = input
        input.normalize()
        try input.validate()
        if input.status == .failing {
            throw AppError.validation([
                FieldError(field: "status", message: "is set to failing only by deliveries; use enabled or disabled")
            ])
        }
        try checkTarget(input.url)
        let secret = WebhookSignature.newSecret()
        let cursor = try events.latestSequence()
        let endpoint = try pool.transaction { tx in
            return try events.recorded(
                "webhook.created", try store.insert(input, secret: secret, cursor: cursor, by: actor.userID, in: tx),
                actor: actor, in: tx)
        }
        return WebhookWithSecret(webhook: endpoint, secret: secret, previousSecretExpiresAt: nil)
    }

    func endpoint(_ id: UUID) throws -> WebhookEndpoint {
        try pool.record("webhook") { tx in try store.endpoint(id: id, in: tx) }
    }

    func list(page: PageRequest) throws -> Page<WebhookEndpoint> {
        try pool.page(page) { tx in try store.list(after: page.after, limit: page.limit, in: tx) }
    }

    /// A merge patch of `url`, `description`, `event_types`, `status` (`enabled` resumes a
    /// failing or disabled subscription; `failing` is set only by deliveries).
    func update(_ id: UUID, patch: JSONValue, ifMatch: (Int) throws -> Void, actor: Principal) throws -> WebhookEndpoint
    {
        try pool.transaction { tx in
            guard let current = try store.endpoint(id: id, lock: true, in: tx) else {
                throw AppError.notFound("webhook")
            }
            try ifMatch(current.version)
            let writable = try JSONValueEncoder().encode(
                WebhookInput(
                    url: current.url, description: current.description,
                    eventTypes: current.eventTypes, status: current.status))
            let input = try RecordPatch<WebhookInput>(
                patch, toDocument: writable, writable: WebhookEndpoint.writableFields
            ).input
            if input.status == .failing && patch.objectValue?["status"] != nil {
                throw AppError.validation([
                    FieldError(
                        field: "status", message: "is set to failing only by deliveries; use enabled or disabled")
                ])
            }
            if input.url != current.url { try checkTarget(input.url) }
            var changed = current
            changed.url = input.url
            changed.description = input.description
            changed.eventTypes = input.eventTypes ?? []
            changed.status = input.status ?? current.status
            if changed.status != current.status {
                changed.disabledReason = changed.status == .disabled ? "disabled by an admin" : nil
            }
            // A patch that changes nothing writes nothing: no new version, no event.
            if try JSONValueEncoder().encode(changed).keeping(WebhookEndpoint.writableFields)
                == JSONValueEncoder().encode(current).keeping(WebhookEndpoint.writableFields)
            {
                return current
            }
            let updated = try store.update(changed, in: tx)
            try events.append(
                "webhook.updated", resourceType: "webhook", resourceID: id, resource: updated, actor: actor, in: tx)
            return updated
        }
    }

    func delete(_ id: UUID, ifMatch: (Int) throws -> Void, actor: Principal) throws {
        try pool.transaction { tx in
            guard let current = try store.endpoint(id: id, lock: true, in: tx) else {
                throw AppError.notFound("webhook")
            }
            try ifMatch(current.version)
            try store.delete(id: id, in: tx)
            try events.append(
                "webhook.deleted", resourceType: "webhook", resourceID: id, resource: current, actor: actor, in: tx)
        }
    }

    /// A new secret; the old one keeps signing (a second signature) for a day.
    func rotateSecret(_ id: UUID, actor: Principal) throws -> WebhookWithSecret {
        let secret = WebhookSignature.newSecret()
        return try pool.transaction { tx in
            guard try store.endpoint(id: id, lock: true, in: tx) != nil else { throw AppError.notFound("webhook") }
            let expires = try store.rotate(id: id, secret: secret, keepPreviousFor: Self.rotationOverlap, in: tx)
            let endpoint = try store.endpoint(id: id, in: tx)!
            try events.append(
                "webhook.secret_rotated", resourceType: "webhook", resourceID: id, resource: endpoint, actor: actor,
                in: tx)
            return WebhookWithSecret(webhook: endpoint, secret: secret, previousSecretExpiresAt: expires)
        }
    }

    /// Queues a `webhook.test` message for this subscription only.
    func sendTest(_ id: UUID, actor: Principal) throws -> WebhookDelivery {
        try pool.transaction { tx in
            guard try store.endpoint(id: id, in: tx) != nil else { throw AppError.notFound("webhook") }
            let message = UUID()
            let payload: JSONValue = .object(
                JSONObject([
                    ("id", .string(message.uuidString.lowercased())), ("type", .string("webhook.test")),
                    ("occurred_at", .string(RFC3339.format(Date()) ?? "")),
                    ("data", .object(JSONObject([("webhook_id", .string(id.uuidString.lowercased()))]))),
                ]))
            let delivery = try store.insertDelivery(
                endpointID: id, messageID: message, sequence: nil, type: "webhook.test", payload: payload, in: tx)!
            return try store.delivery(id: delivery, endpointID: id, in: tx)!.0
        }
    }

    /// Sends a delivered (or failed) message again, with its original `webhook-id`.
    func replay(_ id: UUID, deliveryID: UUID, actor: Principal) throws -> WebhookDelivery {
        try pool.transaction { tx in
            guard let (original, payload) = try store.delivery(id: deliveryID, endpointID: id, in: tx) else {
                throw AppError.notFound("delivery")
            }
            guard original.status != .pending else {
                throw AppError(
                    .invalidTransition, "the delivery is still pending; it will be attempted anyway",
                    extra: JSONObject([("from_state", .string("pending")), ("to_state", .string("pending"))]))
            }
            let copy = try store.insertDelivery(
                endpointID: id, messageID: original.messageId, sequence: nil, type: original.eventType,
                payload: payload, replayOf: original.id, in: tx)!
            return try store.delivery(id: copy, endpointID: id, in: tx)!.0
        }
    }

    func deliveries(_ id: UUID, status: WebhookDelivery.Status?, page: PageRequest) throws -> Page<WebhookDelivery> {
        try pool.page(page) { tx in
            guard try store.endpoint(id: id, in: tx) != nil else { throw AppError.notFound("webhook") }
            return try store.deliveries(endpointID: id, status: status, after: page.after, limit: page.limit, in: tx)
        }
    }

    func delivery(_ id: UUID, deliveryID: UUID) throws -> WebhookDelivery {
        guard let found = try pool.read({ tx in try store.delivery(id: deliveryID, endpointID: id, in: tx) }) else {
            throw AppError.notFound("delivery")
        }
        return found.0
    }

    /// Deletes finished deliveries older than 30 days; returns how many (housekeeping).
    public func reapDeliveries() throws -> Int {
        try pool.transaction { tx in try store.reap(in: tx) }
    }

    /// The URL must be http(s) and, unless private targets are allowed, resolve only to public
    /// addresses (the guard runs again on every delivery).
    private func checkTarget(_ url: String) throws {
        switch HTTPClient.Target.parse(url) {
        case .failure(let failure):
            throw AppError.validation([FieldError(field: "url", message: failure.description)])
        case .success(let target):
            if !settings.allowPrivate,
                let problem = HTTPClient.privateAddressProblem(host: target.host, port: target.port)
            {
                throw AppError.validation([FieldError(field: "url", message: problem)])
            }
        }
    }
}

/// Listed in creation order.
extension WebhookEndpoint: CreatedRecord {}
extension WebhookDelivery: CreatedRecord {}

/// Patched through RecordPatch.
extension WebhookInput: RecordInput {}
