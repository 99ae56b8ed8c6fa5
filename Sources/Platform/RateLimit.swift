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

    public init(limiter: RateLimiter) { self.limiter = limiter }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard let principal = request[PrincipalKey.self] else { return try next(request) }
        // A key's own limit allows that many requests per second and as many at once.
        let perSecond = principal.rateLimitPerSecond.map(Double.init) ?? limiter.perSecond
        let burst = principal.rateLimitPerSecond ?? limiter.burst
        guard perSecond > 0 else { return try next(request) }
        let decision = limiter.take(principal.apiKeyID, perSecond: perSecond, burst: burst)
        let window = Int((Double(burst) / perSecond).rounded(.up))
        let fields = [
            ("RateLimit-Policy", "\(burst);w=\(window)"),
            ("RateLimit", "limit=\(burst), remaining=\(decision.remaining), reset=\(decision.resetSeconds)"),
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
