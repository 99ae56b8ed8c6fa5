import CLinuxShims
import Core
import Dispatch
import FoundationEssentials
import Glibc
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The HTTP/1.1 server: `ioThreads` epoll loops share the listening sockets and own the
/// connections they accept; complete requests go to a fixed worker pool. A worker writes its
/// response to the socket itself when nothing else is queued for that connection (the common
/// case: no hand-back, no wake-up of the loop); otherwise the response comes back through the
/// owning loop's eventfd and that loop writes it. Idle keep-alive connections cost a few
/// hundred bytes and no thread.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: ServerConfiguration
    let responder: any HTTPResponder
    let logger: Logger
    let workers: WorkerPool

    private var listeners: [Int32] = []
    private var loops: [EventLoop] = []
    /// The bound port (useful when the configuration asked for port 0).
    public private(set) var port = 0

    let shutdownRequested = Atomic<Bool>(false)
    private let listenersClosed = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    private let runningLoops = Atomic<Int>(0)
    let openConnections = Atomic<Int>(0)

    public init(configuration: ServerConfiguration, responder: any HTTPResponder, logger: Logger) {
        self.configuration = configuration
        self.responder = responder
        self.logger = logger
        self.workers = WorkerPool(
            count: configuration.workers, capacity: configuration.queueCapacity,
            batchScheduling: configuration.batchScheduling)
    }

    /// True from the moment a shutdown starts (`/readyz` turns 503 then).
    public var isShuttingDown: Bool { shutdownRequested.load(ordering: .relaxed) }

    /// Open client connections.
    public var connectionCount: Int { openConnections.load(ordering: .relaxed) }

    /// Requests waiting for a worker.
    public var queuedRequests: Int { workers.waiting }

    /// Binds and starts the I/O threads. `terminationSignalFD` is a signalfd for SIGTERM/SIGINT
    /// (see `cshim_signalfd_for_termination`); without one, only `shutdown()` stops the server.
    public func start(terminationSignalFD: Int32? = nil) throws {
        cshim_ignore_sigpipe()
        let bound = try Socket.listen(host: configuration.host, port: configuration.port)
        listeners = bound.map(\.fd)
        port = bound.first?.port ?? 0
        for index in 0..<configuration.ioThreads {
            loops.append(
                try EventLoop(server: self, listeners: listeners, signalFD: index == 0 ? terminationSignalFD : nil))
        }
        runningLoops.store(loops.count, ordering: .relaxed)
        for (index, loop) in loops.enumerated() {
            let batch = configuration.batchScheduling
            BackgroundThread.start(name: "concord-io-\(index)") { [self] in
                if batch { _ = cshim_sched_batch_self() }
                loop.run()
                if runningLoops.subtract(1, ordering: .acquiringAndReleasing).newValue == 0 { finish() }
            }
        }
    }

    /// Starts a graceful shutdown from any thread: stop accepting, finish in-flight requests,
    /// close idle connections, stop within the grace period.
    public func shutdown() {
        shutdownRequested.store(true, ordering: .relaxed)
        stopAccepting()
        for loop in loops { loop.wake() }
    }

    /// Blocks until the server has stopped.
    public func waitUntilStopped() {
        stopped.wait()
        stopped.signal()
    }

    /// Shuts the listening sockets down at once, so new clients are refused instead of waiting
    /// in the backlog; the descriptors stay valid (no loop can accept on a reused number) and
    /// are closed when every loop has stopped.
    func stopAccepting() {
        guard !listenersClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for fd in listeners { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }
    }

    private func finish() {
        workers.shutdown(timeout: 1)
        for fd in listeners { close(fd) }
        logger.info("server stopped")
        stopped.signal()
    }
}
