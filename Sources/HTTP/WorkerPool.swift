import Foundation

/// A fixed set of threads running blocking jobs (handlers call libpq, which blocks) behind a
/// bounded queue. A full queue refuses the job so the caller can answer 503 at once instead of
/// queueing without bound.
public final class WorkerPool: @unchecked Sendable {
    public typealias Job = @Sendable () -> Void

    private let capacity: Int
    /// Guards `queue`, `head` and `stopping`.
    private let queueLock = NSCondition()
    private var queue: [Job?] = []
    private var head = 0
    private var stopping = false
    private var threads: [Thread] = []
    private let finished = DispatchGroup()

    /// - Parameters:
    ///   - count: worker threads, fixed for the pool's life.
    ///   - capacity: jobs that may wait for a worker before `submit` refuses.
    public init(count: Int, capacity: Int, name: String = "concord-worker") {
        self.capacity = max(1, capacity)
        for index in 0..<max(1, count) {
            finished.enter()
            let thread = Thread { [self] in
                self.workLoop()
                self.finished.leave()
            }
            thread.name = "\(name)-\(index)"
            thread.stackSize = 1 << 20
            threads.append(thread)
        }
        for thread in threads { thread.start() }
    }

    /// Queues `job`; false when the queue is full or the pool is stopping.
    public func submit(_ job: @escaping Job) -> Bool {
        queueLock.lock()
        defer { queueLock.unlock() }
        guard !stopping, queue.count - head < capacity else { return false }
        queue.append(job)
        queueLock.signal()
        return true
    }

    /// Jobs waiting for a worker (not counting running ones).
    public var waiting: Int {
        queueLock.lock()
        defer { queueLock.unlock() }
        return queue.count - head
    }

    /// Lets queued jobs finish, then stops the threads; returns false if they were still busy
    /// after `timeout` seconds.
    @discardableResult
    public func shutdown(timeout: Double) -> Bool {
        queueLock.lock()
        stopping = true
        queueLock.broadcast()
        queueLock.unlock()
        return finished.wait(timeout: .now() + timeout) == .success
    }

    private func workLoop() {
        while true {
            queueLock.lock()
            while head == queue.count && !stopping { queueLock.wait() }
            if head == queue.count {
                queueLock.unlock()
                return
            }
            let job = queue[head]!
            queue[head] = nil
            head += 1
            if head > 1_024, head * 2 > queue.count {
                queue.removeSubrange(0..<head)
                head = 0
            }
            queueLock.unlock()
            job()
        }
    }
}
