import Foundation
import Logging
import Platform
import Postgres

/// Periodic housekeeping every instance runs (each statement is safe to run concurrently):
/// idempotency records older than 24 hours are deleted.
final class Maintenance: @unchecked Sendable {
    let pool: ConnectionPool
    let logger: Logger
    private let wake = NSCondition()
    private var stopping = false

    init(pool: ConnectionPool, logger: Logger) {
        self.pool = pool
        self.logger = logger
    }

    func start(interval: Double = 60) {
        let thread = Thread { [self] in
            while true {
                wake.lock()
                _ = wake.wait(until: Date().addingTimeInterval(interval))
                let stop = stopping
                wake.unlock()
                if stop { return }
                do {
                    let reaped = try IdempotencyRecords.reap(pool: pool)
                    if reaped > 0 { logger.debug("reaped idempotency records", metadata: ["count": "\(reaped)"]) }
                } catch {
                    logger.debug("maintenance skipped", metadata: ["error": "\(error)"])
                }
            }
        }
        thread.name = "concord-maintenance"
        thread.start()
    }

    func stop() {
        wake.lock()
        stopping = true
        wake.broadcast()
        wake.unlock()
    }
}
