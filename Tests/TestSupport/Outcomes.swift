import Foundation

/// What the requests of a concurrent test came to, collected from every thread: each reply's
/// status, and each error that stopped a request, so no failure turns into a silent nil.
public final class Outcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var statusList: [Int] = []
    private var errorList: [String] = []

    public init() {}

    /// Runs one request and records its status, or the error it threw (then returns nil).
    @discardableResult
    public func record(_ request: () throws -> APIClient.Reply) -> APIClient.Reply? {
        do {
            let reply = try request()
            lock.withLock { statusList.append(reply.status) }
            return reply
        } catch {
            lock.withLock { errorList.append("\(error)") }
            return nil
        }
    }

    /// Runs work that answers nothing (a database checkout, a direct call) and records the
    /// error it threw, if any.
    public func record(_ work: () throws -> Void) {
        do { try work() } catch { lock.withLock { errorList.append("\(error)") } }
    }

    /// The statuses of the replies that came, in the order they came.
    public var statuses: [Int] { lock.withLock { statusList } }
    /// Why requests got no reply; a test expects this empty.
    public var errors: [String] { lock.withLock { errorList } }
}
