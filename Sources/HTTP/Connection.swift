import Synchronization

/// One client connection's state. Touched only by the I/O thread that owns it, except `fd`
/// and `handoff`, which the worker answering its request uses (see `EventLoop.dispatch`).
final class Connection: @unchecked Sendable {
    /// Who finishes a request that a worker answers by writing to the socket itself.
    enum Handoff: UInt8 {
        /// The worker has the request.
        case processing
        /// The worker wrote the whole response; the loop may read the next request.
        case answered
        /// The loop saw more input (or needs the connection back) and waits for a completion.
        case loopWaiting
        /// The loop dropped the connection while the worker had it; whoever finishes last
        /// closes the descriptor, so its number is never reused under a writing worker.
        case abandoned
    }

    enum Phase {
        /// Waiting for (more of) a request.
        case reading
        /// A request is with a worker; further pipelined bytes wait in `inbound`.
        case processing
        /// The last response is being written; close once it is out.
        case closing
    }

    let fd: Int32
    var phase = Phase.reading
    var inbound = InboundBuffer()
    var parser: RequestParser
    var outbound: [UInt8] = []
    var outboundOffset = 0
    /// The head of the request a worker is answering.
    var current: HTTPRequestHead?
    var sentContinue = false
    /// Monotonic nanoseconds after which the connection is dropped (0: none).
    var deadline: UInt64 = 0
    /// Whether `deadline` is for an unfinished head (answered with 408) or idleness (silent close).
    var deadlineIsRequest = false
    var interest: UInt32 = 0
    let handoff = Atomic<UInt8>(Handoff.answered.rawValue)

    init(fd: Int32, limits: ParserLimits) {
        self.fd = fd
        self.parser = RequestParser(limits: limits)
    }

    var hasPendingOutput: Bool { outboundOffset < outbound.count }

    /// Readies `outbound` for appending a response: emptied, keeping its memory, unless
    /// earlier bytes are still waiting to go out.
    func prepareOutbound() {
        guard !hasPendingOutput else { return }
        outbound.removeAll(keepingCapacity: true)
        outboundOffset = 0
    }
}

/// The connections of one loop, indexed by descriptor: the kernel hands out the lowest free
/// numbers, so an array is dense, and a lookup per event is an index instead of a hash.
struct ConnectionTable {
    private var slots: [Connection?] = []
    private(set) var count = 0

    subscript(fd: Int32) -> Connection? {
        get { fd >= 0 && Int(fd) < slots.count ? slots[Int(fd)] : nil }
        set {
            let index = Int(fd)
            guard index >= 0 else { return }
            if index >= slots.count {
                guard newValue != nil else { return }
                slots.append(contentsOf: repeatElement(nil, count: max(index + 1, slots.count * 2) - slots.count))
            }
            if slots[index] == nil, newValue != nil { count += 1 }
            if slots[index] != nil, newValue == nil { count -= 1 }
            slots[index] = newValue
        }
    }

    var isEmpty: Bool { count == 0 }

    /// Every open connection (a copy, so the caller may close them while iterating).
    var values: [Connection] { slots.compactMap { $0 } }
}
