import Glibc

/// A mutual-exclusion lock (a `pthread_mutex_t`), for state that threads share.
///
/// `Core`'s own instead of Foundation's `NSLock`, so that the modules that only need a lock do
/// not link full Foundation (and its internationalisation data) into the binary.
public final class Lock: @unchecked Sendable {
    fileprivate let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        precondition(pthread_mutex_init(mutex, nil) == 0, "pthread_mutex_init")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }

    public func unlock() { pthread_mutex_unlock(mutex) }

    /// Runs `body` holding the lock.
    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A lock with a condition variable (`pthread_cond_t`): `wait` releases the lock until another
/// thread calls `signal` or `broadcast`, and takes it again before returning. Waits may wake
/// spuriously, so callers re-check their condition, as with Foundation's `NSCondition`.
public final class Condition: @unchecked Sendable {
    private let mutex = Lock()
    private let condition: UnsafeMutablePointer<pthread_cond_t>

    public init() {
        condition = .allocate(capacity: 1)
        condition.initialize(to: pthread_cond_t())
        // Deadlines are on the monotonic clock: setting the wall clock moves no timeout.
        var attributes = pthread_condattr_t()
        pthread_condattr_init(&attributes)
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
        precondition(pthread_cond_init(condition, &attributes) == 0, "pthread_cond_init")
        pthread_condattr_destroy(&attributes)
    }

    deinit {
        pthread_cond_destroy(condition)
        condition.deallocate()
    }

    public func lock() { mutex.lock() }

    public func unlock() { mutex.unlock() }

    public func withLock<Result>(_ body: () throws -> Result) rethrows -> Result {
        try mutex.withLock(body)
    }

    /// Waits (holding the lock on entry and on return) until signalled.
    public func wait() { pthread_cond_wait(condition, mutex.mutex) }

    /// A moment on the monotonic clock (setting the wall clock moves no deadline).
    public struct Deadline: Sendable {
        fileprivate let nanoseconds: Int

        /// `seconds` from now.
        public static func after(seconds: Double) -> Deadline {
            Deadline(nanoseconds: monotonicNanoseconds() + Int(max(0, seconds) * 1e9))
        }
    }

    /// Waits (holding the lock on entry and on return) until signalled or `deadline`; false
    /// when the deadline passed without a signal.
    @discardableResult
    public func wait(until deadline: Deadline) -> Bool {
        var time = timespec(tv_sec: deadline.nanoseconds / 1_000_000_000, tv_nsec: deadline.nanoseconds % 1_000_000_000)
        return pthread_cond_timedwait(condition, mutex.mutex, &time) == 0
    }

    /// Waits at most `seconds`, as `wait(until:)`.
    @discardableResult
    public func wait(seconds: Double) -> Bool { wait(until: .after(seconds: seconds)) }

    public func signal() { pthread_cond_signal(condition) }

    public func broadcast() { pthread_cond_broadcast(condition) }
}

private func monotonicNanoseconds() -> Int {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return now.tv_sec * 1_000_000_000 + now.tv_nsec
}
