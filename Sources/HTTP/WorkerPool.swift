import CLinuxShims
import Core
import Dispatch
import FoundationEssentials

/// A fixed set of threads running blocking jobs (handlers call libpq, which blocks) behind a
/// bounded queue. A full queue refuses the job so the caller can answer 503 at once instead of
/// queueing without bound.
///
/// Each idle worker sleeps on its own semaphore and `submit` wakes exactly one, after letting go
/// of the queue's lock: a shared condition signalled under the lock would wake a worker only
/// for it to block again on that lock, two extra trips through the kernel per job.
public final class WorkerPool: @unchecked Sendable {
    public typealias Job = @Sendable () -> Void

    private let capacity: Int
    /// Guards `queue`, `head`, `idle` and `stopping`.
    private let queueLock = Lock()
    private var queue: [Job?] = []
    private var head = 0
    /// Workers asleep, most recently idle last (woken first: its stack and caches are warm).
    private var idle: [Worker] = []
    private var stopping = false
    private let finished = DispatchGroup()

    private final class Worker: @unchecked Sendable {
        let wake = DispatchSemaphore(value: 0)
    }

    /// - Parameters:
    ///   - count: worker threads, fixed for the pool's life.
    ///   - capacity: jobs that may wait for a worker before `submit` refuses.
    ///   - batchScheduling: run the threads under SCHED_BATCH (`ServerConfiguration.batchScheduling`).
    public init(count: Int, capacity: Int, name: String = "concord-worker", batchScheduling: Bool = false) {
        self.capacity = max(1, capacity)
        var workers: [Worker] = []
        for _ in 0..<max(1, count) {
            workers.append(Worker())
            finished.enter()
        }
        for (index, worker) in workers.enumerated() {
            BackgroundThread.start(name: "\(name)-\(index)", stackSize: 1 << 20) { [self] in
                if batchScheduling { _ = cshim_sched_batch_self() }
                self.workLoop(worker)
                self.finished.leave()
            }
        }
    }

    /// Queues `job`; false when the queue is full or the pool is stopping.
    public func submit(_ job: @escaping Job) -> Bool {
        queueLock.lock()
        guard !stopping, queue.count - head < capacity else {
            queueLock.unlock()
            return false
        }
        queue.append(job)
        let sleeper = idle.popLast()
        queueLock.unlock()
        sleeper?.wake.signal()
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
        let sleepers = idle
        idle = []
        queueLock.unlock()
        for worker in sleepers { worker.wake.signal() }
        return finished.wait(timeout: .now() + timeout) == .success
    }

    private func workLoop(_ worker: Worker) {
        while true {
            queueLock.lock()
            if head == queue.count {
                if stopping {
                    queueLock.unlock()
                    return
                }
                idle.append(worker)
                queueLock.unlock()
                worker.wake.wait()
                continue
            }
            let job = queue[head]!
            queue[head] = nil
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 1_024, head * 2 > queue.count {
                queue.removeSubrange(0..<head)
                head = 0
            }
            queueLock.unlock()
            job()
        }
    }
}
