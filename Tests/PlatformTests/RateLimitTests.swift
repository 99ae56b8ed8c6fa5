import Core
import Foundation
import Routing
import TestSupport
import Testing

/// The per-key token bucket: `RateLimit` fields on every authenticated answer, 429 past it.
@Suite struct RateLimitTests {
    @Test func burstThen429_withRetryAfter_perKey_andRefill() throws {
        let app = try TestApp(configure: {
            $0.rateLimitPerSecond = 2; $0.rateLimitBurst = 3
        })
        // Making the key takes two admin requests; the new key's own bucket is still full.
        let admin = app.client(key: try app.key(forRole: "readonly"))
        let other = app.adminKey
        var remaining: [String] = []
        for _ in 0..<3 {
            let reply = try admin.get("/me")
            #expect(reply.status == 200)
            #expect(reply.header("RateLimit-Policy") == "3;w=2")
            remaining.append(reply.header("RateLimit") ?? "")
        }
        #expect(
            remaining == [
                "limit=3, remaining=2, reset=1", "limit=3, remaining=1, reset=1", "limit=3, remaining=0, reset=2",
            ])
        let refused = try admin.get("/me")
        #expect(refused.status == 429)
        #expect(refused.code == "rate_limited")
        #expect(refused.header("Retry-After") == "1")
        #expect(refused.header("RateLimit")?.contains("remaining=0") == true)
        // Other keys have their own bucket; probes and anonymous requests are not limited.
        #expect(try app.client(key: other).get("/me").status == 200)
        #expect(try app.client(key: "").get("/healthz").status == 200)
        // One token comes back within half a second (2 a second); polls refused meanwhile take none.
        var again = try admin.get("/customers/\(UUID().uuidString)")
        #expect(
            try eventually(timeout: 5) {
                again = try admin.get("/customers/\(UUID().uuidString)")
                return again.status != 429
            })
        #expect(again.status == 404)
        #expect(again.header("RateLimit") != nil, "errors carry the fields too")
    }

    @Test func rateLimitedPosts_releaseTheirIdempotencyKey() throws {
        let app = try TestApp(configure: {
            $0.rateLimitPerSecond = 1; $0.rateLimitBurst = 1
        })
        let admin = app.client()
        #expect(try admin.get("/me").status == 200)
        let limited = try admin.post("/customers", #"{"name":"Later"}"#, headers: [("Idempotency-Key", "retry-me")])
        #expect(limited.status == 429)
        // Retried until the bucket refills: every 429 released the key again.
        var retried = limited
        #expect(
            try eventually(timeout: 5) {
                retried = try admin.post("/customers", #"{"name":"Later"}"#, headers: [("Idempotency-Key", "retry-me")])
                return retried.status != 429
            })
        #expect(retried.status == 201)
        #expect(retried.header("Idempotent-Replayed") == nil)
    }
}
