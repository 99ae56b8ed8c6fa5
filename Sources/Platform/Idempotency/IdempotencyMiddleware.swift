import Core
import FoundationEssentials
import HTTP
import Postgres
import Routing

/// `Idempotency-Key` on POST (API.md): the first request's outcome below 500 (and not 429) is
/// stored per API key for 24 hours and replayed with `Idempotent-Replayed: true`; the same key
/// with another body is a 422; a repeat while the first runs is a 409; after a 5xx, 429 or 503
/// the key is released. A success is stored in the same transaction as the work it reports,
/// so a crash can never leave work done without its record, or a record without its work.
public struct IdempotencyMiddleware: Middleware {
    let pool: ConnectionPool
    let store = IdempotencyStore()

    public init(pool: ConnectionPool) { self.pool = pool }

    /// Signals "roll back the work and release the key, but answer with this response".
    private struct ReleaseAfter: Error {
        let response: Response
    }

    public func handle(_ request: Request, next: (Request) throws -> Response) throws -> Response {
        guard request.method == "POST", let key = request.headers["Idempotency-Key"],
            let principal = request[PrincipalKey.self]
        else { return try next(request) }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw AppError(
                .invalidParameter, "Idempotency-Key must be 1 to 255 visible ASCII characters",
                errors: [FieldError(field: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters")])
        }
        let apiKeyID = principal.apiKeyID
        let hash = Crypto.sha256(Array("\(request.method)\n\(request.http.head.target)\n".utf8) + request.body)

        switch try pool.transaction({ tx in try store.claim(apiKeyID: apiKeyID, key: key, hash: hash, in: tx) }) {
        case .claimed:
            break
        case .existing(let storedHash, let stored):
            guard Crypto.constantTimeEquals(storedHash, hash) else {
                throw AppError(
                    .idempotencyKeyReused, "this Idempotency-Key was used with another request; use a new key")
            }
            guard let stored else {
                throw AppError(
                    .idempotencyInProgress, "a request with this Idempotency-Key is still running; retry shortly",
                    headers: [("Retry-After", "1")])
            }
            var headers = HTTPHeaders(stored.headers.map { (name: $0.0, value: $0.1) })
            headers.set("Idempotent-Replayed", "true")
            return Response(status: stored.status, headers: headers, body: stored.body)
        }

        do {
            return try pool.transaction { tx in
                let response = try next(request)
                guard Self.isStored(response.status) else { throw ReleaseAfter(response: response) }
                try store.complete(
                    apiKeyID: apiKeyID, key: key, status: response.status,
                    headers: Self.storedHeaders(response.headers),
                    body: response.body, in: tx)
                return response
            }
        } catch let release as ReleaseAfter {
            try? pool.transaction { tx in try store.release(apiKeyID: apiKeyID, key: key, in: tx) }
            return release.response
        } catch {
            let problem: AppError? = (error as? AppError) ?? (error as? any ProblemConvertible)?.problem
            if let problem, Self.isStored(problem.code.status) {
                // The work rolled back; the refusal itself is the outcome to replay.
                let response = problem.response(requestID: request.requestID)
                try? pool.transaction { tx in
                    try store.complete(
                        apiKeyID: apiKeyID, key: key, status: response.status,
                        headers: Self.storedHeaders(response.headers), body: response.body, in: tx)
                }
            } else {
                try? pool.transaction { tx in try store.release(apiKeyID: apiKeyID, key: key, in: tx) }
            }
            throw error
        }
    }

    static func isStored(_ status: Int) -> Bool { status < 500 && status != 429 }

    /// Headers replayed later; the request id belongs to each request, not to the outcome.
    static func storedHeaders(_ headers: HTTPHeaders) -> [(String, String)] {
        headers.filter { !$0.name.equalsIgnoringASCIICase("X-Request-Id") }.map { ($0.name, $0.value) }
    }
}

/// Housekeeping entry point for idempotency records.
public enum IdempotencyRecords {
    /// Deletes records older than 24 hours; returns how many.
    public static func reap(pool: ConnectionPool) throws -> Int {
        try pool.transaction { tx in try IdempotencyStore().reap(in: tx) }
    }
}
