import Core
import FoundationEssentials
import Logging

/// Runs the alert tick every `interval` seconds on this instance. Every instance runs one;
/// the tick's advisory lock lets one at a time do the work and the others skip that round, so
/// N instances give the alerts one would.
public final class AlertScheduler: @unchecked Sendable {
    let service: AlertService
    let interval: Double
    let logger: Logger
    /// Guards `stopping`; waited on between ticks.
    private let wake = Condition()
    private var stopping = false

    public init(service: AlertService, interval: Double, logger: Logger) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    /// Starts ticking; the first tick comes after one interval (an instance that just started
    /// is not the one to catch up on a backlog under the load of a rolling restart).
    public func start() {
        guard interval > 0 else { return }
        BackgroundThread.start(name: "concord-alerts") { [self] in
            while true {
                wake.lock()
                if !stopping { wake.wait(seconds: interval) }
                let stop = stopping
                wake.unlock()
                if stop { return }
                do {
                    let result = try service.tick(wait: false)
                    if result.ran && (result.opened > 0 || result.resolved > 0) {
                        logger.info(
                            "alerts evaluated",
                            metadata: [
                                "opened": .stringConvertible(result.opened),
                                "resolved": .stringConvertible(result.resolved),
                            ])
                    }
                } catch {
                    logger.warning("alert tick failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    public func stop() {
        wake.lock()
        stopping = true
        wake.broadcast()
        wake.unlock()
    }
}
