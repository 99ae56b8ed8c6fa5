import Core
import Foundation
import Synchronization
import Testing

/// `PerThread`: one value per thread, kept for the thread's life, released with it.
@Suite struct PerThreadTests {
    final class Tracked: @unchecked Sendable {
        static let alive = Atomic<Int>(0)
        init() { Self.alive.add(1, ordering: .relaxed) }
        deinit { Self.alive.subtract(1, ordering: .relaxed) }
    }

    @Test func eachThreadGetsItsOwn_keepsIt_andLetsGoWhenItEnds() {
        let perThread = PerThread { Tracked() }
        let mine = perThread.value
        #expect(perThread.value === mine)
        let before = Tracked.alive.load(ordering: .relaxed)
        let others = Mutex<[ObjectIdentifier]>([])
        // All four threads hold their values at once, so no address is freed and reused.
        let taken = DispatchGroup(), finish = DispatchSemaphore(value: 0), done = DispatchGroup()
        for _ in 0..<4 {
            taken.enter()
            done.enter()
            Thread {
                let value = perThread.value
                #expect(perThread.value === value)
                others.withLock { $0.append(ObjectIdentifier(value)) }
                taken.leave()
                finish.wait()
                done.leave()
            }.start()
        }
        taken.wait()
        for _ in 0..<4 { finish.signal() }
        done.wait()
        let seen = others.withLock { $0 }
        #expect(Set(seen).count == 4)
        #expect(!seen.contains(ObjectIdentifier(mine)))
        // The threads have ended (or are ending): their values are released.
        var waited = 0
        while Tracked.alive.load(ordering: .relaxed) > before, waited < 200 {
            usleep(10_000)
            waited += 1
        }
        #expect(Tracked.alive.load(ordering: .relaxed) == before)
    }
}
