import Core
import FoundationEssentials
import Glibc

/// A subscription: where to push which events (API issue "Integration surface").
public struct WebhookEndpoint: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public var url: String
    public var description: String?
    /// Empty: every event type.
    public var eventTypes: [String]
    public var status: Status
    public var disabledReason: String?
    public let createdAt: Date
    public var updatedAt: Date
    public var version: Int

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("url", url)
        try object.member("description", description)
        try object.member("event_types", eventTypes)
        try object.member("status", status)
        try object.member("disabled_reason", disabledReason)
        try object.member("created_at", createdAt)
        try object.member("updated_at", updatedAt)
        try object.member("version", version)
    }

    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Delivering.
        case enabled
        /// Stopped by an admin, or by the receiver answering 410 Gone.
        case disabled
        /// A delivery kept failing for about three days; deliveries wait until it is enabled again.
        case failing
    }

    static let writableFields: Set<String> = ["url", "description", "event_types", "status"]
    static let readOnlyFields: Set<String> = ["id", "secret", "disabled_reason", "created_at", "updated_at", "version"]
}

/// `POST /webhooks`, and what a merge patch produces.
struct WebhookInput: Codable {
    var url: String
    var description: String?
    var eventTypes: [String]?
    var status: WebhookEndpoint.Status?

    mutating func normalize() {
        url = url.trimmedOfSpaces()
    }

    func validate() throws {
        var errors: [FieldError] = []
        if let description, description.count > 500 {
            errors.append(FieldError(field: "description", message: "must be at most 500 characters"))
        }
        for (index, type) in (eventTypes ?? []).enumerated()
        where type.isEmpty || type.count > 100
            || !type.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") })
        {
            errors.append(
                FieldError(field: "event_types[\(index)]", message: "must be an event type such as customer.created"))
        }
        if (eventTypes ?? []).count > 100 {
            errors.append(FieldError(field: "event_types", message: "must list at most 100 types"))
        }
        if !errors.isEmpty { throw AppError.validation(errors) }
    }
}

/// The one answer that shows a secret: after creation and after a rotation. The endpoint
/// itself (its `id` at the top level, like every other create) plus `secret`, shown only here,
/// and when the previous secret stops signing (rotation only).
struct WebhookWithSecret: Encodable {
    let webhook: WebhookEndpoint
    let secret: String
    let previousSecretExpiresAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, url, description, eventTypes, status, disabledReason, createdAt, updatedAt, version, secret,
            previousSecretExpiresAt
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(webhook.id, forKey: .id)
        try c.encode(webhook.url, forKey: .url)
        try c.encodeIfPresent(webhook.description, forKey: .description)
        try c.encode(webhook.eventTypes, forKey: .eventTypes)
        try c.encode(webhook.status, forKey: .status)
        try c.encodeIfPresent(webhook.disabledReason, forKey: .disabledReason)
        try c.encode(webhook.createdAt, forKey: .createdAt)
        try c.encode(webhook.updatedAt, forKey: .updatedAt)
        try c.encode(webhook.version, forKey: .version)
        try c.encode(secret, forKey: .secret)
        try c.encodeIfPresent(previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
    }
}

/// One message to one subscription, with what happened on its attempts.
public struct WebhookDelivery: Decodable, JSONMembers, Sendable {
    public let id: UUID
    public let webhookId: UUID
    /// `webhook-id`: the event's id, the same on every attempt and on replays.
    public let messageId: UUID
    public let eventType: String
    public let status: Status
    public let attempts: Int
    public let nextAttemptAt: Date?
    public let lastAttemptAt: Date?
    public let lastResponseStatus: Int?
    public let lastResponseMs: Int?
    public let lastError: String?
    public let deliveredAt: Date?
    public let replayOf: UUID?
    public let createdAt: Date

    public func writeMembers(to object: inout JSONMemberWriter) throws {
        try object.member("id", id)
        try object.member("webhook_id", webhookId)
        try object.member("message_id", messageId)
        try object.member("event_type", eventType)
        try object.member("status", status)
        try object.member("attempts", attempts)
        try object.member("next_attempt_at", nextAttemptAt)
        try object.member("last_attempt_at", lastAttemptAt)
        try object.member("last_response_status", lastResponseStatus)
        try object.member("last_response_ms", lastResponseMs)
        try object.member("last_error", lastError)
        try object.member("delivered_at", deliveredAt)
        try object.member("replay_of", replayOf)
        try object.member("created_at", createdAt)
    }

    public enum Status: String, Codable, Sendable, CaseIterable { case pending, succeeded, failed }
}

/// Delivery settings (configuration).
public struct WebhookSettings: Sendable {
    /// `CONCORD_WEBHOOK_ALLOW_PRIVATE`: lets subscriptions reach private, loopback and link-local addresses.
    public var allowPrivate: Bool
    /// `CONCORD_WEBHOOK_RETRY_BASE_MS`: the first retry's delay; each later one doubles, up to 960 ×.
    public var retryBase: Double
    /// Attempts before a delivery is given up and its subscription marked failing: with the
    /// default 30 s base the schedule spans about three days.
    public var maxAttempts: Int
    /// Delivery threads per instance.
    public var threads: Int
    /// How often an idle instance looks for work, in seconds.
    public var pollInterval: Double

    public init(
        allowPrivate: Bool = false, retryBase: Double = 30, maxAttempts: Int = 19, threads: Int = 4,
        pollInterval: Double = 0.1
    ) {
        self.allowPrivate = allowPrivate
        self.retryBase = retryBase
        self.maxAttempts = maxAttempts
        self.threads = threads
        self.pollInterval = pollInterval
    }

    /// The wait after failed attempt `attempt` (1-based): base × 2^(attempt−1), at most 960 ×
    /// base, with ±20 % jitter so a receiver that comes back is not hit by every sender at once.
    func delay(afterAttempt attempt: Int) -> Double {
        let units = min(pow(2, Double(max(0, attempt - 1))), 960)
        return retryBase * units * Double.random(in: 0.8...1.2)
    }
}
