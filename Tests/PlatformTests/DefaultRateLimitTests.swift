import App
import Foundation
import Routing
import TestSupport
import Testing

/// The default limit does not throttle ordinary scripted use: a script or a test suite on one
/// key runs well past a thousand requests in a burst without a 429.
@Suite struct DefaultRateLimitTests {
    @Test func defaultLimit_letsOneKeyMakeThousandsOfRequestsInABurst() throws {
        let defaults = Configuration()
        #expect(defaults.rateLimitPerSecond >= 1_000)
        #expect(defaults.rateLimitBurst >= 1_000)
        let app = try TestApp(configure: {
            $0.rateLimitPerSecond = defaults.rateLimitPerSecond
            $0.rateLimitBurst = defaults.rateLimitBurst
        })
        let admin = app.client()
        var statuses: [Int: Int] = [:]
        var policy: String?
        for _ in 0..<1_500 {
            let reply = try admin.get("/me")
            statuses[reply.status, default: 0] += 1
            policy = reply.header("RateLimit-Policy")
        }
        #expect(statuses == [200: 1_500])
        #expect(
            policy
                == "\(defaults.rateLimitBurst);w=\(Int((Double(defaults.rateLimitBurst) / defaults.rateLimitPerSecond).rounded(.up)))"
        )
    }
}
