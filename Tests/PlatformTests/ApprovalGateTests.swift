import Core
import Foundation
import Logging
import Platform
import Postgres
import Synchronization
import TestSupport
import Testing

/// The gate a confirmation, an order and a bill posting ask on every request, for the life of
/// the process: asking must not make the next question any deeper.
@Suite struct ApprovalGateTests {
    /// 100,000 questions in a row on a worker-sized stack (1 MiB), then one more that must still
    /// reach the installed check. When each question wrapped the check in one more conversion
    /// thunk, a server crashed on a stack overflow after about a thousand confirmations.
    @Test func consultedManyTimes_stillAnswers_onAWorkerSizedStack() throws {
        let pool = ConnectionPool(
            connectionString: try TestCluster.freshDatabase(), options: .init(size: 1, checkoutTimeout: 20),
            logger: Logger(label: "test"))
        let gate = ApprovalGate()
        let subject = ApprovalSubject(
            document: .salesOrder, id: UUID(), number: "SO-000001", currency: "EUR", subtotal: 1_000, total: 1_210,
            lines: [])
        let actor = Principal(userID: UUID(), apiKeyID: UUID(), name: "Rep", email: "rep@example.com", role: .sales)
        #expect(try pool.transaction { tx in try gate.consult(subject, actor: actor, in: tx) } == nil)
        gate.install { subject, _, _ in
            subject.total > 1_000 ? ApprovalHold(id: subject.id, number: "APR-000001", representation: .null) : nil
        }
        let outcome = Mutex<Result<String?, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        BackgroundThread.start(name: "test-gate", stackSize: 1 << 20) {
            let result = Result {
                try pool.transaction { tx -> String? in
                    for _ in 0..<100_000 { _ = try gate.consult(subject, actor: actor, in: tx) }
                    return try gate.consult(subject, actor: actor, in: tx)?.number
                }
            }
            outcome.withLock { $0 = result }
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 120) == .success)
        #expect(try outcome.withLock { $0 }?.get() == "APR-000001")
    }
}
