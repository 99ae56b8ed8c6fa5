import CLinuxShims
import FoundationEssentials
import Glibc
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One I/O thread's epoll loop and the connections it owns.
final class EventLoop: @unchecked Sendable {
    /// Unowned and unchecked: the server owns its loops and outlives them (the loop threads
    /// and the worker pool hold it), and a checked reference would cost an atomic retain and
    /// release on every use, several per request.
    private unowned(unsafe) let server: HTTPServer
    private let configuration: ServerConfiguration
    private let responder: any HTTPResponder
    private let logger: Logger
    private let workers: WorkerPool

    private let epollFD: Int32
    private let wakeFD: Int32
    private let signalFD: Int32
    private var listeners: [Int32]

    // Loop-thread state.
    private var connections = ConnectionTable()
    private var cachedDate = ""
    private var draining = false
    private var drainDeadline: UInt64 = 0
    private var nextSweep: UInt64 = 0

    /// A response a worker hands back to the loop: the bytes it could not (or was not allowed
    /// to) write, and whether the connection stays open.
    private struct Completion: Sendable {
        let connection: Connection
        let bytes: [UInt8]
        let written: Int
        let keepAlive: Bool
    }

    /// Responses from workers waiting for this loop.
    private let completions = Mutex<[Completion]>([])

    init(server: HTTPServer, listeners: [Int32], signalFD: Int32?) throws {
        self.server = server
        configuration = server.configuration
        responder = server.responder
        logger = server.logger
        workers = server.workers
        self.listeners = listeners
        self.signalFD = signalFD ?? -1
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { throw SystemError("epoll_create1") }
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard wakeFD >= 0 else { throw SystemError("eventfd") }
        try register(wakeFD, EPOLLIN.rawValue)
        // EPOLLEXCLUSIVE: a new connection wakes one loop, not all of them.
        for fd in listeners { try register(fd, EPOLLIN.rawValue | EPOLLEXCLUSIVE.rawValue) }
        if let signalFD { try register(signalFD, EPOLLIN.rawValue) }
    }

    deinit {
        // Closed here, not when the loop ends, so a late `wake()` never writes to a
        // descriptor number that something else has reused.
        close(wakeFD)
    }

    private var shutdownRequested: Bool { server.shutdownRequested.load(ordering: .relaxed) }

    func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func register(_ fd: Int32, _ events: UInt32) throws {
        guard cshim_epoll_ctl_fd(epollFD, EPOLL_CTL_ADD, fd, events) == 0 else { throw SystemError("epoll_ctl") }
    }

    // MARK: The loop

    func run() {
        let maxEvents = 256
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: maxEvents)
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer {
            events.deallocate()
            scratch.deallocate()
        }
        while true {
            let count = epoll_wait(epollFD, events, Int32(maxEvents), 250)
            if count < 0 && errno != EINTR {
                logger.critical("epoll_wait failed", metadata: ["error": "\(SystemError("epoll_wait"))"])
                break
            }
            cachedDate = HTTPDate.cachedNow()
            for index in 0..<max(0, Int(count)) {
                let fd = cshim_epoll_event_fd(events + index)
                let mask = cshim_epoll_event_mask(events + index)
                if fd == wakeFD {
                    var value: UInt64 = 0
                    _ = Glibc.read(wakeFD, &value, 8)
                } else if fd == signalFD {
                    var info = signalfd_siginfo()
                    _ = Glibc.read(signalFD, &info, MemoryLayout<signalfd_siginfo>.size)
                    logger.info("signal received, shutting down", metadata: ["signal": "\(info.ssi_signo)"])
                    server.shutdown()
                } else if listeners.contains(fd) {
                    acceptAll(fd)
                } else if let connection = connections[fd] {
                    handleEvent(connection, mask: mask, scratch: scratch)
                }
            }
            drainCompletions()
            if shutdownRequested && !draining { beginDraining() }
            let now = monotonicNanos()
            if now >= nextSweep {
                sweepDeadlines(now)
                nextSweep = now + 100_000_000
            }
            if draining && (connections.isEmpty || now >= drainDeadline) { break }
        }
        for connection in connections.values { closeConnection(connection) }
        close(epollFD)
    }

    private func beginDraining() {
        draining = true
        drainDeadline = monotonicNanos() + UInt64(configuration.shutdownGrace * 1e9)
        server.stopAccepting()
        for fd in listeners { _ = cshim_epoll_ctl_fd(epollFD, EPOLL_CTL_DEL, fd, 0) }
        listeners = []
        // In-flight requests finish and are answered with `Connection: close`; everything else
        // (idle, or a request not yet complete) is closed now.
        for connection in connections.values where connection.phase == .reading && !connection.hasPendingOutput {
            closeConnection(connection)
        }
    }

    // MARK: Accepting

    private func acceptAll(_ listener: Int32) {
        // Bounded per wake-up so a connection flood cannot starve existing clients.
        for _ in 0..<128 {
            guard let fd = try? Socket.accept(listener) else { return }
            if server.openConnections.load(ordering: .relaxed) >= configuration.maxConnections || draining {
                rejectOverCapacity(fd)
                continue
            }
            let connection = Connection(fd: fd, limits: configuration.limits)
            connections[fd] = connection
            server.openConnections.add(1, ordering: .relaxed)
            connection.interest = EPOLLIN.rawValue
            if cshim_epoll_ctl_fd(epollFD, EPOLL_CTL_ADD, fd, connection.interest) != 0 {
                connections[fd] = nil
                server.openConnections.subtract(1, ordering: .relaxed)
                close(fd)
                continue
            }
            setIdleDeadline(connection)
        }
    }

    private func rejectOverCapacity(_ fd: Int32) {
        var headers = HTTPHeaders()
        headers.set("Retry-After", String(configuration.retryAfterSeconds))
        let bytes = ResponseWriter.serialize(
            .problem(
                503, code: "service_unavailable", detail: "server at connection limit, retry shortly", headers: headers),
            method: "GET", version: .http1_1, keepAlive: false, date: cachedDate)
        // Best effort: a fresh socket's send buffer always takes this much.
        bytes.withUnsafeBytes { _ = Socket.write(fd, $0) }
        close(fd)
    }

    // MARK: Per connection

    private func handleEvent(_ connection: Connection, mask: UInt32, scratch: UnsafeMutableRawBufferPointer) {
        if mask & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0 && mask & EPOLLIN.rawValue == 0 {
            closeConnection(connection)
            return
        }
        if mask & EPOLLOUT.rawValue != 0 {
            guard flush(connection) else { return }
            if mask & EPOLLIN.rawValue == 0, connection.phase == .reading, !connection.hasPendingOutput {
                // Pipelined requests that arrived while the previous answer was going out.
                advance(connection)
                return
            }
        }
        if mask & EPOLLIN.rawValue != 0 {
            if connection.phase == .processing {
                if connection.handoff.compareExchange(
                    expected: Connection.Handoff.processing.rawValue,
                    desired: Connection.Handoff.loopWaiting.rawValue,
                    ordering: .acquiringAndReleasing
                ).exchanged {
                    // Input while a worker has the request: stop reading until it hands the
                    // connection back.
                    setInterest(connection, connection.hasPendingOutput ? EPOLLOUT.rawValue : 0)
                    return
                }
                // The worker already wrote the answer; this is the client's next request.
                finishAnswered(connection)
                guard connections[connection.fd] === connection, connection.phase == .reading else { return }
            }
            readAvailable(connection, scratch: scratch)
        }
    }

    private func readAvailable(_ connection: Connection, scratch: UnsafeMutableRawBufferPointer) {
        // While a request is with a worker the connection is not read from (interest is off),
        // so pipelined input cannot pile up without bound.
        var total = 0
        while total < 262_144 {
            switch Socket.read(connection.fd, into: scratch) {
            case .bytes(let n):
                connection.inbound.append(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
                total += n
                if n < scratch.count { break }
                continue
            case .wouldBlock:
                break
            case .closed:
                closeConnection(connection)
                return
            }
            break
        }
        if total > 0 && connection.parser.pendingHead != nil {
            // Body progress resets the body timeout.
            connection.deadline = monotonicNanos() + UInt64(configuration.bodyReadTimeout * 1e9)
            connection.deadlineIsRequest = true
        }
        advance(connection)
    }

    /// Parses and answers as many buffered requests as the connection's state allows.
    private func advance(_ connection: Connection) {
        while true {
            var needMore = false
            parsing: while connection.phase == .reading
                && connection.outbound.count - connection.outboundOffset < 65_536
            {
                switch connection.parser.parse(&connection.inbound) {
                case .needMore:
                    needMore = true
                    armReadDeadline(connection)
                    break parsing
                case .error(let error):
                    logger.debug(
                        "rejected malformed request",
                        metadata: ["status": "\(error.status)", "reason": "\(error.reason)"])
                    enqueue(
                        .problem(
                            error.status, code: HTTPResponse.problemCode(forStatus: error.status), detail: error.reason),
                        on: connection, method: "GET", version: .http1_1, keepAlive: false)
                case .request(let request):
                    connection.sentContinue = false
                    connection.deadline = 0
                    connection.deadlineIsRequest = false
                    dispatch(request, on: connection)
                }
            }
            // flush() sets the interest once the bytes are out (or not): setting it before would
            // cost two epoll_ctl calls per request.
            guard flush(connection) else { return }
            if needMore || connection.phase != .reading || connection.hasPendingOutput { return }
        }
    }

    /// Sets the deadline that fits what the parser is waiting for, and answers
    /// `Expect: 100-continue` once the head is in.
    private func armReadDeadline(_ connection: Connection) {
        if let head = connection.parser.pendingHead {
            if head.expectsContinue && !connection.sentContinue {
                connection.sentContinue = true
                connection.outbound.append(contentsOf: ResponseWriter.continueResponse)
            }
            if !connection.deadlineIsRequest {
                connection.deadline = monotonicNanos() + UInt64(configuration.bodyReadTimeout * 1e9)
                connection.deadlineIsRequest = true
            }
        } else if connection.parser.isMidRequest(connection.inbound) {
            // The head deadline runs from the first byte and is not extended by progress: that
            // is what stops a slowloris client feeding a byte at a time.
            if !connection.deadlineIsRequest {
                connection.deadline = monotonicNanos() + UInt64(configuration.headerReadTimeout * 1e9)
                connection.deadlineIsRequest = true
            }
        } else {
            connection.inbound.releaseIfEmpty()
            setIdleDeadline(connection)
        }
    }

    private func dispatch(_ request: HTTPRequest, on connection: Connection) {
        let head = request.head
        if responder.respondsInline(to: head) {
            let response = responder.respond(to: request)
            enqueue(response, on: connection, method: head.method, version: head.version, keepAlive: keepAlive(head))
            return
        }
        connection.phase = .processing
        connection.current = head
        // The worker may write the response itself only if nothing of this connection's is
        // still to be written before it, and nothing is buffered after it (pipelined requests
        // need the loop to go on parsing, so it must hear back).
        let writesItself = !connection.hasPendingOutput && connection.inbound.isEmpty
        connection.handoff.store(Connection.Handoff.processing.rawValue, ordering: .relaxed)
        let responder = self.responder
        let accepted = workers.submit { [self] in
            let response = responder.respond(to: request)
            let keepAlive = head.wantsKeepAlive && !server.shutdownRequested.load(ordering: .relaxed)
            var bytes: [UInt8] = []
            ResponseWriter.serialize(
                response, method: head.method, version: head.version, keepAlive: keepAlive,
                date: HTTPDate.cachedNow(), into: &bytes)
            var written = 0
            if writesItself && keepAlive {
                written = bytes.withUnsafeBytes { Self.writeWithoutBlocking(connection.fd, $0) }
                if written == bytes.count {
                    let (exchanged, found) = connection.handoff.compareExchange(
                        expected: Connection.Handoff.processing.rawValue, desired: Connection.Handoff.answered.rawValue,
                        ordering: .acquiringAndReleasing)
                    if exchanged { return }
                    if found == Connection.Handoff.abandoned.rawValue {
                        close(connection.fd)
                        return
                    }
                }
            }
            handBack(Completion(connection: connection, bytes: bytes, written: written, keepAlive: keepAlive))
        }
        if !accepted {
            connection.phase = .reading
            connection.current = nil
            var response = HTTPResponse.problem(503, code: "service_unavailable", detail: "server busy, retry shortly")
            response.headers.set("Retry-After", String(configuration.retryAfterSeconds))
            enqueue(response, on: connection, method: head.method, version: head.version, keepAlive: keepAlive(head))
        }
    }

    private func keepAlive(_ head: HTTPRequestHead) -> Bool { head.wantsKeepAlive && !draining }

    /// Writes as much as the socket takes now; the count written (a failure counts as nothing
    /// more written: the loop finds the connection broken when it takes over).
    private static func writeWithoutBlocking(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int {
        var offset = 0
        while offset < bytes.count {
            guard case .wrote(let n) = Socket.write(fd, UnsafeRawBufferPointer(rebasing: bytes[offset...])) else {
                break
            }
            offset += n
        }
        return offset
    }

    /// Queues a worker's response for this loop and wakes it if it was the first.
    private func handBack(_ completion: Completion) {
        let wasEmpty = completions.withLock { queue -> Bool in
            queue.append(completion)
            return queue.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Takes a connection back from a worker that wrote its whole answer.
    private func finishAnswered(_ connection: Connection) {
        connection.phase = .reading
        connection.current = nil
        if draining && !connection.parser.isMidRequest(connection.inbound) {
            closeConnection(connection)
            return
        }
        setIdleDeadline(connection)
        updateInterest(connection)
    }

    /// Queues a response's bytes; a response that ends the connection moves it to `closing`.
    private func enqueue(
        _ response: HTTPResponse, on connection: Connection, method: String, version: HTTPVersion, keepAlive: Bool
    ) {
        connection.prepareOutbound()
        ResponseWriter.serialize(
            response, method: method, version: version, keepAlive: keepAlive, date: cachedDate,
            into: &connection.outbound)
        connection.phase = keepAlive ? .reading : .closing
    }

    private func drainCompletions() {
        let ready = completions.withLock { queue -> [Completion] in
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for completion in ready {
            let connection = completion.connection
            guard connections[connection.fd] === connection else {
                // Dropped while the worker had it: the descriptor was left open for the
                // worker, and this is the last use of it.
                close(connection.fd)
                continue
            }
            connection.current = nil
            connection.handoff.store(Connection.Handoff.answered.rawValue, ordering: .relaxed)
            if completion.written < completion.bytes.count {
                connection.prepareOutbound()
                connection.outbound.append(contentsOf: completion.bytes[completion.written...])
            }
            connection.phase = completion.keepAlive && !draining ? .reading : .closing
            if flush(connection), connection.phase == .reading, !connection.hasPendingOutput { advance(connection) }
        }
    }

    /// Writes what it can; false when the connection was closed.
    @discardableResult
    private func flush(_ connection: Connection) -> Bool {
        while connection.hasPendingOutput {
            let result = connection.outbound.withUnsafeBytes { all in
                Socket.write(connection.fd, UnsafeRawBufferPointer(rebasing: all[connection.outboundOffset...]))
            }
            switch result {
            case .wrote(let n):
                connection.outboundOffset += n
            case .wouldBlock:
                connection.deadline = monotonicNanos() + UInt64(configuration.writeTimeout * 1e9)
                connection.deadlineIsRequest = false
                updateInterest(connection)
                return true
            case .failed:
                closeConnection(connection)
                return false
            }
        }
        // The buffer is reused for the next response unless a large one grew it.
        connection.outbound.removeAll(keepingCapacity: connection.outbound.capacity <= 16_384)
        connection.outboundOffset = 0
        if connection.phase == .closing {
            closeConnection(connection)
            return false
        }
        if connection.phase == .reading && draining && !connection.parser.isMidRequest(connection.inbound) {
            closeConnection(connection)
            return false
        }
        updateInterest(connection)
        return true
    }

    private func updateInterest(_ connection: Connection) {
        var wanted: UInt32 = 0
        if connection.hasPendingOutput { wanted |= EPOLLOUT.rawValue }
        if connection.phase == .reading && !connection.hasPendingOutput { wanted |= EPOLLIN.rawValue }
        // While a worker has the request, reading stays armed until input actually arrives
        // (handleEvent turns it off then): most clients send nothing while they wait, and
        // this saves two epoll_ctl calls per request.
        if connection.phase == .processing && wanted == 0 && connection.interest == EPOLLIN.rawValue { return }
        setInterest(connection, wanted)
    }

    private func setInterest(_ connection: Connection, _ wanted: UInt32) {
        guard wanted != connection.interest else { return }
        connection.interest = wanted
        _ = cshim_epoll_ctl_fd(epollFD, EPOLL_CTL_MOD, connection.fd, wanted)
    }

    private func setIdleDeadline(_ connection: Connection) {
        let timeout = draining ? 0 : configuration.idleTimeout
        connection.deadline = monotonicNanos() + UInt64(timeout * 1e9)
        connection.deadlineIsRequest = false
    }

    private func sweepDeadlines(_ now: UInt64) {
        for connection in connections.values
        where connection.phase == .processing
            && connection.handoff.load(ordering: .acquiring) == Connection.Handoff.answered.rawValue
        {
            // Answered by its worker and quiet since: idle from now on.
            finishAnswered(connection)
        }
        for connection in connections.values where connection.deadline != 0 && connection.deadline <= now {
            if connection.phase == .processing { continue }
            if connection.deadlineIsRequest && !connection.hasPendingOutput {
                // RFC 9110 §15.5.9: tell a client that was too slow, then close.
                logger.debug("request read timed out", metadata: ["fd": "\(connection.fd)"])
                connection.phase = .reading
                enqueue(
                    .problem(408, code: "request_timeout", detail: "request not received in time"), on: connection,
                    method: "GET", version: .http1_1, keepAlive: false)
                connection.deadline = now + UInt64(1e9)
                connection.deadlineIsRequest = false
                _ = flush(connection)
            } else {
                closeConnection(connection)
            }
        }
    }

    private func closeConnection(_ connection: Connection) {
        guard connections[connection.fd] === connection else { return }
        connections[connection.fd] = nil
        server.openConnections.subtract(1, ordering: .relaxed)
        _ = cshim_epoll_ctl_fd(epollFD, EPOLL_CTL_DEL, connection.fd, 0)
        if connection.phase == .processing {
            // A worker still has the request and may be writing to the socket: the descriptor
            // stays open until it is done (it closes it, or hands back a completion).
            let previous = connection.handoff.exchange(
                Connection.Handoff.abandoned.rawValue, ordering: .acquiringAndReleasing)
            guard previous == Connection.Handoff.answered.rawValue else { return }
        }
        close(connection.fd)
    }
}
