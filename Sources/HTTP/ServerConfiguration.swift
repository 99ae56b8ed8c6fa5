/// Everything the HTTP server needs to know; the App fills it from `CONCORD_*` settings.
public struct ServerConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (tests); `HTTPServer.port` tells which.
    public var port: Int
    /// Threads running an epoll loop; the listening sockets are shared and each accepted
    /// connection stays on the loop that accepted it.
    public var ioThreads: Int
    /// Worker threads that run handlers.
    public var workers: Int
    /// Requests that may wait for a worker before new ones get 503.
    public var queueCapacity: Int
    /// Open connections past which new ones get 503 and are closed.
    public var maxConnections: Int
    public var limits: ParserLimits
    /// Seconds a client has to send a complete header section (slowloris guard).
    public var headerReadTimeout: Double
    /// Seconds a body may go without progress.
    public var bodyReadTimeout: Double
    /// Seconds an idle keep-alive connection stays open.
    public var idleTimeout: Double
    /// Seconds a response may go without write progress before the client is dropped.
    public var writeTimeout: Double
    /// Seconds in-flight requests get to finish after a shutdown starts.
    public var shutdownGrace: Double
    /// Seconds a 503 for a full queue tells the client to wait.
    public var retryAfterSeconds: Int
    /// Run the IO and worker threads under SCHED_BATCH, so waking one (a request handed to a
    /// worker, a database answer) does not preempt the thread that woke it — the event loop
    /// keeps draining its batch and the PostgreSQL backend reaches its next wait — instead of
    /// paying an extra context switch per hand-off. Where the system refuses, threads stay normal.
    public var batchScheduling: Bool

    public init(
        host: String = "127.0.0.1", port: Int = 8080, ioThreads: Int = 1, workers: Int = 8, queueCapacity: Int = 1_024,
        maxConnections: Int = 10_000, limits: ParserLimits = ParserLimits(), headerReadTimeout: Double = 10,
        bodyReadTimeout: Double = 10, idleTimeout: Double = 60, writeTimeout: Double = 30, shutdownGrace: Double = 10,
        retryAfterSeconds: Int = 1, batchScheduling: Bool = false
    ) {
        self.host = host
        self.port = port
        self.ioThreads = max(1, ioThreads)
        self.workers = workers
        self.queueCapacity = queueCapacity
        self.maxConnections = maxConnections
        self.limits = limits
        self.headerReadTimeout = headerReadTimeout
        self.bodyReadTimeout = bodyReadTimeout
        self.idleTimeout = idleTimeout
        self.writeTimeout = writeTimeout
        self.shutdownGrace = shutdownGrace
        self.retryAfterSeconds = retryAfterSeconds
        self.batchScheduling = batchScheduling
    }
}

/// What the server calls for each complete request.
public protocol HTTPResponder: Sendable {
    /// Answers one request. Runs on a worker thread and may block (database calls).
    func respond(to request: HTTPRequest) -> HTTPResponse

    /// True when `head` is answered without blocking (no database, no disk), so the I/O thread
    /// may answer it directly and skip the hand-off to a worker (health checks, metrics).
    func respondsInline(to head: HTTPRequestHead) -> Bool
}

extension HTTPResponder {
    public func respondsInline(to head: HTTPRequestHead) -> Bool { false }
}
