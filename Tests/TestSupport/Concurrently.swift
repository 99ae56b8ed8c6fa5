import Foundation

/// Runs `body(0..<count)` on `count` dedicated threads at once and waits for all of them.
/// Unlike `DispatchQueue.concurrentPerform`, whose width is the core count and whose threads are
/// shared with everything else in the test process, this guarantees real overlap.
public func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    let start = NSCondition()
    nonisolated(unsafe) var ready = 0
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            // Every thread waits at the gate so they all begin together.
            start.lock()
            ready += 1
            if ready == count { start.broadcast() } else { while ready < count { start.wait() } }
            start.unlock()
            body(index)
            group.leave()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
    group.wait()
}

/// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; true if it held.
/// For what the product promises "shortly" (the event feed numbers events after commit).
public func eventually(timeout: Double = 5, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() > deadline { return false }
        usleep(20_000)
    }
}

/// A value shared between test threads, behind one lock.
public final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()

    public init(_ value: Value) { self.value = value }

    public func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
