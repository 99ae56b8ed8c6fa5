import Core
import FoundationEssentials
import Platform
import Postgres
import Routing

/// The routes whose reads may come from a read replica (`DATABASE_READ_URL`): lists, reports,
/// searches, summaries and statements, whose answers may lag a moment behind the primary.
/// Everything else reads the primary: every write and every read inside a write, one record
/// (its ETag is what an `If-Match` is checked against), `/history`, `/events`, `/audit`,
/// users, keys and webhooks, `/readyz`. `openapi.yaml` marks exactly these operations with
/// `x-concord-read-replica: true` (a test holds the two together).
public enum ReadRoutes {
    public static let replicaRoutes: [String] = [
        "GET /customers",
        "GET /customers/{id}/contacts",
        "GET /customers/{id}/summary",
        "GET /customers/{id}/statement",
        "GET /leads",
        "GET /opportunities",
        "GET /activities",
        "GET /reports/pipeline",
        "GET /items",
        "GET /pricing/tiers",
        "GET /warehouses",
        "GET /stock",
        "GET /stock/movements",
        "GET /reports/stock-valuation",
        "GET /sales-orders",
        "GET /reports/sales",
        "GET /invoices",
        "GET /payments",
        "GET /credit-notes",
        "GET /reports/ar-aging",
        "GET /suppliers",
        "GET /purchase-orders",
        "GET /purchasing/suggestions",
    ]
}

/// Sends a replica route's reads to a replica, and keeps a client's own writes visible to it:
/// a request carrying a `Concord-Consistency` token reads from a replica only once that
/// replica has replayed past the token's position; without one, a request on an API key that
/// wrote within `readYourWrites` seconds reads from the primary. Every answer to a request
/// that committed a write carries the token of its commit.
struct ReadRoutingMiddleware: Middleware {
    static let header = "Concord-Consistency"

    let replicas: ReadReplicas
    let routes: Set<String>
    let recentWrites: RecentWrites

    init(replicas: ReadReplicas, readYourWrites: Double) {
        self.replicas = replicas
        routes = Set(ReadRoutes.replicaRoutes)
        recentWrites = RecentWrites(window: readYourWrites)
    }

    func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        var token: WALPosition?
        if let text = request.headers[Self.header] {
            guard let position = WALPosition(text.trimmedOfSpaces()) else {
                throw AppError(
                    .invalidConsistencyToken,
                    "the \(Self.header) header must be a token from an earlier answer's \(Self.header) header")
            }
            token = position
        }
        let key = request[PrincipalKey.self]?.apiKeyID
        var replica: ReadReplicas.Replica?
        if let route = request.route, routes.contains("\(route.method) \(route.template)") {
            if token != nil || key.map(recentWrites.wroteRecently) != true {
                replica = replicas.choose(replayedAtLeast: token)
            }
        }
        let reads = RequestReads(replicas: replicas, replica: replica)
        defer {
            if reads.committed != nil, let key { recentWrites.record(key) }
        }
        var response = try reads.run { try next(request) }
        if let committed = reads.committed {
            response.headers.set(Self.header, committed.description)
        }
        return response
    }
}

/// When each API key last wrote, for the read-your-writes window (this instance only: behind
/// several instances, the `Concord-Consistency` token carries it).
final class RecentWrites: @unchecked Sendable {
    let window: Double
    private let lock = Lock()
    private var lastWrite: [UUID: Double] = [:]
    private var lastSweep = 0.0

    init(window: Double) { self.window = window }

    func wroteRecently(_ key: UUID) -> Bool {
        guard window > 0 else { return false }
        let now = ProcessInfo.processInfo.systemUptime
        return lock.withLock { lastWrite[key].map { now - $0 < window } ?? false }
    }

    func record(_ key: UUID) {
        guard window > 0 else { return }
        let now = ProcessInfo.processInfo.systemUptime
        lock.withLock {
            lastWrite[key] = now
            if now - lastSweep > max(window, 1) * 10 {
                lastWrite = lastWrite.filter { now - $0.value < window }
                lastSweep = now
            }
        }
    }
}
