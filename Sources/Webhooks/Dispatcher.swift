import Core
import FoundationEssentials
import HTTPClient
import Logging
import Platform
import Postgres

/// Sends webhook messages: fans new events out to subscriptions, then delivers each
/// subscription's messages in order, one at a time, retrying with backoff. Every instance
/// runs one; subscriptions are leased in the database, so two instances never deliver to
/// the same one at once and no message goes out twice concurrently (at-least-once overall:
/// a crash between sending and recording means one more attempt).
public final class WebhookDispatcher: @unchecked Sendable {
    let service: WebhookService
    let logger: Logger
    private var store: WebhookStore { service.store }
    private var pool: ConnectionPool { service.pool }
    private var settings: WebhookSettings { service.settings }
    /// Guards `stopping`; its condition wakes the threads for shutdown.
    private let state = Condition()
    private var stopping = false
    private var running = 0

    public init(service: WebhookService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    public func start() {
        for index in 0..<max(1, settings.threads) {
            state.lock()
            running += 1
            state.unlock()
            BackgroundThread.start(name: "concord-webhooks-\(index)") { [self] in loop(fansOut: index == 0) }
        }
    }

    /// Stops after the attempts in flight; waits for the threads.
    public func stop() {
        state.lock()
        stopping = true
        state.broadcast()
        while running > 0 { state.wait() }
        state.unlock()
    }

    private func loop(fansOut: Bool) {
        defer {
            state.lock()
            running -= 1
            state.broadcast()
            state.unlock()
        }
        while true {
            state.lock()
            if stopping { state.unlock(); return }
            state.unlock()
            var worked = false
            do {
                if fansOut { worked = try fanOut() > 0 }
                worked = try deliverSome() || worked
            } catch {
                logger.debug("webhook dispatcher waiting", metadata: ["error": "\(error)"])
            }
            if !worked {
                state.lock()
                if !stopping { _ = state.wait(seconds: settings.pollInterval) }
                state.unlock()
            }
        }
    }

    /// Creates deliveries for numbered events past each subscription's cursor; returns how many.
    @discardableResult
    func fanOut() throws -> Int {
        try pool.transaction { tx in
            let endpoints = try store.lockForFanOut(in: tx)
            guard let lowest = endpoints.map(\.cursor).min() else { return 0 }
            let feed = try service.events.feed(after: lowest, types: [], limit: 500)
            guard let last = feed.last?.sequence else { return 0 }
            var created = 0
            for endpoint in endpoints {
                // Subscriptions' own events (`webhook.*`) go only where they are asked for by name.
                for event in feed
                where (event.sequence ?? 0) > endpoint.cursor
                    && (endpoint.types.isEmpty
                        ? !event.type.hasPrefix("webhook.") : endpoint.types.contains(event.type))
                {
                    if try store.insertDelivery(
                        endpointID: endpoint.id, messageID: event.id, sequence: event.sequence, type: event.type,
                        payload: try JSONValueEncoder().encode(event), in: tx) != nil
                    {
                        created += 1
                    }
                }
                try store.advance(endpointID: endpoint.id, to: last, in: tx)
            }
            return created
        }
    }

    /// Leases due subscriptions and delivers their messages; true when any was attempted.
    func deliverSome() throws -> Bool {
        let leased = try pool.transaction { tx in try store.lease(limit: 4, seconds: 120, in: tx) }
        for endpoint in leased {
            defer {
                _ = try? pool.transaction { tx in
                    try store.release(endpointID: endpoint.id, lease: endpoint.lease, in: tx)
                }
            }
            // In order: the next message goes only after this one succeeded or was given up.
            for _ in 0..<50 {
                state.lock()
                let stop = stopping
                state.unlock()
                guard !stop,
                    let delivery = try pool.read({ tx in try store.oldestPending(endpointID: endpoint.id, in: tx) }),
                    delivery.due
                else { break }
                // The lease outlives one attempt (5 s to connect, 10 s to answer) by far; renewed
                // before each, so it never lapses while a message is in flight.
                guard
                    try pool.transaction({ tx in
                        try store.renew(endpointID: endpoint.id, lease: endpoint.lease, seconds: 120, in: tx)
                    })
                else {
                    break
                }
                guard try attempt(delivery, to: endpoint) else { break }
            }
        }
        return !leased.isEmpty
    }

    /// One attempt; true when it succeeded (the next message may follow).
    private func attempt(_ delivery: PendingDelivery, to endpoint: ClaimedEndpoint) throws -> Bool {
        let body = JSONWriter.serialize(delivery.payload)
        let id = delivery.messageId.uuidString.lowercased()
        let timestamp = Int(Date().timeIntervalSince1970)
        var signatures = [WebhookSignature.sign(secret: endpoint.secret, id: id, timestamp: timestamp, body: body)]
        if let previous = endpoint.previousSecret {
            signatures.append(WebhookSignature.sign(secret: previous, id: id, timestamp: timestamp, body: body))
        }
        let started = Date()
        var status: Int?
        var failure: String?
        do {
            let response = try HTTPClient.post(
                endpoint.url,
                headers: [
                    ("Content-Type", "application/json"), ("User-Agent", "Concord-Webhooks/1"), ("webhook-id", id),
                    ("webhook-timestamp", String(timestamp)), ("webhook-signature", signatures.joined(separator: " ")),
                ], body: body, allowPrivate: settings.allowPrivate)
            status = response.status
            if !(200..<300).contains(response.status) { failure = "the endpoint answered \(response.status)" }
        } catch {
            failure = "\(error)"
        }
        let milliseconds = Int(Date().timeIntervalSince(started) * 1000)
        let succeeded = failure == nil
        let attempts = delivery.attempts + 1
        let gone = status == 410
        let exhausted = !succeeded && attempts >= settings.maxAttempts
        try pool.transaction { tx in
            try store.recordAttempt(
                deliveryID: delivery.id, succeeded: succeeded, status: status, milliseconds: milliseconds,
                error: failure,
                retryIn: succeeded || gone || exhausted ? nil : settings.delay(afterAttempt: attempts), in: tx)
            var changed: WebhookEndpoint?
            if gone {
                // Standard Webhooks: 410 Gone means the receiver wants no more.
                changed = try store.setStatus(
                    endpointID: endpoint.id, .disabled, reason: "the endpoint answered 410 Gone", in: tx)
            } else if exhausted {
                changed = try store.setStatus(
                    endpointID: endpoint.id, .failing,
                    reason: "a delivery failed \(attempts) times; enable the webhook again to resume", in: tx)
            }
            if let changed {
                try service.events.append(
                    "webhook.updated", resourceType: "webhook", resourceID: changed.id, resource: changed, actor: nil,
                    in: tx)
            }
        }
        if !succeeded {
            logger.info(
                "webhook delivery failed",
                metadata: ["webhook": "\(endpoint.id)", "attempt": "\(attempts)", "error": "\(failure ?? "")"])
        }
        return succeeded
    }
}
