import Core
import FoundationEssentials
import Logging
import Platform
import Postgres
import Webhooks

/// Periodic housekeeping every instance runs (each statement is safe to run concurrently):
/// idempotency records older than 24 hours and finished webhook deliveries older than 30 days
/// are deleted.
final class Maintenance: @unchecked Sendable {
    let pool: ConnectionPool
    let logger: Logger
    let webhooks: WebhookService
    private let wake = Condition()
    private var stopping = false

    init(pool: ConnectionPool, logger: Logger, webhooks: WebhookService) {
        self.pool = pool
        self.logger = logger
        self.webhooks = webhooks
    }

    func start(interval: Double = 60) {
        BackgroundThread.start(name: "concord-maintenance") { [self] in
            while true {
                wake.lock()
                _ = wake.wait(seconds: interval)
                let stop = stopping
                wake.unlock()
                if stop { return }
                do {
                    let reaped = try IdempotencyRecords.reap(pool: pool)
                    if reaped > 0 {
                        logger.debug("reaped idempotency records", metadata: ["count": .stringConvertible(reaped)])
                    }
                    let deliveries = try webhooks.reapDeliveries()
                    if deliveries > 0 {
                        logger.debug("reaped webhook deliveries", metadata: ["count": .stringConvertible(deliveries)])
                    }
                } catch {
                    logger.debug("maintenance skipped", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    func stop() {
        wake.lock()
        stopping = true
        wake.broadcast()
        wake.unlock()
    }
}
