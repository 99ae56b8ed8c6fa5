import Foundation
import HTTP
import TestSupport
import Testing

/// `batchScheduling` puts both kinds of server thread under SCHED_BATCH, and only when asked.
@Suite struct SchedulingTests {
    /// SCHED_OTHER and SCHED_BATCH from <sched.h>.
    let normal = "0", batch = "3"

    func policies(batchScheduling: Bool) throws -> (worker: String, io: String) {
        let server = try TestServer(configure: { $0.batchScheduling = batchScheduling })
        let client = try RawClient(port: server.port)
        var worker: [String] = [], io: [String] = []
        // Several requests, so more than one worker and loop get asked.
        for _ in 0..<8 {
            try client.send("GET /policy HTTP/1.1\r\nHost: t\r\n\r\n")
            worker.append(try client.readResponse().text)
            try client.send("GET /policy/inline HTTP/1.1\r\nHost: t\r\n\r\n")
            io.append(try client.readResponse().text)
        }
        #expect(Set(worker).count == 1 && Set(io).count == 1, "every thread of a kind runs under one policy")
        return (worker[0], io[0])
    }

    @Test func batchScheduling_movesWorkersAndLoopsToSchedBatch() throws {
        let threads = try policies(batchScheduling: true)
        #expect(threads.worker == batch)
        #expect(threads.io == batch)
    }

    @Test func withoutIt_threadsKeepTheNormalPolicy() throws {
        let threads = try policies(batchScheduling: false)
        #expect(threads.worker == normal)
        #expect(threads.io == normal)
    }
}
