import App
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Labels fed by what clients send stay bounded, so anonymous traffic cannot grow `/metrics`.
@Suite struct MetricLabelTests {
    /// 10,000 requests with random method tokens and random paths (anonymous, before any
    /// authentication) leave the number of series under a fixed bound: unknown methods count
    /// as `other`, unknown paths as `unmatched`, paths of a route as its template.
    @Test func randomMethodsAndPaths_keepTheSeriesCountBounded() throws {
        let server = try OperationsTests.start()
        defer { server.shutdown(); server.waitUntilStopped() }
        var generator = SystemRandomNumberGenerator()
        let letters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        func token() -> String {
            String(
                (0..<Int.random(in: 3...24, using: &generator)).map { _ in letters.randomElement(using: &generator)! })
        }
        let known = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]  // not HEAD: its answer has no body to read
        var answered = 0
        for _ in 0..<100 {
            let client = try RawClient(port: server.port)
            var batch = ""
            for n in 0..<100 {
                let method = n % 10 == 0 ? known.randomElement(using: &generator)! : token()
                let path =
                    n % 3 == 0
                    ? "/customers/\(UUID().uuidString)"
                    : "/\(token().lowercased())/\(UInt32.random(in: 0...UInt32.max))"
                batch += "\(method) \(path) HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n"
            }
            try client.send(batch)
            for _ in 0..<100 {
                guard let response = try? client.readResponse() else { break }
                #expect(response.status < 500)
                answered += 1
            }
        }
        #expect(answered == 10_000, "every request is answered on its keep-alive connection")
        let client = try RawClient(port: server.port)
        try client.send("GET /metrics HTTP/1.1\r\nHost: t\r\n\r\n")
        let text = try client.readResponse().text
        let series = text.split(separator: "\n").filter { $0.hasPrefix("concord_http_requests_total{") }
        #expect(series.count < 40, "series: \(series.count)")
        #expect(series.contains { $0.contains(#"method="other",route="unmatched""#) })
        #expect(series.contains { $0.contains(#"route="/customers/{id}""#) })
        #expect(
            !series.contains { line in
                !line.contains(#"route="unmatched""#) && !line.contains(#"route="/customers/{id}""#)
            })
    }
}
