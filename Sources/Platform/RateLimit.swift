import Core
import FoundationEssentials
import Routing

/// A token bucket per API key, kept in this process: each key may make `burst` requests at
/// once and `perSecond` sustained, or what its own `rate_limit_per_second` says. Several
/// instances each keep their own buckets (a key may make N × the rate through N instances);
/// the README says so. Buckets of keys that went quiet are dropped once there are many, so
/// memory stays bounded.
public final class RateLimiter: @unchecked Sendable {
    /// The installation's limit (`CONCORD_RATE_LIMIT`, 0: none) for keys without their own.
    public let perSecond: Double
    public let burst: Int
    /// Guards `buckets`.
    private let bucketsLock = Lock()
    private var buckets: [UUID: (tokens: Double, at: Double, perSecond: Double, capacity: Double)] = [:]

    public init(perSecond: Double, burst: Int) {
        self.perSecond = perSecond
        self.burst = burst
    }

    /// The outcome of one request: whether it may proceed, what is left, and when the bucket
    /// is full again (or, when refused, when the next request may come).
    public struct Decision: Sendable {
        public let allowed: Bool
        public let remaining: Int
        public let resetSeconds: Int
        public let retryAfterSeconds: Int
    }

    /// Takes a token from `key`'s bucket of `burst` tokens refilled at `perSecond`.
    public func take(_ key: UUID, perSecond: Double, burst: Int, now: Double = ProcessInfo.processInfo.systemUptime)
        -> Decision
    {
        bucketsLock.lock()
        defer { bucketsLock.unlock() }
        let capacity = Double(burst)
        var bucket = buckets[key] ?? (capacity, now, perSecond, capacity)
        bucket.tokens = min(capacity, bucket.tokens + (now - bucket.at) * perSecond)
        bucket.at = now
        bucket.perSecond = perSecond
        bucket.capacity = capacity
        let allowed = bucket.tokens >= 1
        if allowed { bucket.tokens -= 1 }
        buckets[key] = bucket
        if buckets.count > 50_000 { evictFull(now: now) }
        return Decision(
            allowed: allowed, remaining: Int(bucket.tokens.rounded(.down)),
            resetSeconds: Int(((capacity - bucket.tokens) / perSecond).rounded(.up)),
            retryAfterSeconds: allowed ? 0 : max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up))))
    }

    /// Buckets that have refilled are the same as no bucket.
    private func evictFull(now: Double) {
        buckets = buckets.filter { $0.value.tokens + (now - $0.value.at) * $0.value.perSecond < $0.value.capacity }
    }
}

/// Applies the limiter to authenticated requests and tells clients where they stand with the
/// `RateLimit-Policy` and `RateLimit` fields (draft-ietf-httpapi-ratelimit-headers); past the
/// limit, 429 `rate_limited` with `Retry-After`.
public struct RateLimitMiddleware: Middleware {
    let limiter: RateLimiter
    /// `RateLimit-Policy` for the installation's default limit, written once: building the
    /// two fields by string interpolation was a tenth of a small request's cost.
    private let defaultPolicy: String

    public init(limiter: RateLimiter) {
        self.limiter = limiter
        // A limit of 0 turns limiting off, and no field is written.
        defaultPolicy = limiter.perSecond > 0 ? Self.policy(burst: limiter.burst, perSecond: limiter.perSecond) : ""
    }

    /// `burst;w=window`: as many requests at once as `burst`, refilled over `window` seconds.
    static func policy(burst: Int, perSecond: Double) -> String {
        Self.field([("", burst), (";w=", Int((Double(burst) / perSecond).rounded(.up)))])
    }

    /// Labels and numbers one after another, e.g. `limit=10, remaining=9, reset=1`.
    static func field(_ parts: [(label: StaticString, number: Int)]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(48)
        for part in parts {
            part.label.withUTF8Buffer { bytes.append(contentsOf: $0) }
            JSONWriter.writeInteger(part.number, into: &bytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let principal = request[PrincipalKey.self] else { return try next(request) }
        // A key's own limit allows that many requests per second and as many at once.
        let perSecond = principal.rateLimitPerSecond.map(Double.init) ?? limiter.perSecond
        let burst = principal.rateLimitPerSecond ?? limiter.burst
        guard perSecond > 0 else { return try next(request) }
        let decision = limiter.take(principal.apiKeyID, perSecond: perSecond, burst: burst)
        let fields = [
            (
                "RateLimit-Policy",
                principal.rateLimitPerSecond == nil ? defaultPolicy : Self.policy(burst: burst, perSecond: perSecond)
            ),
            (
                "RateLimit",
                Self.field([
                    ("limit=", burst), (", remaining=", decision.remaining), (", reset=", decision.resetSeconds),
                ])
            ),
        ]
        guard decision.allowed else {
            throw AppError(
                .rateLimited,
                "this API key made more than \(burst) requests at once or \(perSecond.formatted()) per second; retry after \(decision.retryAfterSeconds) s",
                headers: fields + [("Retry-After", String(decision.retryAfterSeconds))])
        }
        do {
            var response = try next(request)
            for (name, value) in fields { response.headers.add(name, value) }
            return response
        } catch var error as AppError {
            error.headers += fields
            throw error
        } catch let error as ProblemConvertible {
            var problem = error.problem
            problem.headers += fields
            throw problem
        }
    }
}

extension Double {
    fileprivate func formatted() -> String { self == rounded() ? String(Int(self)) : String(self) }
}
