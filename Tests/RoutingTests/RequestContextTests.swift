import HTTP
import Testing

@testable import Core
@testable import Routing

/// Typed per-request values (the principal, the idempotency record) set by middleware.
@Suite struct RequestContextTests {
    enum Name: RequestContextKey { typealias Value = String }
    enum Count: RequestContextKey { typealias Value = Int }

    static func request() -> Request {
        Request(
            http: HTTPRequest(
                head: HTTPRequestHead(method: "GET", target: "/", version: .http1_1, headers: HTTPHeaders()), body: []),
            segments: [], query: QueryParameters(), requestID: "r")
    }

    @Test func values_areKeptPerKey_andTheLatestSettingWins() {
        var request = Self.request()
        #expect(request[Name.self] == nil)
        request[Name.self] = "first"
        request[Count.self] = 1
        request[Name.self] = "second"
        #expect(request[Name.self] == "second")
        #expect(request[Count.self] == 1)
        request[Name.self] = nil
        #expect(request[Name.self] == nil)
        #expect(request[Count.self] == 1)
    }

    @Test func aCopy_changesApart_fromTheRequestItCameFrom() {
        var original = Self.request()
        original[Count.self] = 1
        var copy = original
        copy[Count.self] = 2
        copy[Name.self] = "copy"
        #expect(original[Count.self] == 1)
        #expect(original[Name.self] == nil)
        #expect(copy[Count.self] == 2)
    }
}
